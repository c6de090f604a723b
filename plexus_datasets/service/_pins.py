"""Pinned snapshots: the exact data of a version, named by the start of its sha256.

A version pins a configuration; a loader that reads "the last 180 days" gives other
rows tomorrow. A **snapshot** is one materialization of a version: a Parquet file
with its content sha256, rows, source fingerprint and when it was built. Every
snapshot built or fetched here is kept by its content (``loaders.cache``), and a
reference ``calls:v3@sha256:ab12cd34`` (or ``load(..., snapshot="ab12cd34")``) asks
for that one. It is looked for, in order:

1. in the local cache, then the cache's S3 mirror (``PLEXUS_DATASETS_S3_URI``,
   content-addressed keys ``snapshots/<sha256>``);
2. in the store's data files (a Plexus DataSet's Parquet file), verified against
   the recorded sha256 and then kept locally by content.

A snapshot whose bytes are not the recorded ones is a ``SnapshotMismatchError``;
one that a profile describes but whose bytes are nowhere is a
``SnapshotNotFoundError`` (it can't be rebuilt byte for byte); neither is ever
replaced by a fresh build. A prefix that matches two snapshots is an
``AmbiguousReferenceError``. Without a version in the reference, the snapshot says
which version it is of.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    AmbiguousReferenceError,
    BackendError,
    LoaderError,
    NotFoundError,
    SnapshotMismatchError,
    SnapshotNotFoundError,
    StaleDataWarning,
    ValidationError,
)
from ..facts import ProfileFacts
from ..models import Dataset, DatasetProfile, DatasetVersion
from ..refs import SNAPSHOT_MARK, parse_digest, parse_ref
from ._data import Data

if TYPE_CHECKING:
    from ..loaders.cache import Snapshot

#: ``load(..., snapshot=FRESH)``: build the data anew (as ``fresh=True``).
FRESH = "fresh"


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot of a version, as ``DatasetService.snapshots`` lists it.

    ``where`` says where its bytes are: "cache" (this machine), "mirror" (the cache's S3
    mirror), "store" (a data file the store keeps, e.g. a Plexus DataSet), or "gone" (only
    a profile remembers it: it can't be loaded). ``reference`` pins it
    (``calls:v3@sha256:ab12cd34ef56``)."""

    sha256: str
    rows: int | None
    built_at: str | None
    where: str
    reference: str

    @property
    def short(self) -> str:
        return f"sha256:{self.sha256[:12]}"

    def __str__(self) -> str:
        rows = f"{self.rows:,} rows" if self.rows is not None else "rows unknown"
        built = f"built {self.built_at}" if self.built_at else "built at an unknown time"
        return f"{self.reference} ({rows}, {built}, in the {self.where})" if self.where != "gone" else \
            f"{self.reference} ({rows}, {built}; its bytes are gone)"


def _sha256(value: Any) -> bool:
    """Whether a digest read from a store is 64 lowercase hex digits (anything else is ignored)."""
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _utc_text(value: Any) -> str | None:
    """A store's timestamp as ISO 8601 text, or None when it is anything else."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(value)).isoformat(timespec="seconds")
    except ValueError:
        return None


class SnapshotList(list):
    """``svc.snapshots(ref)``: a list of SnapshotInfo, newest first, that shows as a table in
    a notebook and turns into a DataFrame."""

    COLUMNS = ("reference", "rows", "built_at", "where", "sha256")

    def to_dataframe(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{c: getattr(s, c) for c in self.COLUMNS} for s in self], columns=list(self.COLUMNS))

    def _repr_html_(self) -> str:
        from ..display import STYLE, esc, html_table

        if not self:
            return f"{STYLE}<p class='pds-muted'>No snapshots yet: a load builds one.</p>"
        rows = [[esc(s.reference), esc(f"{s.rows:,}" if s.rows is not None else "?"), esc(s.built_at or "?"),
                 esc("gone: only a profile remembers it" if s.where == "gone" else s.where)] for s in self]
        return STYLE + html_table(["reference", "rows", "built", "where"], rows)


class Pins:
    def __init__(self, data: Data) -> None:
        self.data = data

    # --- what a load asks for -------------------------------------------------------------------

    @staticmethod
    def requested(ref: Any, snapshot: Any) -> str | None:
        """The snapshot a load asks for: a digest prefix (lowercase hex), ``FRESH``, or None
        (the newest). ``snapshot`` is a digest (``"ab12cd34"``, ``"sha256:ab12..."``), a
        DatasetProfile (the snapshot it describes), "fresh" or None; a pin in ``ref``
        (``calls:v3@sha256:...``) counts too, and the two must agree."""
        in_ref = parse_ref(ref).snapshot if isinstance(ref, str) else None
        if snapshot is None:
            return in_ref
        if isinstance(snapshot, DatasetProfile):
            asked = Pins.profile_snapshot(snapshot)
        elif isinstance(snapshot, str) and snapshot.strip().lower() == FRESH:
            asked = FRESH
        elif isinstance(snapshot, str):
            asked = parse_digest(snapshot)
        else:
            raise ValidationError(f"snapshot= takes a digest ('sha256:ab12cd34'), a DatasetProfile or 'fresh', "
                                  f"not {type(snapshot).__name__}.")
        if in_ref is not None and asked != in_ref and not (asked != FRESH and asked.startswith(in_ref)):
            raise ValidationError(f"The reference pins snapshot sha256:{in_ref} but snapshot= asks for "
                                  f"{asked if asked == FRESH else 'sha256:' + asked}; give only one.")
        return asked

    @staticmethod
    def profile_snapshot(profile: DatasetProfile) -> str:
        facts = ProfileFacts.of(profile)
        if facts.subject.is_sample:
            drawn = f" from snapshot sha256:{facts.subject.snapshot_sha256}" if facts.subject.snapshot_sha256 else ""
            seed = f" with seed {facts.subject.seed}" if facts.subject.seed is not None else ""
            raise ValidationError(
                f"Profile {profile.id} describes a sample of {facts.rows or 0:,} rows drawn{drawn}{seed}, not a "
                "snapshot, so it can't pin the data." + (f" Load snapshot='{facts.subject.snapshot_sha256}' for the "
                                                         "rows it was drawn from." if drawn else ""))
        if facts.subject.snapshot_sha256 is None:
            raise ValidationError(
                f"Profile {profile.id} ({profile.created_at:%Y-%m-%d %H:%M} UTC) records no snapshot (it is a sample's "
                "profile, or was recorded before snapshots were kept), so it can't pin the data. Load the version "
                "without snapshot= for its newest data.")
        return facts.subject.snapshot_sha256

    # --- reading one ------------------------------------------------------------------------------

    def read(self, version: DatasetVersion, prefix: str) -> Snapshot:
        """The snapshot of ``version`` whose sha256 starts with ``prefix``, its bytes verified."""
        named = self.data.named(version)
        sha, stored, kept = self._locate(version, prefix, named)
        if kept:  # in this cache or its mirror
            try:
                return self.data.cache().pinned(sha)
            except LoaderError as exc:
                if stored is None:
                    raise SnapshotNotFoundError(f"Snapshot sha256:{sha[:12]} of {named} can't be read: {exc}") from exc
        return self._fetch(version, stored, named)

    def check(self, version: DatasetVersion, prefix: str) -> None:
        """Raise unless ``version`` has a snapshot ``prefix`` names: here, in the mirror or the
        store, or gone but described by one of its profiles (its records still stand)."""
        try:
            self._locate(version, prefix, self.data.named(version))
        except SnapshotNotFoundError:
            if not self._remembered(version, prefix):
                raise

    def _remembered(self, version: DatasetVersion, prefix: str) -> list[DatasetProfile]:
        """The version's profiles that describe (or were drawn from) a snapshot ``prefix`` names."""
        return [p for p in self.data.profiles.list(("datasetVersionId", version.id))
                if (ProfileFacts.of(p).subject.snapshot_sha256 or "").startswith(prefix)]

    def file(self, version: DatasetVersion, prefix: str) -> tuple[Path, str]:
        """The local Parquet file of the pinned snapshot and its sha256: checked without
        reading its rows when it is here, else fetched (mirror or store) and kept here."""
        sha, _, _ = self._locate(version, prefix, self.data.named(version))
        cache = self.data.cache()
        if cache.pinned_path(sha) is None:
            self.read(version, prefix)
        return cache.verify_pinned(sha), sha

    def _locate(self, version: DatasetVersion, prefix: str, named: str) -> tuple[str, Any, bool]:
        """The full sha256 ``prefix`` names among ``version``'s snapshots, the store's data file
        holding it (or None), and whether this cache or its mirror keeps it."""
        cache = self.data.cache()
        key = cache.key(version.id, version.digest)
        matches = cache.pinned_matches(prefix, mirror=False)  # this folder settles most pins without S3
        mine = {m.sha256: m for m in matches if key in m.keys}
        if len(mine) != 1 or len(matches) != 1:
            matches = cache.pinned_matches(prefix)
            mine = {m.sha256: m for m in matches if key in m.keys}
        stored = self._stored(version, prefix)
        found = sorted(set(mine) | set(stored))
        if len(found) > 1:
            raise AmbiguousReferenceError(f"{len(found)} snapshots of {named} start with {prefix}; give more digits.",
                                          [f"{named}{SNAPSHOT_MARK}{sha[:16]}" for sha in found])
        if found:
            return found[0], stored.get(found[0]), found[0] in mine
        elsewhere = [m for m in matches if key not in m.keys]
        if elsewhere:
            owner = self._owner(version, elsewhere[0].keys)
            where = f"of {owner}" if owner else "of another dataset's data (or of a configuration no version here has)"
            raise NotFoundError(f"Snapshot sha256:{elsewhere[0].sha256[:12]} is a snapshot {where}, not of {named}."
                                + (f" Use {owner}{SNAPSHOT_MARK}{prefix}." if owner else ""))
        remembered = self._remembered(version, prefix)
        if remembered:
            facts = ProfileFacts.of(remembered[-1])
            raise SnapshotNotFoundError(
                f"Snapshot sha256:{facts.subject.snapshot_sha256[:12]} of {named} (built "  # type: ignore[index]
                f"{facts.subject.built_at or 'at an unknown time'}, described by a profile recorded "
                f"{remembered[-1].created_at:%Y-%m-%d %H:%M} UTC) is not in this cache, its mirror or the store, "
                "and can't be rebuilt byte for byte. Ask whoever built it to share it (a cache with "
                "PLEXUS_DATASETS_S3_URI keeps snapshots in S3), or load "
                f"{named} without the pin for its newest data.", self.candidates(version))
        raise SnapshotNotFoundError(f"{named} has no snapshot whose sha256 starts with {prefix}.",
                                    self.candidates(version) or ["(no snapshots yet: load it once to build one)"])

    def _stored(self, version: DatasetVersion, prefix: str) -> dict[str, Any]:
        """The store's data files of ``version`` whose recorded sha256 starts with ``prefix``."""
        if not self.data.records.backend.keeps_snapshots:
            return {}
        return {s.sha256: s for s in self.data.records.backend.snapshots(version.id)
                if _sha256(s.sha256) and s.sha256.startswith(prefix) and s.location.lower().endswith(".parquet")}

    def _fetch(self, version: DatasetVersion, stored: Any, named: str) -> Snapshot:
        """A store's data file, downloaded, verified and kept here by its content (not as the
        version's entry: the newest data stays what a plain load returns)."""
        try:
            return self.data.fetch_stored(version, stored, named, as_entry=False)
        except LoaderError as exc:  # not usable Parquet: not the snapshot that was recorded either
            raise SnapshotMismatchError(f"{exc}; it was not used.") from exc

    def _owner(self, version: DatasetVersion, keys: tuple[str, ...]) -> str | None:
        """``DATASET:vN`` of the dataset's version whose cache entry is one of ``keys``, if one is."""
        cache = self.data.cache()
        for other in self.data.resolver.versions(version.dataset_id):
            if cache.key(other.id, other.digest) in keys:
                return self.data.named(other)
        return None

    # --- which version a bare pin names -----------------------------------------------------------

    def version_of(self, ds: Dataset, prefix: str) -> DatasetVersion:
        """The version of ``ds`` that has a snapshot whose sha256 starts with ``prefix``."""
        versions = list(self.data.resolver.versions(ds.id))
        cache = self.data.cache()
        keys = {cache.key(v.id, v.digest): v for v in versions}
        hits: dict[str, DatasetVersion] = {}
        for match in cache.pinned_matches(prefix):
            for key in match.keys:
                if key in keys:
                    hits.setdefault(match.sha256, keys[key])
        if not hits and self.data.records.backend.keeps_snapshots:
            for version in versions:
                hits.update({sha: version for sha in self._stored(version, prefix)})
        if not hits:
            by_id = {v.id: v for v in versions}
            for profile in self.data.profiles.list(("datasetId", ds.id)):
                sha = ProfileFacts.of(profile).subject.snapshot_sha256 or ""
                if sha.startswith(prefix) and profile.dataset_version_id in by_id:
                    hits[sha] = by_id[profile.dataset_version_id]
        if len(hits) > 1:
            raise AmbiguousReferenceError(
                f"{len(hits)} snapshots of dataset {ds.name!r} start with {prefix}; give more digits.",
                [f"{ds.name}:{v.label}{SNAPSHOT_MARK}{sha[:16]}" for sha, v in sorted(hits.items())])
        if not hits:
            raise SnapshotNotFoundError(f"Dataset {ds.name!r} has no snapshot whose sha256 starts with {prefix}.",
                                        [c for v in versions[-3:] for c in self.candidates(v)][:10]
                                        or ["(no snapshots yet: load it once to build one)"])
        return next(iter(hits.values()))

    # --- listing ----------------------------------------------------------------------------------

    def list(self, version: DatasetVersion) -> SnapshotList:
        """The snapshots known for ``version``, newest first: kept in this cache, kept by the
        store, and those only a profile remembers (``where="gone"``)."""
        named = self.data.named(version)
        cache = self.data.cache()
        out: dict[str, SnapshotInfo] = {}
        for kept in cache.pinned_of(cache.key(version.id, version.digest)):
            if cache.pinned_path(kept.sha256) is None:  # a manifest without its file: not here after all
                continue
            out[kept.sha256] = SnapshotInfo(kept.sha256, kept.rows, kept.built_at, "cache",
                                            f"{named}{SNAPSHOT_MARK}{kept.sha256[:12]}")
        if self.data.records.backend.keeps_snapshots:
            for stored in self.data.records.backend.snapshots(version.id):  # a store's record: someone else's
                if _sha256(stored.sha256) and stored.sha256 not in out:
                    out[stored.sha256] = SnapshotInfo(stored.sha256, stored.rows, _utc_text(stored.created_at),
                                                      "store", f"{named}{SNAPSHOT_MARK}{stored.sha256[:12]}")
        for profile in self.data.profiles.list(("datasetVersionId", version.id)):
            facts = ProfileFacts.of(profile)
            sha = facts.subject.snapshot_sha256
            if sha and sha not in out:
                rows = facts.rows if facts.is_full else facts.subject.population
                mirrored = cache.s3_uri and any(m.sha256 == sha for m in cache.pinned_matches(sha))
                out[sha] = SnapshotInfo(sha, rows, facts.subject.built_at, "mirror" if mirrored else "gone",
                                        f"{named}{SNAPSHOT_MARK}{sha[:12]}")
        return SnapshotList(sorted(out.values(), key=lambda s: (s.built_at or "", s.sha256), reverse=True))

    def candidates(self, version: DatasetVersion) -> list[str]:
        try:
            return [str(s) for s in self.list(version) if s.where != "gone"][:10]
        except (LoaderError, BackendError) as exc:  # a listing that fails must not hide the real error
            warnings.warn(f"Can't list the snapshots of {self.data.named(version)}: {exc}", StaleDataWarning,
                          stacklevel=3)
            return []
