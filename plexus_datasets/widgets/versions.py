"""VersionManager: a dataset's versions, the current pointer, new versions and diffs."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from ..display import diff_html, version_table_html
from ..errors import ConflictError, PlexusDatasetsError
from ..formats import to_yaml
from ..models import Dataset, DatasetVersion
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default

__all__ = ["VersionManager"]


class VersionManager(w.VBox):
    """The versions of one dataset, newest first: number, created, short digest,
    a current marker and the note.

    - **Make current** moves the current pointer to the selected version by
      compare-and-set: if someone else moved it since this view was loaded, the
      conflict is shown and nothing changes.
    - **New version** opens the selected version's YAML for editing; **Save**
      creates the next version from it.
    - **Diff vs current** shows what the selected version changes.

    ``selected`` (DatasetVersion) and ``dataset`` are traits.
    """

    selected = traitlets.Instance(DatasetVersion, allow_none=True)
    dataset = traitlets.Instance(Dataset, allow_none=True)

    def __init__(self, dataset: Dataset | str, service: DatasetService | None = None, **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self.status = Status()
        self.table = w.HTML()
        self.picker = w.Select(description="Version", rows=6)
        self.make_current_button = w.Button(description="Make current", icon="check")
        self.new_version_button = w.Button(description="New version", icon="plus")
        self.diff_button = w.Button(description="Diff vs current", icon="exchange")
        self.editor = w.Textarea(layout=w.Layout(width="100%", height="220px"))
        self.note = w.Text(description="Note", placeholder="what changed and why")
        self.save_button = w.Button(description="Save version", button_style="primary")
        self.cancel_button = w.Button(description="Cancel")
        self.edit_box = w.VBox([self.editor, self.note, w.HBox([self.save_button, self.cancel_button])])
        self.edit_box.layout.display = "none"
        self.diff_view = w.HTML()
        super().__init__(children=[self.table, self.picker, w.HBox([self.make_current_button, self.new_version_button,
                                                                    self.diff_button]),
                                   self.edit_box, self.diff_view, self.status], **kwargs)
        self._seen_current: str | None = None
        self._versions: dict[str, DatasetVersion] = {}
        self.picker.observe(lambda c: setattr(self, "selected", self._versions.get(c["new"])), "value")
        self.make_current_button.on_click(lambda _b: run_safely(self.status, self.make_current))
        self.new_version_button.on_click(lambda _b: run_safely(self.status, self.start_new_version))
        self.save_button.on_click(lambda _b: run_safely(self.status, self.save_new_version))
        self.cancel_button.on_click(lambda _b: setattr(self.edit_box.layout, "display", "none"))
        self.diff_button.on_click(lambda _b: run_safely(self.status, self.show_diff))
        run_safely(self.status, self.refresh, dataset)

    def __repr__(self) -> str:
        name = self.dataset.name if self.dataset else "?"
        chosen = self.selected.label if self.selected else "none"
        return f"VersionManager({name}: {len(self._versions)} versions, selected {chosen})"

    def refresh(self, dataset: Dataset | str | None = None) -> None:
        """Re-read the dataset and its versions (keeps the selection when it still exists)."""
        self.dataset = self.service.get_dataset(dataset or self.dataset)
        self._seen_current = self.dataset.current_version_id
        versions = list(reversed(self.service.list_versions(self.dataset)))
        self._versions = {v.id: v for v in versions}
        self.table.value = version_table_html(self.dataset.name, versions, self._seen_current)
        keep = self.picker.value
        self.picker.options = [(f"{v.label}{' ●' if v.id == self._seen_current else ''}", v.id) for v in versions]
        self.picker.value = keep if keep in self._versions else (versions[0].id if versions else None)
        self.selected = self._versions.get(self.picker.value) if self.picker.value else None

    def make_current(self) -> None:
        """Point the dataset at the selected version, if nobody moved it meanwhile."""
        if self.selected is None:
            self.status.info("Select a version first.")
            return
        expected = self._versions.get(self._seen_current or "")
        try:
            self.service.set_current_version(self.dataset, self.selected, expected_current=expected)
        except ConflictError as exc:
            self.status.error(exc)
            return
        chosen = self.selected.label
        self.refresh()
        self.status.ok(f"{chosen} is now the current version.")

    def start_new_version(self) -> None:
        base = self.selected or (max(self._versions.values(), key=lambda v: v.version_number)
                                 if self._versions else None)
        self._base = base
        self.editor.value = (base.text or to_yaml(base.configuration)) if base else "class: FileItems\npath: data.csv\n"
        self.note.value = ""
        self.edit_box.layout.display = None
        self.status.info(f"Editing a copy of {base.label}." if base else "Write the first configuration.")

    def save_new_version(self) -> DatasetVersion | None:
        """Create the next version from the editor (the editor keeps its text on errors)."""
        try:
            base = getattr(self, "_base", None)
            version = self.service.create_version(self.dataset, self.editor.value, note=self.note.value or None,
                                                  based_on=base.id if base else None)
        except PlexusDatasetsError as exc:
            self.status.error(exc)
            return None
        existed = version.id in self._versions
        self.refresh()
        self.picker.value = version.id
        self.edit_box.layout.display = "none"
        self.status.ok(f"No change: same configuration as {version.label}." if existed
                       else f"Saved {version.label}.")
        return version

    def show_diff(self) -> None:
        current = self._versions.get(self._seen_current or "")
        if current is None or self.selected is None:
            self.status.info("Needs a current version and a selected one.")
            return
        diff = self.service.diff_versions(current, self.selected)
        self.diff_view.value = diff_html(diff, f"{current.label} (current)", self.selected.label)
