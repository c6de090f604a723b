"""Profile records: append-only facts about materializations, listed oldest first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..models import DatasetProfile, DatasetVersion, RecordList
from . import _validate as check
from ._records import Records


class Profiles:
    def __init__(self, records: Records) -> None:
        self.records = records

    def record(self, version: DatasetVersion, column_list: Iterable[str], record_counts: Mapping[str, Any],
               answer_distribution: Mapping[str, Any], created_at: datetime | None) -> DatasetProfile:
        columns = check.column_names(column_list)
        counts = check.json_mapping(record_counts, "record_counts")
        answers = check.json_mapping(answer_distribution, "answer_distribution")
        check.profile_size(columns, counts, answers)
        return self.records.new(DatasetProfile, {
            "datasetId": version.dataset_id, "datasetVersionId": version.id, "columnList": columns,
            "recordCounts": counts, "answerDistribution": answers,
        }, created_at)

    def list(self, index: tuple[str, str]) -> RecordList[DatasetProfile]:
        found = self.records.list(DatasetProfile, index=index)
        return RecordList(sorted(found, key=lambda p: (p.created_at, p.id)))

    def latest(self, index: tuple[str, str]) -> DatasetProfile | None:
        profiles = self.list(index)
        return profiles[-1] if profiles else None
