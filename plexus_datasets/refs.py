"""The dataset/version reference grammar, used by Python, CLI, widgets and magics.

    REF      := DATASET [ ":" VERSION ] [ "@sha256:" DIGEST ]
    DATASET  := dataset id | dataset name | SCORECARD "/" dataset name
    VERSION  := "current" (default) | "latest" | N | "v" N | version id
    DIGEST   := 8 to 64 hexadecimal digits: the start of a snapshot's sha256

A DIGEST pins the exact data: the snapshot (a Parquet file of the materialized
version) whose sha256 starts with it. Without a VERSION, the snapshot says which
version it is of; with one, it must be a snapshot of that version.

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
>>> str(parse_ref("calls:v3@sha256:AB12CD34"))
'calls:v3@sha256:ab12cd34'
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
    "MIN_DIGEST_PREFIX",
    "VERSION_NAMESPACE",
    "Ref",
    "VersionSpec",
    "is_id",
    "parse_digest",
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
#: The fewest hexadecimal digits a snapshot digest in a reference may have.
MIN_DIGEST_PREFIX = 8
#: What marks a snapshot in a reference: ``calls:v3@sha256:ab12cd34``.
SNAPSHOT_MARK = "@sha256:"
_HEX = re.compile(r"[0-9a-fA-F]+")
_MARK = re.compile(re.escape(SNAPSHOT_MARK), re.IGNORECASE | re.ASCII)  # ASCII: "ſ" is not an "s" here

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
    snapshot: str | None = None  # the start of a snapshot's sha256 (lowercase hex), when pinned

    def __post_init__(self) -> None:
        if self.has_version is None:
            object.__setattr__(self, "has_version", self.version != VersionSpec("current"))

    def scoped(self) -> tuple[str, str] | None:
        """``(scorecard, name)`` when DATASET has the ``SCORECARD/NAME`` form."""
        scorecard, sep, name = self.dataset.partition("/")
        return (scorecard, name) if sep and scorecard and name else None

    def __str__(self) -> str:
        if self.snapshot:  # without a version, the snapshot says which one it is
            named = f"{self.dataset}:{self.version}" if self.has_version else self.dataset
            return f"{named}{SNAPSHOT_MARK}{self.snapshot}"
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
    if "@" in cleaned:  # never in an id: a snapshot pin written in the wrong place or form
        version, _, digest = cleaned.partition("@")
        raise ValidationError(
            f"Version {_shown(cleaned)} holds an @: a snapshot pin goes after the version as @sha256:DIGEST "
            f"(e.g. 'NAME:{version or 'v1'}@sha256:{digest.split(':')[-1] or 'ab12cd34'}').")
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


def parse_digest(text: str) -> str:
    """A snapshot digest (``sha256:ab12cd34...`` or the bare hex), as lowercase hex:
    at least ``MIN_DIGEST_PREFIX`` and at most 64 hexadecimal digits. Raises ValidationError."""
    if not isinstance(text, str):
        raise ValidationError(f"A snapshot digest must be text like 'sha256:ab12cd34', not {type(text).__name__}.")
    cleaned = text.strip()
    if cleaned[:7].lower() == "sha256:":
        cleaned = cleaned[7:]
    if not _HEX.fullmatch(cleaned) or not MIN_DIGEST_PREFIX <= len(cleaned) <= 64:
        raise ValidationError(
            f"A snapshot digest is the start of its sha256: {MIN_DIGEST_PREFIX} to 64 hexadecimal digits "
            f"(0-9, a-f), e.g. 'calls:v3@sha256:ab12cd34'; got {_shown(text)}."
        )
    return cleaned.lower()


def parse_ref(text: str) -> Ref:
    """Parse ``DATASET[:VERSION][@sha256:DIGEST]``; raises ValidationError for an empty
    reference or a malformed digest."""
    if not isinstance(text, str):
        raise ValidationError(f"A dataset reference must be a string like 'calls:v2', not {type(text).__name__}.")
    text, snapshot = _split_snapshot(text.strip())
    if snapshot is not None:
        if _MARK.search(text):
            raise ValidationError(f"A reference pins at most one snapshot (one @sha256: part); got {_shown(text)}.")
        ref = parse_ref(text)
        return Ref(ref.dataset, ref.version, has_version=ref.has_version, snapshot=snapshot)
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


def _split_snapshot(text: str) -> tuple[str, str | None]:
    """``(rest, digest)`` when ``text`` ends in ``@sha256:DIGEST`` (any case), else ``(text, None)``;
    an ``@`` elsewhere stays part of the name."""
    found = None
    for found in _MARK.finditer(text):  # the last one; positions in the text as written (no lower())
        pass
    if found is None:
        return text, None
    return text[:found.start()], parse_digest(text[found.start() + 1:])


def with_version(dataset: str, version: str | int | None) -> str:
    """The reference text for ``dataset`` at ``version`` (the default version when None);
    a snapshot pin on ``dataset`` (``calls@sha256:ab12cd34``) stays at the end."""
    if version is None:
        return dataset
    dataset, snapshot = _split_snapshot(dataset)
    if isinstance(version, str):  # "v1@sha256:..." (a version with its pin): the pin goes last
        version, pin = _split_snapshot(version.strip())
        if pin and snapshot and pin != snapshot:
            raise ValidationError(f"Two different snapshots are pinned: sha256:{snapshot} and sha256:{pin}.")
        snapshot = snapshot or pin
    pinned = f"{SNAPSHOT_MARK}{snapshot}" if snapshot else ""
    return f"{dataset}:{parse_version(version)}{pinned}"


#: Namespace of the deterministic version ids (uuid5 of "datasetId:number").
VERSION_NAMESPACE = uuid.UUID("8f4c7d1e-3b7a-5c2e-9d41-6a0b2f7e9c13")


def version_id(dataset_id: str, number: int) -> str:
    """The id of version ``number`` of a dataset: the same on every backend and writer (two
    writers can't both create number N: the second create of that id conflicts).

    >>> version_id("d1", 1) == version_id("d1", 1) != version_id("d1", 2)
    True
    """
    return str(uuid.uuid5(VERSION_NAMESPACE, f"{dataset_id}:{number}"))
