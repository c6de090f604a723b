"""Dataset configurations: validation, canonical JSON and digests.

A configuration is the ``data:`` section of a Plexus score YAML: any JSON
object (a mapping with string keys). Its identity is the sha256 of its
canonical JSON (sorted keys, no whitespace), so key order and formatting
never create a new version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import ValidationError
from .models import NOTE_KEY, canonical_json, config_digest

__all__ = ["MAX_CONFIG_BYTES", "canonical_json", "config_digest", "validate_configuration"]

#: AppSync/DynamoDB items are capped at 400 KB; leave room for the other fields.
MAX_CONFIG_BYTES = 256 * 1024


def validate_configuration(configuration: Any) -> dict[str, Any]:
    """Return ``configuration`` as a plain JSON-compatible dict, or raise ValidationError.

    Refuses non-mappings, non-string keys, values JSON can't hold (sets, bytes,
    objects, NaN/inf) and configurations over ``MAX_CONFIG_BYTES`` of canonical JSON.
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
    plain = _plain(configuration, "configuration")
    size = len(canonical_json(plain).encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise ValidationError(
            f"The configuration is {size:,} bytes as JSON, over the {MAX_CONFIG_BYTES:,}-byte limit "
            "(AppSync/DynamoDB can't store larger items). Keep data out of the configuration: "
            "point a loader at a file instead of listing items inline."
        )
    return plain


def _plain(value: Any, path: str) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{path} has a key {key!r} that is not a string; JSON keys must be strings.")
            out[key] = _plain(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{path} is {value}, which JSON can't represent; use null or a number.")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValidationError(
        f"{path} is a {type(value).__name__}, which JSON can't represent; use strings, numbers, "
        "booleans, null, lists and mappings."
    )
