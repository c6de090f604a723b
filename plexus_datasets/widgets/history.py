"""ProfileHistory: how a dataset's profiles changed over time, as Plotly FigureWidgets."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import traitlets

from ..display import plot_text, subject_text
from ..facts import ProfileFacts
from ..formats import short_time
from ..models import Dataset, DatasetProfile, DatasetVersion
from ..refs import parse_ref
from ..service import DatasetService
from ._common import Status, run_safely, service_or_default

__all__ = ["ProfileHistory"]

ALL = "__all__"


class ProfileHistory(w.VBox):
    """Every profile of a dataset (or of one version) over time, in three charts:

    - record count per profile;
    - the share of each answer class (one answer column at a time);
    - the null rate of each column.

    Profiles of the full version make the main series. Profiles of samples (an
    evaluation's subset, say) are their own series ("samples"), hidden unless
    ``show_samples`` (the "Show sample profiles" checkbox) is on: a 100-row sample
    never pulls the record count of a 5,572-row version down. Profiles whose
    subject can't be read count as samples here. Data files nobody profiled (a Plexus
    DataSet made by Plexus, or kept by a load: "not profiled") have nothing to draw:
    they are ``unprofiled`` and named in the status line.

    Dotted vertical lines mark where the version changes among the profiles shown;
    hovering a point shows its version, date and, for a sample, what it is.
    ``version_filter`` narrows the charts to one version. ``figures`` holds the
    three FigureWidgets; ``profiles`` the profiles shown (full, then samples when
    shown, in time order).
    """

    profiles = traitlets.List()
    answer_column = traitlets.Unicode(allow_none=True)
    show_samples = traitlets.Bool(False)

    def __init__(self, target: Dataset | DatasetVersion | str, service: DatasetService | None = None,
                 **kwargs: Any) -> None:
        self.service = service_or_default(service)
        self.status = Status()
        self.version_filter = w.Dropdown(description="Versions")
        self.answer_dropdown = w.Dropdown(description="Answers")
        self.samples_toggle = w.Checkbox(value=False, description="Show sample profiles", indent=False)
        traitlets.link((self, "show_samples"), (self.samples_toggle, "value"))
        self.rows_figure = _figure("Records per profile", "records")
        self.answers_figure = _figure("Answer share over time", "share (%)")
        self.nulls_figure = _figure("Null rate per column", "null (%)")
        self.figures = [self.rows_figure, self.answers_figure, self.nulls_figure]
        super().__init__(children=[w.HBox([self.version_filter, self.answer_dropdown, self.samples_toggle]),
                                   *self.figures, self.status], **kwargs)
        self._all: list[DatasetProfile] = []
        #: DataSets with a data file and no profile (made by Plexus, or kept by a load), oldest first.
        self.unprofiled: list[DatasetProfile] = []
        self._labels: dict[str, str] = {}
        self._facts: dict[str, ProfileFacts] = {}
        run_safely(self.status, self._load, target)
        self.version_filter.observe(lambda _c: self._draw(), "value")
        self.answer_dropdown.observe(self._on_answer, "value")
        self.observe(lambda _c: self._draw(), "show_samples")

    def __repr__(self) -> str:
        hidden = len(self._samples_of(self.version_filter.value)) if not self.show_samples else 0
        more = f", {hidden} sample profiles hidden" if hidden else ""
        files = f", {len(self.unprofiled)} not profiled" if self.unprofiled else ""
        return f"ProfileHistory({len(self.profiles)} profiles{more}{files}, answer column {self.answer_column!r})"

    def _load(self, target: Dataset | DatasetVersion | str) -> None:
        if isinstance(target, DatasetVersion):
            dataset, only = self.service.get_dataset(target.dataset_id), target
        elif isinstance(target, str) and (parse_ref(target).has_version or parse_ref(target).snapshot):
            only = self.service.resolve(target)
            dataset = self.service.get_dataset(only.dataset_id)
        else:
            dataset, only = self.service.get_dataset(target), None
        self.dataset = dataset
        versions = self.service.list_versions(dataset)
        self._labels = {v.id: v.label for v in versions}
        listed = self.service.list_profiles(only if only else dataset)
        self._facts = {p.id: ProfileFacts.of(p) for p in listed}
        # Data files nobody profiled (Plexus DataSets) have no numbers to draw and are no sample:
        # they are named in the status line, never counted among the profiles.
        self.unprofiled = [p for p in listed if self._facts[p.id].subject.is_unprofiled]
        self._all = [p for p in listed if not self._facts[p.id].subject.is_unprofiled]
        # A version asked for by name stays choosable even without profiles (the empty state).
        used = [v for v in versions if (only and v.id == only.id) or any(p.dataset_version_id == v.id
                                                                           for p in self._all)]
        if only and only.id not in self._labels:
            self._labels[only.id] = only.label
            used.append(only)
        self.version_filter.options = [("all versions", ALL)] + [(v.label, v.id) for v in used]
        self.version_filter.value = only.id if only else ALL
        drawn = [self._facts[p.id] for p in self._all]
        has_samples = any(not f.is_full for f in drawn)
        self.samples_toggle.layout.display = None if has_samples else "none"
        columns = list(dict.fromkeys(c for f in drawn for c in f.answer_columns))
        self.answer_dropdown.options = columns
        self.answer_dropdown.layout.display = None if len(columns) > 1 else "none"
        self.answer_column = columns[0] if columns else None
        what = f"{dataset.name} {only.label}" if only else dataset.name
        files = self._unprofiled_note()
        if not self._all:
            self.status.info(f"{what} has no profiles yet{files}: record one with svc.profile(ref).")
        elif not any(f.is_full for f in drawn):
            self.status.info(f"{what} has only sample profiles ({len(self._all)}){files}: tick \"Show sample "
                             "profiles\" to see them, or record a full one with svc.profile(ref).")
        elif files:
            self.status.info(f"Not in the charts{files}: svc.profile(\"{dataset.name}:vN\") records a profile.")
        self._draw()

    def _unprofiled_note(self) -> str:
        """`` (2 data files not profiled: v3 · 2025-02-10 10:00, ...)``, or "" when there are none."""
        if not self.unprofiled:
            return ""
        shown = ", ".join(f"{self._labels.get(p.dataset_version_id, '?')} · {short_time(p.created_at)}"
                          for p in self.unprofiled[-3:])
        more = "..., " if len(self.unprofiled) > 3 else ""
        count = len(self.unprofiled)
        return f" ({count} data file{'s' if count > 1 else ''} not profiled: {more}{shown})"

    def _on_answer(self, change: dict) -> None:
        self.answer_column = change["new"]
        self._draw()

    def _chosen(self, chosen: Any) -> list[DatasetProfile]:
        return [p for p in self._all if chosen in (ALL, None) or p.dataset_version_id == chosen]

    def _samples_of(self, chosen: Any) -> list[DatasetProfile]:
        return [p for p in self._chosen(chosen) if not self._facts[p.id].is_full]

    def _draw(self) -> None:
        chosen = self._chosen(self.version_filter.value)
        full = [p for p in chosen if self._facts[p.id].is_full]
        samples = [p for p in chosen if not self._facts[p.id].is_full] if self.show_samples else []
        self.profiles = full + samples
        series = [_Series("", full, self._labels, self._facts)]
        if samples:
            series.append(_Series(" (samples)", samples, self._labels, self._facts))
        shown = sorted(self.profiles, key=lambda p: (p.created_at, p.id))  # the time axis: what is shown
        times = [p.created_at for p in shown]
        labels = [self._labels.get(p.dataset_version_id, "?") for p in shown]
        with self.rows_figure.batch_update():
            self.rows_figure.data = []
            for one in series:
                self.rows_figure.add_scatter(
                    x=one.times, y=[f.rows for f in one.facts], mode="lines+markers", name=f"records{one.suffix}",
                    customdata=one.hover, hovertemplate="%{customdata}<br>%{y:,} records<extra></extra>",
                    **one.style)
            self._mark_versions(self.rows_figure, times, labels)
        with self.answers_figure.batch_update():
            self.answers_figure.data = []
            for one in series:
                for value, shares in _shares(one.facts, self.answer_column).items():
                    name = plot_text(value) + one.suffix
                    self.answers_figure.add_scatter(
                        x=one.times, y=shares, mode="lines+markers", name=name, customdata=one.hover,
                        hovertemplate=f"{name}: %{{y:.1f}}%<br>%{{customdata}}<extra></extra>", **one.style)
            self._mark_versions(self.answers_figure, times, labels)
        with self.nulls_figure.batch_update():
            self.nulls_figure.data = []
            for one in series:
                for column, rates in _null_rates(one.facts).items():
                    name = plot_text(column) + one.suffix
                    self.nulls_figure.add_scatter(
                        x=one.times, y=rates, mode="lines+markers", name=name, customdata=one.hover,
                        hovertemplate=f"{name}: %{{y:.1f}}% null<br>%{{customdata}}<extra></extra>", **one.style)
            self._mark_versions(self.nulls_figure, times, labels)

    @staticmethod
    def _mark_versions(figure: go.FigureWidget, times: list, labels: list[str]) -> None:
        shapes, notes = [], []
        for i in range(1, len(labels)):
            if labels[i] != labels[i - 1]:
                shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": times[i], "x1": times[i],
                               "y0": 0, "y1": 1, "line": {"dash": "dot", "width": 1, "color": "#888"}})
                notes.append({"x": times[i], "y": 1, "xref": "x", "yref": "paper", "text": labels[i],
                              "showarrow": False, "yanchor": "bottom", "font": {"size": 10}})
        figure.layout.shapes = shapes
        figure.layout.annotations = notes


class _Series:
    """One series of profiles (full ones, or samples) as the charts draw it."""

    def __init__(self, suffix: str, profiles: list[DatasetProfile], labels: dict[str, str],
                 facts: dict[str, ProfileFacts]) -> None:
        self.suffix = suffix
        self.times = [p.created_at for p in profiles]
        self.facts = [facts[p.id] for p in profiles]
        self.hover = []
        for p, f in zip(profiles, self.facts, strict=True):
            what = "" if f.is_full else f" · {plot_text(subject_text(f.subject, short=True))}"
            self.hover.append(f"{labels.get(p.dataset_version_id, '?')} · {short_time(p.created_at)}{what}")
        #: samples are drawn dashed with open markers, so they never pass for the version
        self.style: dict[str, Any] = {"line": {"dash": "dot"}, "marker": {"symbol": "circle-open"}} if suffix else {}


def _figure(title: str, y_title: str) -> go.FigureWidget:
    return go.FigureWidget(layout={"title": {"text": title}, "height": 260, "margin": {"l": 50, "r": 20, "t": 40,
                                   "b": 30}, "yaxis": {"title": {"text": y_title}}, "hovermode": "closest",
                                   "template": "plotly_white"})


def _shares(profiles: list[ProfileFacts], column: str | None) -> dict[str, list[float | None]]:
    """Per answer value, its share (%) in each profile (None where the profile has no answers)."""
    if column is None:
        return {}
    classes = list(dict.fromkeys(k for p in profiles for k in p.answer(column).counts))
    shares = [p.shares(column) for p in profiles]
    return {value: [100.0 * s.get(value, 0.0) if s else None for s in shares] for value in classes}


def _null_rates(profiles: list[ProfileFacts]) -> dict[str, list[float | None]]:
    """Per column, its null rate (%) in each profile (None where unknown)."""
    columns = list(dict.fromkeys(c for p in profiles for c in p.columns))
    return {c: [None if (rate := p.column(c).null_rate) is None else 100.0 * rate for p in profiles]
            for c in columns}
