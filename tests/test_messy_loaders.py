"""Loading data as people really have it (issue #13): files saved by Excel and older systems,
ragged and quoted CSV rows, configurations with typos and wrong types, filters that match
nothing, and fingerprints of sources that change under a cache.

Every file is written here, byte for byte, in the test's temporary folder; expected lines,
offsets and counts are worked out by hand from those bytes.
"""

from __future__ import annotations

import io
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
        check_configuration({"class": "InlineItems", "items": ROWS, "lable_column": "label"}, trust)
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
    (root / "long.csv").write_text("id,text,label\n1,a,Yes,x\n2,b,No,y\n3,c,Yes,z\n")
    with pytest.raises(LoaderError) as info:
        load(quiet("long.csv"), trust)
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


# --- CSV is streamed: a big file is never read whole -------------------------------------------------

def wide_utf8_csv(path, rows=20_500, bad_row=None):
    """A 9-byte header, then rows of exactly 129 bytes: a 7-digit id, a comma, 60 é (2 bytes
    each in utf-8) and a newline. Row n (0-based) starts at byte 9 + 129 * n, on line n + 2.
    With ``bad_row``, the first byte of that row's first é becomes 0xff (never valid utf-8)."""
    body = bytearray(b"id,texts\n")
    for n in range(rows):
        body += f"{n:07d},".encode() + "é".encode() * 60 + b"\n"
    if bad_row is not None:
        body[9 + 129 * bad_row + 8] = 0xFF
    path.write_bytes(bytes(body))
    return bytes(body)


def test_a_bad_byte_megabytes_into_a_file_is_found_at_its_exact_offset(root, trust):
    from plexus_datasets.loaders._reading import RESCAN_CHUNK

    data = wide_utf8_csv(root / "wide.csv", bad_row=20_000)
    # Row 20,000 starts at 9 + 129 * 20,000 = 2,580,009; its first é starts 8 bytes later, on line 20,002.
    assert len(data) > 2 * RESCAN_CHUNK and data[2_580_017] == 0xFF and data.count(b"\n", 0, 2_580_017) + 1 == 20_002
    # The rescan reads 1 MiB at a time: an é straddles the first boundary (its lead byte is the last of the
    # chunk), and must not be mistaken for a bad byte.
    assert data[RESCAN_CHUNK - 1] == 0xC3 and data[RESCAN_CHUNK] == 0xA9
    with pytest.raises(LoaderError) as info:
        load(quiet("wide.csv"), trust)
    assert f"{root / 'wide.csv'} as utf-8: byte 0xff at line 20002 (byte offset 2580017) is not valid utf-8." \
        in one_line(info)
    (root / "tail.csv").write_bytes(data.replace(b"\xff", b"\xc3") + b"9999999,caf\xc3")  # cut off mid-character
    with pytest.raises(LoaderError) as info:
        load(quiet("tail.csv"), trust)
    assert f"byte 0xc3 at line 20502 (byte offset {len(data) + 11}) is not valid utf-8" in one_line(info)


@pytest.fixture
def largest_read(monkeypatch):
    """The most bytes any one read of a file FileItems opens has returned (a list of one)."""
    from plexus_datasets.loaders import builtin

    largest = [0]

    class Counted(io.BufferedReader):
        def _seen(self, n: int) -> int:
            largest[0] = max(largest[0], n)
            return n

        def read(self, size=-1):
            data = super().read(size)
            self._seen(len(data))
            return data

        def read1(self, size=-1):
            data = super().read1(size)
            self._seen(len(data))
            return data

        def readinto(self, buffer):
            return self._seen(super().readinto(buffer) or 0)

        def readinto1(self, buffer):
            return self._seen(super().readinto1(buffer) or 0)

    monkeypatch.setattr(builtin, "open", lambda path, mode="rb": Counted(io.FileIO(path, "rb")), raising=False)
    return largest


def test_csv_files_are_read_in_chunks_never_whole(root, trust, largest_read):
    size = len(wide_utf8_csv(root / "wide.csv"))  # 2.6 MB
    frame = load(quiet("wide.csv"), trust)
    assert len(frame) == 20_500 and frame["texts"].iloc[-1] == "é" * 60
    assert 0 < largest_read[0] < size // 2
    # The scans for short rows, trailing delimiters and bad bytes stream too.
    wide = (root / "wide.csv").read_bytes()
    (root / "short.csv").write_bytes(wide + b"7777777\n")
    with pytest.warns(DataQualityWarning, match=r"1 row\(s\) have fewer fields .* \(line 20502\)"):
        assert len(materialize(quiet("short.csv"), trust=trust)) == 20_501
    (root / "trailing.csv").write_bytes(wide.replace(b"\n", b",\n").replace(b"texts,\n", b"texts\n", 1))
    with pytest.warns(DataQualityWarning, match=r"20500 row\(s\) end with empty field"):
        assert materialize(quiet("trailing.csv"), trust=trust)["texts"].iloc[0] == "é" * 60
    wide_utf8_csv(root / "bad.csv", bad_row=20_000)
    with pytest.raises(LoaderError, match=r"byte offset 2580017"):
        load(quiet("bad.csv"), trust)
    assert largest_read[0] < size // 2


# --- trailing delimiters and unterminated quotes ------------------------------------------------------

def test_a_trailing_delimiter_on_every_row_is_dropped_with_a_warning(root, trust):
    # A common export shape: the header has two names, every row ends with a comma.
    (root / "export.csv").write_text("id,label\n1,Yes,\n2,No,\n3,Yes,\n")
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(quiet("export.csv"), trust=trust)
    assert [str(w.message) for w in caught] == [
        (f"{root / 'export.csv'}: 3 row(s) end with empty field(s) beyond the 2 columns of the header (a trailing "
        "`,`; lines 2, 3, 4); the empty fields were dropped.")]
    assert list(frame.columns) == ["id", "label"]  # not shifted: id is a column, not the index
    assert frame["id"].tolist() == [1, 2, 3] and frame["label"].tolist() == ["Yes", "No", "Yes"]


def test_trailing_delimiters_on_some_rows_with_short_rows_and_semicolons(root, trust):
    # line 2 plain, 3 one empty extra, 4 short, 5 two empty extras (one a space), 6 blank, 7 one empty extra
    (root / "mixed.csv").write_text("id;text;label\n1;a;Yes\n2;b;No;\n3;c\n4;d;Yes; ;\n\n5;e;No;\n")
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(quiet("mixed.csv", delimiter=";"), trust=trust)
    name = root / "mixed.csv"
    assert [str(w.message) for w in caught] == [
        (f"{name}: 3 row(s) end with empty field(s) beyond the 3 columns of the header (a trailing `;`; lines 3, 5, 7); "
        "the empty fields were dropped."),
        f"{name}: 1 row(s) have fewer fields than the 3 columns of the header (line 4); their missing cells are empty."]
    assert list(frame.columns) == ["id", "text", "label"] and frame["text"].tolist() == ["a", "b", "c", "d", "e"]
    assert frame["label"].isna().tolist() == [False, False, True, False, False] and frame["label"].iloc[4] == "No"


def test_an_extra_field_that_holds_something_is_still_refused_naming_its_line(root, trust):
    # Lines 2 and 3 end with an empty field (droppable); line 4 has a value past the header: refused.
    (root / "extra.csv").write_text("id,label\n1,Yes,\n2,No,\n3,Yes,oops\n")
    with pytest.raises(LoaderError) as info:
        load(quiet("extra.csv"), trust)
    message = one_line(info)
    assert message.startswith(f"{root / 'extra.csv'}: line 4 has 3 fields but the header has 2 columns. ")
    assert "rows have too many fields" not in message  # the two empty extras are not counted against it
    (root / "first.csv").write_text("id,label\n1,Yes,oops\n2,No,\n")  # the first row: pandas would shift
    with pytest.raises(LoaderError, match=r"first.csv: line 2 has 3 fields but the header has 2 columns\."):
        load(quiet("first.csv"), trust)


UNCLOSED = (
    'id,text\n'            # 1
    '1,"two\nlines"\n'     # 2-3  a quoted newline, closed
    '2,5" screen\n'        # 4    a quote inside a value is an ordinary character
    '3,"say ""hi"""\n'     # 5    doubled quotes, closed
    '4,"never closed\n'    # 6    opens here and never closes
    '5,more\n'             # 7
    '6,""x""\n'            # 8    doubled quotes inside the open value: still open
)


def test_an_unterminated_quote_names_the_file_and_the_line_it_opens_on(root, trust):
    (root / "unclosed.csv").write_text(UNCLOSED)
    with pytest.raises(LoaderError) as info:
        load(quiet("unclosed.csv"), trust)
    message = one_line(info)
    assert message.startswith(f"{root / 'unclosed.csv'}: line 6 opens a quoted value that is never closed "
                              "(an unterminated quote)")
    assert 'write a quote inside a quoted value twice ("")' in message and "row 1" not in message
    (root / "closed.csv").write_text(UNCLOSED.replace('"never closed', '"now closed"'))
    assert load(quiet("closed.csv"), trust)["text"].tolist()[:4] == ["two\nlines", '5" screen', 'say "hi"',
                                                                     "now closed"]


# --- encoding and delimiter only where they mean something ---------------------------------------------

@pytest.fixture
def formats(root):
    pd.DataFrame({"id": [1, 2], "label": ["Yes", "No"]}).to_parquet(root / "calls.parquet")
    (root / "calls.jsonl").write_text('{"id": 1, "label": "Yes"}\n')
    return root


@pytest.mark.parametrize("extra, expected", [
    ({"path": "calls.parquet", "encoding": "latin-1"},
     ("FileItems: `encoding:` applies to CSV and JSON Lines files only, but 'calls.parquet' is parquet (Parquet files "
     "store their own text and types); remove the encoding or list only CSV and JSON Lines files.")),
    ({"path": "calls.csv", "format": "parquet", "encoding": "utf-8"},
     ("FileItems: `encoding:` applies to CSV and JSON Lines files only, but `format:` is parquet (Parquet files store "
     "their own text and types); remove the encoding.")),
    ({"path": ["calls.csv", "calls.parquet"], "delimiter": ";"},
     ("FileItems: `delimiter:` applies to CSV files only, but 'calls.parquet' is parquet (Parquet files store their "
     "own text and types); remove the delimiter or list only CSV files.")),
    ({"path": "calls.jsonl", "delimiter": ";"},
     ("FileItems: `delimiter:` applies to CSV files only, but 'calls.jsonl' is jsonl; remove the delimiter or list "
     "only CSV files.")),
    ({"path": "calls.csv", "format": "jsonl", "delimiter": "|"},
     "FileItems: `delimiter:` applies to CSV files only, but `format:` is jsonl; remove the delimiter."),
])
def test_encoding_and_delimiter_are_refused_for_formats_that_cannot_use_them(formats, trust, extra, expected):
    config = {"class": "FileItems", **extra}
    for environment in (True, False):  # the format is known from the configuration alone
        with pytest.raises(LoaderError) as info:
            check_configuration(config, trust, environment=environment)
        assert one_line(info) == expected


def test_encoding_for_text_files_and_unjudged_paths_passes(formats, trust):
    check_configuration(quiet("calls.jsonl", encoding="latin-1"), trust)
    check_configuration(quiet("calls.csv", encoding="latin-1", delimiter=","), trust)
    check_configuration(quiet("calls.parquet", format="csv", encoding="latin-1"), trust)  # format: decides
    check_configuration(quiet("/elsewhere/export", encoding="latin-1", delimiter=";"), trust, environment=False)


def test_a_stored_encoding_on_parquet_loads_with_a_warning(formats, trust):
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(quiet(["calls.parquet", "calls.csv"], encoding="cp1252"), trust=trust)
    assert [str(w.message) for w in caught if "`encoding:`" in str(w.message)] == [
        ("FileItems: `encoding:` applies to CSV and JSON Lines files only, but 'calls.parquet' is parquet (Parquet "
        "files store their own text and types), so it is not applied to those files. To stop this warning, remove "
        "the encoding or list only CSV and JSON Lines files in a new version of the configuration.")]
    assert frame["label"].tolist() == ["Yes", "No", "Yes", "No"]


# --- stored versions: unknown names are ignored when loading, refused when checking --------------------

def test_unknown_loader_parameters_are_refused_when_checked_and_ignored_when_loaded(root, trust):
    legacy = quiet("calls.csv", limit=100, description="calls from May", lable_column="label")
    with pytest.raises(LoaderError, match="FileItems has no parameter 'limit'"):
        check_configuration(legacy, trust)
    with pytest.raises(LoaderError, match="FileItems has no parameter 'limit'"):
        check_configuration(legacy, trust, environment=False)
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(legacy, trust=trust)
    messages = [str(w.message) for w in caught]
    accepted = "path, format, encoding, delimiter, label_column, balance, random_seed"
    assert messages == [
        (f"FileItems ignores the parameter 'limit' (did you mean 'delimiter'?): it has no such parameter (its "
        f"parameters are: {accepted}). Remove it in a new version of the configuration to stop this warning."),
        (f"FileItems ignores the parameter 'description': it has no such parameter (its parameters are: {accepted}). "
        "Remove it in a new version of the configuration to stop this warning."),
        ("FileItems ignores the parameter 'lable_column' (did you mean 'label_column'?): it has no such parameter "
        f"(its parameters are: {accepted}). Remove it in a new version of the configuration to stop this warning."),
    ]
    assert frame["id"].tolist() == [1, 2]  # limit: 100 did nothing, as it never did
    # The fingerprint (read before every cached load) ignores them silently; materialize is the one that warns.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert source_fingerprint(legacy, trust)[0]["source"] == str(root / "calls.csv")
    with pytest.warns(DataQualityWarning, match="InlineItems ignores the parameter 'description'"):
        assert len(materialize({"type": "fixed", "items": ROWS, "description": "x"}, trust=trust)) == 5


def test_wrong_types_of_known_parameters_stay_errors_when_loaded(root, trust):
    for config, expected in [(quiet("calls.csv", limit=5, balance="true"), "write `balance: true`"),
                             (quiet("calls.csv", limit=5, encoding="klingon"), "encoding must be a text encoding"),
                             (quiet(5), "path must be")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            with pytest.raises(LoaderError) as info:
                materialize(config, trust=trust)
        assert expected in one_line(info)


def test_unknown_processor_parameters_and_keys_are_ignored_when_loaded(trust):
    step = {"class": "ByColumnValueDatasetFilter", "note": "old",
            "parameters": {"column-name": "label", "value": "spam", "case-sensitive": True}}
    with pytest.raises(LoaderError, match="processors\\[0\\] has no key 'note'"):
        check_configuration(inline(step), trust)
    with pytest.raises(LoaderError, match="ByColumnValueDatasetFilter has no parameter 'case-sensitive'"):
        check_configuration(inline({**step, "note": None} and {k: v for k, v in step.items() if k != "note"}), trust)
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(inline(step), trust=trust)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2 and "processors[0] ignores the key 'note'" in messages[0]
    assert messages[1].startswith("ByColumnValueDatasetFilter ignores the parameter 'case-sensitive': it has no such "
                                  "parameter (its parameters are: filter-type, column-name, value).")
    assert frame["id"].tolist() == [2, 3, 5]
    bad = {"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "label", "value": ["spam"], "x": 1}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(LoaderError, match="value must be a single value"):
            materialize(inline(bad), trust=trust)


# --- processors: long cells, numbers, merging into a merged column -------------------------------------

def test_values_listed_by_a_filter_are_cut_short_and_few(trust):
    # 300 distinct transcripts of 2,000 characters, each twice, and "Hello there" once: the exact match but for
    # case is found although it is the least frequent value (outside the 200 ranked by similarity).
    rows = [{"text": f"transcript {i:03} " + "words " * 330} for i in range(300)] * 2 + [{"text": "Hello there"}]
    step = {"class": "ByColumnValueDatasetFilter",
            "parameters": {"filter-type": "exclude", "column-name": "text", "value": "hello THERE"}}
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize({"class": "InlineItems", "items": rows, "processors": [step]}, trust=trust)
    assert len(frame) == 601
    message = str(caught[0].message)
    assert len(message) < 1_000, len(message)
    assert "values present (closest first): 'Hello there', 'transcript " in message and "and 291 more." in message
    listed = message.split("(closest first): ")[1].split(" and 291 more")[0].split("', '")
    assert len(listed) == 10 and all(len(value.strip("'")) <= 41 for value in listed)
    assert "\u2026" in listed[1]  # cut, and says so
    long_value = "x" * 5_000
    with pytest.warns(DataQualityWarning) as caught:
        materialize({"class": "InlineItems", "items": rows[:3], "processors": [
            {"class": "ByColumnValueDatasetFilter",
             "parameters": {"filter-type": "exclude", "column-name": "text", "value": long_value}}]}, trust=trust)
    assert len(str(caught[0].message)) < 1_000


NUMBERS = [{"id": 1, "score": 1.0}, {"id": 2, "score": None}, {"id": 3, "score": 2.0}, {"id": 4, "score": 1.0}]


@pytest.mark.parametrize("value", [1, "1", 1.0, "1.0", " 1 "])
def test_a_number_matches_a_float_column_with_a_null(value, trust):
    frame = pd.DataFrame(NUMBERS)
    assert frame["score"].dtype == "float64"  # one null makes the whole column float: 1 is stored as 1.0
    include = {"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "score", "value": value}}
    assert load(inline_rows(NUMBERS, include), trust)["id"].tolist() == [1, 4]
    exclude = {"class": "ByColumnValueDatasetFilter",
               "parameters": {"filter-type": "exclude", "column-name": "score", "value": value}}
    assert load(inline_rows(NUMBERS, exclude), trust)["id"].tolist() == [2, 3]  # the null never matches


def inline_rows(rows, *processors):
    return {"class": "InlineItems", "items": rows, "processors": list(processors)}


def test_numbers_and_text_compare_as_the_docstring_says(trust):
    mixed = [{"v": 1}, {"v": "1"}, {"v": "1.0"}, {"v": None}, {"v": "one"}]  # object column: compared as text
    by = {"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "v", "value": 1}}
    assert load(inline_rows(mixed, by), trust)["v"].tolist() == [1, "1"]
    ints = [{"v": 1}, {"v": 2}, {"v": 10}]
    for value in ("1", 1, 1.0):
        by = {"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "v", "value": value}}
        assert load(inline_rows(ints, by), trust)["v"].tolist() == [1]
    text_digits = [{"v": "01"}, {"v": "1"}]  # a text column is never read as numbers: "01" is not 1
    by = {"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "v", "value": 1}}
    assert load(inline_rows(text_digits, by), trust)["v"].tolist() == ["1"]
    with pytest.warns(DataQualityWarning, match=r"no row has score = 'abc'.*\(closest first\): '1\.0', '2\.0'\."):
        materialize(inline_rows(NUMBERS, {"class": "ByColumnValueDatasetFilter", "parameters": {
            "filter-type": "exclude", "column-name": "score", "value": "abc"}}), trust=trust)
    down = {"class": "DownsampleClassDatasetFilter", "parameters": {"column-name": "score", "value": 1}}
    # Three rows of class 1 (ids 1, 4, 5) against two others (the null and the 2.0): two of the three are kept.
    kept = load(inline_rows([*NUMBERS, {"id": 5, "score": 1.0}], down), trust)["id"].tolist()
    assert len(kept) == 4 and {2, 3} <= set(kept) and kept == sorted(kept)
    merge = {"class": "MergeColumnsDatasetFilter", "parameters": {"new_column_name": "top", "columns_to_merge": {
        "score": {"labels": [2, "1"], "new_label": "yes"}}}}
    top = load(inline_rows(NUMBERS, merge), trust)["top"]
    assert top.isna().tolist() == [False, True, False, False] and set(top.dropna()) == {"yes"}


def test_merging_into_one_of_the_merged_columns_replaces_it_with_a_warning(trust):
    step = {"class": "MergeColumnsDatasetFilter", "parameters": {"new_column_name": "label", "columns_to_merge": {
        "label": {"labels": ["spam"], "new_label": "bad"}}}}
    with pytest.warns(DataQualityWarning) as caught:
        frame = materialize(inline(step), trust=trust)
    assert [str(w.message) for w in caught] == [
        ("MergeColumnsDatasetFilter: new_column_name 'label' is one of the columns it merges, so its values are "
        "replaced by the merged labels (null where no label matched). Choose another new_column_name to keep the "
        "original column.")]
    assert frame["label"].isna().tolist() == [True, False, False, True, False]
    assert set(frame["label"].dropna()) == {"bad"}
    other = {"class": "MergeColumnsDatasetFilter", "parameters": {"new_column_name": "id", "columns_to_merge": {
        "label": {"labels": ["spam"], "new_label": "bad"}}}}
    with pytest.warns(DataQualityWarning, match="new_column_name 'id' is already a column, so its values are "
                                                "replaced"):
        materialize(inline(other), trust=trust)
    assert load(inline({**step, "parameters": {**step["parameters"], "new_column_name": "verdict"}}), trust)[
        "label"].tolist() == ["ham", "spam", "spam", "ham", "spam"]  # a new name: nothing replaced, no warning
