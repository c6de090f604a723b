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
  those matching a filter); ``page`` returns one page in a stable order;
- ``get_many`` and ``page_many`` answer many ``get``/``page`` calls at once (the
  stand-in server resolves a level of nested fields with one of each); their
  defaults call ``get``/``page`` per key, and backends override them to use one
  round trip.

Everything else (version numbering, compare-and-set of the current version,
references) is the service's job, built on these verbs, so every backend
behaves the same. Verbs are synchronous and thread-safe.

Records come back as they are stored, unvalidated: a shared store holds what any
writer put there (ids like ``../../x``, version 0, a configuration that is a
list). The service validates every record it reads (``models.read_record``, in
``service/_records.py``) and refuses or skips bad ones as CorruptRecordError; a
backend only has to translate its own failures and, for data it can't even
decode, may raise CorruptRecordError itself.
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from ..refs import is_id

__all__ = ["STAMP_FIELDS", "Backend", "Page", "Record", "SnapshotFile", "Summary", "assemble_summaries", "item_size"]

Record = dict[str, Any]
Filter = Mapping[str, Any]
Summary = dict[str, Any]


@dataclass(frozen=True)
class Page:
    items: list[Record]
    next_token: str | None


@dataclass(frozen=True)
class SnapshotFile:
    """A materialized data file a store keeps for a version (a Plexus DataSet's Parquet
    file): the record that holds it (``profile_id``, a DatasetProfile id), where it is
    (``location``, store-specific), what it should hash to (``sha256``, None when its
    writer recorded none), its row count when known, and when it was recorded."""

    profile_id: str
    dataset_version_id: str
    location: str
    sha256: str | None
    rows: int | None
    created_at: str


class Backend(ABC):
    """A store of Scorecard, ScorecardSection, Score, Dataset, DatasetVersion and
    DatasetProfile records (``model`` is one of ``specs.MODEL_SPECS``)."""

    #: Short human description, never containing secrets (e.g. "sqlite:///x.db").
    description: str = ""
    #: Whether ``transaction()`` makes a group of writes all-or-nothing.
    atomic_transactions: bool = False
    #: Whether versions may be deleted. False where a version's number is its position
    #: among its dataset's versions (Plexus's DataSourceVersion has no number field), so a
    #: deletion would renumber every later version; the service refuses before writing.
    deletes_versions: bool = True
    #: Whether this store keeps data files beside profiles (``put_snapshot`` and friends).
    keeps_snapshots: bool = False
    #: Whether scores keep ``metadata`` (Plexus's Score has no such field: a score's label
    #: column then belongs in the dataset's configuration).
    score_metadata: bool = True
    #: Whether datasets have a ``key`` besides their name (Plexus's DataSource does), found with
    #: ``list("Dataset", filter={"key": {"eq": key}})``.
    dataset_keys: bool = False
    #: Whether scores keep their configuration YAML here (``score_configuration``): Plexus's
    #: ScoreVersions do; the plan's schema and the SQL stores keep none.
    score_configurations: bool = False

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

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, Record]:
        """The records with these ids, by id (missing ones are absent)."""
        found = {id: self.get(model, id) for id in dict.fromkeys(ids)}
        return {id: record for id, record in found.items() if record is not None}

    def page_many(
        self,
        model: str,
        field: str | None,
        values: Sequence[str],
        *,
        limit: int = 100,
        next_token: str | None = None,
        max_bytes: int | None = None,
    ) -> dict[str | None, Page]:
        """``page(model, index=(field, value), limit=..., next_token=...)`` for each value,
        by value (``field=None``: the one page of the whole model, under the key None).

        With ``max_bytes`` a page also ends before the item that would take its items
        past that many bytes (``item_size``; never before the first item), with the
        token of the next page, as DynamoDB ends a page at 1 MB.
        """
        keys: list[str | None] = [None] if field is None else list(dict.fromkeys(values))
        return {key: self._capped_page(model, None if field is None else (field, key), limit, next_token, max_bytes)
                for key in keys}

    def _capped_page(
        self, model: str, index: tuple[str, str] | None, limit: int, next_token: str | None, max_bytes: int | None
    ) -> Page:
        page = self.page(model, index=index, limit=limit, next_token=next_token)
        total = 0
        for count, item in enumerate(page.items):
            total += item_size(item)
            if count and max_bytes is not None and total > max_bytes:
                # the same first `count` items again, now with the token that follows them
                return self.page(model, index=index, limit=count, next_token=next_token)
        return page

    def summaries(self, index: tuple[str, str] | None = None) -> list[Summary]:
        """Datasets (all, or those of one ``index`` value) with what a listing needs.

        Each item: ``{"dataset": record, "currentVersion": record | None,
        "versionNumbers": [int, ...], "profileStamps": [STAMP, ...]}`` where a STAMP
        is ``{"id", "datasetId", "datasetVersionId", "createdAt"}`` of each of the
        dataset's profiles, in no particular order. Which profile a listing shows is
        the service's choice (it reads the full records with ``get_many``): a
        backend never picks one. Backends override this to use a bounded number
        of round trips; this default uses three lists.
        """
        datasets = self.list("Dataset", index=index)
        versions = self.list("DatasetVersion")
        profiles = self.list("DatasetProfile")
        return assemble_summaries(datasets, versions, profiles, {v["id"]: v for v in versions})

    # --- score configurations (only stores with ``score_configurations``) ---------------------

    def score_configuration(self, score_id: str) -> tuple[str, str] | None:
        """The configuration of the score ``score_id`` as its store keeps it: ``(version id,
        YAML text)`` of its champion version, None when it has no champion. The text is
        returned as stored, unparsed (untrusted).

        Raises NotFoundError for an unknown score, CorruptRecordError when the champion it
        names is missing or another score's, and ValidationError on a store that keeps no
        score configurations (``score_configurations`` False).
        """
        raise ValidationError(f"{self.description or type(self).__name__} keeps no score configurations (only "
                              "Plexus's API does, in its ScoreVersions); import the score's YAML file instead.")

    # --- data files (only stores with ``keeps_snapshots``) --------------------------------

    def put_snapshot(self, profile_id: str, dataset_version_id: str, path: str, sha256: str) -> str | None:
        """Store the Parquet file at ``path`` (content ``sha256``) as the data of the
        profile ``profile_id`` that is about to be created for ``dataset_version_id``;
        return its location. The ``create("DatasetProfile", ...)`` that follows with that
        id records it. Stores without files return None and keep nothing."""
        return None

    def record_snapshot(self, dataset_version_id: str, path: str, sha256: str, rows: int,
                        sources: Mapping[str, Any] | None = None) -> SnapshotFile | None:
        """Keep the Parquet file at ``path`` as a data file of ``dataset_version_id`` without
        a profile (a load materialized it). ``sources`` is the source fingerprint summary
        (``{"count", "digest"}``). Stores without files return None."""
        return None

    def snapshots(self, dataset_version_id: str) -> list[SnapshotFile]:
        """The data files this store keeps for a version, newest first (none by default)."""
        return []

    def fetch_snapshot(self, snapshot: SnapshotFile, dest: str) -> None:
        """Download ``snapshot`` to the local file ``dest`` (its content is checked by the
        caller). Raises NotFoundError when the file is gone."""
        raise NotImplementedError(f"{type(self).__name__} keeps no data files")

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


#: The fields of a profile stamp: enough to choose which profiles to read in full.
STAMP_FIELDS = ("id", "datasetId", "datasetVersionId", "createdAt")


def assemble_summaries(
    datasets: list[Record],
    versions: list[Record],
    profiles: list[Record],
    versions_by_id: Mapping[str, Record],
) -> list[Summary]:
    """Group version numbers and profile stamps under each dataset.

    ``profiles`` may be full records or only their ``STAMP_FIELDS``; each comes
    out as a stamp (other fields dropped). Records are taken as stored: the
    service validates what it reads.
    """
    numbers: dict[str, list[int]] = {}
    for version in versions:
        if is_id(version.get("id")):  # a corrupt version is skipped everywhere, so it isn't counted here
            numbers.setdefault(version["datasetId"], []).append(version["versionNumber"])
    stamps: dict[Any, list[Record]] = {}
    for profile in profiles:
        if isinstance(profile, Mapping):  # what a store answers is taken as it is, but only objects are stamps
            stamps.setdefault(profile.get("datasetId"), []).append({k: profile.get(k) for k in STAMP_FIELDS})
    return [
        {
            "dataset": ds,
            "currentVersion": versions_by_id.get(ds.get("currentVersionId") or ""),
            "versionNumbers": sorted(numbers.get(ds["id"], [])),
            "profileStamps": stamps.get(ds["id"], []),
        }
        for ds in datasets
    ]


def item_size(record: Mapping[str, Any]) -> int:
    """About the bytes DynamoDB counts for an item: each attribute's name and value in
    UTF-8, AWSJSON values as their JSON text, numbers at one byte per two digits."""
    return sum(len(name.encode()) + _value_size(value) for name, value in record.items() if value is not None)


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return len(str(value)) // 2 + 2
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
