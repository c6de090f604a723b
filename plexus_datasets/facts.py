"""The one reader of a stored profile payload: ``ProfileFacts``.

A profile's three JSON fields (``columnList``, ``recordCounts``,
``answerDistribution``; layout ``spec: 2`` in ``profiling``, ``spec: 1`` still
read) come back from a shared store, so they may be anything.
``ProfileFacts.of(profile)`` reads them once into a typed, immutable view and
never raises for what it finds inside: a missing or malformed part reads as
unknown (``None``) or empty, a count that is not a non-negative whole number is
dropped. Everything that shows or compares profiles (CLI, widgets, drift, the
lab sidebar) reads them through this view.

What the profiled rows describe is ``ProfileFacts.subject`` (``SubjectFacts``):

- ``recordCounts.subject`` of kind "full" or "sample": that kind, ``declared`` True;
- no subject (spec 1, or a writer that didn't say): kind "full", ``declared``
  False. Older profiles were all taken of the whole version, so that is what they
  are read as;
- a subject that is there but unreadable (not a mapping, an unknown or missing
  kind): kind None, ``declared`` False, and *not* full. Whoever wrote it meant to
  say something other than "the whole version", so it is never taken for one.

``ProfileFacts.is_full`` is ``subject.kind == "full"``: only those describe a
version (``DatasetService.latest_profile``, listings, comparisons of versions).

>>> facts = ProfileFacts.of({"columnList": ["label"], "recordCounts": {"spec": 2, "rows": 4,
...     "subject": {"kind": "sample", "rows": 4, "population": 40, "seed": 7, "purpose": "evaluation"}},
...     "answerDistribution": {"columns": {"label": {"counts": {"Yes": 2, "No": 1}, "null": 1}}}})
>>> facts.rows, facts.shares("label")
(4, {'Yes': 0.6666666666666666, 'No': 0.3333333333333333})
>>> facts.is_full, facts.subject.population, facts.subject.seed
(False, 40, 7)
>>> legacy = ProfileFacts.of({"recordCounts": {"spec": 1, "rows": 4}})
>>> legacy.is_full, legacy.subject.rows, legacy.subject.declared
(True, 4, False)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .errors import ValidationError

__all__ = ["OTHER", "AnswerFacts", "ColumnFacts", "Histogram", "ProfileFacts", "SubjectFacts"]

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


def _integer(value: Any) -> int | None:
    """A whole number of any sign (a seed), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) else None


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _iso_time(value: Any) -> str | None:
    """ISO 8601 text as written, or None when it isn't one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


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


def _sha256(value: Any) -> str | None:
    digest = _text(value)
    return digest.lower() if digest and _SHA256.fullmatch(digest) else None


@dataclass(frozen=True)
class SubjectFacts:
    """What a profile's rows describe (``recordCounts.subject``; see the module docstring).

    ``kind`` is "full" (the whole materialized version), "sample" (a subset of it),
    "unprofiled" (a stored data file, ``file``, that nobody profiled yet: a Plexus
    DataSet; never full, so never "the version's profile"), or None (a subject that
    can't be read: not full). ``rows`` is the rows
    profiled; a sample's ``population`` is the version's rows when it was drawn,
    ``seed`` its random seed (None: unknown) and ``purpose`` why ("evaluation",
    "sample"). A full profile may name the cached data it read: ``snapshot_sha256``,
    ``data_sha256`` (its rows' content, comparable across machines) and ``built_at``. ``declared`` is True when the payload itself says the kind,
    False for older profiles read as full and for unreadable subjects.
    """

    kind: str | None = "full"
    rows: int | None = None
    population: int | None = None
    seed: int | None = None
    purpose: str | None = None
    snapshot_sha256: str | None = None
    built_at: str | None = None
    declared: bool = False
    data_sha256: str | None = None
    file: str | None = None

    @classmethod
    def read(cls, value: Any, rows: int | None, present: bool = True) -> SubjectFacts:
        """The subject ``value`` of a profile of ``rows`` rows; ``present`` is whether the
        payload has a ``subject`` key at all (an absent or null one is the legacy full)."""
        if not present or value is None:
            return cls("full", rows)
        info = _mapping(value)
        kind = _text(info.get("kind"))
        if not isinstance(value, Mapping) or kind not in ("full", "sample", "unprofiled"):
            return cls(None, rows)
        if kind == "unprofiled":
            snapshot = _mapping(info.get("snapshot"))
            return cls("unprofiled", _count(info.get("rows")), snapshot_sha256=_sha256(snapshot.get("sha256")),
                       built_at=_iso_time(snapshot.get("built_at")), declared=True, file=_text(info.get("file")))
        own_rows = _count(info.get("rows"))
        if kind == "full":
            snapshot = _mapping(info.get("snapshot"))
            return cls("full", own_rows if own_rows is not None else rows,
                       snapshot_sha256=_sha256(snapshot.get("sha256")), built_at=_iso_time(snapshot.get("built_at")),
                       declared=True, data_sha256=_sha256(snapshot.get("data_sha256")))
        drawn_from = _mapping(info.get("snapshot"))  # the snapshot the sample was drawn from, when recorded
        return cls("sample", own_rows if own_rows is not None else rows, population=_count(info.get("population")),
                   seed=_integer(info.get("seed")), purpose=_text(info.get("purpose")), declared=True,
                   snapshot_sha256=_sha256(drawn_from.get("sha256")), built_at=_iso_time(drawn_from.get("built_at")))

    @property
    def is_full(self) -> bool:
        return self.kind == "full"

    @property
    def is_sample(self) -> bool:
        return self.kind == "sample"

    @property
    def is_unprofiled(self) -> bool:
        """A data file recorded without a profile (a Plexus DataSet made by Plexus, or by a load)."""
        return self.kind == "unprofiled"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready), every field."""
        return {"kind": self.kind, "rows": self.rows, "population": self.population, "seed": self.seed,
                "purpose": self.purpose, "snapshot_sha256": self.snapshot_sha256, "built_at": self.built_at,
                "declared": self.declared, "data_sha256": self.data_sha256, "file": self.file}


@dataclass(frozen=True)
class ProfileFacts:
    """A typed, read-only view of one profile (a DatasetProfile or a ``profile()`` payload).

    ``rows`` and ``duplicate_rows`` are None when the payload doesn't say;
    ``columns`` lists the column names in order; ``column(name)`` and
    ``answer(name)`` always return facts (empty ones for an unknown column);
    ``subject`` says what the rows describe and ``is_full`` whether that is the
    whole version.
    """

    spec: int | None = None
    engine: str | None = None
    rows: int | None = None
    duplicate_rows: int | None = None
    columns: tuple[str, ...] = ()
    column_facts: Mapping[str, ColumnFacts] = field(default_factory=lambda: _EMPTY)
    answers: Mapping[str, AnswerFacts] = field(default_factory=lambda: _EMPTY)
    subject: SubjectFacts = field(default_factory=SubjectFacts)

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
            subject=SubjectFacts.read(counts.get("subject"), rows, "subject" in counts),
        )

    @property
    def is_full(self) -> bool:
        """Whether this profile describes the whole version (not a sample, not an unreadable subject)."""
        return self.subject.is_full

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
