"""References to datasets and versions (``refs``) turned into records.

Names are asked of the store directly (``Records.named``: an indexed lookup in
SQL, a server-side filter on GraphQL), never by listing every dataset; a
version number is one ``get`` of its deterministic id, with a listing only as a
fallback for versions stored under other ids.

Ids are chosen by whoever writes to a shared store, so an id can't hijack a
reference: a reference is never tried whole as an id (ids can't hold ``:``),
and when text is one record's id and another dataset's name (or a version's id
and a dataset's name or id), AmbiguousReferenceError lists both. UUID-shaped
text is taken as the id it is (``_records.is_uuid``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from ..errors import AmbiguousReferenceError, CorruptRecordError, NotFoundError, ValidationError
from ..models import Dataset, DatasetVersion, RecordList, Scorecard
from ..refs import Ref, VersionSpec, parse_ref, parse_version, version_id, with_version
from ._catalog import Catalog, close_matches
from ._records import Records, is_uuid

DatasetLike = Dataset | str
VersionLike = DatasetVersion | str | int


class Resolver:
    def __init__(self, records: Records, catalog: Catalog) -> None:
        self.records = records
        self.catalog = catalog
        #: Which version of a dataset has the snapshot a bare pin (``calls@sha256:ab12cd34``) names.
        self.pinned_version: Callable[[Dataset, str], DatasetVersion] | None = None
        #: Raises when a version has no snapshot a pin (``calls:v3@sha256:ab12cd34``) names.
        self.check_pin: Callable[[DatasetVersion, str], None] | None = None

    # --- datasets --------------------------------------------------------------------

    def dataset(self, ref: DatasetLike, scorecard: Scorecard | str | None = None) -> Dataset:
        """A dataset by id or name; a Dataset instance is re-read (a fresh current pointer)."""
        if isinstance(ref, Dataset):
            found = self.records.get(Dataset, ref.id)
            if found is None:
                raise NotFoundError(f"Dataset {ref.name!r} (id {ref.id}) no longer exists.")
            return found
        return self.find_dataset(parse_ref(ref), scorecard)

    def find_dataset(self, ref: Ref, scorecard: Scorecard | str | None) -> Dataset:
        text = ref.dataset
        card = self.catalog.scorecard(scorecard) if scorecard is not None else None
        hits = self._dataset_hits(ref, card)
        if len(hits) > 1:
            by_id = hits[0].id == text
            raise AmbiguousReferenceError(
                f"{text!r} is the id of one dataset and the name of another; say which with SCORECARD/NAME or "
                "the other's id." if by_id else
                f"{len(hits)} datasets are named {text!r}; say which with SCORECARD/NAME or the id.",
                sorted(self._describe(d) for d in hits),
            )
        if hits:
            return hits[0]
        pool = self.records.list(Dataset, index=("scorecardId", card.id) if card else None)  # near misses
        raise NotFoundError(
            f"No dataset named or with id {text!r}" + (" in that scorecard." if card else "."),
            close_matches(text, [d.name for d in pool]),
        )

    def _dataset_hits(self, ref: Ref, card: Scorecard | None) -> list[Dataset]:
        """Datasets ``ref.dataset`` names (within ``card`` when given): by id (first), by
        name, or as SCORECARD/NAME."""
        text = ref.dataset
        by_id = self.records.get(Dataset, text)
        if by_id and card is not None and by_id.scorecard_id != card.id:
            by_id = None
        if by_id and is_uuid(text):
            return [by_id]
        named = self.records.named(Dataset, text, index=("scorecardId", card.id) if card else None)
        if not named and not by_id and card is None and ref.scoped():
            named = self._scoped(*ref.scoped())  # type: ignore[misc]
        if not named and not by_id and self.records.backend.dataset_keys:  # Plexus: a DataSource's key
            named = self.records.list(Dataset, index=("scorecardId", card.id) if card else None,
                                      filter={"key": {"eq": unicodedata.normalize("NFC", text)}})
        return ([by_id] if by_id else []) + [d for d in named if not by_id or d.id != by_id.id]

    def _describe(self, dataset: Dataset) -> str:
        return f"{self._card_key(dataset.scorecard_id)}/{dataset.name} (id {dataset.id})"

    def _scoped(self, card_ref: str, name: str) -> list[Dataset]:
        try:
            card = self.catalog.scorecard(card_ref)
        except NotFoundError:
            return []
        return self.records.named(Dataset, name, index=("scorecardId", card.id))

    def _card_key(self, scorecard_id: str) -> str:
        try:
            card = self.records.get(Scorecard, scorecard_id)
        except CorruptRecordError:
            card = None
        return card.key if card else scorecard_id

    # --- versions --------------------------------------------------------------------

    def versions(self, dataset_id: str) -> RecordList[DatasetVersion]:
        """Every version of a dataset, by number (``skipped`` counts corrupt ones)."""
        found = self.records.list(DatasetVersion, index=("datasetId", dataset_id))
        mine = [v for v in found if v.dataset_id == dataset_id]
        return RecordList(sorted(mine, key=lambda v: (v.version_number, v.id)), skipped=found.skipped)

    def latest(self, dataset_id: str) -> DatasetVersion | None:
        versions = self.versions(dataset_id)
        return versions[-1] if versions else None

    def numbered(self, ds: Dataset, number: int) -> DatasetVersion | None:
        direct = self.records.get(DatasetVersion, version_id(ds.id, number))
        if direct and direct.dataset_id == ds.id and direct.version_number == number:
            return direct
        return next((v for v in self.versions(ds.id) if v.version_number == number), None)

    def pick_version(self, ds: Dataset, spec: VersionSpec) -> DatasetVersion:
        if spec.kind == "current":
            return self.current(ds)
        if spec.kind == "latest":
            latest = self.latest(ds.id)
            if latest:
                return latest
            raise NotFoundError(f"Dataset {ds.name!r} has no versions yet; create one with create_version().")
        if spec.kind == "number":
            hit = self.numbered(ds, spec.value)  # type: ignore[arg-type]
        else:
            hit = self.records.get(DatasetVersion, spec.value)
            hit = hit if hit and hit.dataset_id == ds.id else None
        if hit:
            return hit
        labels = [v.label for v in self.versions(ds.id)]
        raise NotFoundError(f"Dataset {ds.name!r} has no version {spec}.", labels or ["(no versions yet)"])

    def current(self, ds: Dataset, required: bool = True) -> DatasetVersion | None:
        """``ds``'s current version; NotFoundError when it has none or the pointer dangles
        (None instead unless ``required``), CorruptRecordError when it points at another
        dataset's version."""
        if not ds.current_version_id:
            if required:
                labels = [v.label for v in self.versions(ds.id)]
                if labels:  # versions made elsewhere (Plexus's dashboard) without moving the pointer
                    latest = with_version(ds.name, labels[-1])
                    raise NotFoundError(
                        f"Dataset {ds.name!r} has {len(labels)} version(s) but no current one. Name one "
                        f"({latest!r}, or '{ds.name}:latest'), or make one current: `plexus-datasets versions "
                        f"set-current {latest}` (Python: set_current_version).")
                raise NotFoundError(f"Dataset {ds.name!r} has no current version: it has no versions yet; create "
                                    "one (CLI: `plexus-datasets versions create`, Python: create_version()).")
            return None
        current = self.records.get(DatasetVersion, ds.current_version_id)
        if current is None:
            if required:
                raise NotFoundError(f"Dataset {ds.name!r} points at a current version that does not exist "
                                    f"({ds.current_version_id}); choose one with set_current_version().")
            return None
        if current.dataset_id != ds.id:
            raise CorruptRecordError(f"Dataset {ds.name!r} points at a version of another dataset "
                                     f"({current.id}) as its current one; it was not used. Choose one of its own "
                                     "with set_current_version().")
        return current

    def version_of(self, ds: Dataset, version: VersionLike) -> DatasetVersion:
        """One of ``ds``'s versions: a DatasetVersion, its id, number, ``vN``, current or latest."""
        if isinstance(version, DatasetVersion):
            if version.dataset_id != ds.id:
                raise ValidationError(f"Version {version.id!r} belongs to another dataset, not {ds.name!r}.")
            return version
        return self.pick_version(ds, parse_version(version))

    # --- references ------------------------------------------------------------------

    def resolve(self, ref: str | Ref, scorecard: Scorecard | str | None = None) -> DatasetVersion:
        parsed = ref if isinstance(ref, Ref) else parse_ref(ref)
        found = self._resolve(parsed, scorecard)
        if parsed.snapshot and parsed.has_version and self.check_pin is not None:
            self.check_pin(found, parsed.snapshot)  # a pin that names nothing is refused wherever it is given
        return found

    def _resolve(self, parsed: Ref, scorecard: Scorecard | str | None) -> DatasetVersion:
        if parsed.version.kind == "id":
            found = self.records.get(DatasetVersion, parsed.version.value)
            if found:
                ds = self.find_dataset(parsed, scorecard)
                if found.dataset_id != ds.id:
                    raise NotFoundError(f"Version {found.id!r} does not belong to dataset {ds.name!r}.")
                return found
        if not parsed.has_version:  # a bare version id is a reference too
            found = self.records.get(DatasetVersion, parsed.dataset)
            if found:
                card = self.catalog.scorecard(scorecard) if scorecard is not None else None
                datasets = [] if is_uuid(parsed.dataset) else self._dataset_hits(parsed, card)
                if not datasets:
                    return found
                raise AmbiguousReferenceError(
                    f"{parsed.dataset!r} is the id of a version (v{found.version_number} of dataset id "
                    f"{found.dataset_id}) and also names a dataset; use DATASET:VERSION.",
                    [f"version {found.id} (v{found.version_number} of dataset id {found.dataset_id})",
                     *sorted(self._describe(d) for d in datasets)],
                )
        if parsed.snapshot and not parsed.has_version and self.pinned_version is not None:
            return self.pinned_version(self.find_dataset(parsed, scorecard), parsed.snapshot)
        return self.pick_version(self.find_dataset(parsed, scorecard), parsed.version)

    def version(self, ref: VersionLike) -> DatasetVersion:
        """A version by its id, or by a reference such as ``"calls:v2"``."""
        if isinstance(ref, DatasetVersion):
            return ref
        if isinstance(ref, int) and not isinstance(ref, bool):
            raise ValidationError(f"A bare number ({ref}) needs a dataset: use 'DATASET:{ref}'.")
        return self.resolve(ref)  # type: ignore[arg-type]

    def target(self, target: Any) -> tuple[str, str]:
        """The profile index for a dataset (a Dataset, id or name) or one version (a
        DatasetVersion or a reference that names a version)."""
        if isinstance(target, DatasetVersion):
            return ("datasetVersionId", target.id)
        if isinstance(target, str) and (parse_ref(target).has_version or parse_ref(target).snapshot):
            return ("datasetVersionId", self.resolve(target).id)
        return ("datasetId", self.dataset(target).id)
