"""Domain records, shaped exactly like the GraphQL contract.

Field names are snake_case in Python and camelCase on the wire (``by_alias``);
requiredness follows the plan's SDL (``server/contracts/plan/amplify_datasets.graphql``). ``DatasetVersion`` and
``DatasetProfile`` are frozen: a version's configuration never changes, a
profile is a fact about the past.

Records come from shared stores, so a record is validated whenever one is
built (``read_record`` turns a refusal into CorruptRecordError naming the
model, id and field):

- every id and reference matches ``refs.ID_PATTERN`` (letters, digits, ``-``,
  ``_``; 1 to 128 characters);
- names and keys are NFC-normalized, at most ``MAX_NAME_LENGTH`` characters,
  without control or bidirectional-formatting characters. On write the service
  refuses such a name (ValidationError); on read the record is refused as
  corrupt, never shown or used (a listing skips it with a warning);
- version numbers go from 1 to ``refs.MAX_VERSION_NUMBER``;
- a configuration is a JSON object within ``formats``' bounds and
  ``MAX_CONFIG_BYTES``; a version records its configuration's digest at
  creation, and a configuration that no longer matches it (edited in place) is
  refused as tampered. Versions written before digests were recorded stay valid.

``MODELS`` lists the stored models; ``backends.specs`` derives the storage
description (field kinds, required fields, indexes) from these classes, so the
classes are the one source of truth.

>>> Dataset.model_validate({"id": "d1", "name": "calls", "scorecardId": "s1",
...     "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"}).scorecard_id
's1'
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from . import display
from .errors import CorruptRecordError, PlexusDatasetsError, ValidationError
from .facts import ProfileFacts
from .formats import canonical_json, check_json_tree, config_digest, format_datetime, parse_yaml
from .refs import ID_PATTERN, MAX_ID_LENGTH, MAX_VERSION_NUMBER, is_id

__all__ = [
    "ID_PATTERN",
    "MAX_CONFIG_BYTES",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_VERSION_NUMBER",
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
    "check_id",
    "clean_name",
    "read_record",
]

#: The most characters in a name or key (scorecards, sections, scores, datasets).
MAX_NAME_LENGTH = 255
#: AppSync/DynamoDB items are capped at 400 KB; leave room for the other fields.
MAX_CONFIG_BYTES = 256 * 1024

# Characters that reorder or hide what people see: the bidirectional marks, embeddings,
# overrides and isolates. Names refuse them, control characters (Cc), invisible format
# characters (Cf: zero-width joiners and spaces, byte-order marks) and line/paragraph separators.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_id(value: str, what: str = "id") -> str:
    """``value`` if it matches ``ID_PATTERN``, else ValidationError."""
    if not is_id(value):
        raise ValidationError(f"{_shown(value)} is not a valid {what}: ids are 1 to {MAX_ID_LENGTH} ASCII "
                              "letters, digits, '-' or '_'.")
    return value


def clean_name(value: str, what: str = "name") -> str:
    """``value`` NFC-normalized; ValidationError if it is longer than ``MAX_NAME_LENGTH``
    or holds a control or bidirectional-formatting character."""
    text = unicodedata.normalize("NFC", value)
    if len(text) > MAX_NAME_LENGTH:
        raise ValidationError(f"{what} is {len(text):,} characters; the limit is {MAX_NAME_LENGTH}.")
    bad = next((c for c in text if c in _BIDI or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if bad is not None:
        raise ValidationError(f"{what} contains the character U+{ord(bad):04X}; names can't hold control characters "
                              "(newlines, tabs...), invisible ones (zero-width joiners, spaces) or bidirectional-"
                              "formatting ones, which hide or reorder what people see.")
    return text


def stored_name(value: str) -> str:
    """A name read from a store: it must already be what ``clean_name`` makes of it (every
    writer of this package stores NFC), so two names that look alike can't both be stored."""
    text = clean_name(value, "the text")
    if text != value:
        raise ValidationError("the text is not in Unicode NFC form (it looks like another name but isn't); "
                              "it was not written by plexus-datasets.")
    return text


def _shown(value: Any, limit: int = 60) -> str:
    """A short, escaped rendering of untrusted text for messages (repr escapes controls)."""
    text = repr(value[: limit + 1] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[:limit] + "..."


RecordId = Annotated[str, AfterValidator(lambda value: check_id(value))]
Name = Annotated[str, AfterValidator(stored_name)]


class Record(BaseModel):
    """Fields every stored record has; camelCase aliases on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", str_strip_whitespace=False
    )
    __model_name__: ClassVar[str]
    __indexes__: ClassVar[tuple[str, ...]] = ()
    #: Python-only fields that the contract has no attribute for.
    __local_fields__: ClassVar[tuple[str, ...]] = ()

    id: RecordId
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

    name: Name
    key: Name
    description: str | None = None
    external_id: str | None = None
    account_id: str


class ScorecardSection(Record):
    __model_name__ = "ScorecardSection"
    __indexes__ = ("scorecardId",)

    name: Name
    order: int
    scorecard_id: RecordId


class Score(Record):
    __model_name__ = "Score"
    __indexes__ = ("sectionId", "key", "externalId")

    name: Name
    key: Name | None = None
    description: str | None = None
    order: int
    type: str
    external_id: str | None = None
    section_id: RecordId
    metadata: dict[str, Any] | None = None


class Dataset(Record):
    __model_name__ = "Dataset"
    __indexes__ = ("scorecardId", "scoreId")

    name: Name
    description: str | None = None
    scorecard_id: RecordId
    score_id: RecordId | None = None
    current_version_id: RecordId | None = None

    @field_validator("scorecard_id", mode="before")
    @classmethod
    def _has_scorecard(cls, value: Any) -> Any:
        if value is None:  # Plexus's DataSource may have none; here a dataset belongs to a scorecard
            raise ValueError(_NO_SCORECARD)
        return value


#: Key under which a version's own metadata (digest, note) travels inside the stored configuration.
NOTE_KEY = "_plexus_datasets"


class DatasetVersion(Record):
    """An immutable, numbered configuration of a dataset.

    ``digest`` is the sha256 of the configuration's canonical JSON. The dataset
    plan's contract has no attribute for this package's metadata, so on the wire it
    rides inside the configuration as ``{"_plexus_datasets": {"digest", "note",
    "text", "parent", "featured"}}`` (each only when set) and is split off again
    when read, on every backend (Plexus's DataSourceVersion has real fields for
    them; ``backends.plexus`` maps them):

    - ``note``: free text about the version;
    - ``text``: the YAML text the configuration was written as, comments included
      (None when it was given as a mapping). The parsed ``configuration`` is what
      counts: the digest covers it, and a text that no longer parses to it is
      refused like an in-place edit;
    - ``parent_version_id``: the version this one was made from (the current
      version when it was created, or the one named by ``based_on=``);
    - ``featured``: Plexus's "show prominently" flag (False unless asked).

    The digest is recorded at creation; a stored configuration that no
    longer matches it was edited in place and is refused (CorruptRecordError via
    ``read_record``). Versions without a recorded digest (older releases, other
    clients, Plexus) are read as they are.
    """

    model_config = ConfigDict(frozen=True)
    __model_name__ = "DatasetVersion"
    __indexes__ = ("datasetId",)
    __local_fields__ = ("note", "text", "parent_version_id", "featured")

    dataset_id: RecordId
    version_number: int = Field(ge=1, le=MAX_VERSION_NUMBER, strict=True)
    configuration: dict[str, Any]
    note: str | None = None
    text: str | None = None
    parent_version_id: RecordId | None = None
    featured: bool = False

    @model_validator(mode="before")
    @classmethod
    def _split_metadata(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("configuration"), Mapping):
            return data  # the field validators refuse what is not an object
        config = dict(data["configuration"])
        check_json_tree(config, "configuration", max_nodes=MAX_CONFIG_BYTES)
        meta = config.pop(NOTE_KEY, None) or {}
        if not isinstance(meta, dict):
            # ValueError, not TypeError: pydantic turns only ValueError into a validation error
            raise ValueError(f"configuration.{NOTE_KEY} must be an object (the version's digest and note)")  # noqa: TRY004
        encoded = canonical_json(config).encode("utf-8")
        if len(encoded) > MAX_CONFIG_BYTES:
            raise ValueError(f"configuration is over the {MAX_CONFIG_BYTES:,}-byte limit")
        recorded = meta.get("digest")
        if recorded is not None and recorded != hashlib.sha256(encoded).hexdigest():  # formats.config_digest
            raise ValueError("configuration no longer matches the digest recorded when the version was created: "
                             "it was edited in place (tampering?)")
        text = meta.get("text")
        if text is not None and not _text_matches(text, config):
            raise ValueError("configuration text no longer parses to the configuration (edited in place?)")
        data = {**data, "configuration": config}
        data.setdefault("note", meta.get("note"))
        data.setdefault("text", text)
        data.setdefault("parent_version_id", meta.get("parent"))
        data.setdefault("featured", meta.get("featured") or False)
        return data

    @staticmethod
    def wire_configuration(configuration: dict[str, Any], note: str | None, *, text: str | None = None,
                           parent: str | None = None, featured: bool = False) -> dict[str, Any]:
        """The configuration as stored: with its digest, and the note, text, parent and
        featured flag when they are set."""
        meta: dict[str, Any] = {"digest": config_digest(configuration)}
        if note:
            meta["note"] = note
        if text is not None:
            meta["text"] = text
        if parent:
            meta["parent"] = parent
        if featured:
            meta["featured"] = True
        return {**configuration, NOTE_KEY: meta}

    def to_wire(self) -> dict[str, Any]:
        wire = super().to_wire()
        wire["configuration"] = self.wire_configuration(
            wire["configuration"], wire.pop("note"), text=wire.pop("text"), parent=wire.pop("parentVersionId"),
            featured=wire.pop("featured"))
        return wire

    @property
    def digest(self) -> str:
        return config_digest(self.configuration)

    @property
    def label(self) -> str:
        return f"v{self.version_number}"


def _text_matches(text: Any, configuration: dict[str, Any]) -> bool:
    """Whether a version's recorded YAML text parses to its configuration."""
    if not isinstance(text, str) or len(text) > MAX_CONFIG_BYTES:
        return False
    parsed = _parsed_text(text)
    return parsed is not None and parsed == canonical_json(configuration)


@lru_cache(maxsize=256)
def _parsed_text(text: str) -> str | None:
    """The canonical JSON of a version's YAML text (None when it doesn't parse). Versions are
    immutable and read again and again (every listing), so each text is parsed once here."""
    try:
        return canonical_json(parse_yaml(text))
    except (PlexusDatasetsError, ValueError, TypeError):
        return None


class DatasetProfile(Record):
    """What one materialization of a version looked like (append-only)."""

    model_config = ConfigDict(frozen=True)
    __model_name__ = "DatasetProfile"
    __indexes__ = ("datasetId", "datasetVersionId")

    dataset_id: RecordId
    dataset_version_id: RecordId
    column_list: list[str | None]
    record_counts: Any
    answer_distribution: Any


class DatasetSummary(BaseModel):
    """What a listing shows of one dataset (``DatasetService.dataset_summaries``): its
    current version, its version numbers, and the current version's newest profile
    of a full materialization (``latest_profile``; never a sample's, never another
    version's). ``profile_version`` is the version that profile describes (the
    current one, or None without a profile); ``sample_profiles_only`` is True when
    the current version has profiles but all of them are of samples."""

    model_config = ConfigDict(frozen=True)

    dataset: Dataset
    current_version: DatasetVersion | None = None
    version_numbers: tuple[int, ...] = ()
    latest_profile: DatasetProfile | None = None
    sample_profiles_only: bool = False

    @property
    def version_count(self) -> int:
        return len(self.version_numbers)

    @property
    def latest_version_number(self) -> int | None:
        return self.version_numbers[-1] if self.version_numbers else None

    @property
    def profile_version(self) -> DatasetVersion | None:
        """The version ``latest_profile`` describes: the current version (None without a profile)."""
        if self.latest_profile is None or self.current_version is None:
            return None
        return self.current_version if self.latest_profile.dataset_version_id == self.current_version.id else None

    @property
    def record_count(self) -> int | None:
        """Rows of the current version, from its newest full profile (``recordCounts.rows``);
        None without one."""
        return ProfileFacts.of(self.latest_profile).rows if self.latest_profile else None

    def __repr__(self) -> str:
        return display.record_text(self)


T = TypeVar("T")


class RecordList(list[T]):
    """A list of records that displays as a table and converts to a DataFrame.

    ``skipped`` counts the records the store returned that were refused as
    corrupt (each also logged as a warning); a RecordList made from another keeps
    its count unless given one.

    >>> svc.list_datasets().to_dataframe()      # doctest: +SKIP
    """

    skipped: int = 0

    def __init__(self, items: Iterable[T] = (), skipped: int | None = None) -> None:
        super().__init__(items)
        self.skipped = getattr(items, "skipped", 0) if skipped is None else skipped

    def __repr__(self) -> str:
        return display.records_text(self)

    def _repr_html_(self) -> str:
        return display.records_html(self)

    def to_dataframe(self):  # type: ignore[no-untyped-def]
        """One row per record (pandas DataFrame)."""
        return display.records_frame(self)


R = TypeVar("R", bound=Record)


def read_record(cls: type[R], wire: Any) -> R:
    """``cls`` from a wire record read from a store, or CorruptRecordError naming the
    model, the record's id and the field that breaks the rules (never a pydantic
    traceback)."""
    try:
        return cls.model_validate(wire)
    except PydanticValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        field = ".".join(str(part) for part in first["loc"])
        problem = str(first["msg"]).removeprefix("Value error, ").rstrip(".")
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise CorruptRecordError(_corrupt(cls, wire, f"{field + ': ' if field else ''}{problem}{more}")) from exc
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:  # OverflowError: a date out of range
        raise CorruptRecordError(_corrupt(cls, wire, f"{type(exc).__name__}: {exc}"[:300])) from exc


#: Why a Plexus DataSource without a scorecard is not shown (it is not corrupt there).
_NO_SCORECARD = "no scorecard"


def _corrupt(cls: type[Record], wire: Any, problem: str) -> str:
    raw_id = wire.get("id") if isinstance(wire, Mapping) else None
    if problem == f"scorecardId: {_NO_SCORECARD}":
        name = wire.get("name") if isinstance(wire, Mapping) else None
        return (f"The dataset {_shown(name)} (id {_shown(raw_id)}) has no scorecard (Plexus allows a DataSource "
                "without one), and here every dataset belongs to a scorecard, so it is left out. Attach it to a "
                "scorecard in Plexus to use it here.")
    return (f"The store holds a corrupt {cls.__model_name__} record (id {_shown(raw_id)}): {problem}. It was not "
            "used; whoever manages the registry should fix or delete it.")


#: Every stored model, in dependency order (a record's parents come first).
MODELS: tuple[type[Record], ...] = (Scorecard, ScorecardSection, Score, Dataset, DatasetVersion, DatasetProfile)
