"""Every rendering in one place: how records, comparisons, profiles and reports look.

- HTML for notebooks (model ``_repr_html_``, widgets, magics): always escaped;
- plain text for reprs and the CLI's lines;
- ``TextTable`` rows that the CLI prints as tables, JSON or CSV;
- row diffs (``rowdiff_*``): counts, label flips, the first changed/added/removed rows.

Pure functions of what they are given. This package imports ``formats``
and ``facts`` only (``models``, ``configs``, ``diff`` and the
service just for type checking), so the models can use it for their reprs.
"""

from __future__ import annotations

from ._base import (
    STYLE,
    TextTable,
    cell_text,
    esc,
    html_table,
    message_html,
    plot_text,
    problems_html,
    short_time,
)
from ._compare import (
    comparison_html,
    comparison_notes,
    comparison_parts,
    comparison_text,
    diff_html,
    diff_table,
    diff_text,
)
from ._evaluation import evaluation_parts
from ._profiles import (
    answer_bars,
    history_table,
    profile_columns_html,
    profile_lines,
    profile_summary_html,
    subject_text,
)
from ._records import (
    browser_html,
    dataset_text,
    import_table,
    record_fields,
    record_html,
    record_text,
    records_frame,
    records_html,
    records_text,
    scorecards_table,
    scores_table,
    summaries_table,
    version_table_html,
    versions_table,
)
from ._rows import rowdiff_html, rowdiff_parts, rowdiff_summary, rowdiff_text

__all__ = [
    "STYLE",
    "TextTable",
    "answer_bars",
    "browser_html",
    "cell_text",
    "comparison_html",
    "comparison_notes",
    "comparison_parts",
    "comparison_text",
    "dataset_text",
    "diff_html",
    "diff_table",
    "diff_text",
    "esc",
    "evaluation_parts",
    "history_table",
    "html_table",
    "import_table",
    "message_html",
    "plot_text",
    "problems_html",
    "profile_columns_html",
    "profile_lines",
    "profile_summary_html",
    "record_fields",
    "record_html",
    "record_text",
    "records_frame",
    "records_html",
    "records_text",
    "rowdiff_html",
    "rowdiff_parts",
    "rowdiff_summary",
    "rowdiff_text",
    "scorecards_table",
    "scores_table",
    "short_time",
    "subject_text",
    "summaries_table",
    "version_table_html",
    "versions_table",
]
