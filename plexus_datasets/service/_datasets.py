"""Datasets: creation with version 1, listing, summaries, renames and cascade deletes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import ConflictError, PlexusDatasetsError, ValidationError
from ..models import Dataset, DatasetProfile, DatasetSummary, DatasetVersion, RecordList, Score, Scorecard
from ._catalog import Catalog
from ._records import Records
from ._resolution import Resolver
from ._versions import Versions


def _by_name(items: list[Any], name: str | None, dataset: Any = lambda x: x) -> list[Any]:
    """Items whose dataset name contains ``name`` (case-insensitive), sorted by name."""
    if name:
        needle = name.casefold()
        items = [i for i in items if needle in dataset(i).name.casefold()]
    return sorted(items, key=lambda i: (dataset(i).name.casefold(), dataset(i).id))


class Datasets:
    def __init__(self, records: Records, catalog: Catalog, resolver: Resolver, versions: Versions) -> None:
        self.records = records
        self.catalog = catalog
        self.resolver = resolver
        self.versions = versions

    def _unique_name(self, card_id: str, name: str) -> None:
        if self.records.named(Dataset, name, index=("scorecardId", card_id)):
            card = self.records.get(Scorecard, card_id)
            raise ConflictError(f"Scorecard {card.name if card else card_id!r} already has a dataset named "
                                f"{name!r}; choose another name or add a version to that dataset.")

    def create(self, card: Scorecard, name: str, *, score: Score | None, description: str | None,
               config: dict[str, Any] | None, note: str | None, created_at: datetime | None,
               text: str | None = None) -> Dataset:
        if score is not None and self.catalog.scorecard_of_score(score).id != card.id:
            raise ValidationError(f"Score {score.name!r} does not belong to scorecard {card.name!r}.")
        self._unique_name(card.id, name)
        with self.records.backend.transaction():
            dataset = self.records.new(Dataset, {"name": name, "description": description, "scorecardId": card.id,
                                                 "scoreId": score.id if score else None}, created_at)
            if config is None:
                return dataset
            try:
                self.versions.create(dataset, config, note, force=True, created_at=created_at, text=text)
            except Exception:
                self._discard(dataset)  # stores without transactions (GraphQL) would keep an empty dataset
                raise
            return self.records.get(Dataset, dataset.id) or dataset

    def _discard(self, dataset: Dataset) -> None:
        try:
            for version in self.resolver.versions(dataset.id):
                self.records.delete(DatasetVersion, version.id)
            self.records.delete(Dataset, dataset.id)
        except PlexusDatasetsError:
            pass  # the original error is the one worth reporting

    def scope(self, scorecard: Scorecard | str | None, score: Score | str | None) -> tuple[str, str] | None:
        """The index that lists the datasets of a score or scorecard (None: all)."""
        if score is not None:
            return ("scoreId", self.catalog.score(score, scorecard).id)
        if scorecard is not None:
            return ("scorecardId", self.catalog.scorecard(scorecard).id)
        return None

    def list(self, index: tuple[str, str] | None, name: str | None) -> RecordList[Dataset]:
        found = self.records.list(Dataset, index=index)
        return RecordList(_by_name(found, name), skipped=found.skipped)

    def summaries(self, index: tuple[str, str] | None, name: str | None) -> RecordList[DatasetSummary]:
        summaries = self.records.summaries(index)
        return RecordList(_by_name(summaries, name, lambda s: s.dataset), skipped=summaries.skipped)

    def update(self, ds: Dataset, changes: Mapping[str, Any]) -> Dataset:
        name = changes.get("name")
        if name is not None and name != ds.name:
            self._unique_name(ds.scorecard_id, name)
        return self.records.update(Dataset, ds.id, changes) if changes else ds

    def delete(self, ds: Dataset, cascade: bool) -> Dataset:
        # Raw ids: records refused as corrupt are deleted with their dataset too.
        versions = self.records.ids(DatasetVersion, ("datasetId", ds.id))
        if versions and not self.records.backend.deletes_versions:
            raise ValidationError(
                f"Dataset {ds.name!r} has {len(versions)} version(s), and this store ({self.records.backend.description}) "
                "numbers versions by their position (Plexus's DataSourceVersion has no number), so deleting them "
                "would renumber what others refer to. Nothing was deleted; rename the dataset or leave it.")
        if versions and not cascade:
            raise ConflictError(f"Dataset {ds.name!r} has {len(versions)} version(s); pass cascade=True "
                                "(CLI: --cascade) to delete it with its versions and profiles.")
        with self.records.backend.transaction():
            # Pointer first, then children, then the dataset: a failure part-way never
            # leaves a dataset pointing at a deleted version.
            if ds.current_version_id:
                self.records.update(Dataset, ds.id, {"currentVersionId": None})
            for profile_id in self.records.ids(DatasetProfile, ("datasetId", ds.id)):
                self.records.delete(DatasetProfile, profile_id)
            for version_id in versions:
                self.records.delete(DatasetVersion, version_id)
            self.records.delete(Dataset, ds.id)
        return ds.model_copy(update={"current_version_id": None})
