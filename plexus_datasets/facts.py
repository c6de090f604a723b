"""The one reader of a stored profile payload: ``ProfileFacts``.

A profile's three JSON fields (``columnList``, ``recordCounts``,
``answerDistribution``; layout ``spec: 1`` in ``profiling``) come back from a
shared store, so they may be anything. ``ProfileFacts.of(profile)`` reads them
once into a typed, immutable view and never raises for what it finds inside:
a missing or malformed part reads as unknown (``None``) or empty, a count that
is not a non-negative whole number is dropped. Everything that shows or compares
profiles (CLI, widgets, drift, the lab sidebar) reads them through this view.

>>> facts = ProfileFacts.of({"columnList": ["label"], "recordCounts": {"spec": 1, "rows": 4},
...     "answerDistribution": {"columns": {"label": {"counts": {"Yes": 2, "No": 1}, "null": 1}}}})
>>> facts.rows, facts.shares("label")
(4, {'Yes': 0.6666666666666666, 'No': 0.3333333333333333})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import ValidationError

__all__ = ["OTHER", "AnswerFacts", "ColumnFacts", "Histogram", "ProfileFacts"]

#: The class name under which values beyond a payload's top-k lists are counted.
OTHER = "(other)"
_EMPTY: Mapping[str, Any] = MappingProxyType({})


# --- tolerant readers: the only places that look at raw payload values ------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


def _count(value: Any) -> int | None:
    """A non-negative whole number, or None (bools, negatives, NaN and text are not counts)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _counts(value: Any) -> Mapping[str, int]:
    """``{key: count}`` keeping only entries whose count is a count; keys as text."""
    found = {str(k): _count(v) for k, v in _mapping(value).items()}
    return MappingProxyType({k: v for k, v in found.items() if v is not None})


def _numbers(value: Any) -> Mapping[str, float]:
    found = {str(k): _number(v) for k, v in _mapping(value).items()}
    return MappingProxyType({k: v for k, v in found.items() if v is not None})


def _with_other(counts: Mapping[str, int], other: int) -> Mapping[str, int]:
    """``counts`` plus ``(other)`` when something was counted beyond them."""
    if not other:
        return counts
    return MappingProxyType({**counts, OTHER: counts.get(OTHER, 0) + other})


# --- the view -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    """A fixed-edge histogram: ``scheme`` names the edges, ``counts`` is sparse by upper edge."""

    scheme: str
    counts: Mapping[str, int]

    @classmethod
    def read(cls, value: Any) -> Histogram | None:
        scheme = _text(_mapping(value).get("scheme"))
        return cls(scheme, _counts(_mapping(value).get("counts"))) if scheme else None


@dataclass(frozen=True)
class ColumnFacts:
    """What a profile says about one column; ``None`` where it says nothing (or nonsense).

    ``null_rate`` is ``null / rows`` (None when either is unknown or there are no
    rows). ``top`` holds a categorical column's most frequent values with the rest
    under ``(other)``. Text columns have ``length``/``words`` summaries
    (min, mean, p5, p50, p95, max) and ``length_histogram``; numeric and datetime
    columns ``minimum``/``maximum`` (ISO text for datetimes), ``mean``, ``std``,
    ``quantiles`` and ``histogram``.
    """

    name: str
    dtype: str | None = None
    kind: str | None = None
    non_null: int | None = None
    null: int | None = None
    distinct: int | None = None
    null_rate: float | None = None
    empty: int | None = None
    whitespace_only: int | None = None
    length: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    words: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    top: Mapping[str, int] | None = None
    minimum: float | str | None = None
    maximum: float | str | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    histogram: Histogram | None = None
    length_histogram: Histogram | None = None

    @classmethod
    def read(cls, name: str, value: Any, rows: int | None) -> ColumnFacts:
        info = _mapping(value)
        null = _count(info.get("null"))
        top = _mapping(info.get("top"))
        return cls(
            name=name, dtype=_text(info.get("dtype")), kind=_text(info.get("kind")),
            non_null=_count(info.get("non_null")), null=null, distinct=_count(info.get("distinct")),
            null_rate=null / rows if rows and null is not None else None,
            empty=_count(info.get("empty")), whitespace_only=_count(info.get("whitespace_only")),
            length=_numbers(info.get("length")), words=_numbers(info.get("words")),
            top=_with_other(_counts(top.get("values")), _count(top.get("other")) or 0) if top else None,
            minimum=_text(info.get("min")) or _number(info.get("min")),
            maximum=_text(info.get("max")) or _number(info.get("max")),
            mean=_number(info.get("mean")), std=_number(info.get("std")), quantiles=_numbers(info.get("quantiles")),
            histogram=Histogram.read(info.get("histogram")),
            length_histogram=Histogram.read(info.get("length_histogram")),
        )


@dataclass(frozen=True)
class AnswerFacts:
    """The exact answer counts of one column: ``counts`` by value (``"NA"`` is a value),
    ``null`` (no answer), ``other`` (values beyond the kept top 50)."""

    column: str
    counts: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    null: int = 0
    other: int = 0
    distinct: int | None = None

    @classmethod
    def read(cls, column: str, value: Any) -> AnswerFacts:
        info = _mapping(value)
        return cls(column, _counts(info.get("counts")), _count(info.get("null")) or 0,
                   _count(info.get("other")) or 0, _count(info.get("distinct")))

    @property
    def total(self) -> int:
        """Rows with an answer: the kept counts plus ``other`` (nulls excluded)."""
        return sum(self.counts.values()) + self.other

    def tally(self, *, include_other: bool = True) -> Mapping[str, int]:
        """The counts, with ``other`` as the class ``(other)`` when asked and non-zero."""
        return _with_other(self.counts, self.other) if include_other else self.counts

    def shares(self, *, include_other: bool = False) -> dict[str, float]:
        """Each value's share of the answered rows: ``count / (sum(counts) + other)``.

        Empty when nothing was answered. With ``include_other``, ``(other)`` is a class too.
        """
        total = self.total
        return {k: v / total for k, v in self.tally(include_other=include_other).items()} if total else {}


@dataclass(frozen=True)
class ProfileFacts:
    """A typed, read-only view of one profile (a DatasetProfile or a ``profile()`` payload).

    ``rows`` and ``duplicate_rows`` are None when the payload doesn't say;
    ``columns`` lists the column names in order; ``column(name)`` and
    ``answer(name)`` always return facts (empty ones for an unknown column).
    """

    spec: int | None = None
    engine: str | None = None
    rows: int | None = None
    duplicate_rows: int | None = None
    columns: tuple[str, ...] = ()
    column_facts: Mapping[str, ColumnFacts] = field(default_factory=lambda: _EMPTY)
    answers: Mapping[str, AnswerFacts] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def of(cls, profile: Any) -> ProfileFacts:
        """Read a DatasetProfile (anything with ``column_list``, ``record_counts`` and
        ``answer_distribution``) or a payload mapping (``columnList``, ``recordCounts``,
        ``answerDistribution``; ``recordCounts`` must be there). Raises ValidationError only
        when ``profile`` is neither."""
        if all(hasattr(profile, a) for a in ("column_list", "record_counts", "answer_distribution")):
            return cls.read(profile.column_list, profile.record_counts, profile.answer_distribution)
        if isinstance(profile, Mapping) and "recordCounts" in profile:
            return cls.read(profile.get("columnList"), profile.get("recordCounts"), profile.get("answerDistribution"))
        raise ValidationError(f"Expected a DatasetProfile or a profile() payload, not {type(profile).__name__}.")

    @classmethod
    def read(cls, column_list: Any, record_counts: Any, answer_distribution: Any) -> ProfileFacts:
        """Read the three stored fields as they are (any of them may be malformed)."""
        counts = _mapping(record_counts)
        rows = _count(counts.get("rows"))
        listed = column_list if isinstance(column_list, list | tuple) else []
        names = tuple(dict.fromkeys(str(c) for c in listed if c is not None))
        stats = _mapping(counts.get("columns"))
        answers = _mapping(_mapping(answer_distribution).get("columns"))
        return cls(
            spec=_count(counts.get("spec")), engine=_text(counts.get("engine")), rows=rows,
            duplicate_rows=_count(counts.get("duplicate_rows")), columns=names,
            column_facts=MappingProxyType({str(k): ColumnFacts.read(str(k), v, rows) for k, v in stats.items()}),
            answers=MappingProxyType({str(k): AnswerFacts.read(str(k), v) for k, v in answers.items()}),
        )

    @property
    def answer_columns(self) -> tuple[str, ...]:
        return tuple(self.answers)

    def column(self, name: str) -> ColumnFacts:
        """The facts about column ``name`` (all unknown when the profile has none)."""
        return self.column_facts.get(name) or ColumnFacts(name)

    def answer(self, column: str) -> AnswerFacts:
        """The answer counts of ``column`` (empty when it isn't an answer column)."""
        return self.answers.get(column) or AnswerFacts(column)

    def shares(self, column: str, *, include_other: bool = False) -> dict[str, float]:
        """Answer shares of ``column``: see ``AnswerFacts.shares``."""
        return self.answer(column).shares(include_other=include_other)
