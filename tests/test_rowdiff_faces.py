"""Row diffs through the service, VersionDiffTable and ``versions diff --rows``, over datasets
whose versions read Parquet files the tests write, on the embedded SQLite store."""

import json
import random

import pandas as pd
import pytest
from click.testing import CliRunner

from plexus_datasets import connect
from plexus_datasets.cli import cli
from plexus_datasets.errors import ValidationError
from plexus_datasets.widgets import VersionDiffTable

ROWS = 300


def versions_data():
    """Two snapshots: v2 drops 10 rows, adds 15, flips 12 labels and edits 7 texts of v1."""
    rng = random.Random(7)
    v1 = pd.DataFrame({"content_id": [f"c{i:04d}" for i in range(ROWS)],
                       "text": [rng.choice(["héllo", "ça va 😀", "", "<b>bold</b>", "line\nbreak"]) + str(i)
                                for i in range(ROWS)],
                       "label": [rng.choice(["Yes", "No"]) for _ in range(ROWS)],
                       "channel": [rng.choice(["phone", "chat", None]) for _ in range(ROWS)]})
    v2 = v1.drop(index=range(0, 100, 10)).reset_index(drop=True)
    flipped = list(range(1, 61, 5))
    v2.loc[flipped, "label"] = v2.loc[flipped, "label"].map({"Yes": "No", "No": "Yes"})
    edited = list(range(100, 107))
    v2.loc[edited, "text"] = v2.loc[edited, "text"] + " (edited)"
    new = pd.DataFrame({"content_id": [f"n{i}" for i in range(15)], "text": ["new"] * 15, "label": ["Yes"] * 15,
                        "channel": ["chat"] * 15})
    return v1, pd.concat([v2, new], ignore_index=True)


def expected_counts(v1, v2):
    """Counts from Python sets and dicts, independent of DuckDB."""
    a, b = v1.set_index("content_id"), v2.set_index("content_id")
    both = sorted(set(a.index) & set(b.index))
    same = lambda x, y: (pd.isna(x) and pd.isna(y)) or x == y
    changed = [k for k in both if not all(same(a.at[k, c], b.at[k, c]) for c in a.columns)]
    flips = {}
    for k in both:
        if a.at[k, "label"] != b.at[k, "label"]:
            flips[(a.at[k, "label"], b.at[k, "label"])] = flips.get((a.at[k, "label"], b.at[k, "label"]), 0) + 1
    return {"added": len(set(b.index) - set(a.index)), "removed": len(set(a.index) - set(b.index)),
            "changed": len(changed), "unchanged": len(both) - len(changed)}, flips


@pytest.fixture
def calls(tmp_path):
    v1, v2 = versions_data()
    v1.to_parquet(tmp_path / "calls-1.parquet", index=False)
    v2.to_parquet(tmp_path / "calls-2.parquet", index=False)
    svc = connect(str(tmp_path / "store.db"), data_roots=[tmp_path])
    card = svc.create_scorecard("QA", key="qa")
    score = svc.create_score(svc.create_section(card, "Main"), "Greeting", key="greeting",
                             metadata={"label_column": "label"})
    svc.create_dataset(card, "calls", score=score, configuration={"class": "FileItems",
                                                                  "path": str(tmp_path / "calls-1.parquet")})
    svc.create_version("calls", {"class": "FileItems", "path": str(tmp_path / "calls-2.parquet")})
    yield svc, v1, v2
    svc.close()


def cached(svc, ref):
    version = svc.resolve(ref)
    return svc.cache.paths(version.id, version.digest)[0].is_file()


def test_service_diff_rows_by_content_id_with_label_flips(calls):
    svc, v1, v2 = calls
    assert svc.diff_rows("calls:v1", "calls:v2", materialize=False) is None  # nothing built without asking
    assert not cached(svc, "calls:v1") and not cached(svc, "calls:v2")
    result = svc.diff_rows("calls:v1", "calls:v2")
    counts, flips = expected_counts(v1, v2)
    assert {k: getattr(result, k) for k in counts} == counts == {"added": 15, "removed": 10, "changed": 19,
                                                                 "unchanged": 271}
    assert result.names == ("calls:v1", "calls:v2") and result.by == "key" and result.key == "content_id"
    assert any("No key was given; 'content_id'" in note for note in result.notes)
    assert result.label_columns == ("label",)
    assert {(f.before, f.after): f.count for f in result.label_flips} == flips
    assert dict(result.column_changes) == {"text": 7, "label": 12, "channel": 0}
    assert len(result.changed_rows) == 19 and len(svc.diff_rows("calls:v1", "calls:v2", limit=5).changes) == 5
    assert svc.diff_rows("calls:v1", "calls:v2", materialize=False).changed == 19  # both cached now
    by_text = svc.diff_rows("calls:v2", "calls:v1", key="text")
    assert by_text.key == "text" and by_text.names == ("calls:v2", "calls:v1")


def test_service_refuses_a_key_the_data_lacks(calls):
    svc, _, _ = calls
    with pytest.raises(ValidationError) as caught:
        svc.diff_rows("calls:v1", "calls:v2", key="call_id")
    assert "calls:v1 and calls:v2 have no column 'call_id'" in str(caught.value)
    assert "Likely id columns (in both, every value distinct): 'content_id'" in str(caught.value)


def test_diff_table_compares_rows_only_when_asked_then_shows_more(calls):
    svc, v1, v2 = calls
    table = VersionDiffTable("calls", service=svc)
    assert table.row_diff is None and "Compare rows" in table.rows.value
    assert not cached(svc, "calls:v1") and not cached(svc, "calls:v2")  # construction built nothing
    table.compare_button.click()
    counts, _ = expected_counts(v1, v2)
    assert table.row_diff is not None and table.row_diff.changed == counts["changed"]
    assert "15 added, 10 removed, 19 changed of 300 rows" in table.rows.value
    assert "label" in table.rows.value and "Yes → No" in table.rows.value
    assert "&lt;b&gt;bold&lt;/b&gt;" in table.rows.value and "<b>bold</b>" not in table.rows.value
    assert len(table.row_diff.changed_rows) == 19 and table.more_button.layout.display == "none"
    table.rows_limit = 5
    table.compare_rows()
    assert len(table.row_diff.changed_rows) == 5 and table.more_button.layout.display is None
    table.more_button.click()
    assert table.rows_limit == 10 and len(table.row_diff.changed_rows) == 10
    assert "15 added" in repr(table)
    table.key_text.value = "call_id"
    assert table.compare_rows() is None  # shown as text, not raised
    assert "ValidationError" in table.rows_status.value and "content_id" in table.rows_status.value
    table.key_text.value = ""
    again = VersionDiffTable("calls", service=svc)  # both cached now: compared on construction
    assert again.row_diff is not None and again.row_diff.added == 15
    again.b_dropdown.value = again.a_dropdown.value
    assert again.row_diff is not None and again.row_diff.unchanged == 300 and again.row_diff.changed == 0


@pytest.fixture
def run(calls, tmp_path):
    svc, _, _ = calls
    svc.close()
    runner = CliRunner()

    def invoke(*args, expect=0, columns=80):
        result = runner.invoke(cli, ["--db", str(tmp_path / "store.db"), *args],
                               env={"COLUMNS": str(columns), "PLEXUS_DATASETS_DATA_ROOTS": str(tmp_path)})
        assert result.exit_code == expect, (result.output, result.exception)
        return result

    return invoke


def test_cli_versions_diff_rows(run, calls):
    _, v1, v2 = calls
    counts, flips = expected_counts(v1, v2)
    data = json.loads(run("versions", "diff", "calls:v1", "calls:v2", "--rows", "--json", "--limit", "3").stdout)
    assert {k: data["counts"][k] for k in counts} == counts and data["counts"]["rows_a"] == 300
    assert data["key"] == "content_id" and data["columns"]["compared"] == ["content_id", "text", "label", "channel"]
    assert {(f["before"], f["after"]): f["count"] for f in data["label_flips"]} == flips
    assert len(data["added_rows"]) == 3 and data["added_rows"][0] == {"content_id": "n0", "text": "new",
                                                                      "label": "Yes", "channel": "chat"}
    assert len(data["removed_rows"]) == 3 and data["removed_rows"][0]["content_id"] == "c0000"
    assert {c["column"] for c in data["changes"]} <= {"text", "label"} and len(data["changes"]) == 3
    text = run("versions", "diff", "calls:v1", "calls:v2", "--rows").output
    assert text.startswith("calls:v1 -> calls:v2: 15 added, 10 removed, 19 changed of 300 rows")
    assert "Label flips" in text and "First 19" not in text and "Changed rows (19)" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "\\n" in text  # the line break inside a cell is shown, not printed
    by_text = json.loads(run("versions", "diff", "calls:v1", "calls:v2", "--rows", "--key", "text", "--json").stdout)
    assert by_text["key"] == "text"
    missing = run("versions", "diff", "calls:v1", "calls:v2", "--rows", "--key", "nope", expect=1)
    assert missing.output.startswith("Error: ") and "content_id" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    assert "--rows" in run("versions", "diff", "calls:v1", "calls:v2", "--limit", "3", expect=2).output
    configs = json.loads(run("versions", "diff", "calls:v1", "calls:v2", "--json").stdout)
    assert [c["path"] for c in configs] == ["path"]  # without --rows: the configuration diff, as before
