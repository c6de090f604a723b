"""DatasetService: the one API that widgets, the CLI, magics and notebooks use.

It turns the Backend verbs into dataset semantics (DESIGN §4):

- datasets belong to a scorecard (and optionally a score); names are unique
  within a scorecard; deleting one with versions needs ``cascade=True``;
- versions are immutable and numbered 1..N per dataset. A version's id is
  derived from (dataset id, number), so two writers can't both create number N:
  the loser's create conflicts and it tries N+1. A configuration identical to
  the latest version's returns that version unless ``force=True``;
- the current-version pointer moves by compare-and-set (``expected_current``);
- profiles are append-only and listed in time order;
- references follow ``refs`` (``DATASET[:VERSION]``).

Every input is validated before anything is written; every error is a
``PlexusDatasetsError`` that says what to do.

>>> svc = DatasetService(SQLBackend("sqlite:///:memory:"))   # doctest: +SKIP
>>> card = svc.create_scorecard("QA", key="qa")                # doctest: +SKIP
>>> ds = svc.create_dataset(card, "calls", configuration={"class": "InlineItems"})  # doctest: +SKIP
>>> svc.resolve("calls:current").version_number                # doctest: +SKIP
1
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .backends.base import Backend
from .configs import validate_configuration
from .errors import (
    AmbiguousReferenceError,
    ConflictError,
    NotFoundError,
    PlexusDatasetsError,
    ValidationError,
)
from .models import (
    Dataset,
    DatasetProfile,
    DatasetSummary,
    DatasetVersion,
    Record,
    RecordList,
    Score,
    Scorecard,
    ScorecardSection,
    canonical_json,
    format_datetime,
    utcnow,
)
from .refs import Ref, VersionSpec, parse_ref, parse_version

if TYPE_CHECKING:
    import pandas as pd

    from .diff import ConfigDiff, ProfileComparison
    from .importer import ImportResult
    from .loaders.cache import MaterializationCache

__all__ = ["DatasetService", "version_id"]

R = TypeVar("R", bound=Record)

#: Namespace of the deterministic version ids (uuid5 of "datasetId:number").
VERSION_NAMESPACE = uuid.UUID("8f4c7d1e-3b7a-5c2e-9d41-6a0b2f7e9c13")
MAX_NAME_LENGTH = 255
MAX_NOTE_LENGTH = 4000
MAX_PROFILE_BYTES = 350 * 1024
_UNSET: Any = object()

DatasetLike = Dataset | str
VersionLike = DatasetVersion | str | int


def version_id(dataset_id: str, number: int) -> str:
    """The id of version ``number`` of a dataset: the same on every backend and writer."""
    return str(uuid.uuid5(VERSION_NAMESPACE, f"{dataset_id}:{number}"))


class DatasetService:
    """Datasets, versions and profiles over any Backend.

    ``backend`` defaults to the embedded SQLite file of ``settings``;
    ``clock`` returns the current UTC time (tests and demos may fix it).
    """

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        cache: MaterializationCache | None = None,
    ) -> None:
        if backend is None:
            from .backends.sql import SQLBackend
            from .settings import Settings

            backend = SQLBackend(Settings.from_env().database)
        self.backend = backend
        self.clock = clock
        self._cache = cache

    @property
    def cache(self) -> MaterializationCache:
        """Where ``load`` keeps materialized versions (``PLEXUS_DATASETS_CACHE_DIR``,
        mirrored to ``PLEXUS_DATASETS_S3_URI`` when set)."""
        if self._cache is None:
            from .loaders.cache import MaterializationCache
            from .settings import Settings

            settings = Settings.from_env()
            self._cache = MaterializationCache(settings.materialization_dir, settings.s3_uri)
        return self._cache

    def __repr__(self) -> str:
        return f"DatasetService({self.backend.description or type(self.backend).__name__})"

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> DatasetService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ----------------------------------------------------------------------

    def _new(self, cls: type[R], fields: Mapping[str, Any], created_at: datetime | None = None) -> R:
        now = format_datetime(created_at or self.clock())
        record = {"id": fields.get("id") or str(uuid.uuid4()), "createdAt": now, "updatedAt": now}
        record.update({k: v for k, v in fields.items() if k != "id" and v is not None})
        return cls.model_validate(self.backend.create(cls.__model_name__, record))

    def _get(self, cls: type[R], id: str) -> R | None:
        if not isinstance(id, str) or not id:
            return None
        record = self.backend.get(cls.__model_name__, id)
        return None if record is None else cls.model_validate(record)

    def _list(self, cls: type[R], index: tuple[str, str] | None = None, filter: Any = None) -> list[R]:
        return [cls.model_validate(r) for r in self.backend.list(cls.__model_name__, index=index, filter=filter)]

    def _touch(self) -> str:
        return format_datetime(self.clock())

    # --- scorecards, sections, scores -------------------------------------------------

    def create_scorecard(
        self,
        name: str,
        key: str | None = None,
        *,
        description: str | None = None,
        external_id: str | None = None,
        account_id: str = "default",
        id: str | None = None,
    ) -> Scorecard:
        """Create a scorecard; ``key`` defaults to a slug of the name and must be unique."""
        name = _name(name, "Scorecard name")
        key = _name(key, "Scorecard key") if key is not None else _slug(name)
        if self._list(Scorecard, index=("key", key)):
            raise ConflictError(f"A scorecard with key {key!r} already exists; choose another key.")
        return self._new(
            Scorecard,
            {"id": id, "name": name, "key": key, "description": description,
             "externalId": _opt_str(external_id, "externalId"), "accountId": _name(account_id, "accountId")},
        )

    def list_scorecards(self) -> list[Scorecard]:
        """Every scorecard, by name."""
        return RecordList(sorted(self._list(Scorecard), key=lambda s: (s.name.lower(), s.id)))

    def get_scorecard(self, ref: Scorecard | str) -> Scorecard:
        """A scorecard by id, key, externalId or exact name."""
        if isinstance(ref, Scorecard):
            return ref
        _require_text(ref, "scorecard")
        found = self._get(Scorecard, ref)
        if found:
            return found
        for field in ("key", "externalId"):
            hits = self._list(Scorecard, index=(field, ref))
            if len(hits) == 1:
                return hits[0]
        everything = self._list(Scorecard)
        return _one(
            [s for s in everything if s.name == ref],
            f"scorecard {ref!r}",
            [f"{s.name} ({s.key})" for s in everything],
            ref,
            lambda s: f"{s.name} ({s.key}, id {s.id})",
        )

    def create_section(self, scorecard: Scorecard | str, name: str, *, order: int | None = None) -> ScorecardSection:
        """Add a section to a scorecard (``order`` defaults to after the last one)."""
        card = self.get_scorecard(scorecard)
        name = _name(name, "Section name")
        if order is None:
            order = len(self.list_sections(card))
        return self._new(ScorecardSection, {"name": name, "order": _int(order, "order"), "scorecardId": card.id})

    def list_sections(self, scorecard: Scorecard | str) -> list[ScorecardSection]:
        card = self.get_scorecard(scorecard)
        sections = self._list(ScorecardSection, index=("scorecardId", card.id))
        return RecordList(sorted(sections, key=lambda s: (s.order, s.name)))

    def create_score(
        self,
        section: ScorecardSection | str,
        name: str,
        *,
        key: str | None = None,
        type: str = "Score",
        order: int | None = None,
        external_id: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> Score:
        """Add a score to a section (a ScorecardSection or its id)."""
        sec = section if isinstance(section, ScorecardSection) else self._get(ScorecardSection, section)
        if sec is None:
            raise NotFoundError(f"No scorecard section with id {section!r}; list them with list_sections(scorecard).")
        name = _name(name, "Score name")
        if order is None:
            order = len(self._list(Score, index=("sectionId", sec.id)))
        if metadata is not None:
            metadata = validate_configuration(metadata)
        return self._new(
            Score,
            {"id": id, "name": name, "key": _opt_str(key, "key"), "type": _name(type, "Score type"),
             "order": _int(order, "order"), "externalId": _opt_str(external_id, "externalId"),
             "sectionId": sec.id, "description": description, "metadata": metadata},
        )

    def list_scores(self, scorecard: Scorecard | str | None = None) -> list[Score]:
        """Scores of one scorecard (in section and score order), or every score."""
        if scorecard is None:
            return RecordList(sorted(self._list(Score), key=lambda s: (s.name.lower(), s.id)))
        scores: list[Score] = []
        for section in self.list_sections(scorecard):
            scores.extend(sorted(self._list(Score, index=("sectionId", section.id)), key=lambda s: (s.order, s.name)))
        return RecordList(scores)

    def get_score(self, ref: Score | str, scorecard: Scorecard | str | None = None) -> Score:
        """A score by id, key, externalId or exact name (optionally within one scorecard)."""
        if isinstance(ref, Score):
            return ref
        _require_text(ref, "score")
        found = self._get(Score, ref)
        if found:
            return found
        pool = self.list_scores(scorecard) if scorecard is not None else None
        for field in ("key", "externalId"):
            hits = self._list(Score, index=(field, ref))
            if pool is not None:
                ids = {s.id for s in pool}
                hits = [h for h in hits if h.id in ids]
            if len(hits) == 1:
                return hits[0]
        pool = pool if pool is not None else self._list(Score)
        return _one(
            [s for s in pool if s.name == ref], f"score {ref!r}", [s.name for s in pool], ref,
            lambda s: f"{s.name} (id {s.id})",
        )

    def scorecard_of_score(self, score: Score | str) -> Scorecard:
        sc = self.get_score(score)
        section = self._get(ScorecardSection, sc.section_id)
        if section is None:
            raise NotFoundError(f"Score {sc.name!r} points at a missing section {sc.section_id!r}.")
        return self.get_scorecard(section.scorecard_id)

    # --- datasets ----------------------------------------------------------------------

    def create_dataset(
        self,
        scorecard: Scorecard | str,
        name: str,
        *,
        score: Score | str | None = None,
        description: str | None = None,
        configuration: Mapping[str, Any] | None = None,
        note: str | None = None,
        created_at: datetime | None = None,
    ) -> Dataset:
        """Create a dataset; with ``configuration`` it gets version 1, which becomes current.

        Raises ValidationError for a bad name or configuration, NotFoundError for an
        unknown scorecard or score, ConflictError if the scorecard has a dataset of
        that name. Nothing is written unless everything is valid.
        """
        name = _name(name, "Dataset name")
        description = _opt_str(description, "description")
        card = self.get_scorecard(scorecard)
        score_id = None
        if score is not None:
            sc = self.get_score(score, scorecard=card)
            if self.scorecard_of_score(sc).id != card.id:
                raise ValidationError(f"Score {sc.name!r} does not belong to scorecard {card.name!r}.")
            score_id = sc.id
        config = validate_configuration(configuration) if configuration is not None else None
        note = _note(note)
        if self._list(Dataset, index=("scorecardId", card.id), filter={"name": {"eq": name}}):
            raise ConflictError(
                f"Scorecard {card.name!r} already has a dataset named {name!r}; choose another name "
                "or add a version to that dataset."
            )
        with self.backend.transaction():
            dataset = self._new(
                Dataset,
                {"name": name, "description": description, "scorecardId": card.id, "scoreId": score_id},
                created_at,
            )
            if config is None:
                return dataset
            try:
                self._create_version(dataset, config, note, force=True, created_at=created_at)
            except Exception:
                # Stores without transactions (GraphQL) would keep an empty dataset.
                self._discard(dataset)
                raise
            return self._get(Dataset, dataset.id) or dataset

    def _discard(self, dataset: Dataset) -> None:
        try:
            for version in self._versions(dataset.id):
                self.backend.delete("DatasetVersion", version.id)
            self.backend.delete("Dataset", dataset.id)
        except PlexusDatasetsError:
            pass  # the original error is the one worth reporting

    def get_dataset(self, ref: DatasetLike, scorecard: Scorecard | str | None = None) -> Dataset:
        """A dataset by id or name (a version part in ``ref`` is ignored).

        A Dataset instance is re-read, so its current-version pointer is fresh.
        """
        if isinstance(ref, Dataset):
            found = self._get(Dataset, ref.id)
            if found is None:
                raise NotFoundError(f"Dataset {ref.name!r} (id {ref.id}) no longer exists.")
            return found
        return self._find_dataset(parse_ref(ref) if isinstance(ref, str) else _bad_ref(ref), scorecard)

    def list_datasets(
        self,
        scorecard: Scorecard | str | None = None,
        score: Score | str | None = None,
        name: str | None = None,
    ) -> list[Dataset]:
        """Datasets, all or of one scorecard or score, whose name contains ``name``
        (case-insensitive); sorted by name."""
        if score is not None:
            sc = self.get_score(score, scorecard=scorecard)
            datasets = self._list(Dataset, index=("scoreId", sc.id))
        elif scorecard is not None:
            datasets = self._list(Dataset, index=("scorecardId", self.get_scorecard(scorecard).id))
        else:
            datasets = self._list(Dataset)
        if name:
            needle = name.casefold()
            datasets = [d for d in datasets if needle in d.name.casefold()]
        return RecordList(sorted(datasets, key=lambda d: (d.name.casefold(), d.id)))

    def dataset_summaries(
        self,
        scorecard: Scorecard | str | None = None,
        score: Score | str | None = None,
        name: str | None = None,
    ) -> list[DatasetSummary]:
        """Datasets (filtered as in ``list_datasets``) with their current version,
        version numbers and newest profile, fetched in a bounded number of round
        trips whatever the number of datasets."""
        if score is not None:
            index = ("scoreId", self.get_score(score, scorecard=scorecard).id)
        elif scorecard is not None:
            index = ("scorecardId", self.get_scorecard(scorecard).id)
        else:
            index = None
        summaries = [
            DatasetSummary(
                dataset=Dataset.model_validate(s["dataset"]),
                current_version=DatasetVersion.model_validate(s["currentVersion"]) if s["currentVersion"] else None,
                version_numbers=tuple(s["versionNumbers"]),
                latest_profile=DatasetProfile.model_validate(s["latestProfile"]) if s["latestProfile"] else None,
            )
            for s in self.backend.summaries(index)
        ]
        if name:
            needle = name.casefold()
            summaries = [s for s in summaries if needle in s.dataset.name.casefold()]
        return RecordList(sorted(summaries, key=lambda s: (s.dataset.name.casefold(), s.dataset.id)))

    def update_dataset(
        self, dataset: DatasetLike, *, name: str | None = None, description: str | None = _UNSET
    ) -> Dataset:
        """Rename a dataset or change its description (``description=None`` clears it)."""
        ds = self.get_dataset(dataset)
        changes: dict[str, Any] = {}
        if name is not None:
            name = _name(name, "Dataset name")
            if name != ds.name and self._list(Dataset, index=("scorecardId", ds.scorecard_id),
                                              filter={"name": {"eq": name}}):
                raise ConflictError(f"This scorecard already has a dataset named {name!r}.")
            changes["name"] = name
        if description is not _UNSET:
            changes["description"] = _opt_str(description, "description")
        if not changes:
            return ds
        changes["updatedAt"] = self._touch()
        return Dataset.model_validate(self.backend.update("Dataset", ds.id, changes))

    def delete_dataset(self, dataset: DatasetLike, *, cascade: bool = False) -> Dataset:
        """Delete a dataset. With versions it is refused unless ``cascade=True``,
        which deletes its versions and profiles too."""
        ds = self.get_dataset(dataset)
        versions = self._list(DatasetVersion, index=("datasetId", ds.id))
        if versions and not cascade:
            raise ConflictError(
                f"Dataset {ds.name!r} has {len(versions)} version(s); pass cascade=True "
                "(CLI: --cascade) to delete it with its versions and profiles."
            )
        with self.backend.transaction():
            # Pointer first, then children, then the dataset: a failure part-way never
            # leaves a dataset pointing at a deleted version.
            if ds.current_version_id:
                self.backend.update("Dataset", ds.id, {"currentVersionId": None, "updatedAt": self._touch()})
            for profile in self._list(DatasetProfile, index=("datasetId", ds.id)):
                self.backend.delete("DatasetProfile", profile.id)
            for version in sorted(versions, key=lambda v: -v.version_number):
                self.backend.delete("DatasetVersion", version.id)
            return Dataset.model_validate(self.backend.delete("Dataset", ds.id))

    # --- versions ----------------------------------------------------------------------

    def create_version(
        self,
        dataset: DatasetLike,
        configuration: Mapping[str, Any],
        note: str | None = None,
        force: bool = False,
        *,
        created_at: datetime | None = None,
    ) -> DatasetVersion:
        """Add the next version of a dataset's configuration.

        If the configuration is identical (same canonical JSON) to the latest
        version's, that version is returned and nothing is written, unless
        ``force=True``. The first version of a dataset becomes its current one.
        Safe under concurrent writers: numbers stay unique and contiguous.
        """
        config = validate_configuration(configuration)
        note = _note(note)
        ds = self.get_dataset(dataset)
        return self._create_version(ds, config, note, force=force, created_at=created_at)

    def _create_version(
        self, ds: Dataset, config: dict[str, Any], note: str | None, *, force: bool, created_at: datetime | None
    ) -> DatasetVersion:
        digest_text = canonical_json(config)
        latest = self._latest(ds.id)
        number = latest.version_number + 1 if latest else 1
        if latest and not force and canonical_json(latest.configuration) == digest_text:
            return latest
        while True:
            try:
                version = self._new(
                    DatasetVersion,
                    {"id": version_id(ds.id, number), "datasetId": ds.id, "versionNumber": number,
                     "configuration": DatasetVersion.wire_configuration(config, note)},
                    created_at,
                )
                break
            except ConflictError:
                # Another writer took this number. If it stored the same configuration
                # (a concurrent duplicate submit), that version is the answer.
                winner = self._get(DatasetVersion, version_id(ds.id, number))
                if winner and not force and canonical_json(winner.configuration) == digest_text:
                    return winner
                number += 1
        if number == 1:
            try:
                self.backend.update(
                    "Dataset", ds.id, {"currentVersionId": version.id, "updatedAt": self._touch()},
                    condition={"currentVersionId": {"attributeExists": False}},
                )
            except ConflictError:
                pass  # someone already set a current version; theirs stands
        return version

    def _versions(self, dataset_id: str) -> list[DatasetVersion]:
        return sorted(self._list(DatasetVersion, index=("datasetId", dataset_id)), key=lambda v: v.version_number)

    def _latest(self, dataset_id: str) -> DatasetVersion | None:
        versions = self._versions(dataset_id)
        return versions[-1] if versions else None

    def list_versions(self, dataset: DatasetLike) -> list[DatasetVersion]:
        """Every version of a dataset, by number."""
        return RecordList(self._versions(self.get_dataset(dataset).id))

    def get_version(self, ref: VersionLike) -> DatasetVersion:
        """A version by its id, or by a reference such as ``"calls:v2"``."""
        if isinstance(ref, DatasetVersion):
            return ref
        if isinstance(ref, str):
            found = self._get(DatasetVersion, ref.strip())
            if found:
                return found
        if isinstance(ref, int):
            raise ValidationError(f"A bare number ({ref}) needs a dataset: use 'DATASET:{ref}'.")
        return self.resolve(ref)

    def current_version(self, dataset: DatasetLike) -> DatasetVersion | None:
        ds = self.get_dataset(dataset)
        return self._get(DatasetVersion, ds.current_version_id) if ds.current_version_id else None

    def latest_version(self, dataset: DatasetLike) -> DatasetVersion | None:
        return self._latest(self.get_dataset(dataset).id)

    def set_current_version(
        self, dataset: DatasetLike, version: VersionLike, expected_current: VersionLike | None = None
    ) -> Dataset:
        """Point a dataset at one of its versions (rollback = an older one).

        With ``expected_current`` (a version, its id, number or ``vN``) this is a
        compare-and-set: if the current version is no longer that one,
        ConflictError is raised and nothing changes.
        """
        ds = self.get_dataset(dataset)
        target = self._version_of(ds, version)
        condition = expected = None
        if expected_current is not None:
            expected = self._version_of(ds, expected_current)
            condition = {"currentVersionId": {"eq": expected.id}}
        try:
            record = self.backend.update(
                "Dataset", ds.id, {"currentVersionId": target.id, "updatedAt": self._touch()}, condition=condition
            )
        except ConflictError as exc:
            now = self.current_version(ds.id)
            label = now.label if now else "none"
            wanted = expected.label if expected else "unchanged"
            raise ConflictError(
                f"Dataset {ds.name!r}: expected current version {wanted}, but it is now {label}. "
                "Re-read the dataset and try again."
            ) from exc
        return Dataset.model_validate(record)

    def _version_of(self, ds: Dataset, version: VersionLike) -> DatasetVersion:
        if isinstance(version, DatasetVersion):
            if version.dataset_id != ds.id:
                raise ValidationError(f"Version {version.id!r} belongs to another dataset, not {ds.name!r}.")
            return version
        return self._pick_version(ds, parse_version(version))

    # --- references --------------------------------------------------------------------

    def resolve(self, ref: str | Ref, scorecard: Scorecard | str | None = None) -> DatasetVersion:
        """The DatasetVersion a reference names (``DATASET[:VERSION]``, see ``refs``).

        Raises NotFoundError or AmbiguousReferenceError listing the candidates.
        """
        parsed = ref if isinstance(ref, Ref) else parse_ref(ref) if isinstance(ref, str) else _bad_ref(ref)
        if parsed.version.kind == "id":
            # "DATASET:<version id>" or just "<version id>" alone.
            found = self._get(DatasetVersion, parsed.version.value)  # type: ignore[arg-type]
            if found:
                ds = self._find_dataset(parsed, scorecard)
                if found.dataset_id != ds.id:
                    raise NotFoundError(f"Version {found.id!r} does not belong to dataset {ds.name!r}.")
                return found
        if ":" not in str(ref):
            found = self._get(DatasetVersion, parsed.dataset)
            if found:
                return found
        return self._pick_version(self._find_dataset(parsed, scorecard), parsed.version)

    def _find_dataset(self, ref: Ref, scorecard: Scorecard | str | None) -> Dataset:
        text = ref.dataset
        found = self._get(Dataset, text)
        if found and (scorecard is None or found.scorecard_id == self.get_scorecard(scorecard).id):
            return found
        pool = self.list_datasets(scorecard=scorecard)
        hits = [d for d in pool if d.name == text]
        if not hits and scorecard is None and ref.scoped():
            card_ref, name = ref.scoped()  # type: ignore[misc]
            try:
                card = self.get_scorecard(card_ref)
            except NotFoundError:
                card = None
            if card is not None:
                hits = [d for d in pool if d.name == name and d.scorecard_id == card.id]
        if len(hits) > 1:
            cards = {c.id: c for c in self.list_scorecards()}
            raise AmbiguousReferenceError(
                f"{len(hits)} datasets are named {text!r}; say which with SCORECARD/NAME or the id.",
                sorted(f"{cards[d.scorecard_id].key if d.scorecard_id in cards else d.scorecard_id}/{d.name} "
                       f"(id {d.id})" for d in hits),
            )
        if hits:
            return hits[0]
        raise NotFoundError(
            f"No dataset named or with id {text!r}" + (" in that scorecard." if scorecard else "."),
            _close(text, [d.name for d in pool]),
        )

    def _pick_version(self, ds: Dataset, spec: VersionSpec) -> DatasetVersion:
        if spec.kind == "current":
            if ds.current_version_id:
                current = self._get(DatasetVersion, ds.current_version_id)
                if current:
                    return current
            raise NotFoundError(
                f"Dataset {ds.name!r} has no current version yet; create one with create_version()."
            )
        versions = self._versions(ds.id)
        labels = [v.label for v in versions]
        if spec.kind == "latest":
            if versions:
                return versions[-1]
            raise NotFoundError(f"Dataset {ds.name!r} has no versions yet; create one with create_version().")
        if spec.kind == "number":
            hits = [v for v in versions if v.version_number == spec.value]
        else:
            hits = [v for v in versions if v.id == spec.value]
        if hits:
            return hits[0]
        raise NotFoundError(f"Dataset {ds.name!r} has no version {spec}.", labels or ["(no versions yet)"])

    # --- profiles ----------------------------------------------------------------------

    def record_profile(
        self,
        version: VersionLike,
        column_list: Iterable[str],
        record_counts: Mapping[str, Any],
        answer_distribution: Mapping[str, Any],
        *,
        created_at: datetime | None = None,
    ) -> DatasetProfile:
        """Append a profile of one materialization of ``version``.

        ``record_counts`` and ``answer_distribution`` are JSON mappings (see
        ``profiling`` for the layout this package writes); ``created_at`` backdates
        an imported profile.
        """
        ver = self.get_version(version)
        if isinstance(column_list, str | bytes) or not isinstance(column_list, Iterable):
            raise ValidationError("column_list must be a list of column names.")
        columns = list(column_list)
        if not all(isinstance(c, str) for c in columns):
            raise ValidationError("column_list must contain only strings (column names).")
        counts = _json_mapping(record_counts, "record_counts")
        answers = _json_mapping(answer_distribution, "answer_distribution")
        size = len(canonical_json([columns, counts, answers]).encode())
        if size > MAX_PROFILE_BYTES:
            raise ValidationError(
                f"The profile is {size:,} bytes as JSON, over the {MAX_PROFILE_BYTES:,}-byte limit; "
                "keep top-k values instead of every distinct value."
            )
        return self._new(
            DatasetProfile,
            {"datasetId": ver.dataset_id, "datasetVersionId": ver.id, "columnList": columns,
             "recordCounts": counts, "answerDistribution": answers},
            created_at,
        )

    def list_profiles(self, target: DatasetLike | DatasetVersion) -> list[DatasetProfile]:
        """Profiles of a dataset (a Dataset, id or name) or of one version (a
        DatasetVersion or a ``DATASET:VERSION`` reference), oldest first."""
        if isinstance(target, DatasetVersion):
            index = ("datasetVersionId", target.id)
        elif isinstance(target, str) and ":" in target:
            index = ("datasetVersionId", self.resolve(target).id)
        else:
            index = ("datasetId", self.get_dataset(target).id)
        return RecordList(sorted(self._list(DatasetProfile, index=index), key=lambda p: (p.created_at, p.id)))

    def latest_profile(self, target: DatasetLike | DatasetVersion) -> DatasetProfile | None:
        """The most recent profile of a dataset or version, or None."""
        profiles = self.list_profiles(target)
        return profiles[-1] if profiles else None


    # --- data: load, profile, compare, import ------------------------------------------

    def label_column(self, target: DatasetLike | DatasetVersion) -> str | None:
        """The answer (label) column of a version or dataset: the configuration's
        ``label_column``, else the score's ``metadata.label_column``, else the score's name."""
        version = target if isinstance(target, DatasetVersion) else None
        if version is not None and version.configuration.get("label_column"):
            return str(version.configuration["label_column"])
        ds = self.get_dataset(version.dataset_id if version else target)  # type: ignore[arg-type]
        if version is None and ds.current_version_id:
            current = self._get(DatasetVersion, ds.current_version_id)
            if current and current.configuration.get("label_column"):
                return str(current.configuration["label_column"])
        score = self._get(Score, ds.score_id) if ds.score_id else None
        if score is None:
            return None
        return str((score.metadata or {}).get("label_column") or score.name)

    def load(self, ref: VersionLike, fresh: bool = False) -> pd.DataFrame:
        """The data of a version as a DataFrame (``ref`` as in ``resolve``).

        The first load materializes it with its loader and processors and caches it
        as Parquet (keyed by version id and configuration digest); later loads read
        the cache. ``fresh=True`` rebuilds it. Raises LoaderError when the data
        can't be loaded.
        """
        from .loaders import materialize

        version = self.get_version(ref)
        with _Progress(f"Loading {version.label}", 2) as progress:
            if not fresh:
                cached = self.cache.get(version.id, version.digest)
                if cached is not None:
                    return cached
            frame = materialize(version.configuration, label_column=self.label_column(version), fresh=fresh)
            progress.step()
            self.cache.put(version.id, version.digest, frame)
            progress.step()
        return frame

    def profile(
        self,
        ref: VersionLike,
        record: bool = True,
        *,
        answer_columns: Iterable[str] | None = None,
        text_columns: Iterable[str] | None = None,
        fresh: bool = False,
    ) -> DatasetProfile | dict[str, Any]:
        """Load a version, profile it and (``record=True``) store the DatasetProfile.

        ``answer_columns`` default to the version's label column when the data has
        it. With ``record=False`` the profile payload (a dict) is returned unsaved.
        """
        version = self.get_version(ref)
        frame = self.load(version, fresh=fresh)
        return self.profile_frame(version, frame, record=record, answer_columns=answer_columns,
                                  text_columns=text_columns)

    def profile_frame(
        self,
        version: VersionLike,
        frame: pd.DataFrame,
        *,
        record: bool = True,
        answer_columns: Iterable[str] | None = None,
        text_columns: Iterable[str] | None = None,
        created_at: datetime | None = None,
    ) -> DatasetProfile | dict[str, Any]:
        """Profile data that came from ``version`` (a sample of it, say) and record it
        against that version (``created_at`` backdates it); otherwise as ``profile``."""
        from .profiling import profile as profile_data

        version = self.get_version(version)
        if answer_columns is None:
            label = self.label_column(version)
            answer_columns = [label] if label and label in frame.columns else []
        with _Progress(f"Profiling {version.label}", 1) as progress:
            payload = profile_data(frame, answer_columns=answer_columns, text_columns=text_columns)
            progress.step()
        if not record:
            return payload
        return self.record_profile(version, payload["columnList"], payload["recordCounts"],
                                   payload["answerDistribution"], created_at=created_at)

    # --- configuration text: what forms, the CLI and magics read and show -----------------

    @staticmethod
    def parse_configuration(source: str | Mapping[str, Any]) -> dict[str, Any]:
        """A configuration from YAML/JSON text or a mapping (see ``configs.parse_configuration``)."""
        from .configs import parse_configuration

        return parse_configuration(source)

    @staticmethod
    def configuration_yaml(configuration: Any) -> str:
        """YAML text of a configuration (or any JSON value), keys in their order."""
        from .configs import to_yaml

        return to_yaml(configuration)

    @staticmethod
    def check_configuration(source: str | Mapping[str, Any]) -> dict[str, Any]:
        """Parse a configuration and resolve its loader class without loading anything.

        Raises ConfigurationError/ValidationError for bad text, LoaderError when the
        ``class:`` can't be found in this environment.
        """
        from .configs import parse_configuration
        from .loaders import check_loader

        config = parse_configuration(source)
        check_loader(config)
        return config

    @staticmethod
    def read_score_config(path: str | Path) -> Any:
        """The identity and ``data:`` section of a Plexus score YAML file (``configs.ScoreSpec``)."""
        from .configs import parse_score_config

        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise NotFoundError(f"Can't read the score config {path}: {exc.strerror or exc}.") from exc
        return parse_score_config(text)

    def load_configuration(self, configuration: Mapping[str, Any], label_column: str | None = None) -> pd.DataFrame:
        """Materialize a configuration that has no version (a score YAML's ``data:``); not cached."""
        from .loaders import materialize

        return materialize(validate_configuration(configuration), label_column=label_column)

    def diff_versions(self, a: VersionLike, b: VersionLike) -> ConfigDiff:
        """The configuration changes from version ``a`` to ``b`` (refs, ids or versions)."""
        from .diff import diff_configs

        return diff_configs(self.get_version(a).configuration, self.get_version(b).configuration)

    def compare_profiles(self, a: VersionLike | DatasetProfile, b: VersionLike | DatasetProfile) -> ProfileComparison:
        """Compare two profiles, or the newest profiles of two versions."""
        from .diff import compare_profiles

        def pick(x: VersionLike | DatasetProfile) -> DatasetProfile:
            if isinstance(x, DatasetProfile):
                return x
            version = self.get_version(x)
            found = self.latest_profile(version)
            if found is None:
                raise NotFoundError(f"Version {version.label} of that dataset has no profile yet; record one with "
                                    "profile(ref).")
            return found

        return compare_profiles(pick(a), pick(b))

    def import_score_config(self, source: str | Path, *, scorecard: Scorecard | str | None = None) -> ImportResult:
        """Import a Plexus score YAML (a path or its text): see ``importer``."""
        from .importer import import_score_config

        return import_score_config(self, source, scorecard=scorecard)

    def import_scorecard(self, path: str | Path) -> list[ImportResult]:
        """Import a Plexus scorecard YAML or a folder of score YAMLs: see ``importer``."""
        from .importer import import_scorecard

        return import_scorecard(self, path)


class _Progress:
    """A tqdm.auto bar that appears only for work that takes over a second."""

    def __init__(self, description: str, total: int) -> None:
        self.description, self.total, self.bar = description, total, None

    def __enter__(self) -> _Progress:
        try:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=self.description, delay=1.0, leave=False)
        except ImportError:  # pragma: no cover - tqdm is a dependency
            self.bar = None
        return self

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


# --- validation helpers ---------------------------------------------------------------


def _require_text(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"A {what} reference must be a non-empty string, not {value!r}.")


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, not {type(value).__name__}.")
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError(f"{what} must not be empty.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(f"{what} is {len(cleaned)} characters; the limit is {MAX_NAME_LENGTH}.")
    if any(ord(c) < 32 for c in cleaned):
        raise ValidationError(f"{what} must not contain control characters (newlines, tabs...).")
    return cleaned


def _opt_str(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, not {type(value).__name__}.")
    return value.strip() or None


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be an integer, not {value!r}.")
    return value


def _note(note: Any) -> str | None:
    note = _opt_str(note, "note")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise ValidationError(f"The note is {len(note)} characters; the limit is {MAX_NOTE_LENGTH}.")
    return note


def _json_mapping(value: Any, what: str) -> dict[str, Any]:
    try:
        return validate_configuration(value)
    except ValidationError as exc:
        raise ValidationError(str(exc).replace("configuration", what, 1)) from exc


def _slug(name: str) -> str:
    slug = "".join(c.lower() if c.isalnum() else "-" for c in name).strip("-")
    return "-".join(part for part in slug.split("-") if part) or "scorecard"


def _bad_ref(ref: Any) -> Any:
    raise ValidationError(f"A reference must be a string like 'NAME:v2', not {type(ref).__name__}.")


def _close(text: str, names: list[str]) -> list[str]:
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    return close or sorted(set(names))[:10]


def _one(hits: list[R], what: str, names: list[str], text: str, describe: Callable[[R], str]) -> R:
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise AmbiguousReferenceError(f"More than one {what}; use its id or key.", [describe(h) for h in hits])
    raise NotFoundError(f"No {what}.", _close(text, names))
