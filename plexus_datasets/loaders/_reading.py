"""Reading text files the way people save them: encodings, BOMs, ragged and quoted CSV rows.

``FileItems`` hands this module an open binary file (seekable: a local file, or an
S3 object's bytes). CSV is streamed: pandas reads the file handle itself with
``encoding=`` (no copy of the file as bytes or as one string), and only when
something is wrong is the file scanned again, in chunks, to say exactly where.

- Encodings: ``encoding:`` (default utf-8, a leading UTF-8 BOM skipped so it never
  sticks to the first column name). An undecodable byte is a LoaderError naming
  the file, the 1-based line, the absolute byte offset and the byte in hex, and
  suggesting ``encoding: cp1252`` / ``latin-1``; it is found by a chunked rescan
  with an incremental decoder (pandas only knows offsets into its read chunk).
- ``read_csv``: only empty cells are nulls (a literal "NA" stays "NA"). A row with
  more fields than the header is a LoaderError naming the line where that record
  starts (pandas would raise, or silently turn the first column into the index
  when every row has one extra field), unless every surplus field is empty: a
  trailing delimiter (``1,2,`` under ``a,b``, a common export shape) is dropped,
  as pandas' ``index_col=False`` does, and the rows are counted in a
  DataQualityWarning. Rows with fewer fields are kept, padded with empty cells,
  and reported by a DataQualityWarning (the scan runs only when the last column
  holds a null, which a short row always leaves). A quote that is never closed
  is a LoaderError naming the physical line where it opens. Blank lines are
  skipped, as pandas skips them, and never reported.
- ``read_jsonl``: the file is decoded whole (``decode``), then parsed; a line
  that isn't JSON is a LoaderError naming that line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import IO, TYPE_CHECKING

from ..errors import DataQualityWarning, LoaderError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["decode", "read_csv", "read_jsonl"]

#: At most this many line numbers are listed in a message.
SHOWN_LINES = 5
#: Bytes read at a time when a file is scanned again for its first undecodable byte.
RESCAN_CHUNK = 1 << 20
_UTF8 = ("utf-8", "utf-8-sig")
#: pandas' C parser, when a row has more fields than it expects.
_TOO_MANY = re.compile(r"Expected \d+ fields in line \d+, saw \d+")


# --- encodings ---------------------------------------------------------------------------------

@dataclass
class _Source:
    """An open binary file being read as text: its name, codec, where its text starts (after
    a UTF-8 BOM) and its size in bytes."""

    name: str
    handle: IO[bytes]
    shown: str  # the encoding as the configuration says it, for messages
    codec: str
    start: int
    size: int

    @classmethod
    def of(cls, name: str, handle: IO[bytes], encoding: str | None) -> _Source:
        shown = encoding or "utf-8"
        codec = codecs.lookup(shown).name
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        handle.seek(0)
        start = 0
        if codec in _UTF8:
            # Excel's "CSV UTF-8" begins with a BOM; left in, it would be glued to the first column's name.
            codec = "utf-8"
            start = len(codecs.BOM_UTF8) if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
        handle.seek(start)
        return cls(name, handle, shown, codec, start, size)

    def rewind(self) -> IO[bytes]:
        self.handle.seek(self.start)
        return self.handle

    @contextmanager
    def text(self) -> Iterator[IO[str]]:
        """The file as text from its start, streamed; the binary handle stays open afterwards."""
        wrapper = io.TextIOWrapper(self.rewind(), encoding=self.codec, errors="strict", newline="")
        try:
            yield wrapper
        finally:
            wrapper.detach()

    def undecodable(self, cause: BaseException) -> LoaderError:
        """The LoaderError for the first byte of the file that isn't valid in the codec."""
        found = _first_bad_byte(self.rewind(), self.codec, self.start)
        if found is None:  # pragma: no cover - pandas and the codec disagree; say what pandas said
            return LoaderError(f"Can't decode {self.name} as {self.shown}: {_first_line(cause)}. {_advice(self.codec)}")
        offset, end, line = found
        self.handle.seek(offset)
        return LoaderError(_undecodable(self.name, self.handle.read(min(8, max(end - offset, 1))), offset, line,
                                        self.shown, self.codec))


def _first_bad_byte(handle: IO[bytes], codec: str, start: int) -> tuple[int, int, int] | None:
    """(absolute offset, end offset, 1-based line) of the first byte ``codec`` can't decode,
    read ``RESCAN_CHUNK`` bytes at a time from ``start``; None when every byte decodes."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset, newlines = start, 0  # offset: the file position of the next chunk
    while True:
        chunk = handle.read(RESCAN_CHUNK)
        state = decoder.getstate()
        try:
            newlines += decoder.decode(chunk, final=not chunk).count("\n")
        except UnicodeDecodeError as exc:
            # exc.start counts from the bytes the decoder held back from the last chunk, then this one.
            pending = len(state[0])
            decoder.setstate(state)
            try:
                newlines += decoder.decode(chunk[:max(exc.start - pending, 0)]).count("\n")
            except UnicodeDecodeError:  # pragma: no cover - the prefix before the error decodes
                pass
            return offset - pending + exc.start, offset - pending + exc.end, newlines + 1
        if not chunk:
            return None
        offset += len(chunk)


def decode(name: str, data: bytes, encoding: str | None) -> str:
    """``data`` (the whole file ``name``) as text in ``encoding`` (default utf-8, a UTF-8 BOM
    dropped), or a LoaderError naming the first byte that isn't valid there."""
    source = _Source.of(name, io.BytesIO(data), encoding)
    try:
        return codecs.decode(memoryview(data)[source.start:], source.codec)
    except UnicodeDecodeError as exc:
        raise source.undecodable(exc) from exc


def _undecodable(name: str, bad: bytes, offset: int, line: int, shown: str, codec: str) -> str:
    hexed = " ".join(f"0x{b:02x}" for b in bad)
    what = f"byte {hexed} at line {line} (byte offset {offset}) is" if len(bad) == 1 else \
        f"bytes {hexed} at line {line} (byte offset {offset}) are"
    return f"Can't decode {name} as {shown}: {what} not valid {shown}. {_advice(codec)}"


def _advice(codec: str) -> str:
    if codec == "cp1252":
        return "If the file is Latin-1 (ISO-8859-1), add `encoding: latin-1` to the configuration."
    return ("If the file was saved by Excel or an older system, add `encoding: cp1252` (or latin-1) "
            "to the configuration.")


# --- CSV ---------------------------------------------------------------------------------------

def read_csv(name: str, handle: IO[bytes], encoding: str | None = None, delimiter: str | None = None) -> pd.DataFrame:
    """The CSV file ``name``, open as ``handle`` (binary, seekable), as a DataFrame (see the
    module docstring for the rules). The file is streamed, never held whole."""
    source = _Source.of(name, handle, encoding)
    try:
        return _read_csv(source, delimiter or ",")
    except UnicodeDecodeError as exc:
        raise source.undecodable(exc) from exc


def _read_csv(source: _Source, sep: str) -> pd.DataFrame:
    import pandas as pd

    with closing(_records(source, sep)) as records:
        head = list(islice(records, 2))
    long_first = len(head) == 2 and len(head[1][1]) > len(head[0][1])
    frame = None
    if not long_first:
        # pandas raises for a long row, except when the first data row is one: then, if every row
        # is as long, it silently makes the first column the index and shifts every column name.
        # So that case is never left to pandas, and every other long row makes it raise.
        try:
            frame = _pandas(source, sep)
        except pd.errors.ParserError as exc:
            if not _TOO_MANY.search(str(exc)):
                raise LoaderError(f"Can't read {source.name} as csv: {_first_line(exc)}") from exc
    if frame is None:
        header = len(head[0][1])
        padded = _long_rows(source, sep, header)
        # Every surplus field is empty: read only the header's columns (index_col=False semantics).
        frame = _pandas(source, sep, columns=header)
        if padded:
            warnings.warn(
                f"{source.name}: {len(padded)} row(s) end with empty field(s) beyond the {header} columns of the "
                f"header (a trailing {_shown(sep)}; {_lines(padded, len(padded))}); the empty fields were dropped.",
                DataQualityWarning, stacklevel=3)
    _warn_short_rows(source, sep, frame)
    return frame


def _pandas(source: _Source, sep: str, columns: int | None = None) -> pd.DataFrame:
    """pandas' frame of the file, streamed from its handle; ``columns``: read only the first so many."""
    import pandas as pd

    only = {"usecols": range(columns)} if columns is not None else {}
    try:
        return pd.read_csv(source.rewind(), sep=sep, encoding=source.codec, encoding_errors="strict",
                           keep_default_na=False, na_values=[""], index_col=False, **only)
    except pd.errors.EmptyDataError as exc:
        raise LoaderError(f"{source.name} is empty: a CSV file needs a header line with the column names.") from exc
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            raise _unterminated_quote(source, sep) from exc
        raise


def _records(source: _Source, sep: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its fields) for each record, the header first, streamed;
    blank lines skipped, a quoted newline kept inside its record."""
    # The csv module refuses fields over its limit (128 KiB); a transcript cell can be longer.
    # Only ever raised, never lowered, so concurrent readers can't be hurt by it.
    if csv.field_size_limit() < source.size:
        csv.field_size_limit(source.size)
    with source.text() as text:
        reader = csv.reader(text, delimiter=sep)
        start = 1
        for row in reader:
            if row and not (len(row) == 1 and not row[0].strip()):  # pandas skips whitespace-only lines too
                yield start, row
            start = reader.line_num + 1


def _lines(lines: list[int], total: int) -> str:
    """``line 5`` or ``lines 5, 9 and 3 more``."""
    listed = ", ".join(map(str, lines[:SHOWN_LINES]))
    word = "line" if total == 1 else "lines"
    return f"{word} {listed}" if total <= SHOWN_LINES else f"{word} {listed} and {total - SHOWN_LINES} more"


def _shown(sep: str) -> str:
    return "tab" if sep == "\t" else f"`{sep}`"


def _long_rows(source: _Source, sep: str, header: int) -> list[int]:
    """The lines of the rows with more fields than the header's ``header``, all of whose surplus
    fields are empty; a LoaderError naming the first row with a surplus field that holds
    something (only empty fields can be dropped)."""
    long: list[tuple[int, int]] = []
    padded: list[int] = []
    with closing(_records(source, sep)) as records:
        next(records, None)
        for line, row in records:
            if len(row) > header:
                if any(field.strip() for field in row[header:]):
                    long.append((line, len(row)))
                else:
                    padded.append(line)
    if not long:
        return padded
    line, fields = long[0]
    shown = _shown(sep)
    others = f" ({len(long)} rows have too many fields: {_lines([n for n, _ in long], len(long))})" \
        if len(long) > 1 else ""
    raise LoaderError(
        f"{source.name}: line {line} has {fields} fields but the header has {header} columns{others}. "
        f"Put quotes around values that contain {shown} (\"a{sep} b\"), add the missing column names to the "
        f"header, or set `delimiter:` if the file is not separated by {shown}."
    )


def _warn_short_rows(source: _Source, sep: str, frame: pd.DataFrame) -> None:
    # A short row always leaves the last column empty, so a full last column means no scan at all.
    if len(frame.columns) < 2 or not frame[frame.columns[-1]].isna().any():
        return
    with closing(_records(source, sep)) as records:
        header = len(next(records, (1, []))[1])
        short = [line for line, row in records if len(row) < header]
    if short:
        warnings.warn(
            f"{source.name}: {len(short)} row(s) have fewer fields than the {header} columns of the header "
            f"({_lines(short, len(short))}); their missing cells are empty.",
            DataQualityWarning, stacklevel=2)


def _unterminated_quote(source: _Source, sep: str) -> LoaderError:
    line = _unclosed_quote_line(source, sep)
    where = f"line {line} opens a quoted value" if line is not None else "a quoted value"
    return LoaderError(
        f"{source.name}: {where} that is never closed (an unterminated quote), so the rest of the file would be "
        "one cell. Close the quote, write a quote inside a quoted value twice (\"\"), or remove the stray quote."
    )


def _unclosed_quote_line(source: _Source, sep: str) -> int | None:
    """The physical line where the quote that is never closed opens, streamed line by line with
    pandas' rules: a quote opens a quoted value only at the start of a field, ``""`` inside one
    is a quote, and anywhere else a quote is an ordinary character."""
    quoted, at_start, opened = False, True, None
    with source.text() as text:
        for number, line in enumerate(text, start=1):
            if not quoted and '"' not in line:
                at_start = True
                continue
            i, n = 0, len(line)
            while i < n:
                if quoted:
                    j = line.find('"', i)
                    if j < 0:
                        break
                    if j + 1 < n and line[j + 1] == '"':
                        i = j + 2
                        continue
                    quoted, at_start, i = False, False, j + 1
                elif at_start and line[i] == '"':
                    quoted, at_start, opened, i = True, False, number, i + 1
                else:
                    j = line.find(sep, i)
                    if j < 0:
                        break
                    at_start, i = True, j + 1
            if not quoted:
                at_start = True  # the line's end ends the record
    return opened if quoted else None


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
