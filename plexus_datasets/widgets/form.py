"""DatasetForm: create a dataset and its first version from a YAML configuration."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from ..display import problems_html
from ..errors import LoaderError, PlexusDatasetsError, UntrustedCodeError
from ..models import Dataset
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default

__all__ = ["DatasetForm"]

NO_SCORE = "__none__"
EXAMPLE = "class: FileItems\npath: data/calls.csv\n"


class DatasetForm(w.VBox):
    """Scorecard and score pickers, name, description and the configuration as YAML.

    **Check** runs ``DatasetService.check_configuration`` (the check the API, the
    CLI and the magics run too) without writing or importing anything untrusted:
    an empty name, a YAML error (with its line and column), an unknown loader
    parameter, a processor with bad parameters, a loader or processor class that
    can't be found here, one in a module this machine doesn't trust
    (``PLEXUS_DATASETS_TRUSTED_MODULES``; reported, never imported) and a file that
    isn't there are shown inline. **Create** checks, then creates the dataset with
    version 1. What depends on this machine (a loader that isn't installed or
    trusted here, such as ``FeedbackItems`` without Plexus; a file that only exists
    elsewhere) blocks creation unless "for another machine" is ticked
    (``check=False``); each machine that loads it still applies its own trust. An
    error never clears what was typed. ``created`` (Dataset) is a trait.
    """

    created = traitlets.Instance(Dataset, allow_none=True)

    def __init__(self, service: DatasetService | None = None, **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self.status = Status()
        self.scorecard_dropdown = w.Dropdown(description="Scorecard")
        self.score_dropdown = w.Dropdown(description="Score")
        self.name = w.Text(description="Name", placeholder="e.g. greeting-calls-2025")
        self.description = w.Textarea(description="Description", layout=w.Layout(width="100%", height="50px"))
        self.configuration = w.Textarea(value=EXAMPLE, description="data:",
                                        layout=w.Layout(width="100%", height="200px"))
        self.allow_missing_loader = w.Checkbox(
            description="for another machine: don't require the loader and files to exist here",
            value=False, indent=False, layout=w.Layout(width="auto"))
        self.problems = w.HTML()
        self.check_button = w.Button(description="Check", icon="search")
        self.create_button = w.Button(description="Create", button_style="primary", icon="plus")
        super().__init__(children=[self.scorecard_dropdown, self.score_dropdown, self.name, self.description,
                                   self.configuration, self.allow_missing_loader, self.problems,
                                   w.HBox([self.check_button, self.create_button]), self.status], **kwargs)
        self.scorecard_dropdown.observe(lambda c: run_safely(self.status, self._load_scores, c["new"]), "value")
        self.check_button.on_click(lambda _b: self.check())
        self.create_button.on_click(lambda _b: self.submit())
        run_safely(self.status, self._load_scorecards)

    def __repr__(self) -> str:
        return f"DatasetForm(name={self.name.value!r}, created={self.created.name if self.created else None!r})"

    def _load_scorecards(self) -> None:
        cards = self.service.list_scorecards()
        self.scorecard_dropdown.options = [(c.name, c.id) for c in cards]
        if cards:
            self.scorecard_dropdown.value = cards[0].id
        else:
            self.status.info("Create a scorecard first (svc.create_scorecard).")

    def _load_scores(self, scorecard_id: str | None) -> None:
        scores = self.service.list_scores(scorecard_id) if scorecard_id else []
        self.score_dropdown.options = [("(no score)", NO_SCORE)] + [(s.name, s.id) for s in scores]
        self.score_dropdown.value = NO_SCORE

    def check(self) -> list[str]:
        """Validate everything without writing; show and return the problems."""
        problems = []
        if not self.scorecard_dropdown.value:
            problems.append("Choose a scorecard.")
        if not self.name.value.strip():
            problems.append("Name: give the dataset a name.")
        try:
            self.service.check_configuration(self.configuration.value, environment=not self.allow_missing_loader.value)
        except UntrustedCodeError as exc:
            problems.append(f"Loader (not imported): {exc}")
        except LoaderError as exc:
            problems.append(f"Loader: {exc}")
        except PlexusDatasetsError as exc:  # ConfigurationError messages carry line and column
            problems.append(f"Configuration: {exc}")
        self.problems.value = problems_html(problems)
        if problems:
            self.status.error(f"{len(problems)} problem(s) to fix before creating.")
        else:
            self.status.ok("Looks good.")
        return problems

    def submit(self) -> Dataset | None:
        """Check, then create the dataset and version 1; on any error keep every field as typed."""
        if self.check():
            return None
        score = None if self.score_dropdown.value in (None, NO_SCORE) else self.score_dropdown.value
        try:
            dataset = self.service.create_dataset(
                self.scorecard_dropdown.value, self.name.value, score=score,
                description=self.description.value or None,
                configuration=self.configuration.value,  # kept as typed, comments included
                note="created with DatasetForm", check=not self.allow_missing_loader.value,
            )
        except PlexusDatasetsError as exc:
            self.status.error(exc)
            return None
        self.created = dataset
        self.status.ok(f"Created {dataset.name} with version v1.")
        return dataset
