"""The dataset/version reference grammar, used by Python, CLI, widgets and magics.

    REF      := DATASET [ ":" VERSION ]
    DATASET  := dataset id | dataset name | SCORECARD "/" dataset name
    VERSION  := "current" (default) | "latest" | N | "v" N | version id

N is written with ASCII digits only (``calls:１`` is not version 1) and goes from 1
to ``MAX_VERSION_NUMBER``. Record ids match ``ID_PATTERN`` (letters, digits, ``-``
and ``_``), so an id never contains ``:`` or ``/`` and a reference is never taken
whole for an id.

The string is split at its *last* colon, so a dataset whose name contains a
colon is referenced with an explicit version (``"a:b:current"``). A DATASET
containing ``/`` is first looked up as a whole name, then as
``SCORECARD/NAME`` (scorecard id, key or name).

>>> parse_ref("calls:v3")
Ref(dataset='calls', version=VersionSpec(kind='number', value=3), has_version=True)
>>> parse_ref("calls").version.kind, parse_ref("calls").has_version
('current', False)
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Literal

from .errors import ValidationError

__all__ = [
    "ID_PATTERN",
    "MAX_ID_LENGTH",
    "MAX_VERSION_NUMBER",
    "VERSION_NAMESPACE",
    "Ref",
    "VersionSpec",
    "is_id",
    "parse_ref",
    "parse_version",
    "with_version",
]

#: The most characters a record id may have.
MAX_ID_LENGTH = 128
#: Every record id, from any store: ASCII letters, digits, ``-`` and ``_``. UUIDs, AppSync
#: autoIds and this package's version ids match; nothing with ``/``, ``.`` or ``:`` does, so an
#: id can't name a path or pass for a reference.
ID_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_ID_LENGTH}}}")
#: Version numbers go from 1 to this (GraphQL's Int would allow 2^31-1).
MAX_VERSION_NUMBER = 1_000_000

_NUMBER = re.compile(r"[vV]?([0-9]+)")
_ANY_DIGITS = re.compile(r"[vV]?(\d+)")  # Unicode digits too: refused with a message


def is_id(value: object) -> bool:
    """Whether ``value`` is a string that matches ``ID_PATTERN``."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def _number(value: int, shown: str) -> VersionSpec:
    if not 1 <= value <= MAX_VERSION_NUMBER:
        raise ValidationError(f"Version numbers start at 1 and go up to {MAX_VERSION_NUMBER:,}; got {shown}.")
    return VersionSpec("number", value)


def _shown(text: object, limit: int = 40) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit] + "...'"


@dataclass(frozen=True)
class VersionSpec:
    kind: Literal["current", "latest", "number", "id"]
    value: int | str | None = None

    def __str__(self) -> str:
        if self.kind == "number":
            return f"v{self.value}"
        return str(self.value) if self.kind == "id" else self.kind


@dataclass(frozen=True)
class Ref:
    """A parsed reference. ``has_version`` says whether a version was named
    (``calls:current``) or left to the default (``calls``); for a Ref built by hand it
    defaults to whether ``version`` is anything but the default."""

    dataset: str
    version: VersionSpec = VersionSpec("current")
    has_version: bool = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.has_version is None:
            object.__setattr__(self, "has_version", self.version != VersionSpec("current"))

    def scoped(self) -> tuple[str, str] | None:
        """``(scorecard, name)`` when DATASET has the ``SCORECARD/NAME`` form."""
        scorecard, sep, name = self.dataset.partition("/")
        return (scorecard, name) if sep and scorecard and name else None

    def __str__(self) -> str:
        return f"{self.dataset}:{self.version}"


def parse_version(text: str | int | None) -> VersionSpec:
    """Parse a VERSION part: current, latest, N, vN or a version id."""
    if text is None:
        return VersionSpec("current")
    if isinstance(text, bool):
        raise ValidationError(f"A version must be current, latest, N, vN or a version id, not {text!r}.")
    if isinstance(text, int):
        return _number(text, str(text) if text.bit_length() <= 64 else f"a {text.bit_length():,}-bit number")
    if not isinstance(text, str):
        raise ValidationError(f"A version must be current, latest, N, vN or a version id, not {type(text).__name__}.")
    cleaned = text.strip()
    if not cleaned:
        raise ValidationError("Empty version: use current, latest, N, vN or a version id.")
    lowered = cleaned.lower()
    if lowered in ("current", "latest"):
        return VersionSpec(lowered)  # type: ignore[arg-type]
    match = _NUMBER.fullmatch(cleaned)
    if match:
        digits = match.group(1).lstrip("0") or "0"
        if len(digits) > len(str(MAX_VERSION_NUMBER)):  # never int() a 5,000-digit string
            return _number(0, f"a {len(digits):,}-digit number")
        return _number(int(digits), repr(cleaned))
    if _ANY_DIGITS.fullmatch(cleaned):
        raise ValidationError(
            f"Version {_shown(cleaned)} is written with non-ASCII digits; write version numbers with 0-9 (e.g. v1)."
        )
    return VersionSpec("id", cleaned)


def parse_ref(text: str) -> Ref:
    """Parse ``DATASET[:VERSION]``; raises ValidationError for an empty reference."""
    if not isinstance(text, str):
        raise ValidationError(f"A dataset reference must be a string like 'calls:v2', not {type(text).__name__}.")
    dataset, sep, version = text.strip().rpartition(":")
    if not sep:
        dataset, version = version, ""
    dataset = dataset.strip()
    if not dataset:
        raise ValidationError(
            f"Empty dataset in reference {text!r}: use DATASET[:VERSION], e.g. 'calls:v2' or 'calls:latest'."
        )
    if not sep:
        return Ref(dataset, has_version=False)
    return Ref(dataset, parse_version(version), has_version=True)


def with_version(dataset: str, version: str | int | None) -> str:
    """The reference text for ``dataset`` at ``version`` (the default version when None)."""
    return dataset if version is None else f"{dataset}:{parse_version(version)}"


#: Namespace of the deterministic version ids (uuid5 of "datasetId:number").
VERSION_NAMESPACE = uuid.UUID("8f4c7d1e-3b7a-5c2e-9d41-6a0b2f7e9c13")


def version_id(dataset_id: str, number: int) -> str:
    """The id of version ``number`` of a dataset: the same on every backend and writer (two
    writers can't both create number N: the second create of that id conflicts).

    >>> version_id("d1", 1) == version_id("d1", 1) != version_id("d1", 2)
    True
    """
    return str(uuid.uuid5(VERSION_NAMESPACE, f"{dataset_id}:{number}"))
