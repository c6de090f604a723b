"""DatasetService: the one API that widgets, the CLI, magics and notebooks use.

It turns the Backend verbs into dataset semantics (DESIGN §4):

- datasets belong to a scorecard (and optionally a score); names are unique
  within a scorecard; deleting one with versions needs ``cascade=True``;
- versions are immutable and numbered 1..N per dataset, safe under concurrent
  writers; a configuration identical to the latest version's returns that
  version unless ``force=True``;
- the current-version pointer moves by compare-and-set (``expected_current``);
- profiles are append-only and listed in time order;
- references follow ``refs`` (``DATASET[:VERSION][@sha256:DIGEST]``);
- a load returns a snapshot: the newest materialization of the version, or the one a
  digest pins (``_pins``), so a reference can name the exact rows.

The class is a façade: each method validates its input and hands the work to
one private part (``_catalog``, ``_resolution``, ``_versions``, ``_datasets``,
``_profiles``, ``_data``, ``_pins``). Every input is validated before anything is written;
every error is a ``PlexusDatasetsError`` that says what to do.

>>> svc = connect("sqlite:///:memory:")                        # doctest: +SKIP
>>> card = svc.create_scorecard("QA", key="qa")                # doctest: +SKIP
>>> ds = svc.create_dataset(card, "calls", configuration={"class": "InlineItems"})  # doctest: +SKIP
>>> svc.resolve("calls:current").version_number                # doctest: +SKIP
1
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..compose import default_progress, materialization_cache, open_store, trust_policy
from ..configs import parse_configuration, validate_configuration
from ..errors import ConflictError, NotFoundError, ValidationError
from ..facts import ProfileFacts
from ..formats import utcnow
from ..models import (
    Dataset,
    DatasetProfile,
    DatasetSummary,
    DatasetVersion,
    RecordList,
    Score,
    Scorecard,
    ScorecardSection,
)
from ..refs import Ref, parse_ref, version_id
from . import _imports
from . import _validate as validate
from ._catalog import Catalog
from ._data import Data, likely_label_columns
from ._datasets import Datasets
from ._pins import FRESH, Pins, SnapshotInfo, SnapshotList
from ._profiles import DataFile, Profiles
from ._records import Records
from ._resolution import DatasetLike, Resolver, VersionLike
from ._versions import Versions

if TYPE_CHECKING:
    import os

    import pandas as pd

    from ..backends.base import Backend
    from ..configs import ImportResult, ScoreSpec
    from ..diff import ConfigDiff, ProfileComparison
    from ..loaders.cache import MaterializationCache, Snapshot
    from ..loaders.trust import TrustPolicy
    from ..progress import Progress
    from ..rowdiff import RowDiff

__all__ = ["DatasetService", "SnapshotInfo", "SnapshotList", "connect", "likely_label_columns", "version_id"]

_UNSET: Any = object()

#: Methods that moved out of the service in 0.2 (issue #11), and where to find them now.
_MOVED = {
    "import_score_config": "plexus_datasets.importer.import_score_config(svc, path)",
    "import_scorecard": "plexus_datasets.importer.import_scorecard(svc, path)",
    "read_score_config": "plexus_datasets.importer.read_score_config(path)",
    "parse_configuration": "plexus_datasets.configs.parse_configuration(text)",
    "configuration_yaml": "plexus_datasets.formats.to_yaml(configuration)",
}


def connect(db: str | None = None, *, api_url: str | None = None, api_key: str | None = None,
            dialect: str | None = None, account_key: str | None = None, account_id: str | None = None,
            trusted_modules: Iterable[str] | None = None, data_roots: Iterable[str | os.PathLike[str]] | None = None,
            s3_buckets: Iterable[str] | None = None) -> DatasetService:
    """A DatasetService over the store the arguments and environment name.

    - ``api_url`` (else ``PLEXUS_API_URL``, unless ``db`` is given) selects the
      Amplify/AppSync GraphQL backend, with ``api_key`` (else ``PLEXUS_API_KEY``; or
      AWS SigV4 with ``PLEXUS_GRAPHQL_AUTH_MODE=iam``). Its schema is ``dialect``
      (else ``PLEXUS_DATASETS_DIALECT``): "plan" (Dataset/DatasetVersion/
      DatasetProfile), "plexus" (DataSource/DataSourceVersion/DataSet, what Plexus
      runs) or "auto" (the default: asked once). On "plexus" the account is
      ``account_id``, else the one whose key is ``account_key`` (else
      ``PLEXUS_ACCOUNT_KEY``);
    - otherwise the embedded store: ``db`` (a SQLite file path or SQLAlchemy URL),
      else ``PLEXUS_DATASETS_DB``, else ``datasets.db`` in the per-user data directory.

    Stored configurations are someone else's: what they may make this machine do
    is ``compose.trust_policy(trusted_modules, data_roots, s3_buckets)``, which
    extends ``PLEXUS_DATASETS_TRUSTED_MODULES`` (module prefixes whose classes a
    configuration may name), ``PLEXUS_DATASETS_DATA_ROOTS`` (folders it may read;
    default the current directory) and ``PLEXUS_DATASETS_S3_BUCKETS`` (buckets it
    may read; default any).
    """
    trust = trust_policy(trusted_modules, data_roots, s3_buckets)
    return DatasetService(open_store(db, api_url=api_url, api_key=api_key, dialect=dialect, account_key=account_key,
                                     account_id=account_id), trust=trust)


class DatasetService:
    """Datasets, versions and profiles over any Backend.

    ``backend`` defaults to what ``connect()`` picks (``compose.open_store``);
    ``clock`` returns the current UTC time (tests and demos may fix it);
    ``progress`` reports long loads and profiles (default: a tqdm bar after 1 s;
    ``progress.no_progress`` for none); ``trust`` is what stored configurations
    may make this machine do (default ``compose.trust_policy()``, as ``connect()``).
    """

    def __init__(self, backend: Backend | None = None, *, clock: Callable[[], datetime] = utcnow,
                 cache: MaterializationCache | None = None, progress: Progress | None = None,
                 trust: TrustPolicy | None = None) -> None:
        self.backend = backend if backend is not None else open_store()
        self.clock = clock
        self.trust = trust if trust is not None else trust_policy()
        self._cache = cache
        self._records = records = Records(self.backend, lambda: self.clock())
        self._catalog = Catalog(records)
        self._resolver = Resolver(records, self._catalog)
        self._versions = Versions(records, self._resolver)
        self._datasets = Datasets(records, self._catalog, self._resolver, self._versions)
        self._profiles = Profiles(records)
        self._data = Data(records, self._resolver, self._profiles, lambda: self.cache, progress or default_progress(),
                          self.trust)
        self._pins = Pins(self._data)
        self._resolver.pinned_version = self._pins.version_of
        self._resolver.check_pin = self._pins.check

    @property
    def cache(self) -> MaterializationCache:
        """Where ``load`` keeps materialized versions (``PLEXUS_DATASETS_CACHE_DIR``,
        mirrored to ``PLEXUS_DATASETS_S3_URI`` when set)."""
        if self._cache is None:
            self._cache = materialization_cache()
        return self._cache

    def __getattr__(self, name: str) -> Any:
        if name in _MOVED:
            raise AttributeError(f"DatasetService.{name} moved: use {_MOVED[name]}.", name=name, obj=self)
        raise AttributeError(f"'DatasetService' object has no attribute {name!r}", name=name, obj=self)

    def describe(self) -> str:
        """What this service is connected to, with secrets masked (e.g. ``sqlite:////x/datasets.db``)."""
        return self.backend.description or type(self.backend).__name__

    def __repr__(self) -> str:
        return f"DatasetService({self.describe()})"

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> DatasetService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- scorecards, sections, scores -------------------------------------------------

    def create_scorecard(self, name: str, key: str | None = None, *, description: str | None = None,
                         external_id: str | None = None, account_id: str = "default",
                         id: str | None = None) -> Scorecard:
        """Create a scorecard; ``key`` defaults to a slug of the name and must be unique."""
        return self._catalog.create_scorecard(name, key, description=description, external_id=external_id,
                                              account_id=account_id, id=id)

    def list_scorecards(self) -> list[Scorecard]:
        """Every scorecard, by name."""
        return self._catalog.list_scorecards()

    def get_scorecard(self, ref: Scorecard | str) -> Scorecard:
        """A scorecard by id, key, externalId or exact name."""
        return self._catalog.scorecard(ref)

    def create_section(self, scorecard: Scorecard | str, name: str, *, order: int | None = None) -> ScorecardSection:
        """Add a section to a scorecard (``order`` defaults to after the last one)."""
        return self._catalog.create_section(self.get_scorecard(scorecard), name, order)

    def list_sections(self, scorecard: Scorecard | str) -> list[ScorecardSection]:
        return self._catalog.list_sections(self.get_scorecard(scorecard))

    def create_score(self, section: ScorecardSection | str, name: str, *, key: str | None = None,
                     type: str = "Score", order: int | None = None, external_id: str | None = None,
                     description: str | None = None, metadata: Mapping[str, Any] | None = None,
                     id: str | None = None) -> Score:
        """Add a score to a section (a ScorecardSection or its id)."""
        fields = {"key": key, "type": type, "order": order, "external_id": external_id,
                  "description": description, "metadata": metadata, "id": id}
        return self._catalog.create_score(self._catalog.section(section), name, fields)

    @property
    def deletes_versions(self) -> bool:
        """Whether versions can be deleted here (with their dataset): not on a store that
        numbers versions by position, as Plexus's does, where ``delete_dataset`` refuses a
        dataset that has versions."""
        return self.backend.deletes_versions

    @property
    def stores_score_metadata(self) -> bool:
        """Whether scores keep ``metadata`` in this store (not on Plexus's schema, whose Score
        has no such field: put a score's ``label_column`` in its datasets' configurations)."""
        return self.backend.score_metadata

    def list_scores(self, scorecard: Scorecard | str | None = None) -> list[Score]:
        """Scores of one scorecard (in section and score order), or every score."""
        return self._catalog.list_scores(self.get_scorecard(scorecard) if scorecard is not None else None)

    def get_score(self, ref: Score | str, scorecard: Scorecard | str | None = None) -> Score:
        """A score by id, key, externalId or exact name (optionally within one scorecard)."""
        return self._catalog.score(ref, scorecard)

    def scorecard_of_score(self, score: Score | str) -> Scorecard:
        return self._catalog.scorecard_of_score(self.get_score(score))

    def score_configuration(self, score: Score | str, scorecard: Scorecard | str | None = None) -> str:
        """The YAML text of a score's configuration as the store keeps it: on Plexus's API, its
        champion ScoreVersion's ``configuration`` (unparsed: someone else's text). ``score`` as
        in ``import_score``.

        Raises ValidationError on a store that keeps no score configurations (the embedded
        store, the plan's schema: import the score's YAML file instead), NotFoundError for an
        unknown score or one without a champion version, CorruptRecordError for a champion
        that is missing or another score's.
        """
        return _imports.stored_configuration(self, _imports.find_score(self, score, scorecard))[1]

    def import_score(self, score: Score | str, *, scorecard: Scorecard | str | None = None,
                     configuration: str | ScoreSpec | None = None) -> ImportResult:
        """Turn a score's ``data:`` section into its dataset's next version, as importing its
        YAML file does (``importer.import_score_config``): version 1 of a dataset named after
        the score, then a new version only when the content changed (an unchanged one writes
        nothing), made current when the dataset was following its score.

        ``score`` is an id, key, externalId or name, or ``SCORECARD/SCORE`` (else give
        ``scorecard``); ambiguous and unknown ones list candidates. Its configuration is the
        one the store keeps (``score_configuration``: Plexus's champion ScoreVersion), parsed
        safely and never run; or ``configuration`` (score YAML text or a parsed ``ScoreSpec``)
        for a score whose YAML comes from elsewhere. Raises what ``score_configuration`` raises,
        ConfigurationError/ValidationError for YAML that can't be read safely (python tags,
        duplicate keys, alias bombs, over ``configs.MAX_SCORE_YAML_BYTES``) or a stored
        configuration without a ``data:`` section (a given ``configuration`` without one gives
        the action "no-data"), and what ``create_version`` raises for a bad data section.
        Nothing is written when anything is refused.
        """
        return _imports.import_score(self, score, scorecard, configuration)

    # --- datasets ----------------------------------------------------------------------

    def create_dataset(self, scorecard: Scorecard | str, name: str, *, score: Score | str | None = None,
                       description: str | None = None, configuration: str | Mapping[str, Any] | None = None,
                       note: str | None = None, check: bool = True, created_at: datetime | None = None) -> Dataset:
        """Create a dataset; with ``configuration`` (a mapping, or YAML/JSON text kept as
        written, as in ``create_version``) it gets version 1, which becomes current.

        Raises ValidationError for a bad name or configuration, LoaderError (and its
        kinds) for a configuration that can't load here (see ``check_configuration``;
        ``check=False`` for one meant for another machine), NotFoundError for an
        unknown scorecard or score, ConflictError if the scorecard has a dataset of
        that name. Nothing is written unless everything is valid.
        """
        name = validate.name(name, "Dataset name")
        description = validate.optional_text(description, "description")
        card = self.get_scorecard(scorecard)
        sc = self._catalog.score(score, card) if score is not None else None
        note = validate.note(note)
        text = validate.configuration_text(configuration) if isinstance(configuration, str) else None
        if text is not None:
            configuration = parse_configuration(text)
        config = self._checked(configuration, check) if configuration is not None else None
        return self._datasets.create(card, name, score=sc, description=description, config=config,
                                     note=note, created_at=created_at, text=text)

    def get_dataset(self, ref: DatasetLike, scorecard: Scorecard | str | None = None) -> Dataset:
        """A dataset by id or name (a version part in ``ref`` is ignored).

        A Dataset instance is re-read, so its current-version pointer is fresh.
        """
        return self._resolver.dataset(ref, scorecard)

    def list_datasets(self, scorecard: Scorecard | str | None = None, score: Score | str | None = None,
                      name: str | None = None) -> list[Dataset]:
        """Datasets, all or of one scorecard or score, whose name contains ``name``
        (case-insensitive); sorted by name."""
        return self._datasets.list(self._datasets.scope(scorecard, score), name)

    def dataset_summaries(self, scorecard: Scorecard | str | None = None, score: Score | str | None = None,
                          name: str | None = None) -> list[DatasetSummary]:
        """Datasets (filtered as in ``list_datasets``) with their current version,
        version numbers and newest profile, fetched in a bounded number of round
        trips whatever the number of datasets."""
        return self._datasets.summaries(self._datasets.scope(scorecard, score), name)

    def update_dataset(self, dataset: DatasetLike, *, name: str | None = None,
                       description: str | None = _UNSET) -> Dataset:
        """Rename a dataset or change its description (``description=None`` clears it)."""
        ds = self.get_dataset(dataset)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = validate.name(name, "Dataset name")
        if description is not _UNSET:
            changes["description"] = validate.optional_text(description, "description")
        return self._datasets.update(ds, changes)

    def delete_dataset(self, dataset: DatasetLike, *, cascade: bool = False) -> Dataset:
        """Delete a dataset. With versions it is refused unless ``cascade=True``,
        which deletes its versions and profiles too."""
        return self._datasets.delete(self.get_dataset(dataset), cascade)

    # --- versions ----------------------------------------------------------------------

    def create_version(self, dataset: DatasetLike, configuration: str | Mapping[str, Any], note: str | None = None,
                       force: bool = False, *, make_current: bool = False, check: bool = True,
                       featured: bool = False, based_on: VersionLike | None = None,
                       created_at: datetime | None = None) -> DatasetVersion:
        """Add the next version of a dataset's configuration.

        ``configuration`` is a mapping or YAML/JSON text; text is kept as written
        (comments included, ``DatasetVersion.text``) while the digest covers its
        parsed form. If the configuration is identical (same canonical JSON digest)
        to an existing version's, that version is returned and nothing is written,
        unless ``force=True``. The first version of a dataset becomes its current one;
        ``make_current=True`` makes this one current too (compare-and-set against the
        current version seen before). The new version records the version it was
        made from: ``based_on`` (a ref or version of this dataset), else the current
        one. ``featured`` sets Plexus's "show prominently" flag. Safe under concurrent
        writers: numbers stay unique and contiguous. With ``check`` (default) the
        configuration must load here (``check_configuration``); ``check=False`` keeps
        only the structural checks, for a configuration meant for another machine.
        """
        note = validate.note(note)
        ds = self.get_dataset(dataset)
        text = validate.configuration_text(configuration) if isinstance(configuration, str) else None
        config = self._checked(parse_configuration(text) if text is not None else configuration, check)
        parent = self._based_on(ds, based_on).id if based_on is not None else None
        before = ds.current_version_id
        version = self._versions.create(ds, config, note, force=force, created_at=created_at, text=text,
                                        parent=parent, featured=bool(featured))
        if make_current and version.id != before:
            try:
                self._versions.set_current(ds, version, before)
            except ConflictError as exc:
                raise ConflictError(f"{self._data.named(version)} was created (or found), but it was not made "
                                    f"current: {exc} Make it current with set_current_version.") from exc
        return version

    def _based_on(self, ds: Dataset, ref: VersionLike) -> DatasetVersion:
        """A version of ``ds`` named by a full reference (``calls:v2``), an id, a number or ``vN``."""
        if isinstance(ref, str) and ":" in ref:
            version = self.resolve(ref, ds.scorecard_id)
            if version.dataset_id != ds.id:
                raise ValidationError(f"based_on={ref!r} is a version of another dataset, not of {ds.name!r}.")
            return version
        return self._resolver.version_of(ds, ref)

    def list_versions(self, dataset: DatasetLike) -> list[DatasetVersion]:
        """Every version of a dataset, by number."""
        return RecordList(self._resolver.versions(self.get_dataset(dataset).id))

    def get_version(self, ref: VersionLike) -> DatasetVersion:
        """A version by its id, or by a reference such as ``"calls:v2"``."""
        return self._resolver.version(ref)

    def current_version(self, dataset: DatasetLike) -> DatasetVersion | None:
        return self._resolver.current(self.get_dataset(dataset), required=False)

    def latest_version(self, dataset: DatasetLike) -> DatasetVersion | None:
        return self._resolver.latest(self.get_dataset(dataset).id)

    def set_current_version(self, dataset: DatasetLike, version: VersionLike,
                            expected_current: VersionLike | None = None) -> Dataset:
        """Point a dataset at one of its versions (rollback = an older one).

        With ``expected_current`` (a version, its id, number or ``vN``) this is a
        compare-and-set: if the current version is no longer that one,
        ConflictError is raised and nothing changes.
        """
        return self._versions.set_current(self.get_dataset(dataset), version, expected_current)

    def resolve(self, ref: str | Ref, scorecard: Scorecard | str | None = None) -> DatasetVersion:
        """The DatasetVersion a reference names (``DATASET[:VERSION]``, see ``refs``).

        Raises NotFoundError or AmbiguousReferenceError listing the candidates.
        """
        return self._resolver.resolve(ref, scorecard)

    # --- profiles ----------------------------------------------------------------------

    def record_profile(self, version: VersionLike, column_list: Iterable[str], record_counts: Mapping[str, Any],
                       answer_distribution: Mapping[str, Any], *, created_at: datetime | None = None
                       ) -> DatasetProfile:
        """Append a profile of one materialization of ``version``.

        ``record_counts`` and ``answer_distribution`` are JSON mappings (see
        ``profiling`` for the layout this package writes); ``created_at`` backdates
        an imported profile.
        """
        return self._profiles.record(self.get_version(version), column_list, record_counts, answer_distribution,
                                     created_at)

    def list_profiles(self, target: DatasetLike | DatasetVersion, *, samples: bool = True) -> list[DatasetProfile]:
        """Profiles of a dataset (a Dataset, id or name) or of one version (a
        DatasetVersion or a ``DATASET:VERSION`` reference), oldest first; with
        ``samples=False`` only profiles of full materializations (not of a sample
        or an evaluation subset)."""
        return self._profiles.list(self._resolver.target(target), samples=samples)

    def latest_profile(self, target: DatasetLike | DatasetVersion) -> DatasetProfile | None:
        """"The" profile of a version (a dataset means its current version, as in
        ``resolve``): its newest profile of a full materialization, never a sample's;
        None if it has none. For a pinned reference (``calls:v3@sha256:ab12cd34``): the
        newest full profile of that snapshot."""
        pin = parse_ref(target).snapshot if isinstance(target, str) else None
        if pin:
            full = self._profiles.list(self._resolver.target(target), samples=False)
            return next((p for p in reversed(full)
                         if (ProfileFacts.of(p).subject.snapshot_sha256 or "").startswith(pin)), None)
        if isinstance(target, DatasetVersion) or (isinstance(target, str) and parse_ref(target).has_version):
            return self._profiles.latest(self._resolver.target(target))
        current = self._resolver.current(self.get_dataset(target), required=False)  # one read of the dataset
        return self._profiles.latest(("datasetVersionId", current.id)) if current is not None else None

    # --- data ------------------------------------------------------------------------

    def label_column(self, target: DatasetLike | DatasetVersion) -> str | None:
        """The answer (label) column of a version or dataset: the configuration's
        ``label_column``, else the score's ``metadata.label_column``, else the score's name."""
        if isinstance(target, DatasetVersion):
            return self._data.label_column(target, None)
        return self._data.label_column(None, target)

    def load(self, ref: VersionLike, fresh: bool = False, *, snapshot: str | DatasetProfile | None = None
             ) -> pd.DataFrame:
        """The data of a version as a DataFrame (``ref`` as in ``resolve``): a snapshot.

        The first load materializes it with its loader and processors and caches it
        as Parquet (a snapshot: its sha256, rows, a fingerprint of the sources read and
        when it was built); later loads return that newest snapshot. When a source
        changed since (or is gone), it is still returned, with a ``StaleDataWarning``
        saying what changed; ``fresh=True`` (or ``snapshot="fresh"``) builds a new one.
        Older snapshots stay, kept by content: ``snapshot=`` (the start of a sha256, or a
        DatasetProfile: the snapshot it describes) or a pinned reference
        (``calls:v3@sha256:ab12cd34``) returns exactly those rows, or raises
        SnapshotNotFoundError / SnapshotMismatchError (gone / altered), never other data.
        ``frame.attrs["plexus_datasets"]`` says which snapshot it is (its pinned
        reference, sha256, rows, when it was built); ``snapshot()`` returns the same with
        the frame. Raises LoaderError when the data can't be loaded: UntrustedCodeError
        when it names a class in a module this machine does not trust (nothing
        imported), DataAccessError when it points outside the data roots or allowed S3
        buckets (nothing read).
        """
        return self.snapshot(ref, snapshot=snapshot, fresh=fresh).frame

    def snapshot(self, ref: VersionLike, *, snapshot: str | DatasetProfile | None = None,
                 fresh: bool = False) -> Snapshot:
        """The snapshot ``load`` returns, with what it is: ``.frame``, ``.sha256``, ``.rows``,
        ``.built_at``, ``.reference`` (``calls:v3@sha256:ab12cd34ef56``, which loads these
        rows again anywhere the snapshot can be fetched)."""
        version, found = self._snapshot_of(ref, snapshot, fresh)
        return self._described(version, found)

    def snapshots(self, ref: VersionLike) -> SnapshotList:
        """The snapshots known for a version, newest first (a list of SnapshotInfo that shows
        as a table in a notebook; ``.to_dataframe()``): kept in the local cache, kept by
        the store (Plexus DataSet files), and those only a profile remembers (``where``
        "gone": their bytes can't be had). The S3 mirror is searched by digest when a pin
        asks for one, not listed here."""
        return self._pins.list(self.get_version(ref))

    def _snapshot_of(self, ref: VersionLike, snapshot: Any, fresh: bool, profiling: bool = False
                     ) -> tuple[DatasetVersion, Snapshot]:
        """The version ``ref`` names and the snapshot asked for: the pinned one, else the newest
        (built now when ``fresh`` or ``snapshot="fresh"``)."""
        version, pin = self._pinned(ref, snapshot, fresh)
        if pin not in (None, FRESH):
            return version, self._pins.read(version, pin)
        return version, self._data.materialization(version, fresh or pin == FRESH, profiling=profiling)

    def _pinned(self, ref: VersionLike, snapshot: Any, fresh: bool = False) -> tuple[DatasetVersion, str | None]:
        pin = Pins.requested(ref, snapshot)
        if fresh and pin not in (None, FRESH):
            raise ValidationError(f"fresh=True (CLI: --fresh) builds new data, and sha256:{pin} pins a snapshot "
                                  "already built; give one or the other.")
        version = self.get_version(ref)
        if isinstance(snapshot, DatasetProfile) and snapshot.dataset_version_id != version.id:
            raise ValidationError(f"Profile {snapshot.id} describes another version, not "
                                  f"{self._data.named(version)}; load its own version (or leave out snapshot=).")
        return version, pin

    def _described(self, version: DatasetVersion, found: Snapshot) -> Snapshot:
        """``found`` with its pinned reference, also kept in the frame's ``attrs``."""
        import dataclasses

        named = self._data.named(version)
        described = dataclasses.replace(found, reference=f"{named}@{found.short}")
        described.frame.attrs["plexus_datasets"] = {
            "reference": described.reference, "version_id": version.id, "sha256": found.sha256, "rows": found.rows,
            "built_at": found.built_at}
        return described

    def profile(self, ref: VersionLike, record: bool = True, *, answer_columns: Iterable[str] | None = None,
                text_columns: Iterable[str] | None = None, fresh: bool = False,
                snapshot: str | DatasetProfile | None = None) -> DatasetProfile | dict[str, Any]:
        """Load a version, profile it and (``record=True``) store the DatasetProfile.

        The profile describes the full materialized version: its snapshot (Parquet
        sha256, rows, when it was built, the sources' fingerprint). ``answer_columns``
        default to the version's label column (a DataQualityWarning names likely ones
        when the data lacks it). With ``record=False`` the payload (a dict) is returned
        unsaved. Loading follows ``load`` (and its trust rules); nothing is recorded
        when it fails. A pinned reference or ``snapshot=`` profiles that snapshot (as ``load``);
        when it is older than the version's newest snapshot here, its profile is dated when
        the snapshot was built, so it never passes for the profile of the newest data.
        """
        version, found = self._snapshot_of(ref, snapshot, fresh, profiling=record)
        subject = {"kind": "full", "rows": found.rows, "snapshot": found.describe()}
        payload = self._data.profile_frame(version, found.frame, answer_columns, text_columns, subject)
        return self._record_payload(version, payload, record, self._older_snapshot_time(version, found),
                                    self._data.data_file(version, found))

    def _older_snapshot_time(self, version: DatasetVersion, found: Snapshot) -> datetime | None:
        """When a pinned snapshot older than the version's newest here was built: its profile
        takes that place in the history, so profiling (or evaluating) old data never makes
        it "the version's profile" over the newest data's. None for the newest snapshot."""
        if not found.built_at or self.cache.entry_sha256(version.id, version.digest) in (None, found.sha256):
            return None
        return datetime.fromisoformat(found.built_at)

    def profile_frame(self, version: VersionLike, frame: pd.DataFrame, *, record: bool = True,
                      answer_columns: Iterable[str] | None = None, text_columns: Iterable[str] | None = None,
                      population: int | None = None, seed: int | None = None, purpose: str = "sample",
                      created_at: datetime | None = None, drawn_from: Snapshot | None = None
                      ) -> DatasetProfile | dict[str, Any]:
        """Profile data that came from ``version`` and record it against that version
        (``created_at`` backdates it); otherwise as ``profile``.

        With ``population`` (the number of rows ``frame`` was drawn from) the profile
        is marked as a sample (``purpose``: "sample" or "evaluation", with its
        ``seed``): it joins the history as its own series and never stands for the
        version ("the version's profile" is its newest full one). Without it,
        ``frame`` is taken to be the whole version. ``drawn_from`` is the snapshot (as
        ``snapshot()`` returns it) a sample was drawn from: recorded with it, so the
        same rows can be drawn again from the same data.
        """
        version = self.get_version(version)
        subject = None
        if population is not None:  # checked by profiling before any work (population >= rows, seed, purpose)
            subject = {"kind": "sample", "population": population, "seed": seed, "purpose": purpose}
            if drawn_from is not None:
                subject["snapshot"] = drawn_from.describe()
        payload = self._data.profile_frame(version, frame, answer_columns, text_columns, subject)
        return self._record_payload(version, payload, record, created_at)

    def _record_payload(self, version: DatasetVersion, payload: dict[str, Any], record: bool,
                        created_at: datetime | None, data_file: DataFile | None = None
                        ) -> DatasetProfile | dict[str, Any]:
        if not record:
            return payload
        return self._profiles.record(version, payload["columnList"], payload["recordCounts"],
                                     payload["answerDistribution"], created_at, data_file)

    def check_configuration(self, source: str | Mapping[str, Any], *, environment: bool = True) -> dict[str, Any]:
        """Parse a configuration and check that it can load, without loading anything;
        the check ``create_dataset``/``create_version`` (and the CLI, form and magics) run
        before anything is written. Returns the parsed configuration.

        Always checked: the text parses, ``class:`` names a class, built-in loaders'
        and processors' parameters (unknown ones refused with a did-you-mean),
        ``balance``, ``random_seed`` and ``label_column``. With ``environment`` (the
        default) also: the loader and processor classes resolve here, within the trust
        rules (UntrustedCodeError, never importing the module), and local paths exist
        inside the data roots (DataAccessError outside them). Raises
        ConfigurationError/ValidationError for bad text, LoaderError otherwise.
        """
        return self._data.check_configuration(source, environment=environment)

    def _checked(self, configuration: Mapping[str, Any], environment: bool) -> dict[str, Any]:
        config = validate_configuration(configuration)
        self._data.check_configuration(config, environment=environment)
        return config

    def load_configuration(self, configuration: Mapping[str, Any], label_column: str | None = None) -> pd.DataFrame:
        """Materialize a configuration that has no version (a score YAML's ``data:``); not cached."""
        return self._data.load_configuration(configuration, label_column)

    def diff_versions(self, a: VersionLike, b: VersionLike) -> ConfigDiff:
        """The configuration changes from version ``a`` to ``b`` (refs, ids or versions)."""
        from ..diff import diff_configs

        return diff_configs(self.get_version(a).configuration, self.get_version(b).configuration)

    def diff_rows(self, a: VersionLike, b: VersionLike, *, key: str | None = None, limit: int = 20,
                  materialize: bool = True) -> RowDiff | None:
        """The rows added, removed and changed from version ``a``'s data to ``b``'s.

        Each side is a version's newest snapshot, or the one a ``@sha256:`` pin in its
        reference names; a cached one is checked in place, never read into pandas (one
        that isn't here is built or fetched first). The two Parquet files are compared
        out of core by DuckDB (``plexus_datasets.rowdiff``): counts
        over every row, and DataFrames of the first ``limit`` rows of each kind. ``key``
        names the column that identifies a row; without one, ``content_id`` is the key
        when both snapshots have it with a distinct value in every row, else rows are
        compared by whole-row content (an edited row is then one removed and one added).
        The RowDiff's ``notes`` say which. Label flips are counted for the versions'
        label columns. With ``materialize=False`` nothing is built: None unless both
        versions' data are cached here. Raises ValidationError for a ``key`` a snapshot
        lacks (listing likely id columns), LoaderError as ``load`` does.

        >>> svc.diff_rows("calls:v2", "calls:v3", key="content_id").summary      # doctest: +SKIP
        '2,000 added, 1,000 removed, 97,000 changed of 1,000,000 rows (...), matched by content_id'
        """
        from ._rows import diff_rows

        return diff_rows(self, a, b, key=key, limit=limit, materialize=materialize)

    def compare_profiles(self, a: VersionLike | DatasetProfile, b: VersionLike | DatasetProfile) -> ProfileComparison:
        """Compare two profiles, or the newest profiles of two versions."""
        from ..diff import compare_profiles

        return compare_profiles(self._newest_profile(a), self._newest_profile(b))

    def _newest_profile(self, target: VersionLike | DatasetProfile) -> DatasetProfile:
        if isinstance(target, DatasetProfile):
            return target
        version = self.get_version(target)
        pin = parse_ref(target).snapshot if isinstance(target, str) else None
        found = self.latest_profile(target if pin else version)  # a pinned ref: the profile of that snapshot
        if found is None and pin:
            raise NotFoundError(f"{target} has no full profile of that snapshot yet; record one with "
                                f"`plexus-datasets profiles record {shlex.quote(target)}` (Python: svc.profile({target!r})).")
        if found is None:
            named = self._data.named(version)
            some = "only sample profiles" if self.list_profiles(version) else "no profile yet"
            raise NotFoundError(f"{named} has {some}; record a profile of the full version with "
                                f"`plexus-datasets profiles record {shlex.quote(named)}` (Python: svc.profile({named!r})).")
        return found
