"""VersionDiffTable: what changed between two versions of a dataset (and their profiles)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from ..display import comparison_html, diff_html, message_html
from ..models import Dataset
from ..refs import with_version
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default, version_label

__all__ = ["VersionDiffTable"]


class VersionDiffTable(w.VBox):
    """Two version pickers and the differences between them: one row per changed
    configuration path (colored by kind, values as YAML), and, when both versions
    have profiles, how their newest profiles compare.

    ``diff`` (ConfigDiff) and ``comparison`` (ProfileComparison or None) are traits.
    """

    diff = traitlets.Instance("plexus_datasets.diff.ConfigDiff", allow_none=True)
    comparison = traitlets.Instance("plexus_datasets.diff.ProfileComparison", allow_none=True)

    def __init__(self, dataset: Dataset | str, a: Any = None, b: Any = None, service: DatasetService | None = None,
                 **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self.status = Status()
        self.a_dropdown = w.Dropdown(description="A")
        self.b_dropdown = w.Dropdown(description="B")
        self.table = w.HTML()
        self.profiles = w.HTML()
        super().__init__(children=[w.HBox([self.a_dropdown, self.b_dropdown]), self.table, self.profiles,
                                   self.status], **kwargs)
        run_safely(self.status, self._load, dataset, a, b)
        self.a_dropdown.observe(lambda _c: run_safely(self.status, self.refresh), "value")
        self.b_dropdown.observe(lambda _c: run_safely(self.status, self.refresh), "value")
        run_safely(self.status, self.refresh)

    def __repr__(self) -> str:
        changes = "?" if self.diff is None else len(self.diff)
        return f"VersionDiffTable({self.a_dropdown.label} -> {self.b_dropdown.label}: {changes} change(s))"

    def _load(self, dataset: Dataset | str, a: Any, b: Any) -> None:
        self.dataset = self.service.get_dataset(dataset)
        versions = self.service.list_versions(self.dataset)
        self._versions = {v.id: v for v in versions}
        options = [(version_label(v, self.dataset.current_version_id), v.id) for v in versions]
        self.a_dropdown.options = options
        self.b_dropdown.options = options
        if not versions:
            self.status.info("This dataset has no versions yet.")
            return
        # Default: what the latest version changes relative to the current one (or to its predecessor).
        current, latest = self.service.current_version(self.dataset), versions[-1]
        default_a = current if current and current.id != latest.id else versions[max(0, len(versions) - 2)]
        self.a_dropdown.value = self._pick(a, default_a).id
        self.b_dropdown.value = self._pick(b, latest).id

    def _pick(self, choice: Any, default: Any) -> Any:
        if choice is None:
            return default
        if isinstance(choice, int | str) and not (isinstance(choice, str) and choice in self._versions):
            return self.service.resolve(with_version(self.dataset.id, choice))
        return self._versions[choice] if isinstance(choice, str) else choice

    def refresh(self) -> None:
        a, b = self._versions.get(self.a_dropdown.value), self._versions.get(self.b_dropdown.value)
        if a is None or b is None:
            self.diff = None
            self.table.value = self.profiles.value = ""
            return
        self.diff = self.service.diff_versions(a, b)
        self.table.value = diff_html(self.diff, a.label, b.label)
        pa, pb = self.service.latest_profile(a), self.service.latest_profile(b)
        self.comparison = self.service.compare_profiles(pa, pb) if pa and pb else None
        self.profiles.value = comparison_html(self.comparison) if self.comparison else message_html(
            "muted", "Profile comparison appears when both versions have a profile.")
