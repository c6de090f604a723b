"""How records look: plain text, escaped HTML, DataFrames and terminal tables.

Used by the models' ``__repr__``/``_repr_html_``, ``RecordList``, the widgets
and the CLI, so a record reads the same everywhere. Records are recognised by
their model name (``__model_name__``, else the class name), never by importing
``models``: models import this module for their reprs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..facts import ProfileFacts
from ..formats import short_time, to_yaml
from ._base import STYLE, TextTable, esc, html_table
from ._profiles import subject_text

if TYPE_CHECKING:
    import pandas as pd

    from ..models import Dataset, DatasetProfile, DatasetSummary, DatasetVersion, Record, Score, Scorecard

__all__ = [
    "browser_html",
    "dataset_text",
    "import_table",
    "record_fields",
    "record_html",
    "record_text",
    "records_frame",
    "records_html",
    "records_text",
    "scorecards_table",
    "scores_table",
    "skipped_text",
    "summaries_table",
    "version_table_html",
    "versions_table",
]


def _kind(record: Any) -> str:
    return getattr(type(record), "__model_name__", type(record).__name__)


# --- the identifying fields of each kind of record ---------------------------------------------


def _iso(value: Any) -> str:
    return value.isoformat()


def _version_fields(v: DatasetVersion, when: Callable[[Any], str] = short_time) -> dict[str, Any]:
    return {"version": v.label, "created": when(v.created_at), "digest": v.digest[:12], "note": v.note,
            "dataset_id": v.dataset_id, "id": v.id}


def _profile_fields(p: DatasetProfile) -> dict[str, Any]:
    """A profile's fields; ``sample`` (``sample 10/50 seed 7``) only for a profile that is not of
    the full version, so listings of full profiles read as they always have."""
    facts = ProfileFacts.of(p)
    sample = {} if facts.is_full else {"sample": subject_text(facts.subject, short=True)}
    return {"created": short_time(p.created_at), **sample, "rows": facts.rows, "columns": len(facts.columns),
            "answer_columns": ", ".join(facts.answer_columns) or None,
            "dataset_version_id": p.dataset_version_id, "id": p.id}


def _dataset_fields(d: Dataset) -> dict[str, Any]:
    return {"name": d.name, "description": d.description, "scorecard_id": d.scorecard_id, "score_id": d.score_id,
            "current_version_id": d.current_version_id, "id": d.id}


def _summary_fields(s: DatasetSummary, when: Callable[[Any], str] = short_time) -> dict[str, Any]:
    """A summary's fields: ``records`` and ``last_profile`` are of the current version's newest
    full profile; ``samples_only`` appears (True) only when that version has only sample profiles."""
    samples_only = {"samples_only": True} if s.sample_profiles_only else {}
    return {"name": s.dataset.name, "current": s.current_version.label if s.current_version else None,
            "versions": s.version_count,
            "last_profile": when(s.latest_profile.created_at) if s.latest_profile else None,
            "records": s.record_count, **samples_only, "id": s.dataset.id}


def _other_fields(record: Record) -> dict[str, Any]:
    data = record.model_dump()
    keys = [k for k in ("name", "key", "order", "type", "external_id") if k in data]
    return {**{k: data[k] for k in keys}, "id": data.get("id")}


_FIELDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "DatasetVersion": _version_fields, "DatasetProfile": _profile_fields, "Dataset": _dataset_fields,
    "DatasetSummary": _summary_fields,
}


def record_fields(record: Any) -> dict[str, Any]:
    """The few fields that identify a record, in display order."""
    return _FIELDS.get(_kind(record), _other_fields)(record)


def record_text(record: Any) -> str:
    """``Kind(field=value, ...)`` with the identifying fields that have a value."""
    shown = ", ".join(f"{k}={v!r}" for k, v in record_fields(record).items() if v is not None)
    return f"{type(record).__name__}({shown})"


# --- HTML ----------------------------------------------------------------------------------------


def _extra_html(record: Any) -> str:
    """What a card shows below the fields: a version's YAML, a profile's answer counts."""
    if _kind(record) == "DatasetVersion":
        return f"<pre class='pds-pre'>{esc(_yaml_text(record))}</pre>"
    if _kind(record) != "DatasetProfile":
        return ""
    lines = ""
    for column, answers in ProfileFacts.of(record).answers.items():
        counts = ", ".join(f"{esc(k)}: {v:,}" for k, v in answers.counts.items())
        lines += f"<div><b>{esc(column)}</b>: {counts}; null: {answers.null:,}</div>"
    return lines


def record_html(record: Any) -> str:
    """One record as a small escaped HTML card."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>"
                   for k, v in record_fields(record).items() if v is not None)
    title = type(record).__name__
    return (f"{STYLE}<div class='pds-card'><b>{esc(title)}</b><table class='pds-table'>{rows}</table>"
            f"{_extra_html(record)}</div>")


def _more_html(total: int, limit: int, hint: str) -> str:
    return f"<div class='pds-muted'>{total - limit:,} more {hint}</div>" if total > limit else ""


def skipped_text(records: Any) -> str:
    """"N corrupt record(s) skipped ..." for a RecordList that skipped some, else ""."""
    skipped = getattr(records, "skipped", 0)
    return f"{skipped} corrupt record(s) skipped; see the warnings." if skipped else ""


def records_html(records: Sequence[Any], limit: int = 200) -> str:
    """A list of records as one escaped HTML table (at most ``limit`` rows shown)."""
    skipped = skipped_text(records)
    note = f"<div class='pds-error'>{esc(skipped)}</div>" if skipped else ""
    if not records:
        return f"{STYLE}<div class='pds-muted'>(no records)</div>{note}"
    rows = [record_fields(r) for r in records[:limit]]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    body = [[esc(row.get(c)) for c in columns] for row in rows]
    return (f"{STYLE}{html_table([esc(c) for c in columns], body)}{_more_html(len(records), limit, 'not shown')}"
            f"{note}")


def records_text(records: Sequence[Any], limit: int = 20) -> str:
    """A list of records as their reprs, one a line (at most ``limit``)."""
    lines = [repr(r) for r in records[:limit]]
    if len(records) > limit:
        lines.append(f"... {len(records) - limit} more")
    if skipped_text(records):
        lines.append(f"... {skipped_text(records)}")
    return "[" + ",\n ".join(lines) + "]"


def records_frame(records: Iterable[Any]) -> pd.DataFrame:
    """A DataFrame with one row per record: every field, JSON fields as compact JSON text
    (a DatasetSummary gives its identifying fields)."""
    import pandas as pd

    rows = []
    for record in records:
        if _kind(record) == "DatasetSummary":
            rows.append(record_fields(record))
            continue
        row = record.model_dump()
        for key, value in row.items():
            if isinstance(value, dict | list):
                row[key] = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        rows.append(row)
    return pd.DataFrame(rows)


def _html_cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return esc(short_time(value))
    return esc(f"{value:,}" if isinstance(value, int) else value)


def browser_html(columns: Sequence[str], rows: Sequence[dict[str, Any]], sort_key: str, descending: bool,
                 limit: int) -> str:
    """DatasetBrowser's table: ``rows`` (already searched and sorted) under a header that
    marks the sort column; at most ``limit`` rows, then a hint to search."""
    arrow = " ▾" if descending else " ▴"
    head = [esc(c) + (arrow if c == sort_key else "") for c in columns]
    table = html_table(head, [[_html_cell(r[c]) for c in columns] for r in rows[:limit]])
    more = _more_html(len(rows), limit, "rows: search to narrow.")
    empty = "<div class='pds-muted'>No datasets match.</div>" if not rows else ""
    return f"{STYLE}{table}{more}{empty}"


def version_table_html(dataset_name: str, versions: Sequence[DatasetVersion], current_id: str | None) -> str:
    """VersionManager's table: one row per version, the current one marked."""
    rows = [[esc(v.label), esc(short_time(v.created_at)), f"<code>{esc(v.digest[:10])}</code>",
             "● current" if v.id == current_id else "", esc(v.note)] for v in versions]
    classes = ["pds-current" if v.id == current_id else "" for v in versions]
    return (f"{STYLE}<b>{esc(dataset_name)}</b>"
            + html_table(["version", "created", "digest", "", "note"], rows, classes))


# --- terminal ------------------------------------------------------------------------------------


def scorecards_table(cards: Iterable[Scorecard]) -> TextTable:
    rows = [{"name": c.name, "key": c.key, "externalId": c.external_id, "id": c.id} for c in cards]
    return TextTable(("name", "key", "externalId", "id"), rows, "Scorecards")


def scores_table(scores: Iterable[Score]) -> TextTable:
    rows = [{"name": s.name, "key": s.key, "externalId": s.external_id, "type": s.type, "id": s.id} for s in scores]
    return TextTable(("name", "key", "externalId", "type", "id"), rows, "Scores")


def _records_cell(s: DatasetSummary) -> str | None:
    """``5,572 (v1)``: the rows and the version they describe; ``(v1 samples only)``."""
    if s.record_count is not None:
        version = s.profile_version
        return f"{s.record_count:,} ({version.label})" if version else f"{s.record_count:,}"
    if s.sample_profiles_only and s.current_version is not None:
        return f"({s.current_version.label} samples only)"
    return None


def summaries_table(summaries: Iterable[DatasetSummary]) -> TextTable:
    """Datasets with their current version, number of versions, and the current version's
    newest full profile (ISO time) and rows. JSON and CSV get the rows as a number; the
    terminal shows the version they describe with them (``5,572 (v1)``), or
    ``(v1 samples only)`` when that version has only sample profiles."""
    columns = ("name", "current", "versions", "last_profile", "records", "id")
    listed = list(summaries)
    rows = [{c: _summary_fields(s, _iso)[c] for c in columns} for s in listed]
    shown = [{**row, "records": _records_cell(s)} for row, s in zip(rows, listed, strict=True)]
    return TextTable(columns, rows, "Datasets", right=("records",), text_rows=shown)


def versions_table(dataset_name: str, versions: Iterable[DatasetVersion], current_id: str | None) -> TextTable:
    columns = ("version", "current", "created", "digest", "note", "id")
    rows = [{"current": "●" if v.id == current_id else "", **_version_fields(v, _iso)} for v in versions]
    return TextTable(columns, [{c: row[c] for c in columns} for row in rows], f"Versions of {dataset_name}")


def dataset_text(dataset: Dataset, current: DatasetVersion | None, version_count: int,
                 version: DatasetVersion | None) -> str:
    """``datasets show``: the dataset, its current version and count, then ``version`` with its YAML."""
    lines = [f"{dataset.name}  (id {dataset.id})"]
    if dataset.description:
        lines.append(f"  {dataset.description}")
    lines.append(f"  current: {current.label if current else 'none'}; versions: {version_count}")
    if version:
        note = f" - {version.note}" if version.note else ""
        lines.append(f"\n{version.label} ({short_time(version.created_at)}, digest {version.digest[:12]}){note}")
        lines.append(_yaml_text(version).rstrip())
    return "\n".join(lines)


def _yaml_text(version: Any) -> str:
    """A version's configuration as YAML: the text it was written as (comments kept) when it has
    one, with control characters other than newlines and tabs shown as ``?`` (a stored text is
    someone else's and must not drive a terminal); else its configuration dumped."""
    text = getattr(version, "text", None)
    if not isinstance(text, str):
        return to_yaml(version.configuration)
    return "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)


def import_table(results: Iterable[Any]) -> TextTable:
    """``import``: per score, what happened (created, unchanged, no-data...) and the version made."""
    rows = [{"score": r.score.name, "action": r.action, "dataset": r.dataset.name if r.dataset else None,
             "version": r.version.label if r.version else None} for r in results]
    return TextTable(("score", "action", "dataset", "version"), rows, "Imported")
