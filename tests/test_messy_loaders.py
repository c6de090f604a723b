"""Loading data as people really have it (issue #13): files saved by Excel and older systems,
ragged and quoted CSV rows, configurations with typos and wrong types, filters that match
nothing, and fingerprints of sources that change under a cache.

Every file is written here, byte for byte, in the test's temporary folder; expected lines,
offsets and counts are worked out by hand from those bytes.
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings

import pandas as pd
import pytest

from plexus_datasets.errors import DataAccessError, DataQualityWarning, LoaderError, UntrustedCodeError
from plexus_datasets.loaders import TrustPolicy, check_configuration, check_loader, materialize, source_fingerprint
from plexus_datasets.loaders.builtin import FileItems, InlineItems


@pytest.fixture
def root(tmp_path):
    """A data root with one good CSV, a folder of text files (no CSV) and a file outside it."""
    data = (tmp_path / "data").resolve()  # messages show resolved paths
    (data / "folder").mkdir(parents=True)
    (data / "folder" / "notes.txt").write_text("not csv\n")
    (data / "calls.csv").write_text("id,text,label\n1,hello,Yes\n2,hi,No\n")
    (tmp_path / "outside.csv").write_text("id\n1\n")
    return data


@pytest.fixture
def trust(root):
    return TrustPolicy.of(data_roots=[root])


def one_line(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message and "pydantic" not in message
    return message


def load(config, trust, **kwargs):
    """materialize, failing the test on any DataQualityWarning (tests that expect one catch it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        return materialize(config, trust=trust, **kwargs)


def quiet(path: str, **extra) -> dict:
    return {"class": "FileItems", "path": path, **extra}


ROWS = [{"id": i, "label": label} for i, label in enumerate(["ham", "spam", "spam", "ham", "spam"], start=1)]


def inline(*processors, **extra):
    return {"class": "InlineItems", "items": ROWS, "processors": list(processors), **extra}


# --- check_configuration: everything that can be known before loading -----------------------

REFUSED = {
    "empty": ({}, LoaderError, ["no `class:`", "class: FileItems"]),
    "class-empty": ({"class": ""}, LoaderError, ["`class:` is empty"]),
    "class-number": ({"class": 5}, LoaderError, ["`class:` must be a class name (text), not a number (5)"]),
    "class-typo": ({"class": "FileItem", "path": "calls.csv"}, LoaderError, ["did you mean 'FileItems'?"]),
    "no-path": ({"class": "FileItems"}, LoaderError, ["FileItems needs `path:`"]),
    "path-empty": ({"class": "FileItems", "path": ""}, LoaderError, ["FileItems: path must be", "not empty text"]),
    "path-empty-list": ({"class": "FileItems", "path": []}, LoaderError, ["not an empty list"]),
    "path-number": ({"class": "FileItems", "path": 5}, LoaderError, ["FileItems: path must be", "not a number (5)"]),
    "missing-file": (quiet("missing.csv"), LoaderError, ["missing.csv does not exist", "relative paths start at"]),
    "directory": (quiet("folder"), LoaderError, ["is a directory", "`path: folder/*.csv`"]),
    "glob-nothing": (quiet("folder/*.csv"), LoaderError, ["No file matches 'folder/*.csv'"]),
    "format": (quiet("calls.csv", format="xls"), LoaderError, ["format must be csv, parquet or jsonl, not text 'xls'"]),
    "encoding": (quiet("calls.csv", encoding="klingon"), LoaderError, ["encoding must be a text encoding", "klingon"]),
    "delimiter": (quiet("calls.csv", delimiter=";;"), LoaderError, ["delimiter must be one character", "';;'"]),
    "unknown-parameter": (quiet("calls.csv", encodng="latin-1"), LoaderError, ["did you mean 'encoding'?"]),
    "inline-no-items": ({"class": "InlineItems"}, LoaderError, ["InlineItems needs `items:`"]),
    "inline-empty": ({"class": "InlineItems", "items": []}, LoaderError, ["items is empty", "no rows"]),
    "items-text": ({"class": "InlineItems", "items": "x"}, LoaderError, ["items must be a list of mappings"]),
    "items-numbers": ({"class": "InlineItems", "items": [1, 2]}, LoaderError, ["row 1 is a number (1)"]),
    "processors-text": (quiet("calls.csv", processors="x"), LoaderError, ["`processors` must be a list"]),
    "processor-unknown": (quiet("calls.csv", processors=[{"class": "NoSuchFilter"}]), LoaderError,
                          ["'NoSuchFilter' can't be found", "ColumnDatasetFilter"]),
    "processor-parameter": (quiet("calls.csv", processors=[{"class": "ColumnDatasetFilter",
                                                            "parameters": {"columns": 5}}]),
                            LoaderError, ["ColumnDatasetFilter: columns must be", "not a number (5)"]),
    "balance-text": (quiet("calls.csv", balance="true"), LoaderError, ["write `balance: true`"]),
    "seed-text": (quiet("calls.csv", random_seed="abc"), LoaderError, ["random_seed must be a whole number"]),
    "label-column-number": (quiet("calls.csv", label_column=5), LoaderError,
                            ["label_column must be a column name (text), not a number (5)"]),
    "outside-roots": (quiet("../outside.csv"), DataAccessError, ["outside the data roots"]),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_check_configuration_refuses(case, trust):
    config, error, parts = REFUSED[case]
    with pytest.raises(error) as info:
        check_configuration(config, trust)
    message = one_line(info)
    assert type(info.value) is error
    for part in parts:
        assert part in message, (part, message)


def test_check_configuration_refuses_untrusted_code_without_importing_it(tmp_path, monkeypatch, trust):
    module = f"pdmessy_{uuid.uuid4().hex[:10]}"
    marker = tmp_path / "imported"
    (tmp_path / f"{module}.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\nclass Loader: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UntrustedCodeError) as info:
        check_configuration({"class": f"{module}.Loader"}, trust)
    assert repr(module) in one_line(info)
    assert not marker.exists() and module not in sys.modules


def test_a_good_configuration_passes_and_returns_its_class(trust):
    assert check_configuration(quiet("calls.csv", label_column="label", balance=True, random_seed="7"), trust) \
        is FileItems
    assert check_configuration(quiet(["calls.csv", "*.csv"], format="CSV", encoding="cp1252", delimiter=","),
                               trust) is FileItems
    assert check_configuration({"type": "fixed", "items": [{"a": 1}]}, trust) is InlineItems
    assert check_configuration({"class": "InlineItems", "type": "fixed", "items": [{"a": 1}]}, trust) is InlineItems
    assert check_loader(quiet("calls.csv"), trust) is FileItems  # the old name still works


def test_the_unknown_parameter_message_names_it_and_lists_the_accepted_ones(trust):
    with pytest.raises(LoaderError) as info:
        check_configuration(quiet("calls.csv", encodng="latin-1"), trust)
    assert one_line(info) == ("FileItems has no parameter 'encodng'; did you mean 'encoding'? Its parameters are: "
                              "path, format, encoding, delimiter, label_column, balance, random_seed.")
    with pytest.raises(LoaderError) as info:
        materialize({"class": "InlineItems", "items": ROWS, "lable_column": "label"}, trust=trust)
    assert "did you mean 'label_column'?" in one_line(info) and "items, type, label_column" in str(info.value)


def test_without_the_environment_only_the_structure_is_checked(trust):
    elsewhere = [quiet("only-on-the-server.csv"), quiet("/mnt/elsewhere/*.csv"),
                 {"class": "FeedbackItems", "scorecard": 1438, "days": 30},
                 quiet("calls.csv", processors=[{"class": "plexus.processors.SomeFilter", "parameters": {"x": 1}}])]
    for config in elsewhere:
        with pytest.raises(LoaderError):
            check_configuration(config, trust)  # this machine can't load it...
        check_configuration(config, trust, environment=False)  # ...but it is well formed
    assert check_configuration(elsewhere[2], trust, environment=False) is None  # not looked up
    for config in [quiet("x.csv", encodng="utf-8"), {"class": "../evil"}, {"class": "FeedbackItems", "balance": 1},
                   quiet("x.csv", processors=[{"class": "ByColumnValueDatasetFilter", "parameters": {"value": 1}}]),
                   quiet("x.csv", processors=[{"class": "a..b"}])]:
        with pytest.raises(LoaderError) as info:
            check_configuration(config, trust, environment=False)
        one_line(info)


def test_s3_paths_are_checked_against_the_allow_list_only(root, monkeypatch):
    # No S3 server and no credentials: passing proves nothing was listed or read.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    allowed = TrustPolicy.of(data_roots=[root], s3_buckets=["team"])
    assert check_configuration(quiet("s3://team/calls/*.csv"), allowed) is FileItems
    with pytest.raises(DataAccessError, match="'other'"):
        check_configuration(quiet(["s3://team/a.csv", "s3://other/b.csv"]), allowed)


# --- unknown classes: did-you-mean ---------------------------------------------------------------

def test_an_unknown_loader_class_suggests_the_near_built_in(trust):
    with pytest.raises(LoaderError) as info:
        check_configuration({"class": "FileItem", "path": "calls.csv"}, trust)
    message = one_line(info)
    assert "did you mean 'FileItems'?" in message and "install Plexus" not in message
    with pytest.raises(LoaderError) as info:
        check_configuration({"class": "FeedbackItems"}, trust)  # not a typo of a built-in: the Plexus hint stays
    assert "did you mean" not in one_line(info) and "install Plexus" in str(info.value)


def test_an_unknown_processor_class_names_the_built_in_processors(trust):
    with pytest.raises(LoaderError) as info:
        check_configuration(inline({"class": "ByColumnValueFilter"}), trust)
    message = one_line(info)
    assert "processor class 'ByColumnValueFilter' can't be found; did you mean 'ByColumnValueDatasetFilter'?" in message
    with pytest.raises(LoaderError) as info:
        check_configuration(inline({"class": "SentimentFilter"}), trust)
    message = one_line(info)
    for name in ("ColumnDatasetFilter", "ByColumnValueDatasetFilter", "DownsampleClassDatasetFilter",
                 "MergeColumnsDatasetFilter", "plexus.processors", "plexus_datasets.processors"):
        assert name in message
    assert "data cache" not in message and "loader" not in message


# --- encodings -------------------------------------------------------------------------------------

def latin1_csv(path):
    """A 14-byte header, 9 rows of 12 bytes and 2 of 13 (ASCII), then an é in latin-1 on line 13."""
    rows = "".join(f"{i},row {i},yes\n" for i in range(1, 10)) + "10,row 10,no\n" + "11,row 11,no\n"
    path.write_bytes(("id,text,label\n" + rows + "12,café,no\n").encode("latin-1"))


def test_a_decoding_error_names_the_line_and_the_absolute_byte_offset(root, trust):
    latin1_csv(root / "latin.csv")
    data = (root / "latin.csv").read_bytes()
    # header 14 + 9 rows * 12 + 2 rows * 13 = 148 bytes before line 13; "12,caf" is 6 more.
    assert data[154] == 0xE9 and data.count(b"\n", 0, 154) + 1 == 13
    with pytest.raises(LoaderError) as info:
        load(quiet("latin.csv"), trust)
    message = one_line(info)
    assert "latin.csv as utf-8: byte 0xe9 at line 13 (byte offset 154) is not valid utf-8." in message
    assert "`encoding: cp1252` (or latin-1)" in message
    frame = load(quiet("latin.csv", encoding="latin-1"), trust)
    assert frame["text"].iloc[-1] == "café" and len(frame) == 12


def test_a_bad_byte_after_a_bom_counts_the_bom_in_its_offset(root, trust):
    (root / "bom.csv").write_bytes(b"\xef\xbb\xbfid,text\n1,caf\xc3\xa9\n2,\xe9t\xe9\n")
    with pytest.raises(LoaderError, match=r"byte 0xe9 at line 3 \(byte offset 21\)"):
        load(quiet("bom.csv"), trust)


def test_cp1252_from_excel_loads_with_its_encoding(root, trust):
    # Excel's "smart quotes" and euro sign are 0x93, 0x94 and 0x80 in cp1252: invalid utf-8.
    (root / "excel.csv").write_bytes(b"id,text\n1,\x93quoted\x94\n2,\x80 5\n")
    with pytest.raises(LoaderError, match="byte 0x93 at line 2 \\(byte offset 10\\)"):
        load(quiet("excel.csv"), trust)
    frame = load(quiet("excel.csv", encoding="cp1252"), trust)
    assert frame["text"].tolist() == ["\u201cquoted\u201d", "\u20ac 5"]
    (root / "undefined.csv").write_bytes(b"id,text\n1,ok\n2,\x81\n")  # 0x81 means nothing in cp1252
    with pytest.raises(LoaderError) as info:
        load(quiet("undefined.csv", encoding="cp1252"), trust)
    assert "as cp1252: byte 0x81 at line 3 (byte offset 15)" in one_line(info) and "latin-1" in str(info.value)


def test_a_utf8_bom_never_sticks_to_the_first_column_name(root, trust):
    (root / "bom.csv").write_bytes(b"\xef\xbb\xbfid,text\n1,caf\xc3\xa9\n")
    for extra in ({}, {"encoding": "utf-8"}, {"encoding": "utf-8-sig"}, {"encoding": "UTF8"}):
        frame = load(quiet("bom.csv", **extra), trust)
        assert list(frame.columns) == ["id", "text"] and frame["text"].tolist() == ["café"], extra


def test_jsonl_honours_its_encoding_and_names_a_bad_line(root, trust):
    (root / "old.jsonl").write_bytes('{"text": "caf\u00e9"}\n'.encode("latin-1"))
    with pytest.raises(LoaderError, match=r"byte 0xe9 at line 1 \(byte offset 13\)"):
        load(quiet("old.jsonl"), trust)
    assert load(quiet("old.jsonl", encoding="latin-1"), trust)["text"].tolist() == ["café"]
    (root / "broken.jsonl").write_text('{"a": 1}\n\n{"a": 2\n')
    with pytest.raises(LoaderError, match="broken.jsonl: line 3 is not valid JSON"):
        load(quiet("broken.jsonl"), trust)


# --- ragged, quoted and padded CSV rows --------------------------------------------------------------

RAGGED = (
    'id,text,label,note\n'          # 1
    '1,"said ""hi""",Yes,ok\n'      # 2  embedded quotes
    '2,short\n'                     # 3  short
    '\n'                            # 4  blank: skipped, not reported
    '3,"two\nlines",No\n'           # 5-6  a quoted newline inside a short record that starts on 5
    '4,full,Yes,fine\n'             # 7
    '5\n'                           # 8  short
    '   \n'                         # 9  whitespace only: blank to pandas too
    '6,"a, b",No,"x\ny"\n'          # 10-11 full, two quoted fields
)


def test_short_rows_are_kept_padded_and_reported_with_their_lines(root, trust):
    (root / "ragged.csv").write_text(RAGGED)
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(quiet("ragged.csv"), trust=trust)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert messages == [(f"{root / 'ragged.csv'}: 3 row(s) have fewer fields than the 4 columns of the header "
                         "(lines 3, 5, 8); their missing cells are empty.")]
    assert frame["id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["text"].tolist()[:3] == ['said "hi"', "short", "two\nlines"] and frame["text"].iloc[5] == "a, b"
    assert frame["note"].isna().tolist() == [False, True, True, False, True, False]
    assert frame["note"].iloc[5] == "x\ny"


def test_more_than_five_short_rows_are_counted_not_all_listed(root, trust):
    (root / "many.csv").write_text("a,b\n" + "".join(f"{i}\n" if i % 2 else f"{i},x\n" for i in range(1, 16)))
    with pytest.warns(DataQualityWarning, match=r"8 row\(s\) have fewer fields than the 2 columns of the header "
                                                r"\(lines 2, 4, 6, 8, 10 and 3 more\)"):
        frame = materialize(quiet("many.csv"), trust=trust)
    assert len(frame) == 15


def test_empty_trailing_columns_and_semicolons_are_no_ragged_rows(root, trust):
    # Excel pads every row with the same empty columns: the last column is all null but no row is short.
    (root / "padded.csv").write_text("id,label,,\n1,Yes,,\n2,No,,\n")
    frame = load(quiet("padded.csv"), trust)
    assert frame["label"].tolist() == ["Yes", "No"] and frame.iloc[:, -1].isna().all()
    (root / "semi.csv").write_text('id;text;label\n1;"a; ""b""";Yes\n2;c,d;\n')
    frame = load(quiet("semi.csv", delimiter=";"), trust)
    assert frame["text"].tolist() == ['a; "b"', "c,d"] and frame["label"].isna().tolist() == [False, True]


def test_a_row_with_too_many_fields_names_the_line_its_record_starts_on(root, trust):
    (root / "long.csv").write_text('id,text,label\n1,"multi\nline",Yes\n2,hello, world,No\n3,ok,Yes\n')
    with pytest.raises(LoaderError) as info:
        load(quiet("long.csv"), trust)
    message = one_line(info)
    assert f"{root / 'long.csv'}: line 4 has 4 fields but the header has 3 columns." in message
    assert 'Put quotes around values that contain `,`' in message and "`delimiter:`" in message


def test_every_row_one_field_too_long_is_refused_not_shifted(root, trust):
    # pandas would make `id` the index and shift every value under the wrong name.
    (root / "trailing.csv").write_text("id,text,label\n1,a,Yes,\n2,b,No,\n3,c,Yes,\n")
    with pytest.raises(LoaderError) as info:
        load(quiet("trailing.csv"), trust)
    assert "line 2 has 4 fields but the header has 3 columns (3 rows have too many fields: lines 2, 3, 4)" in \
        one_line(info)


# --- paths -------------------------------------------------------------------------------------------

def test_a_directory_and_a_missing_file_say_what_they_are(root, trust):
    with pytest.raises(LoaderError) as info:
        load(quiet("folder"), trust)
    assert one_line(info) == (f"'folder' is a directory ({root / 'folder'}), not a file. To read the files in it, "
                              "use a glob: `path: folder/*.csv`.")
    with pytest.raises(LoaderError) as info:
        load(quiet("folder", format="jsonl"), trust)
    assert "`path: folder/*.jsonl`" in one_line(info)
    with pytest.raises(LoaderError) as info:
        load(quiet("sub/calls.csv"), trust)
    assert one_line(info) == (f"No file matches 'sub/calls.csv': {root / 'sub' / 'calls.csv'} does not exist "
                              f"(relative paths start at the data root {root}).")
    with pytest.raises(LoaderError) as info:
        load(quiet(str(root / "gone.csv")), trust)
    assert "does not exist" in one_line(info) and "relative paths" not in str(info.value)
    with pytest.raises(LoaderError) as info:
        load(quiet("nowhere/*.csv"), trust)
    assert f"(looked in {root / 'nowhere'}, which does not exist;" in one_line(info)


# --- processors: parameters as people write them -----------------------------------------------------

SPELLINGS = [
    ({"class": "ColumnDatasetFilter", "parameters": {"filter-type": "exclude", "columns": "label"}},
     {"filter_type": "exclude", "columns": "label"}),
    ({"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "label", "value": "spam"}},
     {"column_name": "label", "value": "spam"}),
    ({"class": "DownsampleClassDatasetFilter",
      "parameters": {"column-name": "label", "value": "spam", "random-seed": 3, "filter-type": "include"}},
     {"column_name": "label", "value": "spam", "random_seed": 3, "filter_type": "include"}),
    ({"class": "MergeColumnsDatasetFilter", "parameters": {
        "new_column_name": "verdict", "columns_to_merge": {"label": {"labels": ["spam"], "new_label": "bad"}}}},
     {"new-column-name": "verdict", "columns-to-merge": {"label": {"labels": ["spam"], "new-label": "bad"}}}),
]


@pytest.mark.parametrize("plexus, other", SPELLINGS, ids=[plexus["class"] for plexus, _ in SPELLINGS])
def test_both_spellings_of_every_parameter_work_and_giving_both_is_an_error(plexus, other, trust):
    expected = load(inline(plexus), trust)
    assert load(inline({"class": plexus["class"], "parameters": other}), trust).equals(expected)
    first = next(iter(plexus["parameters"]))
    twice = {**plexus["parameters"], first.replace("-", "_") if "-" in first else first.replace("_", "-"): "x"}
    with pytest.raises(LoaderError, match="is given twice") as info:
        check_configuration(inline({"class": plexus["class"], "parameters": twice}), trust)
    one_line(info)


def test_unknown_processor_parameters_get_a_did_you_mean(trust):
    with pytest.raises(LoaderError) as info:
        check_configuration(inline({"class": "ByColumnValueDatasetFilter",
                                    "parameters": {"colum-name": "label", "value": "ham"}}), trust)
    assert one_line(info) == ("ByColumnValueDatasetFilter has no parameter 'colum-name'; did you mean 'column-name'? "
                              "Its parameters are: filter-type, column-name, value.")
    with pytest.raises(LoaderError, match="'label' has no key 'lables'; did you mean 'labels'"):
        check_configuration(inline({"class": "MergeColumnsDatasetFilter", "parameters": {
            "new_column_name": "v", "columns_to_merge": {"label": {"lables": "spam", "new_label": "x"}}}}), trust)


def test_merge_labels_text_is_one_label(trust):
    rows = [{"label": v} for v in ("spam", "s", "p", "ham")]
    frame = load({"class": "InlineItems", "items": rows, "processors": [{"class": "MergeColumnsDatasetFilter",
                  "parameters": {"new_column_name": "v", "columns_to_merge": {
                      "label": {"labels": "spam", "new_label": "bad"}}}}]}, trust)
    assert frame["v"].tolist()[0] == "bad" and frame["v"].isna().tolist() == [False, True, True, True]
    for labels in (5, {"a": 1}, [], None):
        with pytest.raises(LoaderError, match="labels must be a label") as info:
            check_configuration(inline({"class": "MergeColumnsDatasetFilter", "parameters": {
                "new_column_name": "v", "columns_to_merge": {"label": {"labels": labels, "new_label": "x"}}}}), trust)
        one_line(info)


@pytest.mark.parametrize("parameters, expected", [
    ({"filter-type": "include", "columns": 5}, "ColumnDatasetFilter: columns must be"),
    ({"filter-type": "include", "columns": ["id", 2024]}, "ColumnDatasetFilter: columns must list column names"),
    ({"filter-type": "sometimes", "columns": ["id"]}, "filter-type must be include or exclude, not text 'sometimes'"),
])
def test_column_filter_parameter_types(parameters, expected, trust):
    with pytest.raises(LoaderError, match=expected) as info:
        check_configuration(inline({"class": "ColumnDatasetFilter", "parameters": parameters}), trust)
    one_line(info)


@pytest.mark.parametrize("seed, shown", [("abc", "text 'abc'"), (None, "null"), (True, "true/false (true)"),
                                         (-1, "a number (-1)"), (2**32, "a number (4294967296)")])
def test_a_bad_seed_is_one_line_wherever_it_is_written(seed, shown, trust):
    downsample = {"class": "DownsampleClassDatasetFilter", "parameters": {"column-name": "label", "value": "spam",
                                                                          "random_seed": seed}}
    for config, owner in ((inline(downsample), "DownsampleClassDatasetFilter"),
                          (inline(balance=True, label_column="label", random_seed=seed), "InlineItems")):
        with pytest.raises(LoaderError) as info:
            materialize(config, trust=trust)
        assert one_line(info) == f"{owner}: random_seed must be a whole number from 0 to 4294967295, not {shown}."


# --- filters that match nothing, and balance ---------------------------------------------------------

def test_a_by_column_value_filter_matching_nothing_warns_closest_first(trust):
    step = {"class": "ByColumnValueDatasetFilter", "parameters": {"filter-type": "exclude", "column-name": "label",
                                                                  "value": "Ham"}}
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(inline(step), trust=trust)
    assert len(frame) == 5  # excluding nothing keeps every row
    assert [str(w.message) for w in caught] == [(
        "ByColumnValueDatasetFilter: no row has label = 'Ham', so no row is removed; values present (closest "
        "first): 'ham', 'spam'. Check the spelling and case of `value:`.")]
    many = [{"code": f"c{i:02}"} for i in range(15)]
    with pytest.warns(DataQualityWarning, match=r"values present \(closest first\): 'c12', .* and 5 more\.") as caught:
        materialize({"class": "InlineItems", "items": many, "processors": [{
            "class": "ByColumnValueDatasetFilter", "parameters": {"filter-type": "exclude", "column-name": "code",
                                                                  "value": "C12"}}]}, trust=trust)
    assert str(caught[0].message).count("'c") == 10


def test_a_by_column_value_filter_that_matches_warns_nothing(trust):
    assert load(inline({"class": "ByColumnValueDatasetFilter",
                        "parameters": {"column-name": "label", "value": "ham"}}), trust)["id"].tolist() == [1, 4]


def test_downsampling_an_absent_class_is_an_error_listing_the_classes(trust):
    with pytest.raises(LoaderError) as info:
        materialize(inline({"class": "DownsampleClassDatasetFilter",
                            "parameters": {"column-name": "label", "value": "Spam"}}), trust=trust)
    assert one_line(info) == ("DownsampleClassDatasetFilter: the class 'Spam' never occurs in 'label'; classes present "
                              "(closest first): 'spam', 'ham'. Set `value:` to one of them.")


def test_merging_labels_no_row_holds_warns_with_the_values_present(trust):
    step = {"class": "MergeColumnsDatasetFilter", "parameters": {"new_column_name": "v", "columns_to_merge": {
        "label": {"labels": ["SPAM", "eggs"], "new_label": "bad"}}}}
    with pytest.warns(DataQualityWarning, match="no row of 'label' holds 'SPAM', 'eggs'.*'spam', 'ham'"):
        frame = materialize(inline(step), trust=trust)
    assert frame["v"].isna().all()


@pytest.mark.parametrize("value", ["true", 1, "yes", None])
def test_balance_takes_only_true_or_false(value, trust):
    with pytest.raises(LoaderError) as info:
        materialize(inline(balance=value, label_column="label"), trust=trust)
    assert "balance must be true or false" in one_line(info) and "write `balance: true`" in str(info.value)


def test_balance_true_and_false(trust):
    assert load(inline(balance=False, label_column="label"), trust)["id"].tolist() == [1, 2, 3, 4, 5]
    assert load(inline(balance=True, label_column="label"), trust)["label"].value_counts().to_dict() == {
        "ham": 2, "spam": 2}


# --- source fingerprints -------------------------------------------------------------------------------

def test_fingerprints_follow_the_files_not_their_contents(root, trust):
    config = quiet("parts/*.csv")
    (root / "parts").mkdir()
    first = root / "parts" / "a.csv"
    first.write_text("id\n1\n2\n")
    before = source_fingerprint(config, trust)
    assert before == [{"source": str(first.resolve()), "size": 7, "mtime_ns": first.stat().st_mtime_ns}]
    assert source_fingerprint(config, trust) == before  # nothing changed: equal
    with open(first, "r+b") as handle:  # truncated
        handle.truncate(4)
    truncated = source_fingerprint(config, trust)
    assert truncated != before and truncated[0]["size"] == 4
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # touched: same size, new time
    touched = source_fingerprint(config, trust)
    assert touched != truncated and touched[0]["size"] == 4
    (root / "parts" / "0-new.csv").write_text("id\n3\n")  # a new match, sorted first
    grown = source_fingerprint(config, trust)
    assert [s["source"] for s in grown] == [str((root / "parts" / "0-new.csv").resolve()), str(first.resolve())]


def test_fingerprints_of_other_loaders_and_of_paths_outside_the_roots(root, trust):
    assert source_fingerprint({"class": "InlineItems", "items": ROWS}, trust) == []
    assert source_fingerprint({"type": "fixed", "items": ROWS}, trust) == []
    assert source_fingerprint({"class": "FeedbackItems", "days": 3}, trust) is None
    with pytest.raises(DataAccessError):
        source_fingerprint(quiet("../outside.csv"), trust)
    with pytest.raises(LoaderError, match="does not exist"):
        source_fingerprint(quiet("gone.csv"), trust)


def test_s3_fingerprints_change_when_an_object_is_uploaded_again(s3, root):
    bucket = f"fp-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="calls/a.csv", Body=b"id\n1\n")
    trust = TrustPolicy.of(data_roots=[root], s3_buckets=[bucket])
    one, many = quiet(f"s3://{bucket}/calls/a.csv"), quiet(f"s3://{bucket}/calls/*.csv")
    before = source_fingerprint(one, trust)
    assert before[0]["source"] == f"s3://{bucket}/calls/a.csv" and before[0]["size"] == 5
    assert before[0]["etag"] and "version_id" in before[0]
    assert source_fingerprint(one, trust) == before
    listed = source_fingerprint(many, trust)
    assert [(s["source"], s["etag"], s["size"]) for s in listed] == [
        (before[0]["source"], before[0]["etag"], 5)]
    s3.put_object(Bucket=bucket, Key="calls/a.csv", Body=b"id\n1\n2\n")  # uploaded again, new content
    after = source_fingerprint(one, trust)
    assert after[0]["etag"] != before[0]["etag"] and after[0]["size"] == 7
    s3.put_object(Bucket=bucket, Key="calls/b.csv", Body=b"id\n3\n")
    assert len(source_fingerprint(many, trust)) == 2
    with pytest.raises(DataAccessError):
        source_fingerprint(quiet("s3://not-allowed/a.csv"), trust)
    with pytest.raises(LoaderError, match="does not exist"):
        source_fingerprint(quiet(f"s3://{bucket}/calls/nope.csv"), trust)
    assert load(many, trust)["id"].tolist() == [1, 2, 3]  # and loading reads what was fingerprinted


def test_loaded_frames_match_what_pandas_reads_from_a_clean_file(root, trust):
    """The control: on a well-formed file, the careful reader gives exactly pandas' frame."""
    frame = pd.DataFrame({"id": [1, 2], "text": ['a "quoted", text', "line\nbreak"], "label": ["NA", None]})
    frame.to_csv(root / "clean.csv", index=False)
    loaded = load(quiet("clean.csv"), trust)
    assert loaded.equals(pd.read_csv(root / "clean.csv", keep_default_na=False, na_values=[""]))
    assert loaded["label"].tolist()[0] == "NA" and pd.isna(loaded["label"].iloc[1])
