"""Domain records, shaped exactly like the GraphQL contract.

Field names are snake_case in Python and camelCase on the wire (``by_alias``);
requiredness follows ``backends/schema.graphql``. ``DatasetVersion`` and
``DatasetProfile`` are frozen: a version's configuration never changes, a
profile is a fact about the past.

``MODELS`` lists the stored models; ``backends.specs`` derives the storage
description (field kinds, required fields, indexes) from these classes, so the
classes are the one source of truth.

>>> Dataset.model_validate({"id": "d1", "name": "calls", "scorecardId": "s1",
...     "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"}).scorecard_id
's1'
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic.alias_generators import to_camel

from . import display
from .facts import ProfileFacts
from .formats import config_digest, format_datetime

__all__ = [
    "MODELS",
    "NOTE_KEY",
    "Dataset",
    "DatasetProfile",
    "DatasetSummary",
    "DatasetVersion",
    "Record",
    "RecordList",
    "Score",
    "Scorecard",
    "ScorecardSection",
]


class Record(BaseModel):
    """Fields every stored record has; camelCase aliases on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", str_strip_whitespace=False
    )
    __model_name__: ClassVar[str]
    __indexes__: ClassVar[tuple[str, ...]] = ()
    #: Python-only fields that the contract has no attribute for.
    __local_fields__: ClassVar[tuple[str, ...]] = ()

    id: str
    created_at: datetime
    updated_at: datetime

    @field_validator("created_at", "updated_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_serializer("created_at", "updated_at")
    def _aws_datetime(self, value: datetime) -> str:
        return format_datetime(value)

    def to_wire(self) -> dict[str, Any]:
        """The record as the contract spells it: camelCase keys, AWSDateTime strings."""
        return self.model_dump(by_alias=True, mode="json")

    def __repr__(self) -> str:
        return display.record_text(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return display.record_html(self)


class Scorecard(Record):
    __model_name__ = "Scorecard"
    __indexes__ = ("key", "externalId", "accountId")

    name: str
    key: str
    description: str | None = None
    external_id: str | None = None
    account_id: str


class ScorecardSection(Record):
    __model_name__ = "ScorecardSection"
    __indexes__ = ("scorecardId",)

    name: str
    order: int
    scorecard_id: str


class Score(Record):
    __model_name__ = "Score"
    __indexes__ = ("sectionId", "key", "externalId")

    name: str
    key: str | None = None
    description: str | None = None
    order: int
    type: str
    external_id: str | None = None
    section_id: str
    metadata: dict[str, Any] | None = None


class Dataset(Record):
    __model_name__ = "Dataset"
    __indexes__ = ("scorecardId", "scoreId")

    name: str
    description: str | None = None
    scorecard_id: str
    score_id: str | None = None
    current_version_id: str | None = None


#: Key under which a version's note travels inside the stored configuration.
NOTE_KEY = "_plexus_datasets"


class DatasetVersion(Record):
    """An immutable, numbered configuration of a dataset.

    ``digest`` is the sha256 of the configuration's canonical JSON. ``note`` is
    this package's own field: the contract has no attribute for it, so on the
    wire it rides inside the configuration as ``{"_plexus_datasets": {"note": ...}}``
    (only when a note is given) and is split off again when read, on every backend.
    """

    model_config = ConfigDict(frozen=True)
    __model_name__ = "DatasetVersion"
    __indexes__ = ("datasetId",)
    __local_fields__ = ("note",)

    dataset_id: str
    version_number: int = Field(ge=1)
    configuration: dict[str, Any]
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_note(cls, data: Any) -> Any:
        if isinstance(data, dict):
            config = data.get("configuration")
            if isinstance(config, dict) and NOTE_KEY in config:
                config = dict(config)
                meta = config.pop(NOTE_KEY) or {}
                data = {**data, "configuration": config}
                data.setdefault("note", meta.get("note") if isinstance(meta, dict) else None)
        return data

    @staticmethod
    def wire_configuration(configuration: dict[str, Any], note: str | None) -> dict[str, Any]:
        """The configuration as stored: with the note folded in when there is one."""
        return {**configuration, NOTE_KEY: {"note": note}} if note else configuration

    def to_wire(self) -> dict[str, Any]:
        wire = super().to_wire()
        wire["configuration"] = self.wire_configuration(wire["configuration"], wire.pop("note"))
        return wire

    @property
    def digest(self) -> str:
        return config_digest(self.configuration)

    @property
    def label(self) -> str:
        return f"v{self.version_number}"


class DatasetProfile(Record):
    """What one materialization of a version looked like (append-only)."""

    model_config = ConfigDict(frozen=True)
    __model_name__ = "DatasetProfile"
    __indexes__ = ("datasetId", "datasetVersionId")

    dataset_id: str
    dataset_version_id: str
    column_list: list[str | None]
    record_counts: Any
    answer_distribution: Any


class DatasetSummary(BaseModel):
    """What a listing shows of one dataset: its current version, how many
    versions it has, and its newest profile (``DatasetService.dataset_summaries``)."""

    model_config = ConfigDict(frozen=True)

    dataset: Dataset
    current_version: DatasetVersion | None = None
    version_numbers: tuple[int, ...] = ()
    latest_profile: DatasetProfile | None = None

    @property
    def version_count(self) -> int:
        return len(self.version_numbers)

    @property
    def latest_version_number(self) -> int | None:
        return self.version_numbers[-1] if self.version_numbers else None

    @property
    def record_count(self) -> int | None:
        """Rows in the newest profile (``recordCounts.rows``), when there is one."""
        return ProfileFacts.of(self.latest_profile).rows if self.latest_profile else None

    def __repr__(self) -> str:
        return display.record_text(self)


T = TypeVar("T")


class RecordList(list[T]):
    """A list of records that displays as a table and converts to a DataFrame.

    >>> svc.list_datasets().to_dataframe()      # doctest: +SKIP
    """

    def __repr__(self) -> str:
        return display.records_text(self)

    def _repr_html_(self) -> str:
        return display.records_html(self)

    def to_dataframe(self):  # type: ignore[no-untyped-def]
        """One row per record (pandas DataFrame)."""
        return display.records_frame(self)


#: Every stored model, in dependency order (a record's parents come first).
MODELS: tuple[type[Record], ...] = (Scorecard, ScorecardSection, Score, Dataset, DatasetVersion, DatasetProfile)
