"""Input validation and limits: everything is checked before anything is written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..configs import validate_configuration
from ..errors import ValidationError
from ..profiling import MAX_PROFILE_BYTES, payload_size

MAX_NAME_LENGTH = 255
MAX_NOTE_LENGTH = 4000


def require_text(value: Any, what: str) -> str:
    """A non-empty string reference (an id, key or name) or ValidationError."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"A {what} reference must be a non-empty string, not {value!r}.")
    return value


def name(value: Any, what: str) -> str:
    """A trimmed, non-empty, single-line name of at most MAX_NAME_LENGTH characters."""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, not {type(value).__name__}.")
    cleaned = value.strip()
    if not cleaned:
        raise ValidationError(f"{what} must not be empty.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(f"{what} is {len(cleaned)} characters; the limit is {MAX_NAME_LENGTH}.")
    if any(ord(c) < 32 for c in cleaned):
        raise ValidationError(f"{what} must not contain control characters (newlines, tabs...).")
    return cleaned


def optional_text(value: Any, what: str) -> str | None:
    """A trimmed string, or None for None or blank text."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, not {type(value).__name__}.")
    return value.strip() or None


def integer(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be an integer, not {value!r}.")
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
