"""Row diffs of real Parquet files the tests write (messy data, hostile names, type drift),
checked against counts computed independently in Python."""

import html
import json
import math
import random
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from plexus_datasets.display import TextTable, rowdiff_html, rowdiff_parts, rowdiff_text
from plexus_datasets.errors import LoaderError, ValidationError
from plexus_datasets.rowdiff import MAX_LIMIT, diff_parquet

NAMES = ("calls:v2", "calls:v3")


def write(path, frame):
    frame.to_parquet(path, index=False)
    return path


def diff(tmp_path, a, b, **kwargs):
    kwargs.setdefault("names", NAMES)
    return diff_parquet(write(tmp_path / "a.parquet", a), write(tmp_path / "b.parquet", b), **kwargs)


# --- an independent reference: Python counters over the rows as written -------------------------


def plain(value):
    """A cell as Parquet keeps it: NaN and None are both null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def rows_of(frame):
    return [{c: plain(v) for c, v in zip(frame.columns, row)} for row in frame.itertuples(index=False, name=None)]


def reference(a, b, key=None):
    """added/removed/changed/unchanged and per-column changes, as the RowDiff documents them."""
    shared = [c for c in a.columns if c in set(b.columns)]
    rows_a, rows_b = rows_of(a), rows_of(b)
    content = lambda row: tuple(row[c] for c in shared)
    if key is None:
        ca, cb = Counter(map(content, rows_a)), Counter(map(content, rows_b))
        return {"added": sum((cb - ca).values()), "removed": sum((ca - cb).values()), "changed": 0,
                "unchanged": sum((ca & cb).values())}, {}
    ka = Counter(r[key] for r in rows_a if r[key] is not None)
    kb = Counter(r[key] for r in rows_b if r[key] is not None)
    paired = {k for k, n in ka.items() if n == 1 and kb.get(k) == 1}
    by_key_b = {r[key]: r for r in rows_b if r[key] in paired}
    changed, columns = 0, Counter()
    for row in rows_a:
        if row[key] in paired:
            differs = [c for c in shared if c != key and row[c] != by_key_b[row[key]][c]]
            changed += bool(differs)
            columns.update(differs)
    rest_a = Counter(content(r) for r in rows_a if r[key] is None or r[key] not in paired)
    rest_b = Counter(content(r) for r in rows_b if r[key] is None or r[key] not in paired)
    unchanged = len(paired) - changed + sum((rest_a & rest_b).values())
    return {"added": sum((rest_b - rest_a).values()), "removed": sum((rest_a - rest_b).values()),
            "changed": changed, "unchanged": unchanged}, dict(columns)


def records(frame):
    return rows_of(frame)


def counts(result):
    return {"added": result.added, "removed": result.removed, "changed": result.changed,
            "unchanged": result.unchanged}


# --- by key ----------------------------------------------------------------------------------------


def calls_v2():
    return pd.DataFrame({
        "content_id": [1, 2, 3, 4, 5, 6],
        "text": ["hello", "héllo wörld 😀", "", None, "same", "bye"],
        "label": ["Yes", "No", "Yes", "NA", "No", "Yes"],
        "score": [0.5, float("nan"), 1.0, 2.0, 3.0, 4.0],
        "old": ["a", "b", "c", "d", "e", "f"],
    })


def calls_v3():
    return pd.DataFrame({
        "content_id": [1, 2, 3, 5, 6, 7, 8],
        "text": ["hello", "héllo wörld 😀", "now text", "same", "bye", "new", "newer"],
        "label": ["No", "Yes", "Yes", "No", "No", "Yes", None],
        "score": [0.5, None, 1.0, 3.0, 4.5, 1.0, 2.0],
        "new": [1, 2, 3, 4, 5, 6, 7],
    })


def test_by_key_counts_changed_columns_flips_and_rows(tmp_path):
    a, b = calls_v2(), calls_v3()
    result = diff(tmp_path, a, b, key="content_id", label_columns=["label"])
    expected, columns = reference(a[["content_id", "text", "label", "score"]], b[["content_id", "text", "label",
                                                                                   "score"]], "content_id")
    assert counts(result) == expected == {"added": 2, "removed": 1, "changed": 4, "unchanged": 1}
    assert result.rows_a == 6 and result.rows_b == 7 and result.by == "key" and result.key == "content_id"
    assert result.rows_a == result.removed + result.changed + result.unchanged
    assert result.rows_b == result.added + result.changed + result.unchanged
    assert dict(result.column_changes) == {"text": 1, "label": 3, "score": 1} == {"text": 1, **columns}
    # label flips: 1 Yes->No, 2 No->Yes, 6 Yes->No
    assert [(f.before, f.after, f.count) for f in result.label_flips] == [("Yes", "No", 2), ("No", "Yes", 1)]
    assert result.columns == ("content_id", "text", "label", "score")
    assert result.only_a == ("old",) and result.only_b == ("new",)
    # the first rows, read back whole from each file
    assert records(result.removed_rows) == [
        {"content_id": 4, "text": None, "label": "NA", "score": 2.0, "old": "d"}]
    assert result.added_rows["content_id"].tolist() == [7, 8] and result.added_rows["new"].tolist() == [6, 7]
    assert result.changed_rows.index.tolist() == [1, 2, 3, 6] and result.changed_rows.index.name == "content_id"
    assert result.changed_rows.loc[3, ("text", "calls:v2")] == "" and result.changed_rows.loc[
        3, ("text", "calls:v3")] == "now text"
    lines = {(r.key, r.column): (r.before, r.after) for r in result.changes.itertuples(index=False)}
    assert lines == {(1, "label"): ("Yes", "No"), (2, "label"): ("No", "Yes"), (3, "text"): ("", "now text"),
                     (6, "label"): ("Yes", "No"), (6, "score"): (4.0, 4.5)}
    assert result.flipped_rows[["key", "before", "after"]].values.tolist() == [
        [1, "Yes", "No"], [2, "No", "Yes"], [6, "Yes", "No"]]
    assert "Rows are matched by 'content_id'" in result.notes[0]
    assert any("Only in calls:v2, not compared: 'old'" in n for n in result.notes)
    assert result.summary == ("2 added, 1 removed, 4 changed of 6 rows (1 unchanged; calls:v3 has 7), matched by "
                              "content_id")


def test_duplicate_and_null_keys_are_counted_and_matched_by_content(tmp_path):
    a = pd.DataFrame({"id": [1, 1, 2, 3, None, None, 4, 4],
                      "v": ["x", "x", "y", "z", "n1", "n2", "p", "q"],
                      "tag": ["first", "second", "", "", "", "", "", ""]})
    b = pd.DataFrame({"id": [1, 2, 2, 3, None, 4],
                      "v": ["x", "y", "y", "zz", "n1", "q"], "tag": ["", "", "", "", "", ""]})
    result = diff(tmp_path, a[["id", "v"]], b[["id", "v"]], key="id")
    expected, _ = reference(a[["id", "v"]], b[["id", "v"]], "id")
    assert counts(result) == expected
    # id 1: x,x vs x -> 1 unchanged, 1 removed; id 2: y vs y,y -> 1 unchanged, 1 added; id 3 paired, changed;
    # nulls: n1,n2 vs n1 -> 1 unchanged, 1 removed; id 4: p,q vs q -> 1 unchanged, 1 removed
    assert expected == {"added": 1, "removed": 3, "changed": 1, "unchanged": 4}
    assert result.duplicate_keys == (4, 2) and result.null_keys == (2, 1)
    assert any("3 'id' values occur more than once (4 rows in calls:v2, 2 rows in calls:v3)" in n for n in result.notes)
    assert any("2 rows in calls:v2 and 1 row in calls:v3 have no 'id'" in n for n in result.notes)
    # which copy is "removed": the later ones (the first copies are matched)
    full = diff(tmp_path, a, b.assign(tag=["first", "", "", "", "", ""]), key="id")
    removed = full.removed_rows
    assert sorted(removed["tag"].tolist()) == ["", "", "second"]


def test_random_messy_data_matches_the_python_reference(tmp_path):
    rng = random.Random(15)
    words = ["", " ", "é", "😀 emoji", "\u200b", "NaN", "None", "null", '"quoted"', "a,b", "line\nbreak", "Yes", "No"]
    n = 2500

    def row(i):
        return {"id": rng.choice([i, i, i, i, None, rng.randrange(n)]),  # duplicates and nulls
                "text": rng.choice(words + [None]), "label": rng.choice(["Yes", "No", "NA", None]),
                "x": rng.choice([float(rng.randrange(5)), float("nan"), None])}

    rows = [row(i) for i in range(n)]
    a = pd.DataFrame(rows)
    kept = [dict(r) for r in rows if rng.random() > 0.05]
    for r in kept:
        if rng.random() < 0.1:
            r[rng.choice(["text", "label", "x"])] = rng.choice(words + [None])
    kept += [row(n + i) for i in range(100)] + rng.sample(kept, 30)  # new rows and exact duplicates
    rng.shuffle(kept)
    b = pd.DataFrame(kept)
    as_text = lambda v: None if plain(v) is None else str(v)
    b["x"] = b["x"].map(as_text).astype(object)  # floats in A, text in B: type drift, compared as text
    a_as_text = a.assign(x=a["x"].map(as_text).astype(object))
    for key in ("id", None):
        result = diff(tmp_path, a, b, key=key, label_columns=["label"], limit=50)
        expected, columns = reference(a_as_text, b, key)
        assert counts(result) == expected, key
        assert {c: n for c, n in result.column_changes.items() if n} == columns
        assert result.rows_a == len(a) and result.rows_b == len(b)
        assert len(result.added_rows) == min(50, result.added) and len(result.removed_rows) == min(50, result.removed)


def test_by_content_counts_duplicates_as_a_multiset(tmp_path):
    a = pd.DataFrame({"text": ["a", "a", "a", "b", "c", None], "n": [1, 1, 1, 2, 3, None]})
    b = pd.DataFrame({"text": ["a", "b", "b", "d", None], "n": [1, 2, 2, 4, None]})
    result = diff(tmp_path, a, b)
    assert counts(result) == reference(a, b)[0] == {"added": 2, "removed": 3, "changed": 0, "unchanged": 3}
    assert result.by == "content" and result.key is None
    assert result.notes[0].startswith("No key column: rows are compared by whole-row content on the 2 shared columns")
    assert records(result.removed_rows) == [{"text": "a", "n": 1.0}, {"text": "a", "n": 1.0},
                                                      {"text": "c", "n": 3.0}]
    assert records(result.added_rows) == [{"text": "b", "n": 2.0}, {"text": "d", "n": 4.0}]
    assert result.changes.empty and result.changed_rows.empty
    assert "compared by whole-row content" in result.summary and " changed" not in result.summary


def test_default_key_is_used_only_when_unique_in_both(tmp_path):
    a = pd.DataFrame({"content_id": ["c1", "c2", "c3"], "label": ["Yes", "No", "Yes"]})
    b = pd.DataFrame({"content_id": ["c1", "c2", "c4"], "label": ["No", "No", "Yes"]})
    keyed = diff(tmp_path, a, b, default_key="content_id")
    assert keyed.by == "key" and keyed.key == "content_id" and keyed.changed == 1
    assert any("No key was given; 'content_id'" in n for n in keyed.notes)
    repeated = diff(tmp_path, a, pd.concat([b, b.head(1)]), default_key="content_id")
    assert repeated.by == "content" and repeated.removed == 2 and repeated.added == 3
    assert any("'content_id' has nulls or repeated values in calls:v3" in n for n in repeated.notes)
    missing = diff(tmp_path, a, b.rename(columns={"content_id": "id"}), default_key="content_id")
    assert missing.by == "content"


# --- names, types and shapes the data may have -------------------------------------------------------


HOSTILE = ['a"b; DROP TABLE a; --', "it's", "é\u200b", "A", "a", "file_row_number", "select", "x.y", " sp ace "]


def test_hostile_column_names_work_as_columns_and_key(tmp_path):
    columns = {name: [f"{i}-{name}" for i in range(4)] for name in HOSTILE}
    a = pd.DataFrame(columns)
    b = a.copy()
    b.loc[1, "a"] = "changed"  # only "a", not "A": names are case-sensitive here
    b.loc[2, 'a"b; DROP TABLE a; --'] = "also"
    b = b.drop(index=3)
    result = diff(tmp_path, a, b, key="it's", label_columns=["a"])
    assert (result.added, result.removed, result.changed, result.unchanged) == (0, 1, 2, 1)
    assert dict(result.column_changes) == {n: (1 if n in ("a", 'a"b; DROP TABLE a; --') else 0) for n in HOSTILE
                                           if n != "it's"}
    assert [(f.before, f.after) for f in result.label_flips] == [("1-a", "changed")]
    assert list(result.removed_rows.columns) == HOSTILE and result.removed_rows.loc[0, "file_row_number"] == \
        "3-file_row_number"
    assert result.changed_rows.loc["1-it's", ("a", "calls:v3")] == "changed"
    assert result.changed_rows.loc["1-it's", ("A", "calls:v3")] == "1-A"
    keyed = diff(tmp_path, a, b, key='a"b; DROP TABLE a; --')
    assert (keyed.added, keyed.removed, keyed.changed) == (1, 2, 1)  # its changed value is another key


def test_type_drift_is_compared_and_said(tmp_path):
    a = pd.DataFrame({"id": [1, 2, 3, 4], "n": [1, 2, 3, 4], "s": ["1", "2", "x", None],
                      "empty": [None, None, None, None], "when": pd.to_datetime(["2024-01-01"] * 4)})
    b = pd.DataFrame({"id": ["1", "2", "3", "4"], "n": [1.0, 2.5, 3.0, None], "s": pd.array([1, 2, 3, None], dtype="Int64"),
                      "empty": ["", None, None, None],
                      "when": pd.to_datetime(["2024-01-01"] * 4).astype("datetime64[ns]")})
    result = diff(tmp_path, a, b, key="id")
    assert (result.added, result.removed, result.changed, result.unchanged) == (0, 0, 4, 0)
    assert dict(result.column_changes) == {"n": 2, "s": 1, "empty": 1, "when": 0}
    how = {t.column: t.compared_as for t in result.type_changes}
    assert how["id"] == "text" and how["n"] == "numbers" and how["s"] == "text" and how["empty"] == "as is"
    assert any("'n' is BIGINT in calls:v2 and DOUBLE in calls:v3: compared as numbers" in n for n in result.notes)
    # values come back as each file has them
    assert result.changed_rows.loc[2, ("n", "calls:v2")] == 2 and result.changed_rows.loc[2, ("n", "calls:v3")] == 2.5


def test_columns_added_removed_and_files_without_rows(tmp_path):
    a = pd.DataFrame({"id": [1, 2], "kept": ["a", "b"], "dropped": [1, 2]})
    b = pd.DataFrame({"id": [1, 2], "kept": ["a", "b"], "added": [None, None]})
    result = diff(tmp_path, a, b, key="id")
    assert (result.changed, result.unchanged) == (0, 2) and result.only_a == ("dropped",) and result.only_b == ("added",)
    empty = diff(tmp_path, a.iloc[0:0], b, key="id")
    assert (empty.rows_a, empty.added, empty.removed, empty.unchanged) == (0, 2, 0, 0)
    both_empty = diff(tmp_path, a.iloc[0:0], b.iloc[0:0])
    assert (both_empty.added, both_empty.removed, both_empty.unchanged) == (0, 0, 0)
    with pytest.raises(ValidationError, match="share no column"):
        diff(tmp_path, a[["dropped"]], b[["added"]])


def test_nested_and_odd_values(tmp_path):
    table_a = pa.table({"id": [1, 2, 3], "tags": [[1, 2], [], None], "meta": [{"k": "v"}, {"k": None}, None]})
    table_b = pa.table({"id": [1, 2, 3], "tags": [[1, 2], [3], None], "meta": [{"k": "v"}, {"k": None}, {"k": "w"}]})
    pq.write_table(table_a, tmp_path / "a.parquet")
    pq.write_table(table_b, tmp_path / "b.parquet")
    result = diff_parquet(tmp_path / "a.parquet", tmp_path / "b.parquet", key="id")
    assert (result.changed, result.unchanged) == (2, 1) and dict(result.column_changes) == {"tags": 1, "meta": 1}
    json.dumps(result.to_dict())  # nested values survive JSON


# --- what is refused, and how ---------------------------------------------------------------------


def test_a_missing_key_lists_likely_id_columns(tmp_path):
    a = pd.DataFrame({"content_id": [1, 2, 3], "call_id": ["a", "b", "c"], "paid": [1, 1, 2], "text": ["x"] * 3})
    b = a.copy()
    with pytest.raises(ValidationError) as caught:
        diff(tmp_path, a, b, key="contentid")
    message = str(caught.value)
    assert "calls:v2 and calls:v3 have no column 'contentid'" in message
    assert "'content_id', 'call_id'" in message and "paid" not in message
    with pytest.raises(ValidationError, match="calls:v3 has no column 'call_id'"):
        diff(tmp_path, a, b.drop(columns=["call_id"]), key="call_id")


def test_bad_arguments_and_unreadable_files(tmp_path):
    a = write(tmp_path / "a.parquet", pd.DataFrame({"x": [1]}))
    for limit in (-1, MAX_LIMIT + 1, 2.5, True):
        with pytest.raises(ValidationError, match="limit"):
            diff_parquet(a, a, limit=limit)
    with pytest.raises(ValidationError, match="memory_limit"):
        diff_parquet(a, a, memory_limit="lots")
    with pytest.raises(LoaderError, match="No Parquet file"):
        diff_parquet(a, tmp_path / "missing.parquet")
    (tmp_path / "text.parquet").write_text("not parquet")
    with pytest.raises(LoaderError, match="not readable Parquet"):
        diff_parquet(a, tmp_path / "text.parquet")
    same = diff_parquet(a, a, names=("calls:v3", "calls:v3"))
    assert same.names == ("calls:v3 (A)", "calls:v3 (B)") and same.unchanged == 1


def test_limits_bound_the_frames_not_the_counts(tmp_path):
    a = pd.DataFrame({"id": range(100), "v": ["a"] * 100})
    b = pd.DataFrame({"id": range(10, 120), "v": ["a"] * 50 + ["b"] * 60})
    result = diff(tmp_path, a, b, key="id", limit=3)
    assert (result.added, result.removed, result.changed) == (20, 10, 40) and result.more
    assert result.added_rows["id"].tolist() == [100, 101, 102] and result.removed_rows["id"].tolist() == [0, 1, 2]
    assert result.changed_rows.index.tolist() == [60, 61, 62] and len(result.changes) == 3
    none = diff(tmp_path, a, b, key="id", limit=0)
    assert (none.added, none.changed) == (20, 40) and none.added_rows.empty and none.changes.empty


def test_a_small_memory_limit_spills_and_cleans_up(tmp_path):
    n = 300_000
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"id": np.arange(n), "text": [f"row {i} " * 8 for i in range(n)],
                      "label": rng.choice(["Yes", "No"], n)})
    b = a.copy()
    changed = rng.choice(n, 3000, replace=False)
    b.loc[changed, "label"] = np.where(b.loc[changed, "label"] == "Yes", "No", "Yes")
    spill = tmp_path / "spill"
    spill.mkdir()
    for key in ("id", None):
        result = diff(tmp_path, a, b, key=key, label_columns=["label"], memory_limit="100MB", threads=1,
                      temp_dir=spill)
        assert (result.changed if key else result.removed) == 3000
        assert list(spill.iterdir()) == []  # the temporary folder is gone
    assert sum(f.count for f in result.label_flips) == 0  # by content there are no pairs to flip


# --- renderings ---------------------------------------------------------------------------------------


def test_renderings_escape_cap_and_fit(tmp_path):
    evil = "<script>alert(1)</script>"
    a = pd.DataFrame({"id": [1, 2, 3], evil: ["x" * 500, "\x1b[31mred", "ok"], "label": ["Yes", "No", "[/bold]"]})
    b = pd.DataFrame({"id": [1, 2, 4], evil: ["y" * 500, "\x1b[32mgreen", evil], "label": ["No", "No", evil]})
    result = diff(tmp_path, a, b, key="id", label_columns=["label"], names=(evil, "calls:v3"))
    page = result._repr_html_()
    assert "<script>" not in page and html.escape(evil) in page
    assert "x" * 121 not in page and "x" * 100 in page  # cells capped
    assert "pds-removed" in page and "pds-added" in page and "→" in page
    assert "Yes → No 1" in page
    text = str(result)
    assert "\x1b" not in text and "\\x1b[31mred" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    parts = rowdiff_parts(result)
    lines = [p for p in parts if isinstance(p, str)]
    assert all(len(line) <= 80 for part in lines for line in part.splitlines())
    tables = {p.title.split(" (")[0]: p for p in parts if isinstance(p, TextTable)}
    assert tables["Label flips"].rows == [{"column": "label", "before": "Yes", "after": "No", "rows": "1"}]
    assert "\x1b" not in json.dumps([p.rows for p in tables.values()])
    assert rowdiff_text(result) == text and rowdiff_html(result) == page
    assert repr(result).startswith(f"RowDiff({evil} -> calls:v3: 1 added, 1 removed, 2 changed")


def test_to_dict_is_json_with_nulls(tmp_path):
    a = pd.DataFrame({"id": [1, 2], "x": [1.5, float("nan")], "when": pd.to_datetime(["2024-01-01", None])})
    b = pd.DataFrame({"id": [2, 3], "x": [2.0, float("nan")], "when": pd.to_datetime([None, "2024-02-01"])})
    data = json.loads(json.dumps(diff(tmp_path, a, b, key="id").to_dict(), allow_nan=False))
    assert data["counts"] == {"rows_a": 2, "rows_b": 2, "added": 1, "removed": 1, "changed": 1, "unchanged": 0}
    assert data["removed_rows"] == [{"id": 1, "x": 1.5, "when": "2024-01-01T00:00:00.000"}]
    assert data["added_rows"][0]["x"] is None and data["changes"] == [
        {"key": 2, "column": "x", "before": None, "after": 2.0}]
    assert data["by"] == "key" and data["columns"]["compared"] == ["id", "x", "when"]


def test_a_key_that_is_the_only_shared_column_or_a_list(tmp_path):
    a = pd.DataFrame({"id": [1, 2, 3], "x": [1, 2, 3]})
    b = pd.DataFrame({"id": [2, 3, 4], "y": [1, 2, 3]})
    only_key = diff(tmp_path, a, b, key="id")
    assert (only_key.added, only_key.removed, only_key.changed, only_key.unchanged) == (1, 1, 0, 2)
    assert only_key.changed_rows.empty and "Changed" not in only_key._repr_html_()
    pq.write_table(pa.table({"k": [[1], [2], [3]], "v": ["a", "b", "c"]}), tmp_path / "la.parquet")
    pq.write_table(pa.table({"k": [[1], [2], [4]], "v": ["a", "B", "d"]}), tmp_path / "lb.parquet")
    listed = diff_parquet(tmp_path / "la.parquet", tmp_path / "lb.parquet", key="k")
    assert (listed.added, listed.removed, listed.changed, listed.unchanged) == (1, 1, 1, 1)
    assert "pds-removed'>b</span> → <span class='pds-added'>B" in listed._repr_html_() and str(listed)
    assert rowdiff_parts(listed)


def test_repeated_column_names_that_collide_after_renaming_are_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4]), pa.array([5, 6])], names=["x", "x", "x_1"])
    pq.write_table(table, tmp_path / "a.parquet")
    pq.write_table(table, tmp_path / "b.parquet")
    with pytest.raises(LoaderError, match="repeats the column name"):
        diff_parquet(tmp_path / "a.parquet", tmp_path / "b.parquet")
