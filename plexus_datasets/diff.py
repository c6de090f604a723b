"""Configuration diffs and profile comparisons (pure functions).

``diff_configs(a, b)`` lists every changed path (``processors[0].parameters.value``)
as added, removed or changed, with old and new values; ``apply_diff(a, d)``
turns ``a`` into ``b``.

``compare_profiles(a, b)`` compares two stored profiles (no raw data needed):
row counts, columns added and removed, null rates, answer shares in percentage
points with Jensen-Shannon distance, PSI and a chi-square p-value, PSI on the
fixed-edge histograms, and a drift band per column. Each side keeps what it
describes (``subject_a``/``subject_b``, ``facts.SubjectFacts``): comparing a
sample with a full profile is allowed, but the result says so (``sample_sides``,
``notes``), since a sample's record count is the sample's, not the version's.
Bands:

- ``NO``: PSI < 0.1 and null rate moved < 2 pp;
- ``POSSIBLE``: PSI < 0.25 and null rate moved < 10 pp;
- ``DRIFT``: anything more.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from . import display
from .errors import ValidationError
from .facts import AnswerFacts, ColumnFacts, ProfileFacts, SubjectFacts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Change", "ConfigDiff", "ProfileComparison", "apply_diff", "compare_profiles", "diff_configs", "psi"]

Path = tuple[str | int, ...]
Band = Literal["NO", "POSSIBLE", "DRIFT"]
PSI_POSSIBLE, PSI_DRIFT = 0.1, 0.25
NULL_POSSIBLE_PP, NULL_DRIFT_PP = 2.0, 10.0
EPSILON = 1e-4


# --- configuration diffs --------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: Path
    kind: Literal["added", "removed", "changed"]
    old: Any = None
    new: Any = None

    @property
    def path_text(self) -> str:
        return format_path(self.path)


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


@dataclass(frozen=True)
class ConfigDiff:
    """The changes from configuration ``a`` to ``b``, in document order."""

    changes: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def __repr__(self) -> str:
        return display.diff_text(self)

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [{"path": c.path_text, "kind": c.kind, "old": c.old, "new": c.new} for c in self.changes],
            columns=["path", "kind", "old", "new"],
        )


def diff_configs(a: Mapping[str, Any], b: Mapping[str, Any]) -> ConfigDiff:
    """Every path where ``b`` differs from ``a``.

    >>> [(c.path_text, c.kind) for c in diff_configs({"days": 30, "x": 1}, {"days": 90, "y": 2})]
    [('days', 'changed'), ('x', 'removed'), ('y', 'added')]
    """
    return ConfigDiff(tuple(_diff(a, b, ())))


def _diff(a: Any, b: Any, path: Path) -> Iterator[Change]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in a:
            if key not in b:
                yield Change((*path, key), "removed", old=a[key])
            else:
                yield from _diff(a[key], b[key], (*path, key))
        for key in b:
            if key not in a:
                yield Change((*path, key), "added", new=b[key])
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(min(len(a), len(b))):
            yield from _diff(a[i], b[i], (*path, i))
        for i in range(len(b), len(a)):
            yield Change((*path, i), "removed", old=a[i])
        for i in range(len(a), len(b)):
            yield Change((*path, i), "added", new=b[i])
    elif a != b or type(a) is not type(b):
        yield Change(path, "changed", old=a, new=b)


def apply_diff(a: Any, diff: ConfigDiff) -> Any:
    """Apply ``diff`` to a deep copy of ``a`` (so ``apply_diff(a, diff_configs(a, b)) == b``)."""
    import copy

    result = copy.deepcopy(a)
    # Removals last and in reverse document order: list items go from the highest
    # index down, so the indices of those still to remove stay valid.
    removals = [c for c in diff if c.kind == "removed"][::-1]
    for change in [c for c in diff if c.kind != "removed"] + removals:
        if not change.path:
            result = copy.deepcopy(change.new)
            continue
        parent = result
        for part in change.path[:-1]:
            parent = parent[part]
        last = change.path[-1]
        if change.kind == "removed":
            del parent[last]
        elif isinstance(parent, list) and last == len(parent):
            parent.append(copy.deepcopy(change.new))
        else:
            parent[last] = copy.deepcopy(change.new)
    return result


# --- profile comparison ---------------------------------------------------------------------


def psi(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Population stability index between two count (or share) mappings over their union."""
    keys = sorted(set(a) | set(b))
    total_a, total_b = sum(a.values()) or 1, sum(b.values()) or 1
    value = 0.0
    for key in keys:
        pa = max(a.get(key, 0) / total_a, EPSILON)
        pb = max(b.get(key, 0) / total_b, EPSILON)
        value += (pb - pa) * math.log(pb / pa)
    return value


def _band(psi_value: float | None, null_change_pp: float) -> Band:
    change = abs(null_change_pp)
    if (psi_value or 0) >= PSI_DRIFT or change >= NULL_DRIFT_PP:
        return "DRIFT"
    if (psi_value or 0) >= PSI_POSSIBLE or change >= NULL_POSSIBLE_PP:
        return "POSSIBLE"
    return "NO"


@dataclass(frozen=True)
class AnswerShift:
    column: str
    shares_a: dict[str, float]
    shares_b: dict[str, float]
    change_pp: dict[str, float]
    js_distance: float
    psi: float
    chi2_p_value: float | None


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: str
    null_rate_a: float
    null_rate_b: float
    null_change_pp: float
    histogram_psi: float | None
    answer_psi: float | None
    band: Band


@dataclass(frozen=True)
class ProfileComparison:
    """How profile ``b`` differs from profile ``a`` (see ``compare_profiles``)."""

    rows_a: int
    rows_b: int
    columns_added: list[str]
    columns_removed: list[str]
    columns: list[ColumnDrift] = field(default_factory=list)
    answers: list[AnswerShift] = field(default_factory=list)
    subject_a: SubjectFacts = field(default_factory=SubjectFacts)
    subject_b: SubjectFacts = field(default_factory=SubjectFacts)
    label_a: str = "A"
    label_b: str = "B"

    @property
    def sample_sides(self) -> tuple[str, ...]:
        """The labels of the sides that are not profiles of a full version (samples, or
        profiles whose subject can't be read); empty when both are full."""
        return tuple(label for label, subject in ((self.label_a, self.subject_a), (self.label_b, self.subject_b))
                     if not subject.is_full)

    @property
    def notes(self) -> list[str]:
        """What to keep in mind reading this comparison (one sentence per sample side)."""
        return display.comparison_notes(self)

    @property
    def row_change(self) -> int:
        return self.rows_b - self.rows_a

    @property
    def row_change_pct(self) -> float | None:
        return None if not self.rows_a else 100.0 * self.row_change / self.rows_a

    @property
    def band(self) -> Band:
        """The worst band of any column."""
        order = {"NO": 0, "POSSIBLE": 1, "DRIFT": 2}
        return max((c.band for c in self.columns), key=order.__getitem__, default="NO")

    def to_dataframe(self) -> pd.DataFrame:
        """One row per column present in both profiles."""
        import pandas as pd

        return pd.DataFrame([c.__dict__ for c in self.columns])

    def answer_dataframe(self) -> pd.DataFrame:
        """One row per (answer column, class): shares in % and the change in percentage points."""
        import pandas as pd

        rows = [
            {"column": s.column, "class": value, "share_a_pct": 100 * s.shares_a.get(value, 0.0),
             "share_b_pct": 100 * s.shares_b.get(value, 0.0), "change_pp": s.change_pp[value]}
            for s in self.answers for value in s.change_pp
        ]
        return pd.DataFrame(rows, columns=["column", "class", "share_a_pct", "share_b_pct", "change_pp"])

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready): rows, columns added/removed, band, answer shifts, column drifts."""
        from dataclasses import asdict

        return {"rows_a": self.rows_a, "rows_b": self.rows_b, "columns_added": self.columns_added,
                "columns_removed": self.columns_removed, "band": self.band,
                "subject_a": self.subject_a.to_dict(), "subject_b": self.subject_b.to_dict(),
                "notes": self.notes,
                "answers": [asdict(a) for a in self.answers], "columns": [asdict(c) for c in self.columns]}

    def __repr__(self) -> str:
        return display.comparison_text(self)


def _facts(profile: Any) -> ProfileFacts:
    try:
        return ProfileFacts.of(profile)
    except ValidationError as exc:
        raise ValidationError("compare_profiles() takes DatasetProfile records or profile() payloads.") from exc


def _answer_shift(a: AnswerFacts, b: AnswerFacts) -> AnswerShift:
    import numpy as np
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import chi2_contingency

    shares_a, shares_b = a.shares(include_other=True), b.shares(include_other=True)
    classes = sorted(set(shares_a) | set(shares_b))
    change = {k: round(100 * (shares_b.get(k, 0.0) - shares_a.get(k, 0.0)), 4) for k in classes}
    vec_a = np.array([shares_a.get(k, 0.0) for k in classes])
    vec_b = np.array([shares_b.get(k, 0.0) for k in classes])
    js = float(jensenshannon(vec_a, vec_b, base=2)) if vec_a.sum() and vec_b.sum() else 0.0
    counts_a, counts_b = a.tally(), b.tally()
    table = np.array([[counts_a.get(k, 0) for k in classes], [counts_b.get(k, 0) for k in classes]])
    table = table[:, table.sum(axis=0) > 0]
    p_value = None
    if table.shape[1] >= 2 and table.sum(axis=1).all():
        p_value = float(chi2_contingency(table)[1])
    return AnswerShift(a.column, shares_a, shares_b, change, 0.0 if math.isnan(js) else js,
                       psi(counts_a, counts_b), p_value)


def _distribution_psi(a: ColumnFacts, b: ColumnFacts) -> float | None:
    """PSI of a column's fixed-edge histogram (same scheme on both sides), else of its top values."""
    found = None
    for ha, hb in ((a.histogram, b.histogram), (a.length_histogram, b.length_histogram)):
        if ha and hb and ha.scheme == hb.scheme:
            found = psi(ha.counts, hb.counts)
    if found is None and a.top is not None and b.top is not None:
        found = psi(a.top, b.top)
    return found


def _column_drift(a: ColumnFacts, b: ColumnFacts, shift: AnswerShift | None) -> ColumnDrift:
    null_a, null_b = a.null_rate or 0.0, b.null_rate or 0.0
    hist_psi = _distribution_psi(a, b)
    answer_psi = shift.psi if shift else None
    change_pp = 100 * (null_b - null_a)
    worst = max([v for v in (hist_psi, answer_psi) if v is not None], default=None)
    return ColumnDrift(a.name, b.kind or a.kind or "?", round(null_a, 6), round(null_b, 6), round(change_pp, 4),
                       hist_psi, answer_psi, _band(worst, change_pp))


def compare_profiles(a: Any, b: Any, *, labels: tuple[str, str] = ("A", "B")) -> ProfileComparison:
    """Compare two profiles (DatasetProfile records or ``profile()`` payloads) from their stored
    numbers alone; ``labels`` name the sides in notes (e.g. ``("calls:v1", "calls:v2")``).
    A side that is a sample is compared all the same, and the result says so. Raises
    ValidationError when either is neither."""
    fa, fb = _facts(a), _facts(b)
    shifts = {name: _answer_shift(fa.answer(name), fb.answer(name)) for name in fa.answers if name in fb.answers}
    shared = [c for c in fb.columns if c in fa.columns]
    return ProfileComparison(
        rows_a=fa.rows or 0, rows_b=fb.rows or 0,
        columns_added=[c for c in fb.columns if c not in fa.columns],
        columns_removed=[c for c in fa.columns if c not in fb.columns],
        columns=[_column_drift(fa.column(c), fb.column(c), shifts.get(c)) for c in shared],
        answers=list(shifts.values()),
        subject_a=fa.subject, subject_b=fb.subject, label_a=str(labels[0]), label_b=str(labels[1]),
    )
