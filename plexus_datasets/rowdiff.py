"""Row-level diffs of two Parquet files, out of core (DuckDB).

``diff_parquet(path_a, path_b, key=...)`` says which rows were added, removed and
changed from file A to file B, without loading either file into pandas: DuckDB
reads both files under a memory limit and spills to a temporary folder, and only
the first ``limit`` rows of each kind become DataFrames.

How rows are matched:

- **by key** (``key="content_id"``): a key value found once in each file pairs
  two rows; a pair is *changed* when any shared column differs (nulls equal each
  other, NaN equals NaN). Rows whose key is null, or occurs more than once in
  either file, can't be paired honestly: they are matched by whole-row content
  within their key (a row twice in A and once in B is one removed), and the
  RowDiff says how many there were.
- **by content** (``key=None``): rows are compared as whole rows on the shared
  columns, as multisets (duplicates counted). An edited row is one removed and
  one added; nothing is "changed".

Columns found in one file only are named and left out of the comparison. A
column whose type differs between the files (int vs float, text vs numbers) is
compared as numbers, timestamps or text, and the RowDiff says so. Column names
come from the data: in SQL they appear only as quoted identifiers, once, where
each file is read; everything after uses positional aliases.

>>> d = diff_parquet("v2.parquet", "v3.parquet", key="content_id",
...                  label_columns=["label"], names=("calls:v2", "calls:v3"))  # doctest: +SKIP
>>> d.summary                                                                  # doctest: +SKIP
'2,000 added, 1,000 removed, 97,000 changed of 1,000,000 rows (902,000 unchanged; calls:v3 has 1,001,000), matched by content_id'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import display
from .errors import LoaderError, PlexusDatasetsError, ValidationError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = ["DEFAULT_LIMIT", "DEFAULT_MEMORY_LIMIT", "MAX_LIMIT", "LabelFlip", "RowDiff", "TypeChange",
           "diff_parquet"]

#: Rows of each kind (added, removed, changed) a RowDiff carries as DataFrames, by default and at most.
DEFAULT_LIMIT = 20
MAX_LIMIT = 10_000
#: What DuckDB may hold in memory before it spills to the temporary folder.
DEFAULT_MEMORY_LIMIT = "1GB"
#: Transitions kept per label column (the most frequent first).
MAX_FLIPS = 50
#: Columns checked when listing likely id columns for an error message.
_MAX_KEY_CANDIDATES = 12

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_FLOATS = {"FLOAT", "DOUBLE"}
_TIMES = {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


# --- the result -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelFlip:
    """``count`` paired rows whose ``column`` went from ``before`` to ``after``."""

    column: str
    before: Any
    after: Any
    count: int


@dataclass(frozen=True)
class TypeChange:
    """A shared column whose type differs between the files, and how it was compared
    (``"numbers"``, ``"timestamps"``, ``"text"`` or ``"as is"`` when one side is all null)."""

    column: str
    type_a: str
    type_b: str
    compared_as: str


@dataclass(frozen=True, eq=False)
class RowDiff:
    """What changed, row by row, from file A (``names[0]``) to file B (``names[1]``).

    Counts cover every row: ``rows_a == removed + changed + unchanged`` and
    ``rows_b == added + changed + unchanged``. ``by`` is "key" (rows matched by the
    ``key`` column) or "content" (whole rows compared, duplicates counted);
    ``notes`` say so in sentences, with anything that needs a look (duplicate or
    null keys, columns in one file only, types that differ).

    DataFrames (each at most ``limit`` rows, in file order):

    - ``added_rows`` / ``removed_rows``: whole rows of B / A, every column of that file;
    - ``changed_rows``: one row per changed pair, indexed by the key, columns
      ``(column, names[0])`` and ``(column, names[1])`` for each compared column;
    - ``changes``: one line per changed cell of those rows: ``key``, ``column``,
      ``before``, ``after``;
    - ``flipped_rows``: the same, for the label columns, of the first rows whose label changed.

    ``column_changes`` counts changed rows per compared column; ``label_flips``
    counts each ``before -> after`` of the label columns (most frequent first).
    """

    names: tuple[str, str]
    by: Literal["key", "content"]
    key: str | None
    rows_a: int
    rows_b: int
    added: int
    removed: int
    changed: int
    unchanged: int
    columns: tuple[str, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    type_changes: tuple[TypeChange, ...]
    column_changes: Mapping[str, int]
    label_columns: tuple[str, ...]
    label_flips: tuple[LabelFlip, ...]
    duplicate_keys: tuple[int, int]
    null_keys: tuple[int, int]
    added_rows: pd.DataFrame
    removed_rows: pd.DataFrame
    changed_rows: pd.DataFrame
    changes: pd.DataFrame
    flipped_rows: pd.DataFrame
    limit: int
    notes: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line: counts first, then how rows were matched."""
        return display.rowdiff_summary(self)

    @property
    def more(self) -> bool:
        """Whether a bigger ``limit`` would show more rows of some kind."""
        return any(count > self.limit for count in (self.added, self.removed, self.changed))

    def __repr__(self) -> str:
        return f"RowDiff({self.names[0]} -> {self.names[1]}: {self.summary})"

    def __str__(self) -> str:
        return display.rowdiff_text(self)

    def _repr_html_(self) -> str:
        return display.rowdiff_html(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counts, columns, notes, label flips, and the first rows as records
        (``changes`` as key/column/before/after lines; values as JSON has them, nulls as null)."""
        return {
            "a": self.names[0], "b": self.names[1], "by": self.by, "key": self.key,
            "counts": {"rows_a": self.rows_a, "rows_b": self.rows_b, "added": self.added, "removed": self.removed,
                       "changed": self.changed, "unchanged": self.unchanged},
            "columns": {"compared": list(self.columns), "only_a": list(self.only_a), "only_b": list(self.only_b),
                        "type_changes": [vars(t) for t in self.type_changes]},
            "column_changes": dict(self.column_changes),
            "label_columns": list(self.label_columns),
            "label_flips": [vars(f) for f in self.label_flips],
            "duplicate_keys": {"a": self.duplicate_keys[0], "b": self.duplicate_keys[1]},
            "null_keys": {"a": self.null_keys[0], "b": self.null_keys[1]},
            "notes": list(self.notes), "limit": self.limit,
            "added_rows": _records(self.added_rows), "removed_rows": _records(self.removed_rows),
            "changes": _records(self.changes), "flipped_rows": _records(self.flipped_rows),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON values: NaN and NaT become null, timestamps ISO text, anything else its text."""
    import json

    if frame.empty:
        return []
    return json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str, force_ascii=False))


# --- the entry point ------------------------------------------------------------------------------


def diff_parquet(path_a: str | os.PathLike[str], path_b: str | os.PathLike[str], *, key: str | None = None,
                 default_key: str | None = None, label_columns: Iterable[str] = (), limit: int = DEFAULT_LIMIT,
                 names: Sequence[str] = ("A", "B"), memory_limit: str = DEFAULT_MEMORY_LIMIT,
                 threads: int | None = None, temp_dir: str | os.PathLike[str] | None = None) -> RowDiff:
    """The rows added, removed and changed from the Parquet file ``path_a`` to ``path_b``.

    ``key`` names the column that identifies a row (it must be in both files); with
    ``key=None`` rows are matched by ``default_key`` when both files have that column,
    never null and never repeated, else compared by whole-row content. ``label_columns``
    (those in both files) get their flips counted. ``limit`` (0 to ``MAX_LIMIT``) rows
    of each kind become DataFrames; ``names`` label the two sides. DuckDB works within
    ``memory_limit`` (e.g. "1GB") on ``threads`` threads (default: all cores) and
    spills to a temporary folder under ``temp_dir`` (default: the system's), removed
    afterwards.

    Raises ValidationError for a ``key`` missing from a file (listing likely id
    columns), files that share no column, or a bad ``limit``/``memory_limit``;
    LoaderError for a file that is missing or not readable Parquet, or when the
    work runs out of memory or disk.
    """
    import duckdb
    import pyarrow as pa

    limit = _checked_limit(limit)
    side_names = _side_names(names)
    if not isinstance(memory_limit, str) or not memory_limit.strip():
        raise ValidationError(f"memory_limit must be text such as '1GB', not {memory_limit!r}.")
    with tempfile.TemporaryDirectory(prefix="plexus-datasets-rowdiff-", dir=temp_dir) as folder:
        con = _connect(folder, memory_limit, threads)
        try:
            a = _Side.read(con, "a", path_a, side_names[0], folder)
            b = _Side.read(con, "b", path_b, side_names[1], folder)
            plan = _Plan.of(con, a, b, key, default_key, label_columns)
            return _Run(con, plan, limit).result()
        except (duckdb.Error, pa.ArrowException, OSError) as exc:  # translated once, here
            raise _translated(exc, memory_limit, side_names) from exc
        finally:
            con.close()


def _checked_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be a whole number from 0 to {MAX_LIMIT:,}, not {limit!r}.")
    return limit


def _side_names(names: Sequence[str]) -> tuple[str, str]:
    if isinstance(names, str) or len(names) != 2:
        raise ValidationError(f"names must be two labels, one per file, not {names!r}.")
    first, second = (str(n) for n in names)
    if first == second:  # the same version twice: the columns of changed_rows must still differ
        first, second = f"{first} (A)", f"{second} (B)"
    return first, second


def _connect(folder: str, memory_limit: str, threads: int | None) -> duckdb.DuckDBPyConnection:
    import duckdb

    config: dict[str, Any] = {"memory_limit": memory_limit, "temp_directory": folder,
                              "preserve_insertion_order": False}
    if threads is not None:
        config["threads"] = int(threads)
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise ValidationError(f"DuckDB refused memory_limit={memory_limit!r} or threads={threads!r}: "
                              f"{_first_line(exc)}. Use a size such as '1GB' or '500MB'.") from exc
    con.execute("SET enable_progress_bar = false")  # long queries would draw one on the terminal
    return con


def _translated(exc: Exception, memory_limit: str, names: tuple[str, str]) -> PlexusDatasetsError:
    kind = type(exc).__name__
    if "OutOfMemory" in kind or "out of memory" in str(exc).lower():
        return LoaderError(f"The row diff of {names[0]} and {names[1]} ran out of memory (memory_limit="
                           f"{memory_limit}) or temporary disk space: {_first_line(exc)}. Raise memory_limit or free "
                           "space in the temporary folder (TMPDIR).")
    return LoaderError(f"The row diff of {names[0]} and {names[1]} failed ({kind}): {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


# --- SQL text: identifiers and literals, the only places data reaches it --------------------------


def _ident(name: str) -> str:
    """A quoted SQL identifier: any name, double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A quoted SQL string literal (DuckDB's strings have no backslash escapes)."""
    return "'" + text.replace("'", "''") + "'"


# --- the two files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """One file as DuckDB reads it: ``columns`` (names as the file has them, made unique),
    ``sql_names`` (DuckDB's names for them, case-insensitively unique), types, rows."""

    alias: str  # "a" or "b": the view's name
    label: str
    path: str
    source: str  # the read_parquet(...) call
    columns: tuple[str, ...]
    sql_names: tuple[str, ...]
    types: tuple[str, ...]
    rows: int

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, alias: str, path: str | os.PathLike[str], label: str,
             folder: str) -> _Side:
        import pyarrow as pa
        import pyarrow.parquet as pq

        real = Path(path).expanduser()
        if not real.is_file():
            raise LoaderError(f"No Parquet file for {label} at {real}.")
        real = real.resolve()
        try:
            declared = [str(name) for name in pq.read_schema(real).names]
        except (pa.ArrowException, OSError) as exc:
            raise LoaderError(f"{label}: {real} is not readable Parquet: {_first_line(exc)}") from exc
        readable = _readable_copy(real, declared, folder, alias)
        source = f"read_parquet({_literal(str(readable))})"
        relation = con.sql(f"SELECT * FROM {source}")
        sql_names, types = tuple(relation.columns), tuple(str(t) for t in relation.types)
        if len(declared) != len(sql_names):
            declared = list(sql_names)
        columns = tuple(name if declared.count(name) == 1 else sql_name for name, sql_name in zip(declared, sql_names))
        if len(set(columns)) != len(columns):  # a repeated name, renamed onto another real one (x, x, x_1)
            repeated = sorted({c for c in declared if declared.count(c) > 1})
            raise LoaderError(f"{label}: {real} repeats the column name(s) {', '.join(map(repr, repeated[:5]))}, "
                              "so its columns can't be told apart; rename them and write the file again.")
        rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]  # from the footer
        return cls(alias, label, str(real), source, columns, sql_names, types, int(rows))

    def numbered(self) -> str:
        """The file with each row's position as ``file_row_number``."""
        return self.source[:-1] + ", file_row_number = true)"

    def sql_name(self, column: str) -> str:
        return self.sql_names[self.columns.index(column)]

    def type_of(self, column: str) -> str:
        return self.types[self.columns.index(column)]


def _readable_copy(path: Path, columns: list[str], folder: str, alias: str) -> Path:
    """``path``, or what DuckDB can read in its place: a link when the name has glob
    characters, a copy with positional column names when a column is called
    ``file_row_number`` (the name DuckDB gives row positions)."""
    if any(name.lower() == "file_row_number" for name in columns):
        return _renamed_copy(path, Path(folder) / f"{alias}-renamed.parquet")
    if any(c in str(path) for c in "*?[]{}"):
        link = Path(folder) / f"{alias}.parquet"
        os.symlink(path, link)
        return link
    return path


def _renamed_copy(path: Path, target: Path) -> Path:
    """A copy of the Parquet file with columns named c0, c1, ..., written batch by batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    renamed = pa.schema([field.with_name(f"c{i}") for i, field in enumerate(schema)], metadata=schema.metadata)
    with pq.ParquetWriter(target, renamed) as writer:
        for batch in source.iter_batches(batch_size=65_536):
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=renamed))
    return target


# --- what to compare, and how ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    a: _Side
    b: _Side
    key: str | None
    compared: tuple[str, ...]  # shared columns other than the key
    labels: tuple[str, ...]
    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    casts: Mapping[str, str | None]  # shared column -> SQL type both sides are cast to (None: as read)
    type_changes: tuple[TypeChange, ...]
    notes: tuple[str, ...]

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, a: _Side, b: _Side, key: str | None, default_key: str | None,
           label_columns: Iterable[str]) -> _Plan:
        shared = [c for c in a.columns if c in set(b.columns)]
        if not shared:
            raise ValidationError(f"{a.label} and {b.label} share no column, so their rows can't be compared "
                                  f"({a.label}: {_listed(a.columns)}; {b.label}: {_listed(b.columns)}).")
        notes: list[str] = []
        if key is not None:
            _check_key(con, a, b, key)
        elif default_key is not None:
            key = _usable_default(con, a, b, default_key, notes)
        casts, changes = _casts(a, b, shared)
        labels = tuple(dict.fromkeys(str(c) for c in label_columns))
        for label in labels:
            if label not in shared:
                where = b.label if label in a.columns else a.label if label in b.columns else "either file"
                notes.append(f"Label column {label!r} is not in {where}, so its flips are not counted.")
        only_a = tuple(c for c in a.columns if c not in set(b.columns))
        only_b = tuple(c for c in b.columns if c not in set(a.columns))
        return cls(a, b, key, tuple(c for c in shared if c != key),
                   tuple(c for c in labels if c in shared and c != key), only_a, only_b, casts, changes, tuple(notes))

    def expr(self, side: _Side, column: str) -> str:
        """The column as compared: quoted, cast when the two files disagree on its type."""
        quoted = _ident(side.sql_name(column))
        cast = self.casts.get(column)
        return f"CAST({quoted} AS {cast})" if cast else quoted

    def view(self, side: _Side) -> str:
        """``r`` (row position), ``k`` (the key) and ``c0``, ``c1``, ... (compared columns)."""
        parts = ["file_row_number AS r"]
        if self.key is not None:
            parts.append(f"{self.expr(side, self.key)} AS k")
        parts += [f"{self.expr(side, c)} AS c{i}" for i, c in enumerate(self.compared)]
        return f"CREATE TEMP VIEW {side.alias} AS SELECT {', '.join(parts)} FROM {side.numbered()}"


def _listed(columns: Iterable[str], shown: int = 8) -> str:
    columns = list(columns)
    text = ", ".join(repr(c) for c in columns[:shown])
    return text + (f" and {len(columns) - shown} more" if len(columns) > shown else "") if columns else "none"


def _casts(a: _Side, b: _Side, shared: list[str]) -> tuple[dict[str, str | None], tuple[TypeChange, ...]]:
    """For each shared column: the type both sides are cast to when their types differ.
    The SQL types come from this fixed list, never from the files."""
    casts: dict[str, str | None] = {}
    changes = []
    for column in shared:
        type_a, type_b = a.type_of(column), b.type_of(column)
        if type_a == type_b:
            casts[column] = None
            continue
        cast, how = _common_type(type_a, type_b)
        casts[column] = cast
        changes.append(TypeChange(column, type_a, type_b, how))
    return casts, tuple(changes)


def _common_type(type_a: str, type_b: str) -> tuple[str | None, str]:
    both = {type_a, type_b}
    if '"NULL"' in both or "NULL" in both:
        return None, "as is"
    if both <= _INTEGERS:
        return "HUGEINT", "numbers"
    if all(t in _INTEGERS or t in _FLOATS or t.startswith("DECIMAL") for t in both):
        return "DOUBLE", "numbers"
    if both <= _TIMES:
        return "TIMESTAMP", "timestamps"
    return "VARCHAR", "text"


def _check_key(con: duckdb.DuckDBPyConnection, a: _Side, b: _Side, key: str) -> None:
    if not isinstance(key, str) or not key:
        raise ValidationError(f"key must be a column name, not {key!r}.")
    missing = [s.label for s in (a, b) if key not in s.columns]
    if not missing:
        return
    where = " and ".join(missing)
    likely = _likely_keys(con, a, b)
    hint = (f" Likely id columns (in both, every value distinct): {', '.join(repr(c) for c in likely)}."
            if likely else " Neither file has a column that looks like an id (a name ending in 'id', every value "
                           "distinct).")
    raise ValidationError(f"{where} {'has' if len(missing) == 1 else 'have'} no column {key!r}.{hint} Pass one as "
                          "the key, or no key (then content_id when both have it, every value distinct, else whole "
                          "rows are compared).")


def _likely_keys(con: duckdb.DuckDBPyConnection, a: _Side, b: _Side) -> list[str]:
    """Shared columns named like ids (``id``, ``content_id``, ``callId``) with every value
    present and distinct in both files."""
    named = [c for c in a.columns if c in set(b.columns) and c.lower().endswith("id")][:_MAX_KEY_CANDIDATES]
    return [c for c in named if all(_unique(con, side, c) for side in (a, b))]


def _unique(con: duckdb.DuckDBPyConnection, side: _Side, column: str) -> bool:
    """Whether ``column`` has a value in every row of ``side`` and no value twice."""
    quoted = _ident(side.sql_name(column))
    distinct, present = con.execute(f"SELECT count(DISTINCT {quoted}), count({quoted}) FROM {side.source}").fetchone()
    return distinct == present == side.rows


def _usable_default(con: duckdb.DuckDBPyConnection, a: _Side, b: _Side, column: str, notes: list[str]) -> str | None:
    """``column`` when both files have it, never null and never repeated; otherwise None,
    with a note saying why rows are compared by content instead."""
    missing = [s.label for s in (a, b) if column not in s.columns]
    if missing:
        return None  # the content note says rows are compared whole
    repeated = [s.label for s in (a, b) if not _unique(con, s, column)]
    if repeated:
        notes.append(f"{column!r} has nulls or repeated values in {' and '.join(repeated)}, so it was not used "
                     f"as the key; pass key={column!r} to match by it anyway.")
        return None
    notes.append(f"No key was given; {column!r} is in both files with a distinct value in every row, so it is "
                 "the key.")
    return column


# --- the queries ---------------------------------------------------------------------------------------


#: Key values found in both files but not exactly once in each: their rows are matched by content.
_AMBIGUOUS = "SELECT k FROM unpaired WHERE k IS NOT NULL AND na > 0 AND nb > 0"


class _Run:
    """The diff itself: a handful of queries over two views, results in small temp tables.

    By key: one pass counts the key values that don't pair (``unpaired``, usually few);
    one full outer join over the rest gives the changed pairs, and the rows whose key is
    in one file only (``joined``: only what differs is kept). Rows whose key is null or
    ambiguous (in both files, repeated in one) are then grouped by whole-row content
    within their key (``unmatched``), a pass skipped when there are none. By content:
    one grouping of every row (``unmatched``).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, plan: _Plan, limit: int) -> None:
        self.con, self.plan, self.limit = con, plan, limit
        self.flags = [f"d{i}" for i in range(len(plan.compared))]
        self.grouped = False  # whether ``unmatched`` exists

    def sql(self, text: str) -> Any:
        """Run a statement; its rows are read with ``fetchone``/``fetchall``."""
        return self.con.execute(text)

    def result(self) -> RowDiff:
        plan = self.plan
        self.sql(plan.view(plan.a))
        self.sql(plan.view(plan.b))
        changed, column_changes, flips = 0, {}, ()
        duplicates, nulls, duplicate_keys, removed, added = (0, 0), (0, 0), 0, 0, 0
        if plan.key is not None:
            duplicates, nulls, duplicate_keys, ambiguous = self._keys()
            changed, removed, added = self._join(ambiguous > 0)
            column_changes, flips = self._column_changes(), self._flips()
            if ambiguous:
                removed, added = (n + m for n, m in zip((removed, added), self._unmatched()))
        else:
            removed, added = self._unmatched()
        frames = _Frames.fetch(self.con, plan, self._picks())
        notes = _notes(plan, duplicates, nulls, duplicate_keys) + plan.notes
        return RowDiff(
            names=(plan.a.label, plan.b.label), by="key" if plan.key is not None else "content", key=plan.key,
            rows_a=plan.a.rows, rows_b=plan.b.rows, added=added, removed=removed, changed=changed,
            unchanged=plan.a.rows - removed - changed, columns=((plan.key,) if plan.key else ()) + plan.compared,
            only_a=plan.only_a, only_b=plan.only_b, type_changes=plan.type_changes, column_changes=column_changes,
            label_columns=plan.labels, label_flips=flips, duplicate_keys=duplicates, null_keys=nulls,
            added_rows=frames.added, removed_rows=frames.removed, changed_rows=frames.changed_rows,
            changes=frames.changes, flipped_rows=frames.flipped, limit=self.limit, notes=notes)

    # --- by key: which key values don't pair, then one join for the rest

    def _keys(self) -> tuple[tuple[int, int], tuple[int, int], int, int]:
        """The key values that don't pair (``unpaired``: not exactly once in each file, with
        their counts; null counted as one value). Returns rows with a repeated key per side,
        rows with a null key per side, how many key values repeat, and how many rows are
        null or ambiguous (matched by content)."""
        once = "count(*) FILTER (WHERE s = 0) = 1 AND count(*) FILTER (WHERE s = 1) = 1"
        self.sql("CREATE TEMP TABLE unpaired AS SELECT k, count(*) FILTER (WHERE s = 0) AS na, "
                 "count(*) FILTER (WHERE s = 1) AS nb FROM (SELECT 0 AS s, k FROM a UNION ALL "
                 f"SELECT 1 AS s, k FROM b) GROUP BY k HAVING k IS NULL OR NOT ({once})")
        row = self.sql(
            "SELECT coalesce(sum(na) FILTER (WHERE k IS NOT NULL AND na > 1), 0), "
            "coalesce(sum(nb) FILTER (WHERE k IS NOT NULL AND nb > 1), 0), "
            "coalesce(sum(na) FILTER (WHERE k IS NULL), 0), coalesce(sum(nb) FILTER (WHERE k IS NULL), 0), "
            "count(*) FILTER (WHERE k IS NOT NULL AND (na > 1 OR nb > 1)), "
            "coalesce(sum(na + nb) FILTER (WHERE k IS NULL OR (na > 0 AND nb > 0)), 0) FROM unpaired").fetchone()
        return (int(row[0]), int(row[1])), (int(row[2]), int(row[3])), int(row[4]), int(row[5])

    def _join(self, ambiguous: bool) -> tuple[int, int, int]:
        """Rows with a key that is neither null nor ``ambiguous``, joined by key: pairs that
        differ (``changed``) and rows whose key is in one file only. Returns changed,
        removed and added."""
        plan = self.plan
        flags = [f"(x.c{i} IS DISTINCT FROM y.c{i}) AS d{i}" for i in range(len(plan.compared))]
        labels = [f"x.c{plan.compared.index(c)} AS la{j}, y.c{plan.compared.index(c)} AS lb{j}"
                  for j, c in enumerate(plan.labels)]
        keep = f"WHERE k IS NOT NULL AND k NOT IN ({_AMBIGUOUS})" if ambiguous else "WHERE k IS NOT NULL"
        differs = " OR ".join(self.flags) or "false"
        self.sql(f"CREATE TEMP TABLE joined AS SELECT * FROM (SELECT x.r AS ra, y.r AS rb"
                 f"{''.join(', ' + part for part in flags + labels)} FROM (SELECT * FROM a {keep}) AS x "
                 f"FULL OUTER JOIN (SELECT * FROM b {keep}) AS y ON x.k = y.k) "
                 f"WHERE ra IS NULL OR rb IS NULL OR {differs}")
        self.sql("CREATE TEMP VIEW changed AS SELECT * FROM joined WHERE ra IS NOT NULL AND rb IS NOT NULL")
        changed, removed, added = self.sql("SELECT count(*) FILTER (WHERE ra IS NOT NULL AND rb IS NOT NULL), "
                                           "count(*) FILTER (WHERE rb IS NULL), count(*) FILTER (WHERE ra IS NULL) "
                                           "FROM joined").fetchone()
        return int(changed), int(removed), int(added)

    def _column_changes(self) -> dict[str, int]:
        if not self.flags:
            return {}
        counts = self.sql("SELECT " + ", ".join(f"count(*) FILTER (WHERE {d})" for d in self.flags)
                          + " FROM changed").fetchone()
        return {c: int(n) for c, n in zip(self.plan.compared, counts)}

    def _flips(self) -> tuple[LabelFlip, ...]:
        flips = []
        for j, column in enumerate(self.plan.labels):
            flag = f"d{self.plan.compared.index(column)}"
            rows = self.sql(f"SELECT la{j}, lb{j}, count(*) AS n FROM changed WHERE {flag} GROUP BY la{j}, lb{j} "
                            f"ORDER BY n DESC, CAST(la{j} AS VARCHAR) NULLS FIRST, CAST(lb{j} AS VARCHAR) NULLS FIRST "
                            f"LIMIT {MAX_FLIPS}").fetchall()
            flips += [LabelFlip(column, before, after, int(n)) for before, after, n in rows]
        return tuple(flips)

    # --- rows no key pairs: matched by whole-row content (within their key, when there is one)

    def _group(self) -> list[str]:
        return (["k"] if self.plan.key is not None else []) + [f"c{i}" for i in range(len(self.plan.compared))]

    def _unmatched(self) -> tuple[int, int]:
        """Groups of identical rows (key included) whose counts differ between the files;
        returns rows removed and added."""
        group = self._group()
        where = f" WHERE k IS NULL OR k IN ({_AMBIGUOUS})" if self.plan.key is not None else ""
        self.sql(f"CREATE TEMP TABLE unmatched AS SELECT {', '.join(group)}, count(*) FILTER (WHERE s = 0) AS na, "
                 "count(*) FILTER (WHERE s = 1) AS nb, min(r) FILTER (WHERE s = 0) AS ra, "
                 f"min(r) FILTER (WHERE s = 1) AS rb FROM (SELECT 0 AS s, * FROM a{where} UNION ALL "
                 f"SELECT 1 AS s, * FROM b{where}) GROUP BY ALL "
                 "HAVING count(*) FILTER (WHERE s = 0) <> count(*) FILTER (WHERE s = 1)")
        self.grouped = True
        removed, added = self.sql("SELECT coalesce(sum(greatest(na - nb, 0)), 0), "
                                  "coalesce(sum(greatest(nb - na, 0)), 0) FROM unmatched").fetchone()
        return int(removed), int(added)

    # --- the first rows of each kind, as row positions in each file

    def _picks(self) -> _Picks:
        n = self.limit
        if n == 0:
            return _Picks([], [], [], [])
        removed = self._excess("a", "na", "nb", "ra") if self.grouped else []
        added = self._excess("b", "nb", "na", "rb") if self.grouped else []
        if self.plan.key is None:
            return _Picks(removed, added, [], [])
        removed = sorted(removed + [r for (r,) in self.sql(f"SELECT ra FROM joined WHERE rb IS NULL ORDER BY ra "
                                                           f"LIMIT {n}").fetchall()])[:n]
        added = sorted(added + [r for (r,) in self.sql(f"SELECT rb FROM joined WHERE ra IS NULL ORDER BY rb "
                                                       f"LIMIT {n}").fetchall()])[:n]
        if not self.flags:
            return _Picks(removed, added, [], [])
        changed = self.sql(f"SELECT ra, rb, {', '.join(self.flags)} FROM changed ORDER BY ra LIMIT {n}").fetchall()
        label_flags = [f"d{self.plan.compared.index(c)}" for c in self.plan.labels]
        flipped = self.sql(f"SELECT ra, rb, {', '.join(self.flags)} FROM changed WHERE {' OR '.join(label_flags)} "
                           f"ORDER BY ra LIMIT {n}").fetchall() if label_flags else []
        return _Picks(removed, added, changed, flipped)

    def _excess(self, view: str, mine: str, theirs: str, first: str) -> list[int]:
        """Positions in ``view`` of its first unmatched rows. A group of identical rows
        found N times here and M < N times there has its first M matched, the rest not."""
        picks = self.sql(f"SELECT {first}, {mine} FROM unmatched WHERE {mine} > {theirs} ORDER BY {first} "
                         f"LIMIT {self.limit}").fetchall()
        if all(count == 1 for _, count in picks):  # the usual case: a row with no twin
            return [int(r) for r, _ in picks]
        same = " AND ".join(f"x.{c} IS NOT DISTINCT FROM p.{c}" for c in self._group())
        rows = self.sql(
            f"WITH p AS (SELECT row_number() OVER (ORDER BY {first}) AS g, * FROM unmatched WHERE {mine} > {theirs} "
            f"ORDER BY {first} LIMIT {self.limit}) SELECT x.r FROM {view} AS x JOIN p ON {same} "
            f"QUALIFY row_number() OVER (PARTITION BY p.g ORDER BY x.r) > p.{theirs} ORDER BY x.r LIMIT {self.limit}"
        ).fetchall()
        return [int(r) for (r,) in rows]


@dataclass(frozen=True)
class _Picks:
    removed: list[int]  # positions in A
    added: list[int]  # positions in B
    changed: list[tuple[Any, ...]]  # (position in A, position in B, flag per compared column...)
    flipped: list[tuple[Any, ...]]


@dataclass(frozen=True)
class _Frames:
    """The picked rows, read back from the files as they are (every column, original types)."""

    added: pd.DataFrame
    removed: pd.DataFrame
    changed_rows: pd.DataFrame
    changes: pd.DataFrame
    flipped: pd.DataFrame

    @classmethod
    def fetch(cls, con: duckdb.DuckDBPyConnection, plan: _Plan, picks: _Picks) -> _Frames:
        in_a = _rows_at(con, plan.a, picks.removed + [p[0] for p in picks.changed + picks.flipped])
        in_b = _rows_at(con, plan.b, picks.added + [p[1] for p in picks.changed + picks.flipped])
        return cls(added=_take(in_b, picks.added), removed=_take(in_a, picks.removed),
                   changed_rows=_changed_rows(plan, in_a, in_b, picks.changed),
                   changes=_changes(plan, in_a, in_b, picks.changed, plan.compared),
                   flipped=_changes(plan, in_a, in_b, picks.flipped, plan.labels))


def _rows_at(con: duckdb.DuckDBPyConnection, side: _Side, positions: list[int]) -> pd.DataFrame:
    """The rows of ``side`` at ``positions``, indexed by position, columns named as in the file."""
    import pandas as pd

    wanted = sorted({int(p) for p in positions})
    if not wanted:
        return pd.DataFrame(columns=list(side.columns))
    listed = ", ".join(str(p) for p in wanted)  # integers DuckDB returned: no text from the data
    relation = con.sql(f"SELECT * FROM {side.numbered()} WHERE file_row_number IN ({listed})")
    table = _arrow(relation)
    positions_column = table.column(table.num_columns - 1).to_pylist()
    table = table.remove_column(table.num_columns - 1)
    frame = table.rename_columns([f"_{i}" for i in range(table.num_columns)]).to_pandas()
    frame.columns = list(side.columns)
    frame.index = pd.Index(positions_column)
    return frame


def _arrow(relation: Any) -> Any:
    """A relation's rows as a pyarrow Table, across DuckDB versions."""
    import pyarrow as pa

    fetch = getattr(relation, "to_arrow_table", None) or getattr(relation, "fetch_arrow_table", None) or relation.arrow
    table = fetch()
    return table.read_all() if isinstance(table, pa.RecordBatchReader) else table


def _take(frame: pd.DataFrame, positions: list[int]) -> pd.DataFrame:
    return frame.loc[list(positions)].reset_index(drop=True) if positions else frame.iloc[0:0].reset_index(drop=True)


def _changed_rows(plan: _Plan, in_a: pd.DataFrame, in_b: pd.DataFrame, picks: list[tuple[Any, ...]]) -> pd.DataFrame:
    """One row per changed pair, indexed by the key; columns (column, side) for each compared column."""
    import pandas as pd

    names = (plan.a.label, plan.b.label)
    pairs = [(c, n) for c in plan.compared for n in names]
    columns = pd.MultiIndex.from_tuples(pairs) if pairs else pd.MultiIndex.from_arrays([[], []])
    if not picks or plan.key is None:
        return pd.DataFrame(columns=columns, index=pd.Index([], name=plan.key))
    before = in_a.loc[[p[0] for p in picks], list(plan.compared)].reset_index(drop=True)
    after = in_b.loc[[p[1] for p in picks], list(plan.compared)].reset_index(drop=True)
    both = pd.concat({names[0]: before, names[1]: after}, axis=1).swaplevel(axis=1)
    both = both.reindex(columns=columns)
    both.index = pd.Index(in_a.loc[[p[0] for p in picks], plan.key].to_numpy(), name=plan.key)
    return both


def _changes(plan: _Plan, in_a: pd.DataFrame, in_b: pd.DataFrame, picks: list[tuple[Any, ...]],
             columns: Sequence[str]) -> pd.DataFrame:
    """One line per changed cell among ``columns`` of the picked pairs: key, column, before, after."""
    import pandas as pd

    lines = []
    for pick in picks:
        ra, rb, flags = pick[0], pick[1], pick[2:]
        key = in_a.at[ra, plan.key] if plan.key is not None else None
        for column in columns:
            if flags[plan.compared.index(column)]:
                lines.append({"key": key, "column": column, "before": in_a.at[ra, column],
                              "after": in_b.at[rb, column]})
    return pd.DataFrame(lines, columns=["key", "column", "before", "after"], dtype=object)


def _notes(plan: _Plan, duplicates: tuple[int, int], nulls: tuple[int, int], duplicate_keys: int) -> tuple[str, ...]:
    """Sentences: how rows were matched, then anything about the data that needs a look."""
    a, b = plan.a.label, plan.b.label
    if plan.key is not None:
        notes = [(f"Rows are matched by {plan.key!r}; a pair is changed when any of the {len(plan.compared):,} "
                  "other shared columns differs.")]
    else:
        notes = [(f"No key column: rows are compared by whole-row content on the {len(plan.compared):,} shared "
                  "columns, duplicates counted, so an edited row counts as one removed and one added.")]
    if duplicate_keys:
        values = "value occurs" if duplicate_keys == 1 else "values occur"
        notes.append(f"{duplicate_keys:,} {plan.key!r} {values} more than once ({_rows(duplicates[0])} in {a}, "
                     f"{_rows(duplicates[1])} in {b}): those rows are matched by whole-row content within their key.")
    if any(nulls):
        notes.append(f"{_rows(nulls[0])} in {a} and {_rows(nulls[1])} in {b} have no {plan.key!r}: they are matched "
                     "by whole-row content among themselves.")
    if plan.only_a:
        notes.append(f"Only in {a}, not compared: {_listed(plan.only_a)}.")
    if plan.only_b:
        notes.append(f"Only in {b}, not compared: {_listed(plan.only_b)}.")
    for change in plan.type_changes:
        notes.append(f"{change.column!r} is {change.type_a} in {a} and {change.type_b} in {b}: compared "
                     f"{change.compared_as if change.compared_as == 'as is' else 'as ' + change.compared_as}.")
    return tuple(notes)


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
