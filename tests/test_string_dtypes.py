"""Profiling and loading give the same answers whatever holds a frame's strings (issue #15, installs beside
Plexus): object columns of Python strings (pandas 2.1's default, what Plexus 1.50 pins) and Arrow-backed
strings (pandas 3's default ``str``; pandas 2.1 with ``future.infer_string``; ``StringDtype("pyarrow")``;
``ArrowDtype(pa.string())``).

This file runs in both environments scripts/test.sh builds (pandas 3 in .venv, pandas 2.1 in .venv-plexus):
within each, every storage must give the same profile JSON and the same loaded values; across them, the
loaded values and the profile facts are checked against the same expectations written here by hand. No field
is removed before comparing: a profile holds no timestamp or other value that may legitimately vary.
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pytest

from plexus_datasets.errors import DataQualityWarning
from plexus_datasets.loaders import TrustPolicy, materialize
from plexus_datasets.profiling import profile

PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3

TEXT = ["Hello 👋 world, a greeting long enough to read as text", "   ", None, "",
        "日本語のテキストです、とても長い文章を書いています。" * 2, float("nan"), "tab\there and\nnewline", "Ünïcödé",
        "Zoë said: \"NA\" is not missing", "Café crème, s'il vous plaît"]
LABEL = ["Yes", "No", None, "Yes", "NA", "No", float("nan"), "Yes", "", "Yes"]
STRING_COLUMNS = {"text": TEXT, "label": LABEL, "empty": [None] * 10, "blank": [""] * 10,
                  "code": ["a-1", "b-2", "a-1", None, "c-3", "a-1", "b-2", "ä-4", "a-1", "b-2"]}


def messy_frame(strings: Callable[[list], pd.Series]) -> pd.DataFrame:
    """Ten rows: text with unicode, whitespace, empties, None and NaN; an all-null and an all-empty column;
    an object column of mixed values; numbers with NaN; datetimes with NaT; booleans. ``strings`` builds
    each text column from its Python values."""
    frame = pd.DataFrame({name: strings(values) for name, values in STRING_COLUMNS.items()})
    frame["mixed"] = pd.Series([1, "one", 2.5, None, {"a": 1}, [1, 2], True, "x", 7, "one"], dtype=object)
    frame["score"] = [1.5, None, 3.0, -2.0, 0.0, 1e6, float("nan"), 2.5, 2.5, 7.25]
    frame["when"] = pd.to_datetime(["2025-01-31 09:00", None, "2025-02-01", "2024-12-31 23:59:59", "2025-01-31 09:00",
                                    "2025-03-15", None, "2025-01-01", "2025-02-28", "2025-02-28"], format="ISO8601")
    frame["flag"] = [True, False, True, True, False, False, True, True, False, True]
    return frame


def _object(values: list) -> pd.Series:
    return pd.Series(values, dtype=object)


def _inferred(values: list) -> pd.Series:
    """What pandas makes of strings by default when it infers Arrow strings: ``str`` on pandas 3,
    ``string[pyarrow_numpy]`` on pandas 2.1 with ``future.infer_string``."""
    with _arrow_strings():
        return pd.Series(values)


#: Every way a column of text can be held, by name.
STORAGES: dict[str, Callable[[list], pd.Series]] = {
    "object": _object,
    "inferred-arrow": _inferred,
    "StringDtype-pyarrow": lambda values: _object(values).astype(pd.StringDtype("pyarrow")),
    "StringDtype-python": lambda values: _object(values).astype(pd.StringDtype("python")),
    "ArrowDtype-string": lambda values: _object(values).astype(pd.ArrowDtype(pa.string())),
}


@contextlib.contextmanager
def _arrow_strings() -> Iterator[None]:
    """Inferred strings are Arrow-backed inside: pandas 3's default, pandas 2.1's ``future.infer_string``."""
    if PANDAS_3:
        yield
        return
    with pd.option_context("future.infer_string", True):
        yield


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, allow_nan=False)


def test_the_messy_frame_holds_its_strings_as_each_storage_says():
    dtypes = {name: messy_frame(strings)["text"].dtype for name, strings in STORAGES.items()}
    assert dtypes["object"] == object
    assert all(isinstance(dtype, pd.StringDtype | pd.ArrowDtype) for name, dtype in dtypes.items() if name != "object")
    assert dtypes["inferred-arrow"].storage in ("pyarrow", "pyarrow_numpy")


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_profiles_are_identical_whatever_holds_the_strings(engine):
    payloads = {name: canonical(profile(messy_frame(strings), answer_columns=["label"], engine=engine))
                for name, strings in STORAGES.items()}
    reference = payloads["object"]
    for name, payload in payloads.items():
        assert payload == reference, f"{name} strings profile differently from object strings ({engine})"


@pytest.mark.parametrize("storage", list(STORAGES))
def test_profile_facts_are_the_same_on_every_pandas(storage):
    """What these expectations hold in the pandas 3 run they hold in the pandas 2.1 run: the same facts."""
    payload = profile(messy_frame(STORAGES[storage]), answer_columns=["label"])
    columns = payload["recordCounts"]["columns"]
    assert payload["columnList"] == ["text", "label", "empty", "blank", "code", "mixed", "score", "when", "flag"]
    assert payload["recordCounts"]["rows"] == 10 and payload["recordCounts"]["duplicate_rows"] == 0
    shape = {name: (info["dtype"], info["kind"], info["non_null"], info["null"], info["distinct"])
             for name, info in columns.items()}
    assert shape == {
        "text": ("str", "text", 8, 2, 8), "label": ("str", "categorical", 8, 2, 4),
        "empty": ("str", "categorical", 0, 10, 0), "blank": ("str", "categorical", 10, 0, 1),
        "code": ("str", "categorical", 9, 1, 4), "mixed": ("object", "categorical", 9, 1, 8),
        "score": ("float64", "numeric", 8, 2, 7), "when": ("datetime64", "datetime", 8, 2, 6),
        "flag": ("bool", "boolean", 10, 0, 2),
    }
    text = columns["text"]
    assert (text["empty"], text["whitespace_only"]) == (1, 1)
    assert text["length"]["max"] == 53 and text["words"]["max"] == 11
    assert columns["code"]["top"] == {"values": {"a-1": 4, "b-2": 3, "c-3": 1, "ä-4": 1}, "other": 0}
    assert columns["mixed"]["top"]["values"]["one"] == 2 and columns["mixed"]["top"]["values"]['{"a": 1}'] == 1
    assert columns["blank"]["top"] == {"values": {"": 10}, "other": 0}
    assert payload["answerDistribution"]["columns"]["label"] == {
        "counts": {"Yes": 4, "No": 2, "": 1, "NA": 1}, "null": 2, "other": 0, "distinct": 4}


# --- loading: CSV files written here, read with each string storage -------------------------------------------

#: A cp1252 export with ';' between fields, CRLF line ends, a quoted field with the delimiter and a line break,
#: a literal NA, an all-empty column and a short last row.
CP1252_CSV = ('id;name;comment;empty;score;flag\r\n'
              '1;José;"Café; crème";;3.5;yes\r\n'
              '2;Zoë;NA;;;no\r\n'
              '3;Ünïcödé;"two\r\nlines";;-1;\r\n'
              '4;Renée\r\n').encode("cp1252")
#: Excel's "CSV UTF-8": a BOM, emoji and CJK, whitespace-only and quoted empty cells, an empty trailing column.
UTF8_CSV = ('\ufeffid,text,label,blank\n'
            '1,"Hello 👋 world",Yes,\n'
            '2,"   ",No,\n'
            '3,日本語のテキスト,,\n'
            '4,"",Yes,\n'
            '5,"tab\there",NA,\n').encode("utf-8")

EXPECTED = {
    "cp1252.csv": (["id", "name", "comment", "empty", "score", "flag"], [
        [1, "José", "Café; crème", None, 3.5, "yes"],
        [2, "Zoë", "NA", None, None, "no"],
        [3, "Ünïcödé", "two\r\nlines", None, -1.0, None],
        [4, "Renée", None, None, None, None],
    ]),
    "utf8.csv": (["id", "text", "label", "blank"], [
        [1, "Hello 👋 world", "Yes", None],
        [2, "   ", "No", None],
        [3, "日本語のテキスト", None, None],
        [4, None, "Yes", None],
        [5, "tab\there", "NA", None],
    ]),
}
CONFIGS = {
    "cp1252.csv": {"class": "FileItems", "path": "cp1252.csv", "encoding": "cp1252", "delimiter": ";"},
    "utf8.csv": {"class": "FileItems", "path": "utf8.csv"},
}


@pytest.fixture
def data_root(tmp_path):
    root = (tmp_path / "data").resolve()
    root.mkdir()
    (root / "cp1252.csv").write_bytes(CP1252_CSV)
    (root / "utf8.csv").write_bytes(UTF8_CSV)
    return root


def _load(name: str, root, arrow: bool) -> pd.DataFrame:
    """The file loaded with object strings (``arrow=False``) or Arrow-backed ones. pandas 3 reads only Arrow
    strings (its ``future.infer_string=False`` is deprecated): its object frame is that one ``astype(object)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # the short row: test_messy_loaders covers it
        if arrow:
            with _arrow_strings():
                return materialize(CONFIGS[name], trust=TrustPolicy.of(data_roots=[root]))
        frame = materialize(CONFIGS[name], trust=TrustPolicy.of(data_roots=[root]))
    if PANDAS_3:
        strings = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
        frame = frame.astype({c: object for c in strings})
    return frame


def values(frame: pd.DataFrame) -> list[list]:
    """Rows as Python values, every kind of missing as None."""
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in rows]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_loading_gives_the_same_values_with_object_and_arrow_strings(data_root, name):
    columns, rows = EXPECTED[name]
    as_object, as_arrow = _load(name, data_root, arrow=False), _load(name, data_root, arrow=True)
    assert any(isinstance(dtype, pd.StringDtype | pd.ArrowDtype) for dtype in as_arrow.dtypes)
    assert not any(isinstance(dtype, pd.StringDtype | pd.ArrowDtype) for dtype in as_object.dtypes)
    for frame in (as_object, as_arrow):
        assert list(frame.columns) == columns
        assert values(frame) == rows
    assert [str(d) for d in as_object.dtypes if d != object] == [str(d) for d in as_arrow.dtypes
                                                                 if not isinstance(d, pd.StringDtype)]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_loaded_files_profile_identically_with_object_and_arrow_strings(data_root, name):
    answer = {"cp1252.csv": "flag", "utf8.csv": "label"}[name]
    payloads = [canonical(profile(_load(name, data_root, arrow=arrow), answer_columns=[answer]))
                for arrow in (False, True)]
    assert payloads[0] == payloads[1]
    columns = json.loads(payloads[0])["recordCounts"]["columns"]
    assert {n: (c["dtype"], c["non_null"]) for n, c in columns.items()} == (
        {"id": ("int64", 4), "name": ("str", 4), "comment": ("str", 3), "empty": ("float64", 0),
         "score": ("float64", 2), "flag": ("str", 2)} if name == "cp1252.csv" else
        {"id": ("int64", 5), "text": ("str", 4), "label": ("str", 4), "blank": ("float64", 0)})


def test_a_parquet_round_trip_keeps_the_values_and_the_profile(tmp_path):
    """The materialization cache stores Parquet: what comes back (object strings on pandas 2.1, ``str`` on 3)
    holds the same values and profiles the same as what went in."""
    frame = messy_frame(_object).drop(columns=["mixed"])  # Parquet needs one type per column
    frame.to_parquet(tmp_path / "frame.parquet")
    back = pd.read_parquet(tmp_path / "frame.parquet")
    assert values(back) == values(frame)
    assert canonical(profile(back, answer_columns=["label"])) == canonical(profile(frame, answer_columns=["label"]))
    assert datetime(2025, 1, 31, 9) == back["when"].iloc[0]
