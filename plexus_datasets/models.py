"""Domain records, shaped exactly like the GraphQL contract.

Field names are snake_case in Python and camelCase on the wire (``by_alias``);
requiredness follows ``backends/schema.graphql``. ``DatasetVersion`` and
``DatasetProfile`` are frozen: a version's configuration never changes, a
profile is a fact about the past.

``MODEL_SPECS`` describes every model for the storage backends (table, field
kinds, index fields), derived from the classes so there is one source of truth.

>>> Dataset.model_validate({"id": "d1", "name": "calls", "scorecardId": "s1",
...     "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"}).scorecard_id
's1'
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "MODEL_SPECS",
    "Dataset",
    "DatasetProfile",
    "DatasetSummary",
    "DatasetVersion",
    "ModelSpec",
    "Record",
    "RecordList",
    "Score",
    "Scorecard",
    "ScorecardSection",
    "canonical_json",
    "config_digest",
    "format_datetime",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_datetime(value: datetime) -> str:
    """AWSDateTime text: ISO 8601, UTC, always with the ``Z`` offset, microseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a value: sorted keys, no whitespace, UTF-8 as is.

    Raises ``TypeError``/``ValueError`` for values JSON can't represent (NaN included).
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def config_digest(configuration: Any) -> str:
    """sha256 hex digest of a configuration's canonical JSON."""
    return hashlib.sha256(canonical_json(configuration).encode("utf-8")).hexdigest()


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
        from .display import record_fields

        shown = ", ".join(f"{k}={v!r}" for k, v in record_fields(self).items() if v is not None)
        return f"{type(self).__name__}({shown})"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from .display import record_html

        return record_html(self)


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
        counts = self.latest_profile.record_counts if self.latest_profile else None
        rows = counts.get("rows") if isinstance(counts, dict) else None
        return rows if isinstance(rows, int) else None

    def __repr__(self) -> str:
        from .display import record_fields

        shown = ", ".join(f"{k}={v!r}" for k, v in record_fields(self).items() if v is not None)
        return f"DatasetSummary({shown})"


T = TypeVar("T")


class RecordList(list[T]):
    """A list of records that displays as a table and converts to a DataFrame.

    >>> svc.list_datasets().to_dataframe()      # doctest: +SKIP
    """

    def __repr__(self) -> str:
        from .display import records_text

        return records_text(self)

    def _repr_html_(self) -> str:
        from .display import records_html

        return records_html(self)

    def to_dataframe(self):  # type: ignore[no-untyped-def]
        """One row per record (pandas DataFrame)."""
        from .display import records_frame

        return records_frame(self)


# --- storage description, derived from the classes above -------------------------

FieldKind = typing.Literal["string", "int", "datetime", "strings", "json"]


@dataclass(frozen=True)
class ModelSpec:
    """How a backend stores one model: wire field names with their kinds."""

    name: str
    cls: type[Record]
    table: str
    fields: dict[str, FieldKind]
    required: frozenset[str]
    indexes: tuple[str, ...]


def _kind(annotation: Any) -> FieldKind:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else Any
    if annotation is str:
        return "string"
    if annotation is int:
        return "int"
    if annotation is datetime:
        return "datetime"
    if typing.get_origin(annotation) is list:
        return "strings"
    return "json"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _spec(cls: type[Record]) -> ModelSpec:
    hints = typing.get_type_hints(cls)
    fields: dict[str, FieldKind] = {}
    required = set()
    for name, info in cls.model_fields.items():
        if name in cls.__local_fields__:
            continue
        wire = info.alias or name
        fields[wire] = _kind(hints[name])
        if info.is_required() and wire not in {"id", "createdAt", "updatedAt"}:
            required.add(wire)
    return ModelSpec(
        name=cls.__model_name__,
        cls=cls,
        table=_snake(cls.__model_name__) + "s",
        fields=fields,
        required=frozenset(required),
        indexes=cls.__indexes__,
    )


MODEL_SPECS: dict[str, ModelSpec] = {
    cls.__model_name__: _spec(cls)
    for cls in (Scorecard, ScorecardSection, Score, Dataset, DatasetVersion, DatasetProfile)
}
