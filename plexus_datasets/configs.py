"""Dataset configurations and Plexus YAML: parsing, validation, canonical JSON, digests.

A configuration is the ``data:`` section of a Plexus score YAML: any JSON
object (a mapping with string keys). Its identity is the sha256 of its
canonical JSON (sorted keys, no whitespace), so key order and formatting never
create a new version.

YAML is read with a safe loader that keeps dates as the strings they were
written as (``start_date: 2024-01-01`` stays ``"2024-01-01"``) and refuses
duplicate keys. Syntax errors raise ConfigurationError with 1-based
``line``/``column``. Text is untrusted: alias expansion, nesting and integer
size are bounded before anything is built (``formats``), so an alias bomb or a
5,000-digit number is one typed error.

A Plexus score YAML (a file, or a ScoreVersion's ``configuration`` in Plexus's
API) gives a ``ScoreSpec``: its identity, its ``data:`` section and its ``item:``
section (the item pipeline Plexus passes to a data cache as ``item_config``).
``ImportResult`` says what importing one did.

Pure: nothing here touches the network or the store; ``DatasetService``
does the importing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import ConfigurationError, ValidationError
from .formats import canonical_json, check_json_tree, config_digest, parse_yaml, to_yaml
from .models import MAX_CONFIG_BYTES, NOTE_KEY, Dataset, DatasetVersion, Score
from .refs import with_version

__all__ = [
    "IMPORT_NOTE",
    "MAX_CONFIG_BYTES",
    "MAX_SCORE_YAML_BYTES",
    "ImportAction",
    "ImportResult",
    "ScoreSpec",
    "ScorecardSpec",
    "canonical_json",
    "config_digest",
    "label_column",
    "parse_configuration",
    "parse_score_config",
    "parse_scorecard",
    "parse_yaml",
    "to_yaml",
    "validate_configuration",
]


# --- validation -----------------------------------------------------------------------


def validate_configuration(configuration: Any) -> dict[str, Any]:
    """Return ``configuration`` as a plain JSON-compatible dict, or raise ValidationError.

    Refuses non-mappings, non-string keys, values JSON can't hold (sets, bytes,
    objects, NaN/inf), integers over ``formats.MAX_INTEGER_DIGITS`` digits, nesting
    deeper than ``formats.MAX_NESTING`` and configurations over ``MAX_CONFIG_BYTES``
    of canonical JSON (shared sub-objects counted each time they appear).
    """
    if not isinstance(configuration, Mapping):
        raise ValidationError(
            f"A configuration must be a mapping (the `data:` section of a score YAML), "
            f"not {type(configuration).__name__}."
        )
    if NOTE_KEY in configuration:
        raise ValidationError(
            f"The top-level key {NOTE_KEY!r} is reserved for version notes; pass note=... instead."
        )
    # Bounded first (iteratively), so the copy and the size below can't blow up.
    check_json_tree(configuration, "configuration", max_nodes=MAX_CONFIG_BYTES)
    plain = _plain(configuration)
    size = len(canonical_json(plain).encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise ValidationError(
            f"The configuration is {size:,} bytes as JSON, over the {MAX_CONFIG_BYTES:,}-byte limit "
            "(AppSync/DynamoDB can't store larger items). Keep data out of the configuration: "
            "point a loader at a file instead of listing items inline."
        )
    return plain


def _plain(value: Any) -> Any:
    """A checked JSON value (see ``check_json_tree``) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- YAML / JSON text -------------------------------------------------------------------


def parse_configuration(source: str | Mapping[str, Any]) -> dict[str, Any]:
    """A configuration from YAML/JSON text or a mapping, validated (see ``validate_configuration``).

    >>> parse_configuration("class: FeedbackItems\\ndays: 30")
    {'class': 'FeedbackItems', 'days': 30}
    """
    value = parse_yaml(source) if isinstance(source, str) else source
    if value is None:
        raise ConfigurationError("The configuration is empty: write at least `class: ...`.", 1, 1)
    return validate_configuration(value)


# --- Plexus score and scorecard YAML ----------------------------------------------------

#: The most text a score YAML may have (Plexus's prompts make them larger than a data: section;
#: a ScoreVersion, a DynamoDB item, holds at most 400 KB).
MAX_SCORE_YAML_BYTES = 4 * MAX_CONFIG_BYTES
#: The note on every version an import creates; it tells the importer which versions are its own.
IMPORT_NOTE = "imported from score YAML"

ImportAction = Literal["created", "new-version", "existing-version", "unchanged", "no-data"]


@dataclass(frozen=True)
class ScoreSpec:
    """What an import needs from a Plexus score YAML: its identity, its ``data:`` section
    and its ``item:`` section (None when absent)."""

    name: str
    key: str | None = None
    external_id: str | None = None
    score_class: str = "Score"
    label_field: str | None = None
    description: str | None = None
    data: dict[str, Any] | None = None
    item: dict[str, Any] | None = None

    @property
    def label_column(self) -> str:
        return label_column(self.name, self.label_field)


@dataclass(frozen=True)
class ImportResult:
    """What importing one score did; ``notes`` say anything worth knowing (which
    scorecard was assumed, a current version left pinned, a loader missing here)."""

    score: Score
    dataset: Dataset | None
    version: DatasetVersion | None
    action: ImportAction
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.dataset is None or self.version is None:
            return f"{self.score.name}: no data section, score only"
        text = f"{self.score.name}: {self.action} ({with_version(self.dataset.name, self.version.label)})"
        return text + "".join(f"; {note}" for note in self.notes)


@dataclass(frozen=True)
class ScorecardSpec:
    name: str
    key: str | None = None
    external_id: str | None = None
    description: str | None = None
    sections: list[tuple[str, list[ScoreSpec]]] = field(default_factory=list)


def label_column(score_name: str, label_field: str | None = None) -> str:
    """Plexus's label column: ``"<score name>"``, or ``"<score name> <label_field>"``."""
    return f"{score_name} {label_field}" if label_field else score_name


def _text(value: Any) -> str | None:
    return None if value is None else str(value).strip() or None


def _score_spec(doc: Any, where: str, default_name: str | None = None) -> ScoreSpec:
    if not isinstance(doc, Mapping):
        raise ConfigurationError(f"{where} must be a mapping with at least `name:`.")
    name = _text(doc.get("name")) or default_name
    if not name:
        raise ConfigurationError(f"{where} has no `name:`; Plexus score YAMLs start with `name: ...`.")
    data, item = doc.get("data"), doc.get("item")
    if data is not None:
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"The `data:` section of score {name!r} must be a mapping.")
        data = validate_configuration(data)
    if item is not None:
        if not isinstance(item, Mapping):
            raise ConfigurationError(f"The `item:` section of score {name!r} must be a mapping (class, options, "
                                     "processors).")
        item = validate_configuration(item)
    return ScoreSpec(
        name=name,
        key=_text(doc.get("key")),
        external_id=_text(doc.get("externalId") if doc.get("externalId") is not None else doc.get("id")),
        score_class=_text(doc.get("class")) or "Score",
        label_field=_text(doc.get("label_field")),
        description=_text(doc.get("description")),
        data=data,
        item=item,
    )


def parse_score_config(text: str, *, where: str = "The score YAML", default_name: str | None = None) -> ScoreSpec:
    """The identity (``name``, ``key``, ``id``/``externalId``), ``data:`` and ``item:`` of a
    score YAML; ``where`` names the text in messages; ``default_name`` is the name when the
    text has none (a configuration read from its score's record).

    Untrusted text: parsed safely (no tags that build objects, duplicate keys refused,
    aliases and nesting bounded; see ``formats.parse_yaml``) and refused before parsing
    when over ``MAX_SCORE_YAML_BYTES``. Raises ConfigurationError (ValidationError for
    the size).
    """
    if not isinstance(text, str):
        raise ValidationError(f"{where} must be YAML text, not {type(text).__name__}.")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_SCORE_YAML_BYTES:
        raise ValidationError(f"{where} is {size:,} bytes, over the {MAX_SCORE_YAML_BYTES:,}-byte limit for a score "
                              "YAML; it was not read.")
    return _score_spec(parse_yaml(text), where, default_name)


def parse_scorecard(text: str) -> ScorecardSpec:
    """A Plexus scorecard YAML: ``sections[].scores[]`` or top-level ``scores:``."""
    doc = parse_yaml(text)
    if not isinstance(doc, Mapping) or not _text(doc.get("name")):
        raise ConfigurationError("A scorecard YAML needs a top-level `name:`.")
    sections: list[tuple[str, list[ScoreSpec]]] = []
    for i, section in enumerate(doc.get("sections") or []):
        if not isinstance(section, Mapping):
            raise ConfigurationError(f"sections[{i}] must be a mapping with `name:` and `scores:`.")
        scores = [_score_spec(s, f"sections[{i}].scores[{j}]") for j, s in enumerate(section.get("scores") or [])]
        sections.append((_text(section.get("name")) or f"Section {i + 1}", scores))
    if doc.get("scores"):
        sections.append(("Default", [_score_spec(s, f"scores[{j}]") for j, s in enumerate(doc["scores"])]))
    return ScorecardSpec(
        name=_text(doc.get("name")),  # type: ignore[arg-type]
        key=_text(doc.get("key")),
        external_id=_text(doc.get("externalId") if doc.get("externalId") is not None else doc.get("id")),
        description=_text(doc.get("description")),
        sections=sections,
    )
