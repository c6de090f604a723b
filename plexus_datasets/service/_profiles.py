"""Profile records: append-only facts about materializations, listed oldest first.

A profile says what its rows describe (``recordCounts.subject``, read through
``facts.ProfileFacts``): the whole version or a sample of it. ``latest`` is the
newest profile of a *full* materialization, never a sample's (an evaluation of
100 rows says nothing about how many rows the version has); ``list`` gives every
profile, or only full ones with ``samples=False``. Profiles whose subject can't
be read count as samples here: they are never taken for the version.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import CorruptRecordError
from ..facts import ProfileFacts
from ..models import DatasetProfile, DatasetVersion, RecordList
from ..profiling import validate_subject
from . import _validate as check
from ._records import Records


@dataclass(frozen=True)
class DataFile:
    """The Parquet file a profile describes: where it is here, its sha256, and the record
    the store keeps it under when it came from the store (a Plexus DataSet)."""

    path: str
    sha256: str
    record_id: str | None = None


class Profiles:
    def __init__(self, records: Records) -> None:
        self.records = records

    def record(self, version: DatasetVersion, column_list: Iterable[str], record_counts: Mapping[str, Any],
               answer_distribution: Mapping[str, Any], created_at: datetime | None,
               data_file: DataFile | None = None) -> DatasetProfile:
        """Validate and append a profile. ``data_file`` is the Parquet file it describes: a
        store that keeps data files (Plexus: the DataSet's file) gets it uploaded first,
        under the new profile's id; when the store already keeps that very file without a
        profile (a load recorded it, or the data was loaded from there, as from a DataSet
        Plexus made), that record gets the profile instead of a second copy of the file."""
        columns = check.column_names(column_list)
        counts = check.json_mapping(record_counts, "record_counts")
        answers = check.json_mapping(answer_distribution, "answer_distribution")
        if "subject" in counts:  # what the profile describes must be readable by everyone after us
            counts["subject"] = validate_subject(counts["subject"], check.count(counts.get("rows"), "record_counts.rows"))
        check.profile_size(columns, counts, answers)
        profile_id = str(uuid.uuid4())
        if data_file is not None and self.records.backend.keeps_snapshots:
            kept = self._unprofiled_file(version, data_file)
            if kept is not None:
                return self.records.update(DatasetProfile, kept, {
                    "columnList": columns, "recordCounts": counts, "answerDistribution": answers})
            self.records.backend.put_snapshot(profile_id, version.id, data_file.path, data_file.sha256)
        return self.records.new(DatasetProfile, {
            "id": profile_id, "datasetId": version.dataset_id, "datasetVersionId": version.id, "columnList": columns,
            "recordCounts": counts, "answerDistribution": answers,
        }, created_at)

    def _unprofiled_file(self, version: DatasetVersion, data_file: DataFile) -> str | None:
        """The id of a record that keeps this very file for the version without a profile:
        the same sha256, or the record the data was loaded from."""
        for kept in self.records.backend.snapshots(version.id):
            if kept.sha256 != data_file.sha256 and kept.profile_id != data_file.record_id:
                continue
            try:
                found = self.records.get(DatasetProfile, kept.profile_id)
            except CorruptRecordError:
                continue
            if found is not None and ProfileFacts.of(found).subject.is_unprofiled:
                return found.id
        return None

    def list(self, index: tuple[str, str], samples: bool = True) -> RecordList[DatasetProfile]:
        """Profiles of one index value (``datasetId`` or ``datasetVersionId``), oldest first;
        ``samples=False`` keeps only those of full materializations."""
        found = self.records.list(DatasetProfile, index=index)
        ordered = sorted(found, key=lambda p: (p.created_at, p.id))
        if not samples:
            ordered = [p for p in ordered if ProfileFacts.of(p).is_full]
        return RecordList(ordered, skipped=found.skipped)

    def latest(self, index: tuple[str, str]) -> DatasetProfile | None:
        """The newest profile of a full materialization (None when there are only samples, or none)."""
        profiles = self.list(index, samples=False)
        return profiles[-1] if profiles else None
