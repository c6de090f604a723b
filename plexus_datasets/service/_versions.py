"""Immutable, numbered versions and the current-version pointer (DESIGN §4.2).

A version's id is derived from (dataset id, number), so two writers can't both
create number N: the loser's create conflicts and it tries N+1. A configuration
identical to any existing version's (same digest) returns that version unless
forced: re-importing old content finds the version that already holds it. The current
pointer moves by compare-and-set. Each version records its configuration's
digest at creation (``DatasetVersion.wire_configuration``), so an in-place edit
is caught when it is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..errors import ConflictError, CorruptRecordError, ValidationError
from ..formats import canonical_json
from ..models import MAX_VERSION_NUMBER, Dataset, DatasetVersion
from ..refs import version_id
from ._records import Records
from ._resolution import Resolver, VersionLike


class Versions:
    def __init__(self, records: Records, resolver: Resolver) -> None:
        self.records = records
        self.resolver = resolver

    def create(self, ds: Dataset, config: dict[str, Any], note: str | None, *, force: bool,
               created_at: datetime | None, text: str | None = None, parent: str | None = None,
               featured: bool = False) -> DatasetVersion:
        """The next version of ``ds`` (``config`` and ``note`` already validated), or the
        newest existing version with the same configuration unless ``force``. ``text``
        is the YAML it was written as, ``parent`` the id of the version it was made from
        (default: the dataset's current version)."""
        canonical = canonical_json(config)
        versions = self.resolver.versions(ds.id)
        if not force:
            same = [v for v in versions if canonical_json(v.configuration) == canonical]
            if same:
                return same[-1]
        latest = versions[-1] if versions else None
        number = latest.version_number + 1 if latest else 1
        while True:
            if number > MAX_VERSION_NUMBER:
                raise ValidationError(f"Dataset {ds.name!r} has reached v{MAX_VERSION_NUMBER:,}, the highest version "
                                      "number; it can't get another version. Create a new dataset instead.")
            try:
                version = self.records.new(DatasetVersion, {
                    "id": version_id(ds.id, number), "datasetId": ds.id, "versionNumber": number,
                    "configuration": DatasetVersion.wire_configuration(
                        config, note, text=text, parent=parent if parent is not None else ds.current_version_id,
                        featured=featured),
                }, created_at)
                break
            except ConflictError:
                # Another writer took this number. If it stored the same configuration
                # (a concurrent duplicate submit), that version is the answer.
                if not force:
                    try:
                        winner = self.records.get(DatasetVersion, version_id(ds.id, number))
                    except CorruptRecordError:
                        winner = None  # a corrupt record holds this number: never reused, stepped over
                    if winner and canonical_json(winner.configuration) == canonical:
                        return winner
                number += 1
        if number == 1:
            self._first_becomes_current(ds, version)
        return version

    def _first_becomes_current(self, ds: Dataset, version: DatasetVersion) -> None:
        try:
            self.records.update(Dataset, ds.id, {"currentVersionId": version.id},
                                condition={"currentVersionId": {"attributeExists": False}})
        except ConflictError:
            pass  # someone already set a current version; theirs stands

    def set_current(self, ds: Dataset, version: VersionLike, expected: VersionLike | None) -> Dataset:
        """Point ``ds`` at ``version``; with ``expected`` only if that is still current."""
        target = self.resolver.version_of(ds, version)
        before = self.resolver.version_of(ds, expected) if expected is not None else None
        condition = {"currentVersionId": {"eq": before.id}} if before else None
        try:
            return self.records.update(Dataset, ds.id, {"currentVersionId": target.id}, condition=condition)
        except ConflictError as exc:
            now = self.records.get(Dataset, ds.id)
            current = self.records.get(DatasetVersion, now.current_version_id) if now else None
            raise ConflictError(
                f"Dataset {ds.name!r}: expected current version {before.label if before else 'unchanged'}, "
                f"but it is now {current.label if current else 'none'}. Re-read the dataset and try again."
            ) from exc
