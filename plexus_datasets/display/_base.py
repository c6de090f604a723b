"""The shared pieces of every rendering: the HTML style sheet, escaping, cells, tables.

HTML helpers take cells that are already HTML: every caller escapes user text
with ``esc`` first, so a table can hold markup of our own (``<code>``, a band's
class) next to escaped names. ``TextTable`` is the terminal's equivalent: a
title, column names and rows of plain values, which the CLI prints (or dumps as
JSON or CSV) without knowing what they are.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..formats import short_time

__all__ = ["STYLE", "TextTable", "cell_text", "esc", "html_table", "message_html", "plot_text", "problems_html",
           "short_time"]

#: Styles shared by every HTML view; theme-aware through Jupyter's CSS variables.
STYLE = """<style>
.pds-table{border-collapse:collapse;font-size:12px;margin:4px 0}
.pds-table th,.pds-table td{border-bottom:1px solid var(--jp-border-color2,#ddd);padding:3px 8px;
text-align:left;vertical-align:top}
.pds-table th{font-weight:600}
.pds-added{background:rgba(46,160,67,.15)}.pds-removed{background:rgba(248,81,73,.15)}
.pds-changed{background:rgba(210,153,34,.18)}
.pds-current{font-weight:600}
.pds-muted{color:var(--jp-ui-font-color2,#777)}
.pds-error{color:var(--jp-error-color1,#c62828)}.pds-ok{color:var(--jp-success-color1,#2e7d32)}
.pds-card{border:1px solid var(--jp-border-color2,#ddd);border-radius:4px;padding:6px 10px;margin:4px 0}
.pds-band-NO{color:var(--jp-success-color1,#2e7d32)}.pds-band-POSSIBLE{color:var(--jp-warn-color1,#b26a00)}
.pds-band-DRIFT{color:var(--jp-error-color1,#c62828);font-weight:600}
pre.pds-pre{margin:0;white-space:pre-wrap;font-size:11px}
</style>"""


def esc(value: Any) -> str:
    """HTML-escaped text of any value (None is empty)."""
    return "" if value is None else html.escape(str(value), quote=True)


def plot_text(value: Any) -> str:
    """User text for Plotly labels and hovers: escaped, since Plotly renders a little HTML.

    ``%`` becomes ``&#37;`` (which Plotly shows as ``%``), so a label such as
    ``%{y}`` put into a ``hovertemplate`` is shown as written, never substituted.
    """
    return html.escape(str(value), quote=False).replace("%", "&#37;")


def cell_text(value: Any) -> str:
    """A terminal table cell: the value as text, None as empty."""
    return "" if value is None else str(value)


def html_table(head: Sequence[str], rows: Iterable[Sequence[str]], classes: Sequence[str] = ()) -> str:
    """A ``pds-table`` from header and body cells that are already HTML.

    ``classes[i]`` is body row i's CSS class (none when missing or empty).
    """
    header = "".join(f"<th>{cell}</th>" for cell in head)
    body = "".join(
        (f"<tr class='{classes[i]}'>" if i < len(classes) and classes[i] else "<tr>")
        + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table class='pds-table'><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def message_html(kind: str, text: Any, title: str | None = None) -> str:
    """One escaped line in the ``pds-ok``/``pds-muted``/``pds-error`` style, with an optional bold title."""
    lead = f"<b>{esc(title)}</b>: " if title else ""
    return f"{STYLE}<span class='pds-{kind}'>{lead}{esc(text)}</span>"


def problems_html(problems: Sequence[str]) -> str:
    """A list of problems in the error style (empty when there are none)."""
    if not problems:
        return ""
    return STYLE + "<ul class='pds-error'>" + "".join(f"<li>{esc(p)}</li>" for p in problems) + "</ul>"


@dataclass(frozen=True)
class TextTable:
    """A table for the terminal: ``rows`` map column names to plain values.

    ``right`` names right-aligned columns; ``empty`` is what to print instead of
    a table without rows. ``text_rows``, when given, are what the terminal shows
    instead of ``rows`` (same length, same columns; e.g. ``5,572 (v1)`` where
    ``rows``, which JSON and CSV get, keep ``5572``).
    """

    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    title: str | None = None
    right: tuple[str, ...] = ()
    empty: str | None = None
    text_rows: list[dict[str, Any]] | None = None

    @property
    def empty_text(self) -> str:
        return self.empty or f"(no {self.title.lower() if self.title else 'rows'})"

    def cells(self) -> list[list[str]]:
        """Every row's cells as text, in column order."""
        shown = self.text_rows if self.text_rows is not None else self.rows
        return [[cell_text(row.get(c)) for c in self.columns] for row in shown]
