"""Record plumbing: model classes in, Backend verbs out, timestamps from one clock.

This is where records enter the service, and nothing read from a store is
trusted: every record is validated (``models.read_record``). ``get`` of a
corrupt record raises CorruptRecordError; a listing skips it, logs one warning
per record (logger ``plexus_datasets.records``; the CLI shows it on stderr) and
counts it in ``RecordList.skipped``. An id outside ``models.ID_PATTERN`` is
never asked of the store: no valid record can have it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..backends.base import Backend
from ..errors import CorruptRecordError, PlexusDatasetsError
from ..facts import ProfileFacts
from ..formats import format_datetime
from ..models import Dataset, DatasetProfile, DatasetSummary, DatasetVersion, Record, RecordList, read_record
from ..refs import MAX_VERSION_NUMBER, is_id

R = TypeVar("R", bound=Record)
Filter = Mapping[str, Any]

log = logging.getLogger("plexus_datasets.records")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(text: str) -> bool:
    """Whether ``text`` is a UUID: what this package and AppSync generate as ids. A
    reference in this shape is taken as an id; any other text that is both one
    record's id and another's name or key is ambiguous (``_resolution``, ``_catalog``)."""
    return _UUID.fullmatch(text) is not None


@contextlib.contextmanager
def _reading(model: str) -> Iterator[None]:
    """Undecodable data from the store (malformed JSON, a 5,000-digit number, nesting
    past the stack) becomes CorruptRecordError; the store's own errors pass through."""
    try:
        yield
    except PlexusDatasetsError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError, OverflowError) as exc:
        raise CorruptRecordError(
            f"The store returned {model} data that can't be decoded ({type(exc).__name__}: {str(exc)[:200]}); "
            "whoever manages the registry should fix or delete that record."
        ) from exc


def _read(cls: type[R], wire: Any) -> R:
    """``read_record``, with a date the store holds that can't be moved to UTC (year 1 at
    +01:00: OverflowError) refused as corrupt like any other bad field."""
    try:
        return read_record(cls, wire)
    except OverflowError as exc:
        raise CorruptRecordError(f"The store holds a corrupt {cls.__model_name__} record: a date out of range "
                                 f"({exc}). It was not used; whoever manages the registry should fix or delete "
                                 "it.") from exc


class Records:
    """Typed create/get/list/update/delete over a Backend's wire records."""

    def __init__(self, backend: Backend, clock: Callable[[], datetime]) -> None:
        self.backend = backend
        self.clock = clock
        self._warned: set[str] = set()

    def now(self) -> str:
        return format_datetime(self.clock())

    def new(self, cls: type[R], fields: Mapping[str, Any], created_at: datetime | None = None) -> R:
        """Create a record (a random id unless ``fields`` has one); None fields are left out."""
        now = format_datetime(created_at or self.clock())
        record = {"id": fields.get("id") or str(uuid.uuid4()), "createdAt": now, "updatedAt": now}
        record.update({k: v for k, v in fields.items() if k != "id" and v is not None})
        with _reading(cls.__model_name__):
            return read_record(cls, self.backend.create(cls.__model_name__, record))

    def get(self, cls: type[R], id: Any) -> R | None:
        """The record with that id; None when there is none (or ``id`` is not an id at
        all); CorruptRecordError when the stored record breaks the rules."""
        if not is_id(id):
            return None
        with _reading(cls.__model_name__):
            record = self.backend.get(cls.__model_name__, id)
        if record is None:
            return None
        found = _read(cls, record)
        if found.id != id:
            raise CorruptRecordError(f"The store answered a request for {cls.__model_name__} {id!r} with the record "
                                     f"{found.id!r}; it was not used.")
        return found

    def list(self, cls: type[R], index: tuple[str, str] | None = None, filter: Filter | None = None
             ) -> RecordList[R]:
        """Every valid record (of one index value, matching ``filter``); corrupt ones are
        skipped with a warning and counted in ``skipped``."""
        with _reading(cls.__model_name__):
            wires = self.backend.list(cls.__model_name__, index=index, filter=filter)
        return self.valid(cls, wires)

    def ids(self, cls: type[R], index: tuple[str, str]) -> list[str]:
        """The ids of every stored record of one index value, corrupt ones included
        (only to delete them: a cascade leaves nothing behind)."""
        with _reading(cls.__model_name__):
            wires = self.backend.list(cls.__model_name__, index=index)
        return [w["id"] for w in wires if isinstance(w, Mapping) and isinstance(w.get("id"), str)]

    def valid(self, cls: type[R], wires: Any) -> RecordList[R]:
        """The records in ``wires`` that validate; the others skipped with a warning."""
        good: list[R] = []
        skipped = 0
        for wire in wires:
            try:
                good.append(_read(cls, wire))
            except CorruptRecordError as exc:
                skipped += 1
                self.warn(exc)
        return RecordList(good, skipped=skipped)

    def warn(self, exc: CorruptRecordError) -> None:
        """Log a skipped record once per service (listings repeat)."""
        message = f"Skipped: {exc}"
        if message not in self._warned:
            self._warned.add(message)
            log.warning(message)

    def named(self, cls: type[R], name: str, index: tuple[str, str] | None = None) -> RecordList[R]:
        """Records whose ``name`` is exactly ``name``, asked of the store directly
        (an indexed column in SQL, a server-side filter on GraphQL); names are stored
        NFC-normalized, so ``name`` is too."""
        return self.list(cls, index=index, filter={"name": {"eq": unicodedata.normalize("NFC", name)}})

    def update(self, cls: type[R], id: str, changes: Mapping[str, Any], condition: Filter | None = None) -> R:
        """Apply ``changes`` and stamp ``updatedAt``; ConflictError when ``condition`` fails."""
        stamped = {**changes, "updatedAt": self.now()}
        with _reading(cls.__model_name__):
            return read_record(cls, self.backend.update(cls.__model_name__, id, stamped, condition=condition))

    def delete(self, cls: type[R], id: str) -> dict[str, Any]:
        """Remove a record; returns what the store answered (after a retried delete on
        GraphQL that may be only ``{"id": ...}``)."""
        return self.backend.delete(cls.__model_name__, id)

    def summaries(self, index: tuple[str, str] | None) -> RecordList[DatasetSummary]:
        """``Backend.summaries`` validated, with each dataset's profile chosen here.

        A summary shows the *current* version's newest *full* profile (never another
        version's, never a sample's). From the backend's profile stamps, the current
        version's are taken newest first and read with the batched ``get_many``:
        round 1 reads each dataset's newest; later rounds, only for datasets whose
        candidates so far were samples (or unreadable), read 4, then 16, then 64...
        more. Typically one call whatever the number of datasets; a few when many
        samples were recorded after the last full profile.

        A corrupt dataset is skipped; a corrupt (or foreign) current version or
        profile, and version numbers out of bounds, are left out of its summary;
        each with a warning, all counted in ``skipped``.
        """
        with _reading("Dataset"):
            raw = self.backend.summaries(index)
        pending: list[tuple[Dataset, DatasetVersion | None, tuple[int, ...], list[str]]] = []
        skipped = 0
        for item in raw:
            try:
                dataset = _read(Dataset, item.get("dataset") if isinstance(item, Mapping) else item)
            except CorruptRecordError as exc:
                skipped += 1
                self.warn(exc)
                continue
            current = self._part(DatasetVersion, item.get("currentVersion"), dataset)
            numbers = item.get("versionNumbers") or []
            valid = tuple(n for n in numbers if type(n) is int and 1 <= n <= MAX_VERSION_NUMBER)
            if len(valid) != len(numbers):
                self.warn(CorruptRecordError(f"Dataset {dataset.name!r} has {len(numbers) - len(valid)} version(s) "
                                             f"whose number is not 1 to {MAX_VERSION_NUMBER:,}."))
            skipped += (current is False) + len(numbers) - len(valid)
            candidates = _candidates(item.get("profileStamps"), dataset.id, current.id) if current else []
            pending.append((dataset, current or None, valid, candidates))
        chosen, samples_only, refused = self._full_profiles(pending)
        out = [DatasetSummary(dataset=dataset, current_version=current, version_numbers=valid,
                              latest_profile=chosen.get(dataset.id),
                              sample_profiles_only=dataset.id in samples_only)
               for dataset, current, valid, _ in pending]
        return RecordList(out, skipped=skipped + refused)

    def _full_profiles(self, pending: list[tuple[Dataset, DatasetVersion | None, tuple[int, ...], list[str]]]
                       ) -> tuple[dict[str, DatasetProfile], set[str], int]:
        """Per dataset id, the newest full profile among its candidates (newest first);
        the ids of datasets whose readable candidates are all samples; how many
        candidates were refused as corrupt. Candidates are read in rounds of growing
        size per dataset (1, 4, 16, ...), one batched call per round, and only for the
        datasets still without a full one: a long run of samples costs a few calls
        and never reads every profile."""
        chosen: dict[str, DatasetProfile] = {}
        seen_sample: set[str] = set()
        refused = 0
        open_ = [(dataset, current, candidates) for dataset, current, _, candidates in pending
                 if candidates and current is not None]
        start, size = 0, 1
        while open_:
            window = {dataset.id: candidates[start:start + size] for dataset, _, candidates in open_}
            fetched = self._profiles_by_id([id for ids in window.values() for id in ids])
            still = []
            for dataset, current, candidates in open_:
                for id in window[dataset.id]:
                    found = self._candidate(fetched.get(id), dataset, current)  # type: ignore[arg-type]
                    refused += found is False
                    facts = ProfileFacts.of(found) if found else None
                    if facts is not None and facts.is_full:
                        chosen[dataset.id] = found
                        break
                    if facts is not None and facts.subject.is_sample:  # a stored data file is no sample
                        seen_sample.add(dataset.id)
                else:
                    if len(candidates) > start + size:
                        still.append((dataset, current, candidates))
            open_, start, size = still, start + size, size * 4
        return chosen, seen_sample - set(chosen), refused

    def _profiles_by_id(self, ids: list[str]) -> dict[str, Any]:
        """Wire profiles by id in one batched ``get_many``; a store that can't decode one of
        them answers the batch id by id, and the undecodable ones read as ``False``."""
        if not ids:
            return {}
        try:
            with _reading("DatasetProfile"):
                return dict(self.backend.get_many("DatasetProfile", ids))
        except CorruptRecordError:
            pass
        found: dict[str, Any] = {}
        for id in ids:
            try:
                with _reading("DatasetProfile"):
                    found[id] = self.backend.get("DatasetProfile", id)
            except CorruptRecordError as exc:
                self.warn(exc)
                found[id] = False
        return found

    def _candidate(self, wire: Any, dataset: Dataset, current: DatasetVersion) -> DatasetProfile | None | bool:
        """A fetched profile of ``current``: None when gone, False when refused (with a warning)."""
        if wire is False:
            return False
        found = self._part(DatasetProfile, wire, dataset)
        if found and found.dataset_version_id != current.id:
            self.warn(CorruptRecordError(f"Dataset {dataset.name!r} lists profile {found.id!r} under its current "
                                         f"version {current.label}, but the profile is of another version; it was "
                                         "not used."))
            return False
        return found

    def _part(self, cls: type[R], wire: Any, dataset: Dataset) -> R | None | bool:
        """A summary's nested record: None when absent, False when refused (with a warning)."""
        if wire is None:
            return None
        try:
            found = _read(cls, wire)
        except CorruptRecordError as exc:
            self.warn(exc)
            return False
        if found.dataset_id != dataset.id:  # type: ignore[attr-defined]
            self.warn(CorruptRecordError(f"Dataset {dataset.name!r} points at a {cls.__model_name__} of another "
                                         f"dataset ({found.id!r}); it was not used."))
            return False
        return found


_NEVER = datetime.min.replace(tzinfo=UTC)


def _candidates(stamps: Any, dataset_id: str, version_id: str) -> list[str]:
    """Ids of the stamps of one dataset's version, newest first (by ``createdAt``, then id;
    a stamp whose time can't be read sorts last: its record is judged when read)."""
    found: dict[str, datetime] = {}
    for stamp in stamps if isinstance(stamps, list) else []:
        if not isinstance(stamp, Mapping) or not is_id(stamp.get("id")):
            continue
        if stamp.get("datasetId") != dataset_id or stamp.get("datasetVersionId") != version_id:
            continue
        found[stamp["id"]] = _when(stamp.get("createdAt"))
    return sorted(found, key=lambda id: (found[id], id), reverse=True)


def _when(value: Any) -> datetime:
    if not isinstance(value, str):
        return _NEVER
    try:
        when = datetime.fromisoformat(value)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):  # not a time, or one that can't be moved to UTC (year 1, +01:00)
        return _NEVER

