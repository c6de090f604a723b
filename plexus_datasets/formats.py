"""The ground floor for text formats: canonical JSON, digests, AWSDateTime and YAML.

``models``, ``configs``, ``display`` and the backends all import this module and
it imports nothing of ours but ``errors``, so none of them needs another to
spell a date, a digest or a YAML document.

>>> canonical_json({"b": 1, "a": [1, 2]})
'{"a":[1,2],"b":1}'
>>> format_datetime(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
'2025-01-02T03:04:05.000000Z'
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from .errors import ConfigurationError, ValidationError

__all__ = [
    "canonical_json",
    "config_digest",
    "format_datetime",
    "parse_yaml",
    "short_time",
    "to_yaml",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_datetime(value: datetime) -> str:
    """AWSDateTime text: ISO 8601, UTC, always with the ``Z`` offset, microseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def short_time(value: Any) -> str:
    """``YYYY-MM-DD HH:MM`` for a datetime; other values as text (None is empty)."""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ("" if value is None else str(value))


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a value: sorted keys, no whitespace, UTF-8 as is.

    Raises ``TypeError``/``ValueError`` for values JSON can't represent (NaN included).
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def config_digest(configuration: Any) -> str:
    """sha256 hex digest of a configuration's canonical JSON."""
    return hashlib.sha256(canonical_json(configuration).encode("utf-8")).hexdigest()


# --- YAML ------------------------------------------------------------------------------


def _loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader without timestamp resolution, refusing duplicate keys."""

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict:
        loader.flatten_mapping(node)
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise ConfigurationError(
                    f"Duplicate key {key!r} at line {mark.line + 1}, column {mark.column + 1} "
                    f"(first at line {seen[key].line + 1}); each key may appear once.",
                    mark.line + 1, mark.column + 1,
                )
            seen[key] = key_node.start_mark
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    return Loader


def parse_yaml(text: str) -> Any:
    """Parse YAML (or JSON) text safely; ConfigurationError with line/column on a syntax error.

    Dates stay the strings they were written as; duplicate keys are refused.
    """
    import yaml

    if not isinstance(text, str):
        raise ValidationError(f"Expected YAML or JSON text, got {type(text).__name__}.")
    json_error: json.JSONDecodeError | None = None
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            json_error = exc  # it may still be YAML flow style; report JSON's error if not
    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        if json_error is not None:
            raise ConfigurationError(
                f"JSON syntax error at line {json_error.lineno}, column {json_error.colno}: {json_error.msg}.",
                json_error.lineno, json_error.colno,
            ) from exc
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigurationError(f"YAML syntax error at line {line}, column {column}: {problem}.",
                                 line, column) from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"Invalid YAML: {exc}.") from exc


def to_yaml(value: Any) -> str:
    """YAML text for a configuration (block style, keys in their order, Unicode as is)."""
    import yaml

    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
