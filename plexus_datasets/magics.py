"""IPython extension: ``%load_ext plexus_datasets``.

Line magic ``%datasets``:

- ``%datasets list [SCORECARD]``: datasets with current version, versions, last profile;
- ``%datasets show REF``: the version a reference names, with its configuration;
- ``%datasets diff REF_A REF_B``: configuration differences (and profile drift);
- ``%datasets history REF``: the ProfileHistory charts;
- ``%datasets connect [DB]``: use another store (default: ``connect()``).

Cell magic ``%%dataset_config REF`` creates a new version of REF's dataset from
the cell's YAML (``--note "..."`` adds a note).

Errors print one line; they never raise a traceback into the notebook.
"""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import HTML, display

from .display import comparison_html, diff_html
from .errors import PlexusDatasetsError

__all__ = ["DatasetMagics", "load_ipython_extension"]

USAGE = "Usage: %datasets list [SCORECARD] | show REF | diff REF_A REF_B | history REF | connect [DB]"


@magics_class
class DatasetMagics(Magics):
    def __init__(self, shell: Any, service: Any = None) -> None:
        super().__init__(shell)
        self._service = service

    @property
    def service(self) -> Any:
        if self._service is None:
            from .service import connect

            self._service = connect()
        return self._service

    @line_magic
    def datasets(self, line: str) -> Any:
        """%datasets list|show|diff|history|connect ... (see the module docstring)."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            print(f"Error: {exc}. {USAGE}")
            return None
        if not words:
            print(USAGE)
            return None
        command, args = words[0], words[1:]
        handler = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            print(f"Unknown command {command!r}. {USAGE}")
            return None
        try:
            return handler(*args)
        except TypeError:
            print(USAGE)
        except PlexusDatasetsError as exc:
            print(f"Error: {exc}")
        return None

    def _cmd_connect(self, db: str | None = None) -> None:
        from .service import connect

        self._service = connect(db) if db else connect()
        print(f"Using {self._service.describe()}")

    def _cmd_list(self, scorecard: str | None = None) -> Any:
        return self.service.dataset_summaries(scorecard=scorecard)

    def _cmd_show(self, ref: str) -> Any:
        version = self.service.resolve(ref)
        display(self.service.get_dataset(version.dataset_id))
        return version

    def _cmd_diff(self, a: str, b: str) -> None:
        va, vb = self.service.resolve(a), self.service.resolve(b)
        html = diff_html(self.service.diff_versions(va, vb), a, b)
        pa, pb = self.service.latest_profile(a), self.service.latest_profile(b)  # a pinned ref: that snapshot's
        if pa and pb:
            html += comparison_html(self.service.compare_profiles(pa, pb))
        display(HTML(html))

    def _cmd_history(self, ref: str) -> Any:
        from .widgets import ProfileHistory

        return ProfileHistory(ref, service=self.service)

    @cell_magic
    def dataset_config(self, line: str, cell: str) -> Any:
        """%%dataset_config REF [--note TEXT] [--current] [--no-check]: a new version of REF's
        dataset from the cell's YAML (``--current`` makes it current; ``--no-check`` for a
        configuration meant for another machine)."""
        usage = "Usage: %%dataset_config REF [--note TEXT] [--current] [--no-check]"
        try:
            words = shlex.split(line)
            note = None
            if "--note" in words:
                at = words.index("--note")
                note = words[at + 1] if at + 1 < len(words) else None
                words = words[:at] + words[at + 2:]
            flags = {w for w in words if w.startswith("--")}
            words = [w for w in words if not w.startswith("--")]
            if len(words) != 1 or flags - {"--current", "--no-check"}:
                print(usage)
                return None
            dataset = self.service.get_dataset(words[0])
            existing = {v.id for v in self.service.list_versions(dataset)}
            version = self.service.create_version(dataset, cell, note=note,
                                                  make_current="--current" in flags, check="--no-check" not in flags)
        except (PlexusDatasetsError, ValueError) as exc:
            print(f"Error: {exc}")
            return None
        if version.id in existing:
            print(f"{dataset.name}: unchanged, same configuration as {version.label}")
        else:
            print(f"{dataset.name}: created {version.label}")
        return version


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(DatasetMagics(ipython))
