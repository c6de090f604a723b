"""Reading text files the way people save them: encodings, BOMs, ragged and quoted CSV rows.

``FileItems`` hands this module a file's bytes; it decodes them itself (so a
decoding error can name the exact line and byte offset in *that file*, which
pandas can't: it reports offsets into its read chunk) and parses the text with
pandas.

- ``decode``: ``encoding:`` (default utf-8, a leading BOM dropped so it never
  sticks to the first column name); an undecodable byte is a LoaderError naming
  the file, the 1-based line, the absolute byte offset and the byte in hex, and
  suggesting ``encoding: cp1252`` / ``latin-1``.
- ``read_csv``: only empty cells are nulls (a literal "NA" stays "NA"). A row
  with more fields than the header is a LoaderError naming the line where that
  record starts (pandas would raise, or silently turn the first column into the
  index when every row has one extra field). Rows with fewer fields are kept,
  padded with empty cells, and reported by a DataQualityWarning. Blank lines are
  skipped, as pandas skips them, and never reported.
- ``read_jsonl``: a line that isn't JSON is a LoaderError naming that line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import warnings
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from ..errors import DataQualityWarning, LoaderError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["decode", "read_csv", "read_jsonl"]

#: At most this many line numbers are listed in a message.
SHOWN_LINES = 5


def decode(name: str, data: bytes, encoding: str | None) -> str:
    """``data`` (the whole file ``name``) as text in ``encoding`` (default utf-8), or a
    LoaderError naming the first byte that isn't valid there."""
    shown = encoding or "utf-8"
    codec = codecs.lookup(shown).name
    start = 0
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        # Excel's "CSV UTF-8" begins with a BOM; left in, it would be glued to the first column's name.
        start = len(codecs.BOM_UTF8)
    try:
        return codecs.decode(memoryview(data)[start:], codec)
    except UnicodeDecodeError as exc:
        # exc.start counts from where decoding began, which is the file's start plus any BOM skipped.
        raise LoaderError(_undecodable(name, data, start + exc.start, start + exc.end, shown, codec)) from exc


def _undecodable(name: str, data: bytes, offset: int, end: int, shown: str, codec: str) -> str:
    line = codecs.decode(memoryview(data)[:offset], codec, errors="replace").count("\n") + 1
    bad = data[offset:max(end, offset + 1)][:8]
    hexed = " ".join(f"0x{b:02x}" for b in bad)
    what = f"byte {hexed} at line {line} (byte offset {offset}) is" if len(bad) == 1 else \
        f"bytes {hexed} at line {line} (byte offset {offset}) are"
    if codec == "cp1252":
        advice = "If the file is Latin-1 (ISO-8859-1), add `encoding: latin-1` to the configuration."
    else:
        advice = ("If the file was saved by Excel or an older system, add `encoding: cp1252` (or latin-1) "
                  "to the configuration.")
    return f"Can't decode {name} as {shown}: {what} not valid {shown}. {advice}"


# --- CSV ---------------------------------------------------------------------------------------

def read_csv(name: str, text: str, delimiter: str | None = None) -> pd.DataFrame:
    """The CSV ``text`` of file ``name`` as a DataFrame (see the module docstring for the rules)."""
    import pandas as pd

    sep = delimiter or ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError as exc:
        raise LoaderError(f"{name} is empty: a CSV file needs a header line with the column names.") from exc
    except pd.errors.ParserError as exc:
        raise (_too_many_fields(name, text, sep) or LoaderError(f"Can't read {name} as csv: {_first_line(exc)}")) \
            from exc
    header, first = (list(islice(_records(text, sep), 2)) + [(0, 0), (0, 0)])[:2]
    if first[1] > header[1]:
        # pandas raises for a long row, except when the first data row is one: then, if every row
        # is as long, it silently makes the first column the index and shifts every column name.
        raise _too_many_fields(name, text, sep) or LoaderError(f"{name}: line {first[0]} has too many fields.")
    _warn_short_rows(name, text, sep, frame)
    return frame


def _records(text: str, sep: str) -> Iterator[tuple[int, int]]:
    """(line where the record starts, number of fields) for each record, the header first;
    blank lines skipped, a quoted newline kept inside its record."""
    # The csv module refuses fields over its limit (128 KiB); a transcript cell can be longer.
    # Only ever raised, never lowered, so concurrent readers can't be hurt by it.
    if csv.field_size_limit() < len(text):
        csv.field_size_limit(len(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    start = 1
    for row in reader:
        if row and not (len(row) == 1 and not row[0].strip()):  # pandas skips whitespace-only lines too
            yield start, len(row)
        start = reader.line_num + 1


def _lines(lines: list[int], total: int) -> str:
    listed = ", ".join(map(str, lines[:SHOWN_LINES]))
    return listed if total <= SHOWN_LINES else f"{listed} and {total - SHOWN_LINES} more"


def _too_many_fields(name: str, text: str, sep: str) -> LoaderError | None:
    records = _records(text, sep)
    header = next(records, (1, 0))[1]
    long = [(line, fields) for line, fields in records if fields > header]
    if not long:
        return None
    line, fields = long[0]
    shown = "tab" if sep == "\t" else f"`{sep}`"
    others = f" ({len(long)} rows have too many fields: lines {_lines([n for n, _ in long], len(long))})" \
        if len(long) > 1 else ""
    return LoaderError(
        f"{name}: line {line} has {fields} fields but the header has {header} columns{others}. "
        f"Put quotes around values that contain {shown} (\"a{sep} b\"), add the missing column names to the "
        f"header, or set `delimiter:` if the file is not separated by {shown}."
    )


def _warn_short_rows(name: str, text: str, sep: str, frame: pd.DataFrame) -> None:
    # A short row always leaves the last column empty, so a full last column means no scan at all.
    if len(frame.columns) < 2 or not frame[frame.columns[-1]].isna().any():
        return
    records = _records(text, sep)
    header = next(records, (1, 0))[1]
    short = [line for line, fields in records if fields < header]
    if short:
        warnings.warn(
            f"{name}: {len(short)} row(s) have fewer fields than the {header} columns of the header "
            f"(lines {_lines(short, len(short))}); their missing cells are empty.",
            DataQualityWarning, stacklevel=2)


# --- JSON Lines ----------------------------------------------------------------------------------

def read_jsonl(name: str, text: str) -> pd.DataFrame:
    """The JSON Lines ``text`` of file ``name`` as a DataFrame (dates and dtypes never guessed)."""
    import pandas as pd

    # pandas < 3 still guesses dates from column names unless told not to.
    legacy = {"convert_dates": False} if int(pd.__version__.split(".")[0]) < 3 else {}
    try:
        return pd.read_json(io.StringIO(text), lines=True, dtype=False, **legacy)
    except Exception as exc:  # ValueError for bad JSON, TypeError for a line that isn't an object...
        raise (_bad_json_line(name, text) or LoaderError(f"Can't read {name} as jsonl: {_first_line(exc)}")) from exc


def _bad_json_line(name: str, text: str) -> LoaderError | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            return LoaderError(f"{name}: line {number} is not valid JSON ({_first_line(exc)}); JSON Lines needs one "
                               "JSON object per line.")
        if not isinstance(value, dict):
            kind = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")
            return LoaderError(f"{name}: line {number} is {kind}, not a JSON object; JSON Lines "
                               "needs one JSON object ({...}) per line.")
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else repr(exc)[:300]
