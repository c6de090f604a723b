"""DatasetSelector: cascading dropdowns from scorecard to dataset version."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from ..errors import PlexusDatasetsError
from ..models import Dataset, DatasetVersion
from ..refs import SNAPSHOT_MARK, parse_ref, with_version
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default, version_label

__all__ = ["DatasetSelector"]

ALL_SCORES = "__all__"
MAX_OPTIONS = 500


class DatasetSelector(w.VBox):
    """Pick a dataset version: scorecard, then score (or all), then dataset (with a
    text filter), then version (current, latest, or a number with its date).

    ``value`` is the chosen DatasetVersion (or None) and ``dataset`` its Dataset;
    both are traits, so ``selector.observe(fn, "value")`` reacts to choices.
    ``DatasetSelector(ref="calls:3")`` preselects; a pinned reference
    (``calls:v3@sha256:ab12cd34``) keeps its pin in ``ref`` and ``snapshot`` until
    another version is picked. Options come from one index
    lookup per scorecard, so thousands of datasets stay responsive; the dataset
    list shows the first 500 matches of the filter.
    """

    value = traitlets.Instance(DatasetVersion, allow_none=True)
    dataset = traitlets.Instance(Dataset, allow_none=True)

    def __init__(self, service: DatasetService | None = None, ref: str | None = None, **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self.scorecard_dropdown = w.Dropdown(description="Scorecard")
        self.score_dropdown = w.Dropdown(description="Score")
        self.filter_text = w.Text(description="Filter", placeholder="part of a dataset name")
        self.dataset_dropdown = w.Dropdown(description="Dataset")
        self.version_dropdown = w.Dropdown(description="Version")
        self.status = Status()
        self._datasets: list[Dataset] = []
        self._versions: dict[str, DatasetVersion] = {}
        self._pin: tuple[str, str] | None = None  # (version id, digest) of a pinned reference
        super().__init__(children=[self.scorecard_dropdown, self.score_dropdown, self.filter_text,
                                   self.dataset_dropdown, self.version_dropdown, self.status], **kwargs)
        self.scorecard_dropdown.observe(self._on_scorecard, "value")
        self.score_dropdown.observe(self._on_filter, "value")
        self.filter_text.observe(self._on_filter, "value")
        self.dataset_dropdown.observe(self._on_dataset, "value")
        self.version_dropdown.observe(self._on_version, "value")
        run_safely(self.status, self._load_scorecards)
        if ref:
            run_safely(self.status, self.select, ref)

    def __repr__(self) -> str:
        return f"DatasetSelector({self.ref or 'nothing selected'})"

    @property
    def ref(self) -> str | None:
        """The choice as a reference (``NAME:vN``, with ``@sha256:DIGEST`` while a pin
        holds), or None."""
        if not self.value or not self.dataset:
            return None
        pinned = f"{SNAPSHOT_MARK}{self.snapshot}" if self.snapshot else ""
        return with_version(self.dataset.name, self.value.label) + pinned

    @property
    def snapshot(self) -> str | None:
        """The digest a pinned reference named, while its version is the one chosen."""
        return self._pin[1] if self._pin and self.value is not None and self.value.id == self._pin[0] else None

    # --- loading options ----------------------------------------------------------------

    def _load_scorecards(self) -> None:
        cards = self.service.list_scorecards()
        keep = self.scorecard_dropdown.value
        self.scorecard_dropdown.options = [(c.name, c.id) for c in cards]
        ids = [c.id for c in cards]
        self.scorecard_dropdown.value = keep if keep in ids else (ids[0] if ids else None)
        if self.scorecard_dropdown.value == keep and keep is not None:
            self._load_scorecard(keep)
        if not cards:
            self.status.info("No scorecards yet: create one, or seed the demo with plexus-datasets demo.")

    def _on_scorecard(self, change: dict) -> None:
        run_safely(self.status, self._load_scorecard, change["new"])

    def _load_scorecard(self, scorecard_id: str | None) -> None:
        if scorecard_id is None:
            self._datasets = []
            self.score_dropdown.options = []
        else:
            self._datasets = self.service.list_datasets(scorecard=scorecard_id)
            scores = self.service.list_scores(scorecard_id)
            self.score_dropdown.options = [("(all scores)", ALL_SCORES)] + [(s.name, s.id) for s in scores]
            self.score_dropdown.value = ALL_SCORES
        self._refresh_datasets()

    def _on_filter(self, _change: dict) -> None:
        self._refresh_datasets()

    def _refresh_datasets(self) -> None:
        score = self.score_dropdown.value
        needle = (self.filter_text.value or "").casefold()
        matches = [d for d in self._datasets
                   if (score in (None, ALL_SCORES) or d.score_id == score) and needle in d.name.casefold()]
        options = [(d.name, d.id) for d in matches[:MAX_OPTIONS]]
        keep = self.dataset_dropdown.value
        self.dataset_dropdown.options = options
        ids = [id for _, id in options]
        self.dataset_dropdown.value = keep if keep in ids else (ids[0] if ids else None)
        if len(matches) > MAX_OPTIONS:
            self.status.info(f"{len(matches):,} datasets match; showing the first {MAX_OPTIONS}. Type to filter.")
        elif not matches:
            self.status.info("No dataset matches." if self._datasets else "This scorecard has no datasets yet.")
        else:
            self.status.clear()

    def _on_dataset(self, change: dict) -> None:
        run_safely(self.status, self._load_dataset, change["new"])

    def _load_dataset(self, dataset_id: str | None) -> None:
        self.dataset = next((d for d in self._datasets if d.id == dataset_id), None)
        if self.dataset is None:
            self._versions = {}
            self.version_dropdown.options = []
            self.value = None
            return
        versions = self.service.list_versions(self.dataset)
        self._versions = {v.id: v for v in versions}
        current = self._versions.get(self.dataset.current_version_id or "")
        latest = versions[-1] if versions else None
        options = []
        if current:
            options.append((f"current ({current.label})", "current"))
        if latest:
            options.append((f"latest ({latest.label})", "latest"))
        options += [(version_label(v, self.dataset.current_version_id), v.id) for v in reversed(versions)]
        self.version_dropdown.options = options
        self.version_dropdown.value = options[0][1] if options else None
        self._on_version({"new": self.version_dropdown.value})
        if not versions:
            self.status.info("This dataset has no versions yet.")

    def _on_version(self, change: dict) -> None:
        choice = change["new"]
        if choice is None or self.dataset is None:
            self.value = None
        elif choice == "current":
            self.value = self._versions.get(self.dataset.current_version_id or "")
        elif choice == "latest":
            self.value = max(self._versions.values(), key=lambda v: v.version_number, default=None)
        else:
            self.value = self._versions.get(choice)
        if self._pin and (self.value is None or self.value.id != self._pin[0]):
            self._pin = None  # another version picked: the pin no longer applies
            self.status.clear()

    # --- programmatic choice --------------------------------------------------------------

    def select(self, ref: str) -> DatasetVersion:
        """Choose the version a reference names (``NAME[:VERSION]``); raises if it is unknown."""
        version = self.service.resolve(ref)
        dataset = self.service.get_dataset(version.dataset_id)
        self.scorecard_dropdown.value = dataset.scorecard_id
        self.filter_text.value = ""
        self.score_dropdown.value = ALL_SCORES
        if dataset.id not in {id for _, id in self.dataset_dropdown.options}:
            self.filter_text.value = dataset.name
        self.dataset_dropdown.value = dataset.id
        parsed = parse_ref(ref)  # a bare pin (NAME@sha256:...) names the version its snapshot is of
        kind = parsed.version.kind if parsed.has_version or not parsed.snapshot else "id"
        self.version_dropdown.value = kind if kind in ("current", "latest") else version.id
        if parsed.snapshot:
            self._pin = (version.id, parsed.snapshot)
            self.status.info(f"Pinned to snapshot sha256:{parsed.snapshot} of {version.label}: its exact rows. "
                             "Pick another version to unpin.")
        return version

    def reload(self) -> None:
        """Re-read scorecards, datasets and versions (after changes elsewhere)."""
        keep = self.ref
        run_safely(self.status, self._load_scorecards)
        if keep:
            try:
                self.select(keep)
            except PlexusDatasetsError as exc:
                self.status.error(exc)
