"""How records look: plain text, HTML (always escaped) and DataFrames.

Used by the models' ``__repr__``/``_repr_html_``, ``RecordList`` and the widgets,
so a record reads the same everywhere. Pure functions of the records.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .models import Record

__all__ = ["STYLE", "esc", "record_fields", "record_html", "records_frame", "records_html", "short_time"]

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


def short_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ("" if value is None else str(value))


def record_fields(record: Record) -> dict[str, Any]:
    """The few fields that identify a record, in display order."""
    from .models import Dataset, DatasetProfile, DatasetSummary, DatasetVersion

    if isinstance(record, DatasetVersion):
        return {"version": record.label, "created": short_time(record.created_at), "digest": record.digest[:12],
                "note": record.note, "dataset_id": record.dataset_id, "id": record.id}
    if isinstance(record, DatasetProfile):
        counts = record.record_counts if isinstance(record.record_counts, dict) else {}
        answers = (record.answer_distribution or {}).get("columns", {}) if isinstance(
            record.answer_distribution, dict) else {}
        return {"created": short_time(record.created_at), "rows": counts.get("rows"),
                "columns": len(record.column_list), "answer_columns": ", ".join(answers) or None,
                "dataset_version_id": record.dataset_version_id, "id": record.id}
    if isinstance(record, Dataset):
        return {"name": record.name, "description": record.description, "scorecard_id": record.scorecard_id,
                "score_id": record.score_id, "current_version_id": record.current_version_id, "id": record.id}
    if isinstance(record, DatasetSummary):
        return {"name": record.dataset.name,
                "current": record.current_version.label if record.current_version else None,
                "versions": record.version_count,
                "last_profile": short_time(record.latest_profile.created_at) if record.latest_profile else None,
                "records": record.record_count, "id": record.dataset.id}
    data = record.model_dump()
    keys = [k for k in ("name", "key", "order", "type", "external_id") if k in data]
    return {**{k: data[k] for k in keys}, "id": data.get("id")}


def record_html(record: Record) -> str:
    """One record as a small escaped HTML card."""
    from .configs import to_yaml
    from .models import DatasetProfile, DatasetVersion

    fields = record_fields(record)
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in fields.items() if v is not None)
    extra = ""
    if isinstance(record, DatasetVersion):
        extra = f"<pre class='pds-pre'>{esc(to_yaml(record.configuration))}</pre>"
    elif isinstance(record, DatasetProfile):
        answers = (record.answer_distribution or {}).get("columns", {}) if isinstance(
            record.answer_distribution, dict) else {}
        for column, dist in answers.items():
            counts = ", ".join(f"{esc(k)}: {v:,}" for k, v in (dist.get("counts") or {}).items())
            extra += f"<div><b>{esc(column)}</b>: {counts}; null: {dist.get('null', 0):,}</div>"
    title = type(record).__name__
    return f"{STYLE}<div class='pds-card'><b>{esc(title)}</b><table class='pds-table'>{rows}</table>{extra}</div>"


def records_html(records: Sequence[Any], limit: int = 200) -> str:
    """A list of records as one escaped HTML table (at most ``limit`` rows shown)."""
    if not records:
        return f"{STYLE}<div class='pds-muted'>(no records)</div>"
    rows = [record_fields(r) for r in records[:limit]]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows)
    more = f"<div class='pds-muted'>{len(records) - limit:,} more not shown</div>" if len(records) > limit else ""
    return f"{STYLE}<table class='pds-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def records_text(records: Sequence[Any], limit: int = 20) -> str:
    lines = [repr(r) for r in records[:limit]]
    if len(records) > limit:
        lines.append(f"... {len(records) - limit} more")
    return "[" + ",\n ".join(lines) + "]"


def records_frame(records: Iterable[Any]) -> pd.DataFrame:
    """A DataFrame with one row per record: every field, JSON fields as compact JSON text."""
    import pandas as pd

    from .models import DatasetSummary

    rows = []
    for record in records:
        if isinstance(record, DatasetSummary):
            rows.append(record_fields(record))
            continue
        row = record.model_dump()
        for key, value in row.items():
            if isinstance(value, dict | list):
                row[key] = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        rows.append(row)
    return pd.DataFrame(rows)
