"""How profiles look: ProfileView's summary and column table, the CLI's profile lines
and history table. Every number comes from ``facts.ProfileFacts``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..facts import ProfileFacts
from ..formats import short_time
from ._base import STYLE, TextTable, esc, html_table

__all__ = ["answer_bars", "history_table", "profile_columns_html", "profile_lines", "profile_summary_html"]

HISTORY_COLUMNS = ("created", "version", "rows", "columns")


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def profile_summary_html(facts: ProfileFacts, created_at: datetime | None) -> str:
    """One line of headline numbers: records, duplicate rows, columns, when profiled."""
    shown = [("records", facts.rows), ("duplicate rows", facts.duplicate_rows), ("columns", len(facts.columns)),
             ("profiled", short_time(created_at))]
    return STYLE + "<div class='pds-card'>" + " &nbsp; ".join(
        f"<b>{esc(f'{v:,}' if isinstance(v, int) else v)}</b> {esc(k)}" for k, v in shown if v is not None
    ) + "</div>"


def profile_columns_html(facts: ProfileFacts) -> str:
    """One row per column: dtype, kind, null % and distinct values."""
    rows = []
    for name in facts.columns:
        column = facts.column(name)
        null_pct = "" if column.null_rate is None else f"{100 * column.null_rate:.1f}%"
        distinct = "" if column.distinct is None else f"{column.distinct:,}"
        rows.append([esc(name), esc(column.dtype), esc(column.kind), null_pct, distinct])
    return STYLE + html_table(["column", "dtype", "kind", "null %", "distinct"], rows)


def answer_bars(facts: ProfileFacts, column: str) -> dict[str, int]:
    """The bars of an answer chart: each value's count, then ``(other)`` and ``(null)`` when non-zero."""
    answers = facts.answer(column)
    return {**answers.tally(), **({"(null)": answers.null} if answers.null else {})}


def profile_lines(title: str, facts: ProfileFacts) -> list[str]:
    """``profiles record``: ``TITLE: N rows, M columns``, then each answer column's counts."""
    lines = [f"{title}: {_count(facts.rows)} rows, {len(facts.columns)} columns"]
    for column, answers in facts.answers.items():
        counts = ", ".join(f"{k} {v:,}" for k, v in answers.counts.items())
        lines.append(f"  {column}: {counts}; null {answers.null:,}")
    return lines


def _history_row(created: Any, version: str | None, facts: ProfileFacts) -> dict[str, Any]:
    row = {"created": created, "version": version, "rows": facts.rows, "columns": len(facts.columns)}
    for column in facts.answer_columns:
        for value, share in facts.shares(column).items():
            row[f"{column}={value} %"] = round(100 * share, 2)
    return row


def history_table(dataset_name: str, profiles: Iterable[Any], labels: Mapping[str, str]) -> TextTable:
    """``profiles history``: one row per profile (ISO time, version label, rows, columns)
    with each answer value's share in percent; ``labels`` maps version ids to labels."""
    rows = [_history_row(p.created_at.isoformat(), labels.get(p.dataset_version_id), ProfileFacts.of(p))
            for p in profiles]
    columns = tuple(dict.fromkeys(k for r in rows for k in r)) or HISTORY_COLUMNS
    return TextTable(columns, rows, f"Profiles of {dataset_name}")
