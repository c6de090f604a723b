"""How row diffs look: counts first, then label flips, then the first changed, added and removed rows.

A ``RowDiff`` (from ``rowdiff``) is read by attribute, never imported at run time.
Cells come from the data: every one is shown without control characters, cut to a
width, and escaped in HTML.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any

from ._base import STYLE, TextTable, esc, html_table

if TYPE_CHECKING:
    import pandas as pd

    from ..rowdiff import RowDiff

__all__ = ["rowdiff_html", "rowdiff_parts", "rowdiff_summary", "rowdiff_text"]

#: Longest cell shown: in HTML, and in a terminal line or table.
HTML_CELL = 120
TEXT_CELL = 22
#: Most columns a table of rows shows (the rest are named as "and N more").
MAX_COLUMNS = 12
#: Width of the CLI's lines.
WIDTH = 80


# --- cells ----------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    """None, NaN, NaT and pandas' NA: what a table shows as null."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def cell(value: Any, width: int = TEXT_CELL) -> str:
    """A value as one line of text: null for missing, control characters escaped, at most ``width`` characters."""
    if _missing(value):
        return "null"
    text = value if isinstance(value, str) else str(value)
    if text == "":
        return '""'
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def _cell_html(value: Any) -> str:
    return "<i class='pds-muted'>null</i>" if _missing(value) else esc(cell(value, HTML_CELL))


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


# --- the counts ------------------------------------------------------------------------------------


def rowdiff_summary(diff: RowDiff) -> str:
    """``2,000 added, 1,000 removed, 97,000 changed of 1,000,000 rows (900,000 unchanged; calls:v3 has
    1,001,000), matched by content_id``; by content there is no "changed"."""
    changed = f", {diff.changed:,} changed" if diff.by == "key" else ""
    how = f"matched by {diff.key}" if diff.by == "key" else "compared by whole-row content"
    return (f"{diff.added:,} added, {diff.removed:,} removed{changed} of {diff.rows_a:,} rows ({diff.unchanged:,} "
            f"unchanged; {diff.names[1]} has {diff.rows_b:,}), {how}")


def _flips(diff: RowDiff, arrow: str) -> list[tuple[str, str]]:
    """Per label column: ``(column, "Yes -> No 312, No -> Yes 120")``."""
    out = []
    for column in diff.label_columns:
        moves = [f"{cell(f.before)} {arrow} {cell(f.after)} {f.count:,}" for f in diff.label_flips if f.column == column]
        none = "no flips" if diff.by == "key" else "flips need a key (rows compared whole: an edited row is removed + added)"
        out.append((column, ", ".join(moves) if moves else none))
    return out


def _column_counts(diff: RowDiff, shown: int = 10) -> str | None:
    """``text 97,000, label 432`` (most changed first), or None when no column changed."""
    counts = sorted(((n, c) for c, n in diff.column_changes.items() if n), key=lambda item: -item[0])
    if not counts:
        return None
    text = ", ".join(f"{cell(c)} {n:,}" for n, c in counts[:shown])
    return text + (f" and {len(counts) - shown} more" if len(counts) > shown else "")


def _first(kind: str, shown: int, total: int) -> str:
    return f"First {shown:,} {kind} rows (of {total:,})" if shown < total else f"{kind.capitalize()} rows ({total:,})"


# --- plain text: __str__ ---------------------------------------------------------------------------


def rowdiff_text(diff: RowDiff) -> str:
    """The diff as lines: counts, notes, label flips, changed columns, then the first rows of each kind."""
    lines = _wrap(f"{diff.names[0]} -> {diff.names[1]}: {diff.summary}")
    for note in diff.notes:
        lines += _wrap(note, "  ")
    lines += [line for column, moves in _flips(diff, "->") for line in _wrap(f"{cell(column)}: {moves}", "  ")]
    counts = _column_counts(diff)
    if counts:
        lines += _wrap(f"changed columns: {counts}", "  ")
    groups: dict[Any, list[str]] = {}
    for change in diff.changes.itertuples(index=False):
        groups.setdefault(_key_text(change.key), []).append(
            f"{cell(change.column)} {cell(change.before)} -> {cell(change.after)}")
    if groups:
        lines.append(_first("changed", len(groups), diff.changed) + ":")
        lines += [line for key, moves in groups.items() for line in _wrap(f"{diff.key}={key}: {'; '.join(moves)}", "  ")]
    for kind, frame, total in (("added", diff.added_rows, diff.added), ("removed", diff.removed_rows, diff.removed)):
        if len(frame):
            lines.append(_first(kind, len(frame), total) + ":")
            lines += [line for row in _row_texts(frame, 60) for line in _wrap(row, "  ")]
    return "\n".join(lines)


def _key_text(value: Any) -> str:
    return cell(value, 40)


def _row_texts(frame: pd.DataFrame, width: int) -> list[str]:
    """Each row as ``col=value, col=value``, at most ``width`` characters."""
    names = [str(c) for c in frame.columns]
    return [cell(", ".join(f"{n}={cell(v, 24)}" for n, v in zip(names, row)), width)
            for row in frame.itertuples(index=False, name=None)]


# --- the terminal: versions diff --rows ------------------------------------------------------------


def rowdiff_parts(diff: RowDiff) -> list[str | TextTable]:
    """``versions diff --rows``: the counts and notes as lines wrapped at 80 columns, then tables
    (label flips, changed columns, the first changed cells, added and removed rows)."""
    parts: list[str | TextTable] = ["\n".join(_wrap(f"{diff.names[0]} -> {diff.names[1]}: {diff.summary}."))]
    parts += ["\n".join(_wrap(note, "  ")) for note in diff.notes]
    if diff.label_flips:
        parts.append(TextTable(("column", "before", "after", "rows"), [
            {"column": cell(f.column), "before": cell(f.before), "after": cell(f.after), "rows": f"{f.count:,}"}
            for f in diff.label_flips], "Label flips", right=("rows",)))
    counts = [(c, n) for c, n in diff.column_changes.items() if n]
    if counts:
        counts.sort(key=lambda item: -item[1])
        parts.append(TextTable(("column", "rows changed"), [{"column": cell(c), "rows changed": f"{n:,}"}
                                                            for c, n in counts[:20]], "Changed columns",
                               right=("rows changed",)))
    a, b = diff.names
    shown = len(diff.changed_rows)
    if len(diff.changes):
        key = cell(diff.key, 16) if diff.key not in ("column", "before", "after") else "key"
        parts.append(TextTable((key, "column", "before", "after"), [
            {key: _key_text(c.key), "column": cell(c.column, 16), "before": cell(c.before), "after": cell(c.after)}
            for c in diff.changes.itertuples(index=False)], f"{_first('changed', shown, diff.changed)}: {a} -> {b}"))
    for kind, frame, total in (("added", diff.added_rows, diff.added), ("removed", diff.removed_rows, diff.removed)):
        if len(frame):
            parts.append(TextTable(("row",), [{"row": text} for text in _row_texts(frame, 72)],
                                   _first(kind, len(frame), total)))
    if diff.more:
        parts.append(f"(Showing at most {diff.limit:,} rows of each kind; --limit N shows more.)")
    return parts


# --- HTML: _repr_html_ and the widget -------------------------------------------------------------


def rowdiff_html(diff: RowDiff) -> str:
    """The diff as an HTML card: counts, notes, label flips, changed columns, then the first
    changed rows (changed cells as before → after, highlighted) and the added and removed rows."""
    a, b = diff.names
    parts = [f"<div><b>Rows</b> {esc(a)} → {esc(b)}: {esc(diff.summary)}</div>"]
    parts += [f"<div class='pds-muted'>{esc(note)}</div>" for note in diff.notes]
    parts += [f"<div><b>{esc(column)}</b>: {esc(moves)}</div>" for column, moves in _flips(diff, "→")]
    counts = _column_counts(diff)
    if counts:
        parts.append(f"<div><b>Changed columns</b>: {esc(counts)}</div>")
    if len(diff.changed_rows):
        parts.append(_changed_html(diff))
    for kind, frame, total in (("added", diff.added_rows, diff.added), ("removed", diff.removed_rows, diff.removed)):
        if len(frame):
            parts.append(f"<div><b>{esc(_first(kind, len(frame), total))}</b></div>" + _frame_html(frame, kind))
    return STYLE + "<div class='pds-card'>" + "".join(parts) + "</div>"


def _changed_html(diff: RowDiff) -> str:
    """Changed rows: the key, then each column that changed in any of them; a changed cell
    shows before → after, an unchanged one its value."""
    a, b = diff.names
    changed: dict[Any, set[str]] = {}
    for change in diff.changes.itertuples(index=False):
        changed.setdefault(_hashable(change.key), set()).add(change.column)
    columns = [c for c in diff.columns if any(c in cols for cols in changed.values())]
    shown, hidden = columns[:MAX_COLUMNS], len(columns) - MAX_COLUMNS
    rows, frame = [], diff.changed_rows
    for position, key in enumerate(frame.index):
        cells = [_cell_html(key)]
        for column in shown:
            before, after = frame.iloc[position][(column, a)], frame.iloc[position][(column, b)]
            if column in changed.get(_hashable(key), ()):
                cells.append(f"<span class='pds-removed'>{_cell_html(before)}</span> → "
                             f"<span class='pds-added'>{_cell_html(after)}</span>")
            else:
                cells.append(f"<span class='pds-muted'>{_cell_html(after)}</span>")
        rows.append(cells)
    more = f" ({hidden} more changed columns not shown)" if hidden > 0 else ""
    title = f"<div><b>{esc(_first('changed', len(frame), diff.changed))}</b>{esc(more)}</div>"
    return title + html_table([esc(diff.key)] + [esc(c) for c in shown], rows)


def _hashable(value: Any) -> Any:
    """A key as a dict key: itself, or its text when it can't be hashed (a list or array key)."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _frame_html(frame: pd.DataFrame, kind: str) -> str:
    names = [str(c) for c in frame.columns]
    shown = names[:MAX_COLUMNS]
    head = [esc(n) for n in shown] + ([f"… {len(names) - MAX_COLUMNS} more"] if len(names) > MAX_COLUMNS else [])
    rows = [[_cell_html(v) for v in row[:MAX_COLUMNS]] + ([""] if len(names) > MAX_COLUMNS else [])
            for row in frame.itertuples(index=False, name=None)]
    return html_table(head, rows, [f"pds-{kind}"] * len(rows))
