"""VersionDiffTable: what changed between two versions of a dataset (their configurations,
their profiles, and on request their rows)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from ..display import comparison_html, diff_html, message_html, rowdiff_html
from ..errors import ValidationError
from ..models import Dataset
from ..refs import SNAPSHOT_MARK, parse_ref, with_version
from ..rowdiff import DEFAULT_LIMIT, MAX_LIMIT, RowDiff
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default, version_label

__all__ = ["VersionDiffTable"]


class VersionDiffTable(w.VBox):
    """Two version pickers and the differences between them: one row per changed
    configuration path (colored by kind, values as YAML), and, when both versions
    have profiles, how their newest profiles compare.

    Then a rows section (``svc.diff_rows``): counts first, label flips, then the first
    changed rows with their changed cells, added and removed rows; "Show more" asks
    for twice as many. It is computed when both versions' data are cached here, else
    only when "Compare rows" is pressed (which materializes them). ``key`` (the
    "Key" box) names the column that identifies a row; empty means ``content_id``
    when both have it, else whole-row content.

    ``diff`` (ConfigDiff), ``comparison`` (ProfileComparison or None) and
    ``row_diff`` (RowDiff or None) are traits.

    ``a`` and ``b`` take a version (number, ``vN``, id, DatasetVersion) or a pinned
    reference (``calls:v1@sha256:ab12cd34``): that snapshot joins the pickers as
    ``v1 @ab12cd34``, its profile is the one compared and its rows the ones diffed,
    so two snapshots of one version can be compared.
    """

    diff = traitlets.Instance("plexus_datasets.diff.ConfigDiff", allow_none=True)
    comparison = traitlets.Instance("plexus_datasets.diff.ProfileComparison", allow_none=True)
    row_diff = traitlets.Instance("plexus_datasets.rowdiff.RowDiff", allow_none=True)

    def __init__(self, dataset: Dataset | str, a: Any = None, b: Any = None, service: DatasetService | None = None,
                 *, key: str | None = None, **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self._versions: dict[str, Any] = {}
        self._pinned: dict[str, tuple[Any, str]] = {}
        self.status = Status()
        self.a_dropdown = w.Dropdown(description="A")
        self.b_dropdown = w.Dropdown(description="B")
        self.table = w.HTML()
        self.profiles = w.HTML()
        self.rows_limit = DEFAULT_LIMIT
        self.key_text = w.Text(value=key or "", description="Key", placeholder="content_id, else whole rows")
        self.compare_button = w.Button(description="Compare rows", icon="table",
                                       tooltip="Load both versions' data (building it if needed) and compare rows")
        self.more_button = w.Button(description="Show more", layout=w.Layout(display="none"))
        self.rows = w.HTML()
        self.rows_status = Status()
        self.compare_button.on_click(lambda _b: self.compare_rows())
        self.more_button.on_click(lambda _b: self.show_more_rows())
        rows_box = w.VBox([w.HBox([self.compare_button, self.key_text]), self.rows, self.more_button,
                           self.rows_status])
        super().__init__(children=[w.HBox([self.a_dropdown, self.b_dropdown]), self.table, self.profiles, rows_box,
                                   self.status], **kwargs)
        run_safely(self.status, self._load, dataset, a, b)
        self.a_dropdown.observe(lambda _c: run_safely(self.status, self.refresh), "value")
        self.b_dropdown.observe(lambda _c: run_safely(self.status, self.refresh), "value")
        run_safely(self.status, self.refresh)

    def __repr__(self) -> str:
        changes = "?" if self.diff is None else len(self.diff)
        rows = f"; rows: {self.row_diff.summary}" if self.row_diff is not None else ""
        return f"VersionDiffTable({self.a_dropdown.label} -> {self.b_dropdown.label}: {changes} change(s){rows})"

    def _load(self, dataset: Dataset | str, a: Any, b: Any) -> None:
        self.dataset = self.service.get_dataset(dataset)
        versions = self.service.list_versions(self.dataset)
        self._versions = {v.id: v for v in versions}
        self._pinned = {}  # option value -> (version, digest)
        options = [(version_label(v, self.dataset.current_version_id), v.id) for v in versions]
        self.a_dropdown.options = options
        self.b_dropdown.options = options
        if not versions:
            self.status.info("This dataset has no versions yet.")
            return
        # Default: what the latest version changes relative to the current one (or to its predecessor).
        current, latest = self.service.current_version(self.dataset), versions[-1]
        default_a = current if current and current.id != latest.id else versions[max(0, len(versions) - 2)]
        picked_a, picked_b = self._pick(a, default_a), self._pick(b, latest)
        if self._pinned:
            pinned = [(f"{version.label} @{digest[:8]}", value) for value, (version, digest) in self._pinned.items()]
            self.a_dropdown.options = self.b_dropdown.options = options + pinned
        self.a_dropdown.value, self.b_dropdown.value = picked_a, picked_b

    def _pick(self, choice: Any, default: Any) -> str:
        """The option value for ``choice``: a version id, or ``<version id>@<digest>`` for a pin."""
        if choice is None:
            return default.id
        if isinstance(choice, str) and (":" in choice or "@" in choice):  # a whole reference, maybe pinned
            version = self.service.resolve(choice)
            if version.dataset_id != self.dataset.id:
                raise ValidationError(f"{choice} names another dataset's version, not one of {self.dataset.name!r}.")
            digest = parse_ref(choice).snapshot
            if not digest:
                return version.id
            self._pinned[f"{version.id}@{digest}"] = (version, digest)  # type: ignore[assignment]
            return f"{version.id}@{digest}"
        if isinstance(choice, int | str) and not (isinstance(choice, str) and choice in self._versions):
            return self.service.resolve(with_version(self.dataset.id, choice)).id
        return (self._versions[choice] if isinstance(choice, str) else choice).id

    def _side(self, value: Any) -> tuple[Any, Any]:
        """The version an option names, and the reference its profile and rows are read by
        (the version, or its pinned snapshot's reference)."""
        if value in self._pinned:
            version, digest = self._pinned[value]
            return version, f"{self.dataset.id}:{version.id}{SNAPSHOT_MARK}{digest}"
        version = self._versions.get(value)
        return version, version

    def refresh(self) -> None:
        (a, ref_a), (b, ref_b) = self._side(self.a_dropdown.value), self._side(self.b_dropdown.value)
        if a is None or b is None:
            self.diff = None
            self.table.value = self.profiles.value = ""
            self._clear_rows()
            return
        self.diff = self.service.diff_versions(a, b)
        self.table.value = diff_html(self.diff, self.a_dropdown.label, self.b_dropdown.label)
        pa, pb = self.service.latest_profile(ref_a), self.service.latest_profile(ref_b)  # a pin: its snapshot's
        self.comparison = self.service.compare_profiles(pa, pb) if pa and pb else None
        self.profiles.value = comparison_html(self.comparison) if self.comparison else message_html(
            "muted", "Profile comparison appears when both versions have a profile.")
        self._clear_rows()
        self.compare_rows(materialize=False)  # without asking, only data already here

    # --- rows -----------------------------------------------------------------------------------------

    def compare_rows(self, limit: int | None = None, *, materialize: bool = True) -> RowDiff | None:
        """Compare the two versions' rows (``svc.diff_rows``, first ``limit`` rows of each
        kind) and show them; with ``materialize=False`` only when both are cached here.
        Errors show under the section; returns the RowDiff, or None."""
        self.rows_status.clear()
        return run_safely(self.rows_status, self._compare_rows, self.rows_limit if limit is None else limit,
                          materialize)

    def show_more_rows(self) -> RowDiff | None:
        """Compare again, showing twice as many rows of each kind."""
        return self.compare_rows(min(self.rows_limit * 2, MAX_LIMIT))

    def _compare_rows(self, limit: int, materialize: bool) -> RowDiff | None:
        (a, ref_a), (b, ref_b) = self._side(self.a_dropdown.value), self._side(self.b_dropdown.value)
        if a is None or b is None:
            return None
        found = self.service.diff_rows(ref_a, ref_b, key=self.key_text.value.strip() or None, limit=limit,
                                       materialize=materialize)
        if found is None:
            return None
        self.rows_limit, self.row_diff = limit, found
        self.rows.value = rowdiff_html(found)
        self.more_button.layout.display = None if found.more and limit < MAX_LIMIT else "none"
        return found

    def _clear_rows(self) -> None:
        self.row_diff, self.rows_limit = None, DEFAULT_LIMIT
        self.more_button.layout.display = "none"
        self.rows_status.clear()
        self.rows.value = message_html("muted", "Compare rows to see which rows were added, removed and changed "
                                                "(loads both versions' data).")
