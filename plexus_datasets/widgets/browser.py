"""DatasetBrowser: every dataset in one searchable, sortable table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from ..display import browser_html
from ..models import Dataset
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DatasetBrowser"]

COLUMNS = ["name", "scorecard", "score", "current version", "versions", "last profile", "records"]
PAGE = 200


class DatasetBrowser(w.VBox):
    """A table of datasets (name, scorecard, score, current version, number of
    versions, last profile date, record count) with search and sort.

    Choosing a row in the picker sets ``selected`` (a Dataset trait).
    ``to_dataframe()`` returns the rows shown. The data comes from
    ``DatasetService.dataset_summaries()``: a bounded number of requests
    whatever the number of datasets.
    """

    selected = traitlets.Instance(Dataset, allow_none=True)

    def __init__(self, service: DatasetService | None = None, scorecard: str | None = None, **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self.scorecard = scorecard
        self.status = Status()
        self.search = w.Text(description="Search", placeholder="name, scorecard or score")
        self.sort_by = w.Dropdown(description="Sort by", options=COLUMNS, value="name")
        self.descending = w.ToggleButton(description="descending", value=False, icon="sort-amount-desc")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.table = w.HTML()
        self.picker = w.Select(description="Choose", rows=8)
        super().__init__(children=[w.HBox([self.search, self.sort_by, self.descending, self.refresh_button]),
                                   self.table, self.picker, self.status], **kwargs)
        self._rows: list[dict[str, Any]] = []
        self._shown: list[dict[str, Any]] = []
        for control in (self.search, self.sort_by, self.descending):
            control.observe(lambda _c: self._render(), "value")
        self.refresh_button.on_click(lambda _b: run_safely(self.status, self.refresh))
        self.picker.observe(self._on_pick, "value")
        run_safely(self.status, self.refresh)

    def __repr__(self) -> str:
        chosen = self.selected.name if self.selected else "none"
        return f"DatasetBrowser({len(self._shown)} of {len(self._rows)} datasets shown, selected {chosen})"

    def refresh(self) -> None:
        """Re-read every dataset's summary."""
        cards = {c.id: c.name for c in self.service.list_scorecards()}
        scores = {s.id: s.name for s in self.service.list_scores()}
        self._rows = [
            {
                "name": s.dataset.name,
                "scorecard": cards.get(s.dataset.scorecard_id, s.dataset.scorecard_id),
                "score": scores.get(s.dataset.score_id or "", ""),
                "current version": s.current_version.version_number if s.current_version else None,
                "versions": s.version_count,
                "last profile": s.latest_profile.created_at if s.latest_profile else None,
                "records": s.record_count,
                "_dataset": s.dataset,
            }
            for s in self.service.dataset_summaries(scorecard=self.scorecard)
        ]
        self._render()

    def _render(self) -> None:
        needle = (self.search.value or "").casefold()
        rows = [r for r in self._rows
                if not needle or any(needle in str(r[k]).casefold() for k in ("name", "scorecard", "score"))]
        key = self.sort_by.value
        present = [r for r in rows if r[key] is not None]
        absent = [r for r in rows if r[key] is None]
        present.sort(key=lambda r: (r[key].casefold() if isinstance(r[key], str) else r[key]),
                     reverse=self.descending.value)
        self._shown = present + absent
        self.table.value = browser_html(COLUMNS, self._shown, key, self.descending.value, PAGE)
        keep = self.picker.value
        self.picker.options = [(r["name"], r["_dataset"].id) for r in self._shown[:PAGE]]
        ids = [r["_dataset"].id for r in self._shown[:PAGE]]
        self.picker.value = keep if keep in ids else None
        if keep not in ids:
            self.selected = None

    def _on_pick(self, change: dict) -> None:
        self.selected = next((r["_dataset"] for r in self._rows if r["_dataset"].id == change["new"]), None)

    def select(self, name_or_id: str) -> Dataset:
        """Choose a dataset by name or id (as if its row were picked)."""
        dataset = self.service.get_dataset(name_or_id)
        self.search.value = ""
        self.picker.value = dataset.id
        return dataset

    def to_dataframe(self) -> pd.DataFrame:
        """The rows currently shown (after search and sort)."""
        import pandas as pd

        return pd.DataFrame([{c: r[c] for c in COLUMNS} for r in self._shown], columns=COLUMNS)

