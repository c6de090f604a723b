"""ProfileView: one profile's numbers, its columns, and its answer distribution."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import traitlets

from ..models import DatasetProfile
from ..service import DatasetService
from ._common import STYLE, Status, esc, plot_text, run_safely, service_or_default, short_time

__all__ = ["ProfileView"]


class ProfileView(w.VBox):
    """One DatasetProfile: summary numbers, a table of columns (dtype, null %,
    distinct) and a Plotly bar chart of the answer distribution.

    ``target`` is a DatasetProfile, or a reference whose newest profile is shown
    (``"calls:v2"``, ``"calls"``). ``profile`` is a trait.
    """

    profile = traitlets.Instance(DatasetProfile, allow_none=True)

    def __init__(self, target: DatasetProfile | str, service: DatasetService | None = None, **kwargs: Any) -> None:
        self.service = service if isinstance(target, DatasetProfile) and service is None else service_or_default(
            service)
        self.status = Status()
        self.summary = w.HTML()
        self.columns_table = w.HTML()
        self.answer_dropdown = w.Dropdown(description="Answers")
        self.figure = go.FigureWidget(layout={"height": 280, "template": "plotly_white", "bargap": 0.3,
                                              "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
                                              "yaxis": {"title": {"text": "records"}}})
        super().__init__(children=[self.summary, self.columns_table, self.answer_dropdown, self.figure, self.status],
                         **kwargs)
        self.answer_dropdown.observe(lambda c: self._draw(c["new"]), "value")
        self.observe(lambda _c: self._show(), "profile")
        run_safely(self.status, self._load, target)

    def __repr__(self) -> str:
        if self.profile is None:
            return "ProfileView(no profile)"
        rows = (self.profile.record_counts or {}).get("rows") if isinstance(self.profile.record_counts, dict) else None
        return f"ProfileView({rows} rows, {len(self.profile.column_list)} columns, {short_time(self.profile.created_at)})"

    def _load(self, target: DatasetProfile | str) -> None:
        if isinstance(target, DatasetProfile):
            self.profile = target
            return
        found = self.service.latest_profile(target)
        if found is None:
            self.status.info(f"No profile of {target} yet: record one with svc.profile({target!r}).")
        self.profile = found

    def _show(self) -> None:
        profile = self.profile
        if profile is None:
            self.summary.value = self.columns_table.value = ""
            self.answer_dropdown.options = []
            self.figure.data = []
            return
        counts = profile.record_counts if isinstance(profile.record_counts, dict) else {}
        rows = counts.get("rows")
        stats = counts.get("columns") or {}
        facts = [("records", rows), ("duplicate rows", counts.get("duplicate_rows")),
                 ("columns", len(profile.column_list)), ("profiled", short_time(profile.created_at))]
        self.summary.value = STYLE + "<div class='pds-card'>" + " &nbsp; ".join(
            f"<b>{esc(v if not isinstance(v, int) else f'{v:,}')}</b> {esc(k)}" for k, v in facts if v is not None
        ) + "</div>"
        body = ""
        for column in profile.column_list:
            info = stats.get(column) or {}
            null_pct = f"{100 * info['null'] / rows:.1f}%" if rows and "null" in info else ""
            distinct = f"{info['distinct']:,}" if "distinct" in info else ""
            body += (f"<tr><td>{esc(column)}</td><td>{esc(info.get('dtype'))}</td><td>{esc(info.get('kind'))}</td>"
                     f"<td>{null_pct}</td><td>{distinct}</td></tr>")
        self.columns_table.value = (f"{STYLE}<table class='pds-table'><thead><tr><th>column</th><th>dtype</th>"
                                    f"<th>kind</th><th>null %</th><th>distinct</th></tr></thead>"
                                    f"<tbody>{body}</tbody></table>")
        answers = list((profile.answer_distribution or {}).get("columns", {})) if isinstance(
            profile.answer_distribution, dict) else []
        self.answer_dropdown.options = answers
        self.answer_dropdown.layout.display = None if len(answers) > 1 else "none"
        self._draw(answers[0] if answers else None)

    def _draw(self, column: str | None) -> None:
        with self.figure.batch_update():
            self.figure.data = []
            if column is None or self.profile is None:
                self.figure.layout.title = {"text": "No answer column in this profile"}
                return
            dist = self.profile.answer_distribution["columns"].get(column) or {}
            counts = dict(dist.get("counts") or {})
            if dist.get("other"):
                counts["(other)"] = dist["other"]
            if dist.get("null"):
                counts["(null)"] = dist["null"]
            total = sum(counts.values()) or 1
            labels = [plot_text(k) for k in counts]
            self.figure.add_bar(x=labels, y=list(counts.values()), text=[f"{100 * v / total:.1f}%" for v in
                                                                         counts.values()],
                                textposition="auto", hovertemplate="%{x}: %{y:,} (%{text})<extra></extra>")
            self.figure.layout.title = {"text": f"Answers: {plot_text(column)}"}
