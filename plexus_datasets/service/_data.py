"""Data: materializing versions (cached), profiling them, checking configurations.

Long steps report through the ``Progress`` the service was given; nothing here
draws a bar itself. Every configuration is loaded and checked under the
service's ``TrustPolicy`` (stored configurations are someone else's).

A cached materialization is served only with its sources in view: before the
cache is read, the loader's sources are fingerprinted again (``stat`` for local
files, ETag and VersionId for S3 objects). When they differ from those recorded
with the entry, or a source is gone, the cached data is still returned (it is
what the version's profiles describe) with a ``StaleDataWarning`` naming the
version, the source and when the entry was built; ``fresh=True`` rebuilds it.
An entry written before fingerprints were recorded is rebuilt once; an entry
from another machine (an S3 mirror) is compared on its S3 sources only.

Whatever is served, cached or just built, is also compared with the version's
newest full profile (by the rows' content digest, else the row count): when they
differ, a ``StaleDataWarning`` says that listings, views and comparisons still
describe the old data, so a teammate's fresh build never passes silently under a
profile of other data.
"""

from __future__ import annotations

import shlex
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..configs import parse_configuration, validate_configuration
from ..errors import (
    BackendError,
    DataAccessError,
    DataQualityWarning,
    LoaderError,
    NotFoundError,
    PlexusDatasetsError,
    PlexusDatasetsWarning,
    SnapshotMismatchError,
    SnapshotNotFoundError,
    StaleDataWarning,
    UntrustedCodeError,
    ValidationError,
)
from ..facts import ProfileFacts
from ..models import DatasetVersion, Score
from ..progress import Progress
from ..refs import is_id
from ._profiles import DataFile, Profiles
from ._records import Records
from ._resolution import Resolver

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from ..loaders.cache import MaterializationCache, Snapshot
    from ..loaders.trust import TrustPolicy

#: How a cache entry taken from the store's data files names where it came from (then a record id).
STORED_ORIGIN = "record "
#: Label candidates: text columns with at least 2 and at most this many distinct values.
LIKELY_LABEL_VALUES = 20


class _Name:
    """Text computed on first use (``str()``, or in an f-string) and kept."""

    def __init__(self, compute: Callable[[], str], short: str) -> None:
        self._compute, self._text, self.short = compute, None, short

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._compute()
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class LabelColumn:
    """The answer column a version's profile and evaluations use, and where that came from."""

    name: str | None
    origin: str  # "configuration", "score metadata", "score name" or "none"


class Data:
    def __init__(self, records: Records, resolver: Resolver, profiles: Profiles,
                 cache: Callable[[], MaterializationCache], progress: Progress, trust: TrustPolicy) -> None:
        self.records = records
        self.resolver = resolver
        self.profiles = profiles
        self.cache = cache
        self.progress = progress
        self.trust = trust

    def label(self, version: DatasetVersion | None, dataset: Any) -> LabelColumn:
        """The configuration's ``label_column`` (of ``version``, else of the dataset's
        current version), else the score's ``metadata.label_column``, else its name."""
        if version is not None and version.configuration.get("label_column"):
            return LabelColumn(str(version.configuration["label_column"]), "configuration")
        ds = self.resolver.dataset(version.dataset_id if version else dataset)
        current = self.resolver.current(ds, required=False) if version is None else None
        if current is not None and current.configuration.get("label_column"):
            return LabelColumn(str(current.configuration["label_column"]), "configuration")
        score = self.records.get(Score, ds.score_id)
        if score is None:
            return LabelColumn(None, "none")
        if (score.metadata or {}).get("label_column"):
            return LabelColumn(str(score.metadata["label_column"]), "score metadata")  # type: ignore[index]
        return LabelColumn(score.name, "score name")

    def label_column(self, version: DatasetVersion | None, dataset: Any) -> str | None:
        return self.label(version, dataset).name

    def named(self, version: DatasetVersion) -> str:
        """``DATASET:vN`` for messages."""
        return f"{self.resolver.dataset(version.dataset_id).name}:{version.label}"

    def lazily_named(self, version: DatasetVersion) -> _Name:
        """``DATASET:vN``, read from the store only if a message is shown (loads stay one read)."""
        return _Name(lambda: self.named(version), version.label)

    # --- materialization ------------------------------------------------------------------------

    def materialization(self, version: DatasetVersion, fresh: bool, *, profiling: bool = False) -> Snapshot:
        """The version's data as a verified cache entry (built now when needed), compared
        with its newest full profile unless a new one is about to be recorded (``profiling``)."""
        named = self.lazily_named(version)
        snapshot = self._materialize(version, fresh, named, profiling)
        if not profiling:
            self._compare_with_profile(version, snapshot, named)
        return snapshot

    def _materialize(self, version: DatasetVersion, fresh: bool, named: _Name, profiling: bool = False) -> Snapshot:
        from ..loaders import materialize, source_fingerprint

        with self.progress(f"Loading {named.short}", 2) as advance:
            cache = self.cache()
            sources, gone = _fingerprint(source_fingerprint, version.configuration, self.trust)
            if not fresh:
                found = cache.entry(version.id, version.digest)
                if found is not None and _usable(found, sources, gone, named):
                    for said in found.warnings:  # what building it said is still true of it
                        warnings.warn(f"{said} (said when {named} was built)", DataQualityWarning, stacklevel=5)
                    return found
                if found is None and self.records.backend.keeps_snapshots:
                    stored = self._stored_file(version, cache, named)
                    if stored is not None:
                        return stored
            if gone is not None:
                raise gone
            label = self.label_column(version, None)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                frame = materialize(version.configuration, label_column=label, fresh=fresh, trust=self.trust)
            for found_warning in caught:  # passed on as they came, and kept with the entry
                warnings.warn_explicit(found_warning.message, found_warning.category, found_warning.filename,
                                       found_warning.lineno)
            advance()
            said = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
            snapshot = cache.put(version.id, version.digest, frame, sources=sources, warnings=said)
            advance()
        if self.records.backend.keeps_snapshots and not profiling:  # a profile records its own file
            self._keep_file(version, snapshot, named)
        return snapshot

    def snapshot_file(self, version: DatasetVersion, build: bool = True) -> tuple[Path, str] | None:
        """The Parquet file of the version's newest snapshot here and its sha256, for readers
        of the file itself (row diffs): a cached one is checked without reading its rows
        (its stale sources and kept warnings said, as a load says them); otherwise it is
        built (or fetched from the store) first, as ``materialization`` does, unless
        ``build`` is false (then None)."""
        import os

        from ..loaders import source_fingerprint

        named = self.lazily_named(version)
        cache = self.cache()
        sources, gone = _fingerprint(source_fingerprint, version.configuration, self.trust)
        found = cache.entry_file(version.id, version.digest)
        if found is not None and _usable(found, sources, gone, named):
            for said in found.warnings:
                warnings.warn(f"{said} (said when {named} was built)", DataQualityWarning, stacklevel=4)
            self._compare_with_profile(version, found, named)
            entry, pinned = cache.paths(version.id, version.digest)[0], cache.pinned_path(found.sha256)
            # the file checked, by its immutable name when that is the same file (a hard link)
            return (pinned if pinned is not None and os.path.samefile(pinned, entry) else entry), found.sha256
        if not build:
            return None
        found = self.materialization(version, fresh=False)
        return cache.verify_pinned(found.sha256), found.sha256

    # --- data files kept by the store (Plexus DataSets) -----------------------------------------

    def data_file(self, version: DatasetVersion, snapshot: Snapshot) -> DataFile:
        """The cache entry's Parquet file: what a store that keeps data files uploads with a
        profile (with the record it came from, when the data was loaded from the store)."""
        origin = snapshot.machine or ""
        record = origin[len(STORED_ORIGIN):] if origin.startswith(STORED_ORIGIN) else None
        cache = self.cache()
        path = cache.pinned_path(snapshot.sha256) or cache.paths(version.id, version.digest)[0]
        return DataFile(str(path), snapshot.sha256, record if is_id(record) else None)

    def _keep_file(self, version: DatasetVersion, snapshot: Snapshot, named: _Name) -> None:
        """Record a fresh build as a data file of the version (a DataSet without a profile),
        as Plexus's own ``dataset load`` does; a store that refuses gets a warning, the
        load still succeeds."""
        data_file = self.data_file(version, snapshot)
        described = snapshot.describe()
        try:
            self.records.backend.record_snapshot(version.id, data_file.path, data_file.sha256, snapshot.rows, {
                "count": described["source_count"], "digest": described["sources_digest"]})
        except PlexusDatasetsError as exc:
            warnings.warn(f"{named} loaded, but its data file was not recorded in the store: {exc}",
                          PlexusDatasetsWarning, stacklevel=5)

    def _stored_file(self, version: DatasetVersion, cache: MaterializationCache, named: _Name) -> Snapshot | None:
        """The newest data file the store keeps for the version, verified and put in the
        cache; None when it has none that can be used here (then the loader builds it).

        A file that can't be fetched (gone, no AWS credentials, a bucket outside
        ``PLEXUS_DATASETS_S3_BUCKETS``, unreadable) is passed over with a warning. Raises
        SnapshotMismatchError when a file's content is not what was recorded.
        """
        for stored in self.records.backend.snapshots(version.id):
            if not stored.location.lower().endswith(".parquet"):  # Plexus also keeps CSV files
                warnings.warn(f"The data file of {named} kept with record {stored.profile_id} ({stored.location}) "
                              "is not Parquet (a CSV file?), so it is not used here; trying the next one, else "
                              "building it from its configuration.", StaleDataWarning, stacklevel=6)
                continue
            try:
                return self.fetch_stored(version, stored, named)
            except SnapshotMismatchError:
                raise
            except (SnapshotNotFoundError, LoaderError) as exc:
                warnings.warn(f"{str(exc).rstrip('.')}. Trying the next one, else building it from its "
                              "configuration.", StaleDataWarning, stacklevel=6)
        return None

    def fetch_stored(self, version: DatasetVersion, stored: Any, named: Any, *, as_entry: bool = True) -> Snapshot:
        """A data file the store keeps for ``version`` (a ``SnapshotFile``), downloaded into a
        temporary folder, checked against its recorded sha256 and kept in the cache (as the
        version's entry, or with ``as_entry=False`` only by its content). A record may name
        any bucket, so the loader's bucket rules apply. Raises SnapshotNotFoundError when it
        can't be fetched here, SnapshotMismatchError when its bytes are not the recorded
        ones, LoaderError when it is not usable Parquet."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="plexus-datasets-") as folder:
            target = f"{folder}/dataset.parquet"
            try:
                if stored.location.startswith("s3://"):
                    self.trust.check_bucket(stored.location[5:].split("/", 1)[0], uri=stored.location)
                self.records.backend.fetch_snapshot(stored, target)
            except SnapshotMismatchError:
                raise
            except (BackendError, LoaderError, ValidationError, NotFoundError) as exc:
                raise SnapshotNotFoundError(f"The data file of {named} kept with record {stored.profile_id} "
                                            f"({stored.location}) can't be fetched here: {str(exc).rstrip('.')}.") \
                    from exc
            digest = file_sha256(target)
            if stored.sha256 is not None and digest != stored.sha256:
                raise SnapshotMismatchError(
                    f"The data file of {named} kept with record {stored.profile_id} ({stored.location}) is not the "
                    f"snapshot that was recorded (sha256 {digest[:12]}…, recorded {stored.sha256[:12]}…). It was not "
                    "used; load with fresh=True (CLI: --fresh) to build the data from the configuration instead.")
            try:
                return self.cache().adopt(version.id, version.digest, target, sha256=digest, built_at=stored.created_at,
                                          origin=f"{STORED_ORIGIN}{stored.profile_id}", as_entry=as_entry)
            except LoaderError as exc:
                raise LoaderError(f"The data file of {named} kept with record {stored.profile_id} can't be used "
                                  f"({exc})") from exc

    def _compare_with_profile(self, version: DatasetVersion, snapshot: Snapshot, named: _Name) -> None:
        profile = self.profiles.latest(("datasetVersionId", version.id))
        if profile is None:
            return
        facts = ProfileFacts.of(profile)
        recorded = facts.subject.data_sha256
        same = recorded == snapshot.data_sha256 if recorded and snapshot.data_sha256 else facts.rows == snapshot.rows
        if not same:
            rows = f"{facts.rows:,} rows" if facts.rows is not None else "an unknown number of rows"
            now = f"{snapshot.rows:,} rows" + (" with other content" if facts.rows == snapshot.rows else "")
            warnings.warn(
                f"The data of {named} differs from what its newest full profile describes (recorded "
                f"{profile.created_at:%Y-%m-%d %H:%M} UTC: {rows}; now {now}). Listings, ProfileView "
                f"and comparisons describe the old data until you record a new profile "
                f"(`plexus-datasets profiles record {shlex.quote(str(named))}`).", StaleDataWarning, stacklevel=4)

    # --- profiles -------------------------------------------------------------------------------

    def profile_frame(self, version: DatasetVersion, frame: pd.DataFrame, answer_columns: Iterable[str] | None,
                      text_columns: Iterable[str] | None, subject: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The profile payload of ``frame`` (answer columns default to the label column,
        with a DataQualityWarning when the data lacks it); ``subject`` says what it describes."""
        from ..profiling import profile

        if answer_columns is None:
            answer_columns = self.default_answer_columns(version, frame)
        with self.progress(f"Profiling {version.label}", 1) as advance:
            payload = profile(frame, answer_columns=answer_columns, text_columns=text_columns, subject=subject)
            advance()
        return payload

    def default_answer_columns(self, version: DatasetVersion, frame: pd.DataFrame) -> list[str]:
        label = self.label(version, None)
        if label.name is None or label.name in frame.columns:
            return [label.name] if label.name else []
        warnings.warn(missing_label_message(self.named(version), label, frame), DataQualityWarning, stacklevel=4)
        return []

    # --- configurations -------------------------------------------------------------------------

    def check_configuration(self, source: str | Mapping[str, Any], *, environment: bool = True) -> dict[str, Any]:
        from ..loaders import check_configuration

        config = parse_configuration(source)
        if isinstance(config.get("data"), Mapping):
            raise ValidationError(
                "This looks like a whole Plexus score YAML (it has a `data:` section); a dataset's configuration is "
                "that data: section alone. Import the score with `plexus-datasets import score-config FILE` (Python: "
                "plexus_datasets.importer.import_score_config), or give only its data: section.")
        try:
            check_configuration(config, self.trust, environment=environment)
        except LoaderError as exc:
            if environment and _fine_elsewhere(check_configuration, config, self.trust):
                raise type(exc)(f"{str(exc).rstrip('.')}. If the configuration is meant for another machine, "
                                "store it with check=False (CLI: --no-check).") from exc
            raise
        return config

    def load_configuration(self, configuration: Mapping[str, Any], label_column: str | None) -> pd.DataFrame:
        from ..loaders import materialize

        return materialize(validate_configuration(configuration), label_column=label_column, trust=self.trust)


def likely_label_columns(frame: pd.DataFrame, limit: int = 5) -> list[str]:
    """Columns that look like labels: text (or boolean) with 2 to 20 distinct values,
    each used at least twice on average, fewest distinct values first, each shown as
    ``name (N values)``."""
    found = []
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind not in "OUSb" and str(series.dtype) not in ("string", "category", "str"):
            continue
        try:
            distinct = int(series.nunique(dropna=True))
        except TypeError:  # unhashable cells (lists, dicts) are not labels
            continue
        if 2 <= distinct <= min(LIKELY_LABEL_VALUES, series.notna().sum() / 2):  # labels repeat; free text doesn't
            found.append((distinct, str(name)))
    return [f"{name!r} ({count} values)" for count, name in sorted(found)[:limit]]


def missing_label_message(named: str, label: LabelColumn, frame: pd.DataFrame) -> str:
    """What to say when the label column is not in the data, with likely candidates."""
    why = {"configuration": "the configuration's label_column", "score metadata": "the score's label_column",
           "score name": "by default, the score's name"}.get(label.origin, "the label column")
    likely = likely_label_columns(frame)
    hint = f" Likely label columns: {', '.join(likely)}." if likely else ""
    return (f"{named} has no column {label.name!r} ({why}), so its profile has no answer distribution.{hint} "
            "Name the right one with `label_column:` in the configuration.")


def file_sha256(path: str) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fine_elsewhere(check: Callable[..., Any], config: Mapping[str, Any], trust: TrustPolicy) -> bool:
    """Whether only this machine is the problem: the structural checks pass."""
    try:
        check(config, trust, environment=False)
    except LoaderError:
        return False
    return True


def _fingerprint(fingerprint: Callable[..., Any], config: Mapping[str, Any],
                 trust: TrustPolicy) -> tuple[list[dict[str, Any]] | None, LoaderError | None]:
    """The sources now, or the error saying one is gone (trust refusals propagate)."""
    try:
        return fingerprint(config, trust), None
    except (DataAccessError, UntrustedCodeError):
        raise
    except LoaderError as exc:
        return None, exc


def _usable(found: Snapshot, sources: list[dict[str, Any]] | None, gone: LoaderError | None, named: _Name) -> bool:
    """Whether to serve a cache entry, warning when its sources changed or are gone."""
    from ..loaders.cache import UNRECORDED

    when = f"at {found.built_at}" if found.built_at else "earlier"
    rebuild = "Using the cached data; load with fresh=True (CLI: --fresh) to rebuild it."
    if gone is not None:
        reason = str(gone).rstrip(".")
        warnings.warn(f"{named} was materialized {when}, but its sources can't be checked now ({reason}). {rebuild}",
                      StaleDataWarning, stacklevel=5)
        return True
    if found.sources == UNRECORDED:
        return sources is None  # built before fingerprints were kept: rebuild when the loader can tell
    if sources is None:
        return True
    before, now = found.sources, sources
    if not found.built_here:  # a mirror's entry: its local paths are another machine's
        before, now = _remote(before), _remote(now)  # type: ignore[arg-type]
    if before == now:
        return True
    changes = "; ".join(source_changes(before, now))  # type: ignore[arg-type]
    warnings.warn(f"{named} was materialized {when}; its sources have changed since: {changes}. {rebuild}",
                  StaleDataWarning, stacklevel=5)
    return True


def _remote(sources: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The S3 sources of a fingerprint: the ones every machine sees alike."""
    return [s for s in sources or [] if str(s.get("source", "")).startswith("s3://")]


def source_changes(before: list[dict[str, Any]] | None, now: list[dict[str, Any]]) -> list[str]:
    """Each changed source in words (added, removed, size or time or ETag changed)."""
    old = {str(s.get("source")): s for s in before or []}
    new = {str(s.get("source")): s for s in now}
    out = [f"{name} is new" for name in new if name not in old]
    out += [f"{name} is gone" for name in old if name not in new]
    for name in (n for n in new if n in old and new[n] != old[n]):
        was, is_ = old[name], new[name]
        if was.get("size") != is_.get("size"):
            out.append(f"{name} changed size ({_bytes(was.get('size'))} -> {_bytes(is_.get('size'))})")
        elif was.get("etag") != is_.get("etag") or was.get("version_id") != is_.get("version_id"):
            out.append(f"{name} has a new S3 version")
        else:
            out.append(f"{name} was modified")
    return out[:5] + ([f"and {len(out) - 5} more"] if len(out) > 5 else [])


def _bytes(value: Any) -> str:
    return f"{value:,} bytes" if isinstance(value, int) else "unknown"
