"""DataFrame -> DatasetProfile payload. Pure; DuckDB engine, pandas fallback.

``profile(df, answer_columns=None, text_columns=None, *, engine=None, subject=None)``
returns a dict with the contract's three fields, ``columnList``, ``recordCounts``
and ``answerDistribution``. Counts are exact. The layout is versioned:

recordCounts (``spec: 2``)::

    {"spec": 2, "engine": "duckdb" | "pandas",
     "rows": int, "duplicate_rows": int,          # rows that repeat an earlier row exactly
     "subject": SUBJECT,                          # what these rows are (below)
     "columns": {NAME: {
        "dtype": str,                             # pandas' name; "str" for any text, "datetime64" at any resolution
        "kind": "text" | "categorical" | "numeric" | "datetime" | "boolean",
        "non_null": int, "null": int, "distinct": int,
        # text (long free-form strings):
        "empty": int, "whitespace_only": int,
        "length": {"min", "mean", "p5", "p50", "p95", "max"},      # characters
        "words": {"min", "mean", "p5", "p50", "p95", "max"},       # whitespace-separated tokens
        "length_histogram": HISTOGRAM,
        # categorical and boolean:
        "top": {"values": {VALUE: count, ...}, "other": int},      # top 20 by count
        # numeric and datetime (datetimes as ISO text, std in seconds):
        "min", "max", "mean", "std", "quantiles": {"p1", "p5", "p25", "p50", "p75", "p95", "p99"},
        "histogram": HISTOGRAM}}}

A SUBJECT says what the profiled rows describe, so a profile of a sample is never
read as the profile of its version. One of::

    {"kind": "full", "rows": N,                   # the whole materialized version
     "snapshot": {"sha256": HEX, "rows": N,       # optional: the cached Parquet profiled
                  "data_sha256": HEX | null,      # its rows' content, the same on every machine
                  "built_at": ISO_8601_UTC | null,
                  "source_count": int | null, "sources_digest": HEX | null}}
    {"kind": "sample", "rows": n,                 # a subset: n of the version's N rows
     "population": N, "seed": int | null, "purpose": "evaluation" | "sample",
     "snapshot": {...}}                           # optional: the snapshot it was drawn from (rows: N)

A snapshot names its sources only by count and digest (their fingerprints, as the
local cache keeps them, stay on the machine that read them: they hold local paths).
``rows`` is always the number of rows profiled (``len(df)``); ``population`` is how
many rows the version had when the sample was drawn. ``subject=None`` means the
whole version: ``{"kind": "full", "rows": len(df)}``. ``full_subject`` and
``sample_subject`` build one; ``validate_subject`` checks one (a ValidationError
names what is wrong: an unknown kind or key, rows that aren't ``len(df)``, a
population smaller than the sample, a seed that isn't an integer, a malformed
snapshot). The subject counts in ``payload_size`` like everything else.

Spec 1 (before subjects) is the same layout without ``subject``; it stays
readable, and ``facts.ProfileFacts`` reads it as a profile of the full version
whose subject was not declared (``SubjectFacts.declared`` is False).

A HISTOGRAM has fixed edges, so profiles compare without the raw data:
``{"scheme": NAME, "counts": {UPPER_EDGE: count}}`` (sparse) where a value
falls in the first bucket whose upper edge is >= the value, and ``"inf"`` holds
values above the last edge. Schemes: ``"length"`` (0, 1, 5, 10, 25, 50, 100,
250, 500, 1000, 2500, 5000, 10000), ``"log125"`` (0, ±1/2/5 x 10^k for
k = -3..9) and ``"month"`` (keys ``YYYY-MM``, exact).

answerDistribution (``spec: 1``, unchanged)::

    {"spec": 1, "columns": {NAME: {"counts": {VALUE: count}, "null": int,
                                   "other": int, "distinct": int}}}

Answer values are exact and keyed by their text; the string "NA" is a value,
distinct from null. At most 50 values per answer column are kept (the rest sum
into ``other``), and top-k lists shrink further if needed, so that the payload
stays under ``TARGET_PROFILE_BYTES`` (50 KB) where it can; a very wide frame may
go over that, never over ``MAX_PROFILE_BYTES`` (350 KB), the largest profile a
store accepts (AppSync/DynamoDB items are capped at 400 KB). ``payload_size`` is
the one measure of both.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import ValidationError
from .formats import check_json_tree

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ANSWERS_SPEC", "LENGTH_EDGES", "LOG125_EDGES", "MAX_PROFILE_BYTES", "SAMPLE_PURPOSES", "SPEC",
           "SUBJECT_KINDS", "TARGET_PROFILE_BYTES", "full_subject", "payload_size", "profile", "sample_subject",
           "validate_subject"]

#: The layout of ``recordCounts`` this module writes (2: with ``subject``; 1 is still read).
SPEC = 2
#: The layout of ``answerDistribution`` (unchanged since 1).
ANSWERS_SPEC = 1
#: What a profile's rows can be: the whole materialized version, or a sample of it.
SUBJECT_KINDS = ("full", "sample")
#: Why a sample was drawn.
SAMPLE_PURPOSES = ("evaluation", "sample")
#: Profiles aim to stay under this: top-k lists shrink until they fit.
TARGET_PROFILE_BYTES = 50_000
#: The largest profile a store accepts (AppSync/DynamoDB items are capped at 400 KB).
MAX_PROFILE_BYTES = 350 * 1024
ANSWER_TOP_K = 50
CATEGORY_TOP_K = 20
LENGTH_EDGES = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
_POSITIVE = sorted({round(m * 10.0**k, 3) for k in range(-3, 10) for m in (1, 2, 5)})
LOG125_EDGES = [-v for v in reversed(_POSITIVE)] + [0.0] + _POSITIVE
QUANTILES = {"p1": 0.01, "p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95, "p99": 0.99}
SHORT_QUANTILES = {"p5": 0.05, "p50": 0.5, "p95": 0.95}


def profile(
    df: pd.DataFrame,
    answer_columns: Iterable[str] | None = None,
    text_columns: Iterable[str] | None = None,
    *,
    engine: str | None = None,
    subject: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Profile ``df``: ``{"columnList": [...], "recordCounts": {...}, "answerDistribution": {...}}``.

    ``answer_columns`` get exact value counts; ``text_columns`` get text
    statistics (by default, string columns averaging 40+ characters or mostly
    distinct values). ``engine`` forces "duckdb" or "pandas" (default: duckdb
    when installed). ``subject`` says what ``df`` is (see the module docstring;
    default: the whole version). Raises ValidationError for an empty frame,
    unknown columns or a subject that doesn't fit ``df`` (checked before any work).
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise ValidationError(f"profile() needs a pandas DataFrame, not {type(df).__name__}.")
    if len(df.columns) == 0 or len(df) == 0:
        raise ValidationError("Can't profile an empty dataset (no rows or no columns).")
    columns = [str(c) for c in df.columns]
    if len(set(columns)) != len(columns):
        raise ValidationError("Column names must be unique to profile a dataset.")
    answers = _known(answer_columns, columns, "answer")
    texts = _known(text_columns, columns, "text")
    described = validate_subject(subject, len(df))
    frame = _profilable(df, columns)
    if engine is None:
        try:
            import duckdb  # noqa: F401

            engine = "duckdb"
        except ImportError:
            engine = "pandas"
    stats = (_DuckDBEngine if engine == "duckdb" else _PandasEngine)(frame)
    record_counts: dict[str, Any] = {"spec": SPEC, "engine": engine, "rows": len(frame),
                                     "duplicate_rows": stats.duplicate_rows(), "subject": described, "columns": {}}
    distribution: dict[str, Any] = {"spec": ANSWERS_SPEC, "columns": {}}
    for name in columns:
        series = frame[name]
        kind = _kind(series)
        info: dict[str, Any] = {"dtype": _dtype_name(df[name], series), "kind": kind, **stats.basic(name)}
        if kind == "categorical" and name not in answers:
            length = stats.text_lengths(name)
            if name in texts or (text_columns is None and _looks_like_text(length, info)):
                kind = info["kind"] = "text"
                info.update(stats.text(name, length))
        if kind in ("categorical", "boolean"):
            info["top"] = stats.top(name, CATEGORY_TOP_K)
        elif kind in ("numeric", "datetime"):
            info.update(stats.numeric(name, kind))
        record_counts["columns"][name] = info
        if name in answers:
            distribution["columns"][name] = stats.answers(name, ANSWER_TOP_K)
    _fit(columns, record_counts, distribution)
    return {"columnList": columns, "recordCounts": record_counts, "answerDistribution": distribution}


def payload_size(column_list: Any, record_counts: Any, answer_distribution: Any) -> int:
    """Bytes of a profile's three fields as compact JSON: what both size limits measure."""
    parts = [column_list, record_counts, answer_distribution]
    return len(json.dumps(parts, default=str, ensure_ascii=False, separators=(",", ":")).encode())


# --- subjects: what a profile's rows describe ----------------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FULL_KEYS = {"kind", "rows", "snapshot"}
_SAMPLE_KEYS = {"kind", "rows", "population", "seed", "purpose", "snapshot"}
_SNAPSHOT_KEYS = {"sha256", "rows", "built_at", "data_sha256", "source_count", "sources_digest"}


def full_subject(rows: int, snapshot: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``{"kind": "full", "rows": rows}``, with the cached snapshot's fingerprint when known."""
    subject: dict[str, Any] = {"kind": "full", "rows": rows}
    if snapshot is not None:
        subject["snapshot"] = dict(snapshot)
    return validate_subject(subject, rows)


def sample_subject(rows: int, population: int, *, seed: int | None = None,
                   purpose: str = "sample") -> dict[str, Any]:
    """``{"kind": "sample", ...}``: ``rows`` of a version's ``population`` rows, drawn with
    ``seed`` (None: unknown or not reproducible) for ``purpose`` ("evaluation" or "sample")."""
    return validate_subject({"kind": "sample", "rows": rows, "population": population, "seed": seed,
                             "purpose": purpose}, rows)


def validate_subject(subject: Mapping[str, Any] | None, rows: int) -> dict[str, Any]:
    """The subject of a profile of ``rows`` rows, checked and completed (a new dict).

    None is the whole version. ``rows`` may be left out of a subject (it is filled
    in); given, it must equal the rows profiled. A sample's ``seed`` defaults to
    None and its ``purpose`` to "sample". Raises ValidationError naming the problem:
    an unknown kind or key, a count that is not a whole number, a population
    smaller than the sample, a seed that is not an integer, a snapshot that is not
    ``{"sha256", "rows", "built_at", "data_sha256", "source_count", "sources_digest"}``.
    """
    if subject is None:
        return {"kind": "full", "rows": rows}
    if not isinstance(subject, Mapping):
        raise ValidationError(f"A profile's subject must be a mapping, not {type(subject).__name__}.")
    kind = subject.get("kind")
    if kind not in SUBJECT_KINDS:
        raise ValidationError(f"A profile's subject kind must be one of {', '.join(SUBJECT_KINDS)}, not {kind!r}.")
    allowed = _FULL_KEYS if kind == "full" else _SAMPLE_KEYS
    _no_unknown_keys(subject, allowed, f"A {kind} subject")
    given = subject.get("rows", rows)
    if _whole(given) is None or given != rows:
        raise ValidationError(f"The subject says {given!r} rows but {rows:,} rows were profiled; "
                              "a subject's rows are the rows profiled.")
    if kind == "full":
        out: dict[str, Any] = {"kind": "full", "rows": rows}
        if subject.get("snapshot") is not None:
            out["snapshot"] = _snapshot(subject["snapshot"], rows)
        return out
    population = subject.get("population")
    if _whole(population) is None:
        raise ValidationError(f"A sample subject needs its population (the version's row count) as a whole "
                              f"number, not {population!r}.")
    if population < rows:
        raise ValidationError(f"A sample of {rows:,} rows can't come from a population of {population:,} rows.")
    seed = subject.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValidationError(f"A sample's seed must be an integer or None, not {seed!r}.")
    purpose = subject.get("purpose", "sample")
    if purpose not in SAMPLE_PURPOSES:
        raise ValidationError(f"A sample's purpose must be one of {', '.join(SAMPLE_PURPOSES)}, not {purpose!r}.")
    out = {"kind": "sample", "rows": rows, "population": population, "seed": seed, "purpose": purpose}
    if subject.get("snapshot") is not None:  # the snapshot the sample was drawn from (its rows: the population)
        out["snapshot"] = _snapshot(subject["snapshot"], population)
    return out


def _whole(value: Any) -> int | None:
    """``value`` if it is a non-negative int (bools are not), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _no_unknown_keys(value: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise ValidationError(f"{what} has unknown key(s) {', '.join(unknown)}; it may have "
                              f"{', '.join(sorted(allowed))}.")


def _snapshot(value: Any, rows: int) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"A subject's snapshot must be a mapping, not {type(value).__name__}.")
    _no_unknown_keys(value, _SNAPSHOT_KEYS, "A snapshot")
    digest = value.get("sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise ValidationError("A snapshot's sha256 must be 64 lowercase hexadecimal digits.")
    snapshot_rows = value.get("rows", rows)
    if _whole(snapshot_rows) is None or snapshot_rows != rows:
        raise ValidationError(f"The snapshot has {snapshot_rows!r} rows but {rows:,} rows were profiled (or, for a "
                              "sample, drawn from); a profile's snapshot is the data profiled or sampled.")
    built_at = value.get("built_at")
    if built_at is not None and not _utc_text(built_at):
        raise ValidationError(f"A snapshot's built_at must be ISO 8601 text in UTC (2025-01-31T09:00:00Z) or None "
                              f"(unknown), not {built_at!r}.")
    for key in ("data_sha256", "sources_digest"):
        found = value.get(key)
        if found is not None and (not isinstance(found, str) or not _SHA256.fullmatch(found)):
            raise ValidationError(f"A snapshot's {key} must be 64 lowercase hexadecimal digits or None.")
    count = value.get("source_count")
    if count is not None and _whole(count) is None:
        raise ValidationError(f"A snapshot's source_count must be a whole number or None, not {count!r}.")
    return {"sha256": digest, "rows": rows, "built_at": built_at, "data_sha256": value.get("data_sha256"),
            "source_count": count, "sources_digest": value.get("sources_digest")}


def _utc_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return False
    return when.utcoffset() == timedelta(0)


# --- shared helpers ----------------------------------------------------------------------


def _known(names: Iterable[str] | None, columns: list[str], what: str) -> list[str]:
    if names is None:
        return []
    names = [names] if isinstance(names, str) else list(names)
    missing = [n for n in names if n not in columns]
    if missing:
        raise ValidationError(f"No {what} column(s) {missing} in the data; columns are: {', '.join(columns)}.")
    return names


def _profilable(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame with string column names; object columns of text as Arrow strings (one
    copy, so DuckDB and the word counter read them without Python objects), and
    object columns of mixed values as their JSON/text form."""
    import pandas as pd
    import pyarrow as pa

    out = df.copy(deep=False)
    out.columns = columns
    for name in columns:
        series = out[name]
        if series.dtype == object:
            try:
                out[name] = pd.Series(pd.arrays.ArrowExtensionArray(
                    pa.array(series, type=pa.large_string(), from_pandas=True)), index=series.index)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                out[name] = series.map(
                    lambda v: v if v is None or isinstance(v, str) or (isinstance(v, float) and math.isnan(v))
                    else json.dumps(v, default=str, sort_keys=True) if isinstance(v, dict | list) else str(v)
                ).astype("object")
        elif isinstance(series.dtype, pd.CategoricalDtype):
            out[name] = series.astype("object")
    return out


def _dtype_name(original: pd.Series, profiled: pd.Series) -> str:
    """The column's dtype as a profile names it, without what only says how pandas stores it, so profiles of
    the same data agree across pandas versions (Plexus pins pandas 2.1) and storages: text is ``"str"`` (pandas
    3's name) whatever holds it (object strings, pandas 2's default; Arrow-backed or Python ``StringDtype``;
    ``ArrowDtype`` strings); a datetime is ``"datetime64"`` or ``"datetime64[TZ]"`` whatever its resolution
    (pandas 2 makes ns, pandas 3 often us) or storage; anything else as pandas names it."""
    import pandas as pd
    import pyarrow as pa

    dtype = profiled.dtype  # object columns of text are Arrow strings by now (_profilable)
    if isinstance(dtype, pd.StringDtype) or (
            isinstance(dtype, pd.ArrowDtype) and (pa.types.is_string(dtype.pyarrow_dtype)
                                                  or pa.types.is_large_string(dtype.pyarrow_dtype))):
        return "str"
    if dtype.kind == "M":
        tz = getattr(dtype, "tz", None) or getattr(getattr(dtype, "pyarrow_dtype", None), "tz", None)
        return f"datetime64[{tz}]" if tz else "datetime64"
    return str(original.dtype)


def _kind(series: pd.Series) -> str:
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        return "boolean"
    if types.is_datetime64_any_dtype(series.dtype):
        return "datetime"
    if types.is_numeric_dtype(series.dtype):
        return "numeric"
    return "categorical"


def _looks_like_text(length: dict[str, Any], info: dict[str, Any]) -> bool:
    mean = length.get("mean") or 0
    return mean >= 40 or (mean >= 12 and info["non_null"] > 0 and info["distinct"] > 0.5 * info["non_null"])


def _num(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if hasattr(value, "item"):
        return _num(value.item())
    return value


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sparse(histogram: dict[Any, int], edges: Sequence[float], overflow: Any = None) -> dict[str, int]:
    """DuckDB-style {upper_edge: count} -> sparse {"edge": count, "inf": count}."""
    out = {}
    for edge, count in histogram.items():
        if not count:
            continue
        label = "inf" if edge == overflow or (edges and edge not in edges) else _key(edge)
        out[label] = out.get(label, 0) + int(count)
    return out


def _top(counts: list[tuple[Any, int]], k: int) -> tuple[dict[str, int], int]:
    ordered = sorted(counts, key=lambda vc: (-vc[1], _key(vc[0])))
    return {_key(v): int(c) for v, c in ordered[:k]}, int(sum(c for _, c in ordered[k:]))


def _fit(columns: list[str], record_counts: dict[str, Any], distribution: dict[str, Any]) -> None:
    """Halve top-k lists until the payload is under TARGET_PROFILE_BYTES (the rest goes to
    ``other``); drop categorical top lists if it is still over; refuse a payload no store takes."""

    def size() -> int:
        return payload_size(columns, record_counts, distribution)

    def shrink(values: dict[str, int], k: int) -> int:
        ordered = sorted(values.items(), key=lambda vc: -vc[1])
        for value, _ in ordered[k:]:
            del values[value]
        return sum(c for _, c in ordered[k:])

    k = ANSWER_TOP_K
    while size() > TARGET_PROFILE_BYTES and k > 1:
        k //= 2
        for info in record_counts["columns"].values():
            if "top" in info:
                info["top"]["other"] += shrink(info["top"]["values"], k)
        for answer in distribution["columns"].values():
            answer["other"] += shrink(answer["counts"], k)
    if size() > TARGET_PROFILE_BYTES:  # pathological column names or many columns
        for info in record_counts["columns"].values():
            info.pop("top", None)
    if size() > MAX_PROFILE_BYTES:
        raise ValidationError(
            f"A profile of these {len(columns):,} columns would be {size():,} bytes, over the "
            f"{MAX_PROFILE_BYTES:,}-byte limit a store accepts; profile fewer columns (select them first)."
        )


def word_counts(series: pd.Series, chunk_rows: int = 100_000) -> Any:
    """Whitespace-separated tokens per non-null string, as a numpy array.

    Works on the UTF-8 bytes (ASCII whitespace: space, tab, newline, \\v, \\f, \\r
    separate words), a chunk of rows at a time, so memory stays bounded and no
    Python string is created.
    """
    import numpy as np
    import pyarrow as pa

    if hasattr(series.array, "__arrow_array__"):
        array = pa.array(series.array)
    else:
        array = pa.array(series.astype("object"), from_pandas=True, type=pa.large_string())
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    out = []
    for chunk in chunks:
        for start in range(0, len(chunk), chunk_rows):
            part = chunk.slice(start, chunk_rows)
            if not (pa.types.is_string(part.type) or pa.types.is_large_string(part.type)):
                part = part.cast(pa.large_string())  # a slice at a time: memory stays bounded
            out.append(_chunk_word_counts(part))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


_WHITESPACE = None


def _chunk_word_counts(part: Any) -> Any:
    import numpy as np
    import pyarrow as pa

    global _WHITESPACE
    if _WHITESPACE is None:
        _WHITESPACE = np.zeros(256, dtype=bool)
        _WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
    _, offsets_buffer, data_buffer = part.buffers()
    width = np.int64 if pa.types.is_large_string(part.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)[part.offset: part.offset + len(part) + 1].astype(np.int64)
    counts = np.zeros(len(part), dtype=np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    if hi > lo:
        data = np.frombuffer(data_buffer, dtype=np.uint8, count=hi)[lo:hi]
        space = _WHITESPACE[data]
        starts = ~space  # a word starts at a non-space byte after a space or at a row's start
        starts[1:] &= space[:-1]
        relative = offsets - lo
        nonempty = relative[1:] > relative[:-1]
        first = relative[:-1][nonempty]
        starts[first] = ~space[first]
        counts[nonempty] = np.add.reduceat(starts, first, dtype=np.int64)
    valid = part.is_valid().to_numpy(zero_copy_only=False)
    return counts[valid]


def _spread(values: Any) -> dict[str, Any]:
    import numpy as np

    if len(values) == 0:
        return {"min": None, "mean": None, "p5": None, "p50": None, "p95": None, "max": None}
    q = np.quantile(values, [0.05, 0.5, 0.95])
    return {"min": _num(values.min()), "mean": _num(float(values.mean())), "p5": _num(float(q[0])),
            "p50": _num(float(q[1])), "p95": _num(float(q[2])), "max": _num(values.max())}


# --- engines ---------------------------------------------------------------------------


class _DuckDBEngine:
    """Statistics by SQL over the frame (registered, not copied)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        import duckdb

        self.frame = frame
        self.con = duckdb.connect(config={"threads": 2})
        self.con.register("t", frame)
        self._basic = self._all_basic()

    def _q(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    @staticmethod
    def _id(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def _all_basic(self) -> dict[str, dict[str, int]]:
        parts = []
        for name in self.frame.columns:
            c = self._id(name)
            parts += [f"count({c})", f"count(DISTINCT {c})"]
        row = self._q(f"SELECT count(*), {', '.join(parts)} FROM t")[0]
        total = row[0]
        out = {}
        for i, name in enumerate(self.frame.columns):
            non_null, distinct = row[1 + 2 * i], row[2 + 2 * i]
            out[name] = {"non_null": int(non_null), "null": int(total - non_null), "distinct": int(distinct)}
        return out

    def duplicate_rows(self) -> int:
        return int(len(self.frame) - self._q("SELECT count(*) FROM (SELECT DISTINCT * FROM t)")[0][0])

    def basic(self, name: str) -> dict[str, int]:
        return dict(self._basic[name])

    def text_lengths(self, name: str) -> dict[str, Any]:
        c = f"length({self._id(name)})"
        row = self._q(f"SELECT min({c}), avg({c}), quantile_cont({c}, [0.05, 0.5, 0.95]), max({c}) FROM t")[0]
        q = row[2] or [None, None, None]
        return {"min": _num(row[0]), "mean": _num(row[1]), "p5": _num(q[0]), "p50": _num(q[1]),
                "p95": _num(q[2]), "max": _num(row[3])}

    def text(self, name: str, length: dict[str, Any]) -> dict[str, Any]:
        c = self._id(name)
        words = word_counts(self.frame[name])
        row = self._q(f"SELECT count(*) FILTER ({c} = ''), histogram(length({c}), {LENGTH_EDGES}) FROM t")[0]
        return {
            "empty": int(row[0]), "whitespace_only": int((words == 0).sum()) - int(row[0]), "length": length,
            "words": _spread(words),
            "length_histogram": {"scheme": "length", "counts": _sparse(row[1] or {}, LENGTH_EDGES)},
        }

    def top(self, name: str, k: int) -> dict[str, Any]:
        c = self._id(name)
        values, other = _top(self._q(f"SELECT {c}, count(*) FROM t WHERE {c} IS NOT NULL GROUP BY ALL"), k)
        return {"values": values, "other": other}

    def answers(self, name: str, k: int) -> dict[str, Any]:
        c = self._id(name)
        rows = self._q(f"SELECT {c}, count(*) FROM t WHERE {c} IS NOT NULL GROUP BY ALL")
        counts, other = _top(rows, k)
        return {"counts": counts, "null": self._basic[name]["null"], "other": other, "distinct": len(rows)}

    def numeric(self, name: str, kind: str) -> dict[str, Any]:
        c = self._id(name)
        quantiles = list(QUANTILES.values())
        if kind == "datetime":
            epoch = f"epoch({c})"
            row = self._q(
                f"SELECT min({c}), max({c}), avg({epoch}), stddev_samp({epoch}), "
                f"quantile_disc({c}, {quantiles}), histogram(strftime({c}, '%Y-%m')) FROM t"
            )[0]
            mean = _num(row[2])
            from datetime import UTC, datetime

            mean_text = datetime.fromtimestamp(mean, UTC).replace(tzinfo=None).isoformat() if mean is not None else None
            histogram = {"scheme": "month", "counts": {k: int(v) for k, v in sorted((row[5] or {}).items())}}
            return {"min": _num(row[0]), "max": _num(row[1]), "mean": mean_text, "std": _num(row[3]),
                    "quantiles": dict(zip(QUANTILES, [_num(v) for v in (row[4] or [None] * 7)], strict=True)),
                    "histogram": histogram}
        value = f"{c}::DOUBLE"
        row = self._q(
            f"SELECT min({c}), max({c}), avg({value}), stddev_samp({value}), "
            f"quantile_cont({value}, {quantiles}), histogram({value}, {LOG125_EDGES}) FROM t "
            f"WHERE NOT isnan({value})"
        )[0]
        return {"min": _num(row[0]), "max": _num(row[1]), "mean": _num(row[2]), "std": _num(row[3]),
                "quantiles": dict(zip(QUANTILES, [_num(v) for v in (row[4] or [None] * 7)], strict=True)),
                "histogram": {"scheme": "log125", "counts": _sparse(row[5] or {}, LOG125_EDGES)}}


class _PandasEngine:
    """The same statistics with pandas alone (used when duckdb is not installed)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def duplicate_rows(self) -> int:
        return int(self.frame.astype("object").where(self.frame.notna(), None).duplicated().sum())

    def basic(self, name: str) -> dict[str, int]:
        series = self.frame[name]
        non_null = int(series.notna().sum())
        return {"non_null": non_null, "null": len(series) - non_null, "distinct": int(series.nunique(dropna=True))}

    def _strings(self, name: str) -> pd.Series:
        return self.frame[name].dropna().astype(str)

    def text_lengths(self, name: str) -> dict[str, Any]:
        lengths = self._strings(name).str.len()
        if lengths.empty:
            return {"min": None, "mean": None, "p5": None, "p50": None, "p95": None, "max": None}
        q = lengths.quantile([0.05, 0.5, 0.95]).tolist()
        return {"min": _num(lengths.min()), "mean": _num(lengths.mean()), "p5": _num(q[0]), "p50": _num(q[1]),
                "p95": _num(q[2]), "max": _num(lengths.max())}

    def text(self, name: str, length: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        import pandas as pd

        strings = self._strings(name)
        words = word_counts(self.frame[name])
        empty = int((strings == "").sum())
        buckets = np.searchsorted(LENGTH_EDGES, strings.str.len().to_numpy(), side="left")
        labels = [str(e) for e in LENGTH_EDGES] + ["inf"]
        counts = pd.Series(buckets).value_counts()
        return {
            "empty": empty, "whitespace_only": int((words == 0).sum()) - empty, "length": length,
            "words": _spread(words),
            "length_histogram": {"scheme": "length",
                                 "counts": {labels[int(i)]: int(n) for i, n in sorted(counts.items())}},
        }

    def _counts(self, name: str) -> list[tuple[Any, int]]:
        return list(self.frame[name].dropna().value_counts().items())

    def top(self, name: str, k: int) -> dict[str, Any]:
        values, other = _top(self._counts(name), k)
        return {"values": values, "other": other}

    def answers(self, name: str, k: int) -> dict[str, Any]:
        rows = self._counts(name)
        counts, other = _top(rows, k)
        return {"counts": counts, "null": int(self.frame[name].isna().sum()), "other": other, "distinct": len(rows)}

    def numeric(self, name: str, kind: str) -> dict[str, Any]:
        import numpy as np
        import pandas as pd

        series = self.frame[name].dropna()
        quantile_keys = list(QUANTILES)
        if kind == "datetime":
            seconds = series.astype("int64") / _per_second(series)
            positions = [min(len(series) - 1, max(0, math.ceil(q * len(series)) - 1)) for q in QUANTILES.values()]
            ordered = series.sort_values().reset_index(drop=True)
            months = series.dt.strftime("%Y-%m").value_counts()
            mean = pd.Timestamp(seconds.mean(), unit="s").isoformat() if len(series) else None
            return {"min": _num(series.min()), "max": _num(series.max()), "mean": mean,
                    "std": _num(seconds.std()),
                    "quantiles": dict(zip(quantile_keys, [_num(ordered[p]) for p in positions], strict=True)),
                    "histogram": {"scheme": "month", "counts": {k: int(v) for k, v in sorted(months.items())}}}
        values = series.astype("float64")
        values = values[~np.isnan(values)]
        buckets = np.searchsorted(LOG125_EDGES, values.to_numpy(), side="left")
        labels = [_key(e) for e in LOG125_EDGES] + ["inf"]
        counts = pd.Series(buckets).value_counts()
        return {"min": _num(series.min()), "max": _num(series.max()), "mean": _num(values.mean()),
                "std": _num(values.std()),
                "quantiles": dict(zip(quantile_keys, [_num(v) for v in values.quantile(list(QUANTILES.values()))],
                                      strict=True)),
                "histogram": {"scheme": "log125", "counts": {labels[int(i)]: int(n) for i, n in sorted(counts.items())}}}


def _per_second(series: pd.Series) -> int:
    unit = str(series.dtype).split("[")[-1].split(",")[0].rstrip("]")
    return {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}.get(unit, 1_000_000_000)
