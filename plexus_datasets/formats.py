"""The ground floor for text formats: canonical JSON, digests, AWSDateTime and YAML.

Text from people and stores is untrusted, so parsing is bounded before anything
is built: YAML aliases may expand to at most ``MAX_DOCUMENT_NODES`` nodes (a
700-byte "billion laughs" is refused, not expanded), documents nest at most
``MAX_NESTING`` levels (YAML and JSON), integers have at most
``MAX_INTEGER_DIGITS`` digits, and bytes are decoded by ``decode_text``, which
refuses binary, UTF-16/32 and invalid UTF-8 with one line. Every refusal is a
ConfigurationError (a ValidationError).

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
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import ConfigurationError, PlexusDatasetsError, ValidationError

__all__ = [
    "MAX_DOCUMENT_NODES",
    "MAX_INTEGER_DIGITS",
    "MAX_NESTING",
    "canonical_json",
    "check_json_tree",
    "config_digest",
    "decode_text",
    "format_datetime",
    "parse_yaml",
    "short_time",
    "to_yaml",
    "utcnow",
]

#: Deepest nesting of mappings and lists in a document or configuration.
MAX_NESTING = 64
#: Most digits in an integer (DynamoDB's number precision); larger ones are refused, never parsed.
MAX_INTEGER_DIGITS = 38
#: Most nodes a YAML document may have once its aliases are expanded.
MAX_DOCUMENT_NODES = 1_000_000


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


def check_json_tree(value: Any, what: str, max_nodes: int = MAX_DOCUMENT_NODES) -> None:
    """Raise ValidationError unless ``value`` is plain JSON within bounds.

    Mappings with string keys, lists/tuples, strings, booleans, None, finite floats and
    integers of at most ``MAX_INTEGER_DIGITS`` digits; at most ``MAX_NESTING`` levels and
    ``max_nodes`` values (shared sub-objects counted each time they appear, so a
    reference bomb stops here). Iterative: no input can exhaust the stack.
    """
    limit = 10**MAX_INTEGER_DIGITS
    stack: list[tuple[Any, str, int]] = [(value, what, 0)]
    seen = 0
    while stack:
        item, path, depth = stack.pop()
        seen += 1
        if seen > max_nodes:
            raise ValidationError(f"{what} has more than {max_nodes:,} values; keep data out of it.")
        if isinstance(item, Mapping):
            if depth >= MAX_NESTING:
                raise ValidationError(f"{path} is nested more than {MAX_NESTING} levels deep.")
            for key, child in item.items():
                if not isinstance(key, str):
                    raise ValidationError(f"{path} has a key {_brief(key)} that is not a string; JSON keys must "
                                          "be strings.")
                stack.append((child, f"{path}.{_brief(key, 40, quote=False)}", depth + 1))
        elif isinstance(item, list | tuple):
            if depth >= MAX_NESTING:
                raise ValidationError(f"{path} is nested more than {MAX_NESTING} levels deep.")
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        elif isinstance(item, int):
            if not -limit < item < limit:
                raise ValidationError(f"{path} is an integer of more than {MAX_INTEGER_DIGITS} digits; "
                                      "write it as a string if it is an identifier.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValidationError(f"{path} is {item}, which JSON can't represent; use null or a number.")
        else:
            raise ValidationError(
                f"{path} is a {type(item).__name__}, which JSON can't represent; use strings, numbers, "
                "booleans, null, lists and mappings."
            )


def _brief(value: Any, limit: int = 40, quote: bool = True) -> str:
    text = repr(value) if quote or not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "..."


def decode_text(data: bytes, source: str) -> str:
    """``data`` as text, or ConfigurationError naming ``source``: UTF-8 only (a UTF-8
    byte-order mark is dropped); UTF-16/32 and binary files are refused with one line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        raise ConfigurationError(f"{source} is UTF-16 or UTF-32 text; save it as UTF-8.")
    if b"\x00" in data:
        raise ConfigurationError(f"{source} holds NUL bytes: a binary file (or UTF-16 without a byte-order mark), "
                                 "not YAML or JSON text in UTF-8.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{source} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start:,}); save it as UTF-8."
        ) from exc


# --- YAML ------------------------------------------------------------------------------


def _loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        """SafeLoader without timestamp resolution, refusing duplicate keys, nesting
        deeper than MAX_NESTING, huge integers and aliases that expand too far."""

        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            # The composer recurses per level: stop before the stack can run out.
            self._depth += 1
            try:
                if self._depth > MAX_NESTING + 1:
                    mark = self.peek_event().start_mark
                    raise ConfigurationError(f"The document is nested more than {MAX_NESTING} levels deep "
                                             f"(line {mark.line + 1}).", mark.line + 1, mark.column + 1)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def compose_document(self) -> Any:
            node = super().compose_document()
            _check_expansion(node)  # before anything is constructed
            return node

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict:
        loader.flatten_mapping(node)
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            mark = key_node.start_mark
            try:
                hash(key)
            except TypeError:
                raise ConfigurationError(f"The key at line {mark.line + 1}, column {mark.column + 1} is a "
                                         f"{type(key).__name__}; keys must be strings.",
                                         mark.line + 1, mark.column + 1) from None
            if key in seen:
                raise ConfigurationError(
                    f"Duplicate key {_brief(key)} at line {mark.line + 1}, column {mark.column + 1} "
                    f"(first at line {seen[key].line + 1}); each key may appear once.",
                    mark.line + 1, mark.column + 1,
                )
            seen[key] = key_node.start_mark
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def construct_int(loader: Any, node: Any) -> int:
        mark = node.start_mark
        if len(str(node.value)) > MAX_INTEGER_DIGITS + 3:  # sign and 0x prefix aside; never int() it
            raise ConfigurationError(f"The integer at line {mark.line + 1}, column {mark.column + 1} has more than "
                                     f"{MAX_INTEGER_DIGITS} digits; write it as a string if it is an identifier.",
                                     mark.line + 1, mark.column + 1)
        return yaml.SafeLoader.construct_yaml_int(loader, node)

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    return Loader


def _check_expansion(root: Any) -> None:
    """Refuse a composed YAML document whose aliases refer to themselves or expand past
    MAX_DOCUMENT_NODES: sizes are summed over the node graph (each node once), so a
    "billion laughs" is measured without being built."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)] if root is not None else []
    while stack:
        node, finished = stack.pop()
        key, children = id(node), _children(node)
        if finished:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[key] > MAX_DOCUMENT_NODES:
                raise ConfigurationError(f"The document's aliases expand to more than {MAX_DOCUMENT_NODES:,} "
                                         "values; write the values out instead of nesting aliases.")
        elif key not in sizes:
            if key in on_path:
                mark = node.start_mark
                raise ConfigurationError(f"The alias at line {mark.line + 1} refers to itself; YAML "
                                         "configurations can't be recursive.", mark.line + 1, mark.column + 1)
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: Any) -> list[Any]:
    value = getattr(node, "value", None)
    if not isinstance(value, list):
        return []  # a scalar
    return [part for item in value for part in (item if isinstance(item, tuple) else (item,))]


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ConfigurationError(f"An integer has {len(text.lstrip('-')):,} digits, over the {MAX_INTEGER_DIGITS}-"
                                 "digit limit; write it as a string if it is an identifier.")
    return int(text)


def _check_nesting(value: Any) -> None:
    """Refuse a parsed document nested deeper than MAX_NESTING (aliases included)."""
    stack, seen = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > MAX_DOCUMENT_NODES:
            raise ConfigurationError(f"The document has more than {MAX_DOCUMENT_NODES:,} values.")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth >= MAX_NESTING:
            raise ConfigurationError(f"The document is nested more than {MAX_NESTING} levels deep.")
        stack.extend((child, depth + 1) for child in children)


def parse_yaml(text: str) -> Any:
    """Parse YAML (or JSON) text safely; ConfigurationError with line/column on a syntax error.

    Dates stay the strings they were written as; duplicate keys are refused; so are
    documents nested deeper than MAX_NESTING, integers over MAX_INTEGER_DIGITS digits
    and aliases expanding past MAX_DOCUMENT_NODES values (see the module docstring).
    """
    if not isinstance(text, str):
        raise ValidationError(f"Expected YAML or JSON text, got {type(text).__name__}.")
    value = _parse_document(text)
    _check_nesting(value)
    return value


def _tab_hint(text: str) -> str:
    """YAML forbids tabs in indentation; say so when a line is indented with one."""
    for number, line in enumerate(text.splitlines(), 1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return f" Line {number} is indented with a tab: YAML needs spaces for indentation."
    return ""


def _parse_document(text: str) -> Any:
    import yaml

    json_error: json.JSONDecodeError | None = None
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text, parse_int=_json_int)
        except json.JSONDecodeError as exc:
            json_error = exc  # it may still be YAML flow style; report JSON's error if not
        except RecursionError as exc:
            raise ConfigurationError(f"The document is nested more than {MAX_NESTING} levels deep.") from exc
    try:
        return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except PlexusDatasetsError:
        raise
    except yaml.MarkedYAMLError as exc:
        if json_error is not None:
            raise ConfigurationError(
                f"JSON syntax error at line {json_error.lineno}, column {json_error.colno}: {json_error.msg}.",
                json_error.lineno, json_error.colno,
            ) from exc
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigurationError(f"YAML syntax error at line {line}, column {column}: {problem}.{_tab_hint(text)}",
                                 line, column) from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"Invalid YAML: {_brief(str(exc), 200, quote=False)}.") from exc
    except RecursionError as exc:
        raise ConfigurationError(f"The document is nested more than {MAX_NESTING} levels deep.") from exc
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        # An explicit tag on a value it can't construct (``!!int abc``, ``!!timestamp x``...)
        raise ConfigurationError(f"Invalid YAML: a value can't be read ({type(exc).__name__}: "
                                 f"{_brief(str(exc), 120, quote=False)}).") from exc


def to_yaml(value: Any) -> str:
    """YAML text for a configuration (block style, keys in their order, Unicode as is)."""
    import yaml

    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
