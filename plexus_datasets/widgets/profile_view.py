"""ProfileView: one profile's numbers, its columns, and its answer distribution.

Given a reference, it shows the newest profile of a *full* materialization
(``DatasetService.latest_profile``); a version that has only sample profiles
(an evaluation's subset, say) is said to have them, never shown as if a sample
were the version. Its header says what the profile describes.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import traitlets

from ..display import answer_bars, plot_text, profile_columns_html, profile_summary_html
from ..errors import NotFoundError, PlexusDatasetsError
from ..facts import ProfileFacts
from ..formats import short_time
from ..models import DatasetProfile
from ..refs import parse_ref
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default

__all__ = ["ProfileView"]


class ProfileView(w.VBox):
    """One DatasetProfile: summary numbers, a table of columns (dtype, null %,
    distinct) and a Plotly bar chart of the answer distribution.

    ``target`` is a DatasetProfile (shown as it is, sample or not), or a reference
    whose newest full profile is shown (``"calls:v2"``, ``"calls"``). The header
    says which version it describes and whether it is a sample. ``profile`` is a trait.
    """

    profile = traitlets.Instance(DatasetProfile, allow_none=True)

    def __init__(self, target: DatasetProfile | str, service: DatasetService | None = None, **kwargs: Any) -> None:
        self.service = service if isinstance(target, DatasetProfile) and service is None else service_or_default(
            service)
        self.status = Status()
        self._facts = ProfileFacts()
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
        facts = ProfileFacts.of(self.profile)
        return f"ProfileView({facts.rows} rows, {len(facts.columns)} columns, {short_time(self.profile.created_at)})"

    def _load(self, target: DatasetProfile | str) -> None:
        if isinstance(target, DatasetProfile):
            self.profile = target
            return
        found = self.service.latest_profile(target)
        if found is None:
            self.status.info(self._why_none(target))
        self.profile = found

    def _why_none(self, target: str) -> str:
        """Why ``target`` shows no profile: what the version it names has instead (samples, or
        data files nobody profiled: Plexus DataSets), counted for that version alone."""
        record = f"`plexus-datasets profiles record {target}` (or svc.profile({target!r}))"
        try:
            version = self.service.resolve(target)  # a dataset means its current version, as latest_profile
        except NotFoundError:
            return f"No profile of {target} yet: record one with svc.profile({target!r})."
        named = target if parse_ref(target).has_version else f"{target} ({version.label})"
        if parse_ref(target).snapshot:
            return f"No profile of {named} yet: record one of that snapshot with {record}."
        subjects = [ProfileFacts.of(p).subject for p in self.service.list_profiles(version)]
        files = sum(1 for s in subjects if s.is_unprofiled)
        samples = len(subjects) - files
        if samples:
            return f"{named} has only sample profiles ({samples}); record a full one with {record}."
        if files:
            return f"{named} has no profile yet: {files} data file(s), not profiled; record one with {record}."
        return f"No profile of {named} yet: record one with svc.profile({target!r})."

    def _version_label(self, profile: DatasetProfile) -> str | None:
        """The label (``v1``) of the version ``profile`` describes; None without a service or version."""
        if self.service is None:
            return None
        try:
            version = self.service.get_version(profile.dataset_version_id)
        except PlexusDatasetsError:
            return None
        return version.label

    def _show(self) -> None:
        profile = self.profile
        if profile is None:
            self.summary.value = self.columns_table.value = ""
            self.answer_dropdown.options = []
            self.figure.data = []
            return
        self._facts = ProfileFacts.of(profile)
        self.summary.value = profile_summary_html(self._facts, profile.created_at, self._version_label(profile))
        self.columns_table.value = profile_columns_html(self._facts)
        answers = list(self._facts.answer_columns)
        self.answer_dropdown.options = answers
        self.answer_dropdown.layout.display = None if len(answers) > 1 else "none"
        self._draw(answers[0] if answers else None)

    def _draw(self, column: str | None) -> None:
        with self.figure.batch_update():
            self.figure.data = []
            if column is None or self.profile is None:
                self.figure.layout.title = {"text": "No answer column in this profile"}
                return
            bars = answer_bars(self._facts, column)
            total = sum(bars.values()) or 1
            self.figure.add_bar(x=[plot_text(k) for k in bars], y=list(bars.values()),
                                text=[f"{100 * v / total:.1f}%" for v in bars.values()],
                                textposition="auto", hovertemplate="%{x}: %{y:,} (%{text})<extra></extra>")
            self.figure.layout.title = {"text": f"Answers: {plot_text(column)}"}
