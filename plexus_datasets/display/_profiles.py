"""How profiles look: ProfileView's summary and column table, the CLI's profile lines
and history table, and what a profile's rows describe (``subject_text``). Every
number comes from ``facts.ProfileFacts``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..facts import ProfileFacts, SubjectFacts
from ..formats import short_time
from ._base import STYLE, TextTable, esc, html_table

__all__ = ["answer_bars", "history_table", "profile_columns_html", "profile_lines", "profile_summary_html",
           "subject_text"]

HISTORY_COLUMNS = ("created", "version", "subject", "snapshot", "rows", "columns")


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def subject_text(subject: SubjectFacts, *, short: bool = False) -> str:
    """What a profile's rows are, in words.

    Short (tables): ``full``, ``sample 100/5,572 seed 7``, ``not profiled``, ``unknown``. Long
    (sentences): ``full version``, ``sample of 100 of 5,572 rows (seed 7, for an
    evaluation)``, ``rows of an unknown subject (not the full version)``.
    """
    if subject.kind == "full":
        if short:
            return "full"
        snapshot = f" (snapshot {subject.snapshot_sha256[:12]})" if subject.snapshot_sha256 else ""
        return f"full version{snapshot}"
    if subject.kind == "unprofiled":
        rows = f" of {_count(subject.rows)} rows" if subject.rows is not None else ""
        return "not profiled" if short else f"a data file{rows} nobody has profiled yet"
    if subject.kind != "sample":
        return "unknown" if short else "rows of an unknown subject (not the full version)"
    if short:
        seed = f" seed {subject.seed}" if subject.seed is not None else ""
        return f"sample {_count(subject.rows)}/{_count(subject.population)}{seed}"
    details = [f"seed {subject.seed}"] if subject.seed is not None else []
    if subject.purpose == "evaluation":
        details.append("for an evaluation")
    extra = f" ({', '.join(details)})" if details else ""
    return f"sample of {_count(subject.rows)} of {_count(subject.population)} rows{extra}"


def profile_summary_html(facts: ProfileFacts, created_at: datetime | None, version: str | None = None) -> str:
    """Headline numbers (records, duplicate rows, columns, when profiled), then what the
    rows are: the full version (``version``, a label, when given) or a sample of it."""
    shown = [("records", facts.rows), ("duplicate rows", facts.duplicate_rows), ("columns", len(facts.columns)),
             ("profiled", short_time(created_at))]
    of = f" of {version}" if version else ""
    if facts.is_full:
        snapshot = facts.subject.snapshot_sha256
        describes = f"Full profile{of or ' (the whole version)'}" + (f", snapshot {snapshot[:12]}" if snapshot else "")
        kind = "pds-muted"
    elif facts.subject.is_sample:
        describes = f"Sample profile{of}: {subject_text(facts.subject)}, not the whole version"
        kind = "pds-band-POSSIBLE"
    else:
        describes = f"Profile{of} of {subject_text(facts.subject)}"
        kind = "pds-band-POSSIBLE"
    return STYLE + "<div class='pds-card'>" + " &nbsp; ".join(
        f"<b>{esc(f'{v:,}' if isinstance(v, int) else v)}</b> {esc(k)}" for k, v in shown if v not in (None, "")
    ) + f"<div class='{kind}'>{esc(describes)}</div></div>"


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
    """``profiles record``: ``TITLE: N rows, M columns`` (and what the rows are, unless the
    full version), then each answer column's counts."""
    subject = "" if facts.is_full else f"; {subject_text(facts.subject)}"
    lines = [f"{title}: {_count(facts.rows)} rows, {len(facts.columns)} columns{subject}"]
    if facts.subject.snapshot_sha256:
        lines.append(f"  snapshot: sha256:{facts.subject.snapshot_sha256[:12]}"
                     + (f", built {facts.subject.built_at}" if facts.subject.built_at else ""))
    for column, answers in facts.answers.items():
        counts = ", ".join(f"{k} {v:,}" for k, v in answers.counts.items())
        lines.append(f"  {column}: {counts}; null {answers.null:,}")
    return lines


def _history_row(created: Any, version: str | None, facts: ProfileFacts) -> dict[str, Any]:
    row = {"created": created, "version": version, "subject": subject_text(facts.subject, short=True),
           "snapshot": facts.subject.snapshot_sha256[:12] if facts.subject.snapshot_sha256 else None,
           "rows": facts.rows, "columns": len(facts.columns)}
    for column in facts.answer_columns:
        for value, share in facts.shares(column).items():
            row[f"{column}={value} %"] = round(100 * share, 2)
    return row


def history_table(dataset_name: str, profiles: Iterable[Any], labels: Mapping[str, str]) -> TextTable:
    """``profiles history``: one row per profile (ISO time, version label, what the rows are,
    the snapshot they are or were drawn from (12 digits of its sha256), rows, columns) with each
    answer value's share in percent; ``labels`` maps version ids
    to labels. ``subject`` is ``full`` or e.g. ``sample 100/5,572 seed 7``."""
    rows = [_history_row(p.created_at.isoformat(), labels.get(p.dataset_version_id), ProfileFacts.of(p))
            for p in profiles]
    columns = tuple(dict.fromkeys(k for r in rows for k in r)) or HISTORY_COLUMNS
    return TextTable(columns, rows, f"Profiles of {dataset_name}")
