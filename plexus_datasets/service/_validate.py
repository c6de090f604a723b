"""Input validation and limits: everything is checked before anything is written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..configs import validate_configuration
from ..errors import ValidationError
from ..models import check_id, clean_name
from ..profiling import MAX_PROFILE_BYTES, payload_size

MAX_NOTE_LENGTH = 4000
#: GraphQL's Int is a signed 32-bit integer.
MAX_INT = 2**31 - 1


def require_text(value: Any, what: str) -> str:
    """A non-empty string reference (an id, key or name) or ValidationError."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"A {what} reference must be a non-empty string, not {value!r}.")
    return value


def name(value: Any, what: str) -> str:
    """A trimmed, NFC-normalized, non-empty name of at most ``models.MAX_NAME_LENGTH`` characters,
    without control or bidirectional-formatting characters (``models.clean_name``)."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, not {type(value).__name__}.")
    cleaned = clean_name(value.strip(), what)
    if not cleaned:
        raise ValidationError(f"{what} must not be empty.")
    return cleaned


def optional_name(value: Any, what: str) -> str | None:
    """``name`` for an optional field: None for None or blank text."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else name(value, what)


def record_id(value: Any, what: str) -> str | None:
    """An id given by the caller (None: one is generated): ``models.ID_PATTERN`` or ValidationError."""
    return None if value is None else check_id(value, what)


def optional_text(value: Any, what: str) -> str | None:
    """A trimmed string, or None for None or blank text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, not {type(value).__name__}.")
    return value.strip() or None


def integer(value: Any, what: str) -> int:
    """An integer GraphQL's Int can hold (signed 32-bit)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be an integer, not {type(value).__name__}.")
    if not -MAX_INT - 1 <= value <= MAX_INT:
        raise ValidationError(f"{what} must be between {-MAX_INT - 1:,} and {MAX_INT:,}.")
    return value


def note(value: Any) -> str | None:
    text = optional_text(value, "note")
    if text is not None and len(text) > MAX_NOTE_LENGTH:
        raise ValidationError(f"The note is {len(text)} characters; the limit is {MAX_NOTE_LENGTH}.")
    return text


def json_mapping(value: Any, what: str) -> dict[str, Any]:
    """A JSON object, validated as configurations are (the message names ``what``)."""
    try:
        return validate_configuration(value)
    except ValidationError as exc:
        raise ValidationError(str(exc).replace("configuration", what, 1)) from exc


def column_names(value: Any) -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("column_list must be a list of column names.")
    columns = list(value)
    if not all(isinstance(c, str) for c in columns):
        raise ValidationError("column_list must contain only strings (column names).")
    return columns


def profile_size(column_list: Any, record_counts: Any, answer_distribution: Any) -> None:
    """Refuse a profile over ``profiling.MAX_PROFILE_BYTES`` (measured by ``payload_size``,
    as ``profiling`` measures its own output)."""
    size = payload_size(column_list, record_counts, answer_distribution)
    if size > MAX_PROFILE_BYTES:
        raise ValidationError(
            f"The profile is {size:,} bytes as JSON, over the {MAX_PROFILE_BYTES:,}-byte limit; "
            "keep top-k values instead of every distinct value."
        )


def slug(text: str) -> str:
    cleaned = "".join(c.lower() if c.isalnum() else "-" for c in text).strip("-")
    return "-".join(part for part in cleaned.split("-") if part) or "scorecard"



def count(value: Any, what: str) -> int:
    """A whole number of rows (0 or more)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{what} must be a whole number of rows, not {str(value)[:40]!r}.")
    return value


def configuration_text(value: str) -> str:
    """YAML/JSON configuration text kept as written: at most ``models.MAX_CONFIG_BYTES``
    bytes of UTF-8 (an AppSync item holds 400 KB), no NUL characters."""
    from ..models import MAX_CONFIG_BYTES

    if "\x00" in value:
        raise ValidationError("The configuration text contains a NUL character; remove it.")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        raise ValidationError(f"The configuration text is {size:,} bytes; the limit is {MAX_CONFIG_BYTES:,} "
                              "(shorten it or move inline data into a file).")
    return value
