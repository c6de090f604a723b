"""The Backend contract: a handful of verbs over wire records.

A *record* is a ``dict`` keyed by the contract's camelCase field names, with
AWSJSON fields as decoded Python values and AWSDateTime fields as ISO strings
carrying a UTC offset (``formats.format_datetime``). Backends store records and
enforce exactly the rules AppSync enforces, nothing more:

- ``create`` fails with ``ConflictError`` when the id exists;
- ``update``/``delete`` fail with ``NotFoundError`` when it does not, and with
  ``ConflictError`` when a ``condition`` (an AppSync condition input, see
  ``filters``) is false;
- ``list`` returns every record (optionally those of one index value, and
  those matching a filter); ``page`` returns one page in a stable order.

Everything else (version numbering, compare-and-set of the current version,
references) is the service's job, built on these verbs, so every backend
behaves the same. Verbs are synchronous and thread-safe.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Backend", "Page", "Record", "Summary", "assemble_summaries"]

Record = dict[str, Any]
Filter = Mapping[str, Any]
Summary = dict[str, Any]


@dataclass(frozen=True)
class Page:
    items: list[Record]
    next_token: str | None


class Backend(ABC):
    """A store of Scorecard, ScorecardSection, Score, Dataset, DatasetVersion and
    DatasetProfile records (``model`` is one of ``specs.MODEL_SPECS``)."""

    #: Short human description, never containing secrets (e.g. "sqlite:///x.db").
    description: str = ""
    #: Whether ``transaction()`` makes a group of writes all-or-nothing.
    atomic_transactions: bool = False

    @abstractmethod
    def create(self, model: str, record: Mapping[str, Any]) -> Record:
        """Store a new record (it carries ``id``, ``createdAt``, ``updatedAt``).

        Raises ConflictError if a record with that id exists.
        """

    @abstractmethod
    def get(self, model: str, id: str) -> Record | None:
        """The record with that id, or None."""

    @abstractmethod
    def update(
        self, model: str, id: str, changes: Mapping[str, Any], condition: Filter | None = None
    ) -> Record:
        """Apply ``changes`` (a None value removes the attribute); return the new record.

        Raises NotFoundError if there is no such record, ConflictError if
        ``condition`` is false for the stored record.
        """

    @abstractmethod
    def delete(self, model: str, id: str, condition: Filter | None = None) -> Record:
        """Remove a record and return it; errors as for ``update``."""

    @abstractmethod
    def list(
        self, model: str, *, index: tuple[str, str] | None = None, filter: Filter | None = None
    ) -> list[Record]:
        """Every record of ``model``; with ``index=(field, value)`` only those whose
        indexed field equals value; with ``filter`` only those matching it."""

    @abstractmethod
    def page(
        self,
        model: str,
        *,
        index: tuple[str, str] | None = None,
        limit: int = 100,
        next_token: str | None = None,
    ) -> Page:
        """One page of at most ``limit`` records in a stable order, and the token of
        the next page (None at the end). Raises ValidationError for a bad token."""

    def summaries(self, index: tuple[str, str] | None = None) -> list[Summary]:
        """Datasets (all, or those of one ``index`` value) with what a listing shows.

        Each item: ``{"dataset": record, "currentVersion": record | None,
        "versionNumbers": [int, ...], "latestProfile": record | None}``.
        Backends override this to use a bounded number of round trips; this
        default uses three lists.
        """
        datasets = self.list("Dataset", index=index)
        versions = self.list("DatasetVersion")
        profiles = self.list("DatasetProfile")
        return assemble_summaries(datasets, versions, profiles, {v["id"]: v for v in versions})

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes atomically where the store can (SQL); a no-op where it can't."""
        yield

    def close(self) -> None:
        """Release connections. The backend must not be used afterwards."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def assemble_summaries(
    datasets: list[Record],
    versions: list[Record],
    profiles: list[Record],
    versions_by_id: Mapping[str, Record],
) -> list[Summary]:
    """Group version numbers and the newest profile under each dataset.

    ``profiles`` may hold only ``id``/``datasetId``/``createdAt``: the caller
    fetches the full latest profiles when it needs them.
    """
    numbers: dict[str, list[int]] = {}
    for version in versions:
        numbers.setdefault(version["datasetId"], []).append(version["versionNumber"])
    latest: dict[str, Record] = {}
    for profile in profiles:
        best = latest.get(profile["datasetId"])
        if best is None or (profile["createdAt"], profile["id"]) > (best["createdAt"], best["id"]):
            latest[profile["datasetId"]] = profile
    return [
        {
            "dataset": ds,
            "currentVersion": versions_by_id.get(ds.get("currentVersionId") or ""),
            "versionNumbers": sorted(numbers.get(ds["id"], [])),
            "latestProfile": latest.get(ds["id"]),
        }
        for ds in datasets
    ]
