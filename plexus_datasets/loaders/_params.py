"""Typed parameters: what each built-in loader and processor accepts, checked in one step.

Each built-in declares its parameters as a pydantic model here, with one
validator per field that says, in words, what the field must be. ``validated``
runs a model over a configuration's mapping and turns the first problem into a
one-line LoaderError naming the parameter: an unknown name gets a did-you-mean
and the list of accepted names; pydantic's own report never reaches the user.

Unknown names are refused when a configuration is checked (``validated``, used by
``check_configuration`` before anything is written). A stored version is
immutable and may carry names older releases ignored (``limit:``,
``description:``), so when one is loaded ``unknown_ignored`` drops them instead,
each reported by a DataQualityWarning with the same did-you-mean; a wrong type
of a known parameter stays an error either way.

Processors take their parameters in the shapes people write (``filter-type``
and ``filter_type`` alike); giving both spellings of one parameter is an error.
Loaders take theirs as declared (snake case). The steering keys
``label_column``, ``balance`` and ``random_seed`` are handled by ``materialize``
and accepted by every loader.

Only ``plexus_datasets.loaders`` imports this module (it imports pydantic, and
``import plexus_datasets`` stays light).
"""

from __future__ import annotations

import codecs
import difflib
import warnings
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..errors import DataQualityWarning, LoaderError

__all__ = [
    "LOADER_MODELS", "MAX_SEED", "PROCESSOR_MODELS", "SEED", "STEERING", "ByColumnValueParams", "ColumnFilterParams",
    "DownsampleParams", "FileItemsParams", "InlineItemsParams", "MergeParams", "MergeRule", "Steering",
    "closest_first", "describe", "did_you_mean", "parse_seed", "unknown_ignored", "validated",
]

SEED = 42
#: numpy's seeds are unsigned 32-bit integers.
MAX_SEED = 2**32 - 1
FORMAT_NAMES = ("csv", "parquet", "jsonl")
_SCALARS = (str, int, float, bool)


# --- words for values and names ---------------------------------------------------------------

def describe(value: Any) -> str:
    """A value as a message shows it: its kind in words, then (for scalars) the value, short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, str):
        return f"text {_short(value)}"
    if isinstance(value, int | float):
        return f"a number ({_short(value)})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...'"


def did_you_mean(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate ``name`` most likely meant (case and ``-``/``_`` ignored first), or None;
    ``cutoff`` is difflib's similarity floor (class names use a higher one: FeedbackItems is
    not a typo of FileItems)."""
    options = list(dict.fromkeys(candidates))
    folded = {_fold(c): c for c in options}
    if _fold(name) in folded:
        return folded[_fold(name)]
    close = difflib.get_close_matches(_fold(name), list(folded), n=1, cutoff=cutoff)
    return folded[close[0]] if close else None


def _fold(name: str) -> str:
    return name.casefold().replace("-", "_")


def closest_first(value: str, candidates: Iterable[Any], limit: int = 10) -> list[Any]:
    """Up to ``limit`` of ``candidates``, the ones most like ``value`` first (difflib's ratio,
    case ignored, so "Ham" ranks "ham" first); ties keep the given order."""
    wanted = str(value).casefold()

    def rank(item: tuple[int, Any]) -> tuple[float, int]:
        position, candidate = item
        return -difflib.SequenceMatcher(None, wanted, str(candidate).casefold()).ratio(), position

    return [candidate for _, candidate in sorted(enumerate(candidates), key=rank)[:limit]]


# --- field checks: each returns the normalized value or raises _Invalid("must ...") ---------------

class _Invalid(ValueError):
    """A value a field can't take; a ValueError because pydantic reports those (a TypeError
    would escape it as a traceback). Its text continues "<owner>: <parameter> ..."."""


def _text(value: Any, what: str = "text") -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"must be {what}, not {'empty text' if isinstance(value, str) else describe(value)}")
    return value


def _column_name(value: Any) -> str:
    # Column names read from files are text; a bare YAML number (5) is almost always a name that needs quotes.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise _Invalid(f"must be a column name (text), not {describe(value)}; quote it: '{value}'")
    return _text(value, "a column name (text)")


def _columns(value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        shown = "an empty list" if values == [] else describe(value)
        raise _Invalid(f"must be a column name (text) or a non-empty list of them, not {shown}")
    bad = next((item for item in values if not isinstance(item, str) or not item.strip()), None)
    if bad is not None:
        raise _Invalid(f"must list column names (text), but lists {describe(bad)}; quote names that look "
                       "like numbers ('2024')")
    return tuple(values)


def _filter_type(value: Any) -> str:
    kind = value.strip().lower() if isinstance(value, str) else None
    if kind not in ("include", "exclude"):
        raise _Invalid(f"must be include or exclude, not {describe(value)}")
    return kind


def _compared_value(value: Any) -> str:
    # Compared as text, so `value: 1` matches 1 and "1"; null is the text "None", as Plexus compares it.
    if value is not None and not isinstance(value, _SCALARS):
        raise _Invalid(f"must be a single value (text or a number), not {describe(value)}")
    return str(value)


def parse_seed(value: Any) -> int:
    """A seed: a whole number from 0 to 2**32-1 (quoted digits and whole floats too, as Plexus
    accepted them); ValueError ("must be ...") otherwise."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 10:
        value = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise _Invalid(f"must be a whole number from 0 to {MAX_SEED}, not {describe(value)}")
    return value


def _balance(value: Any) -> bool:
    # YAML's quoted "true" or a 1 is a different value that only looks like a yes: say how to write it.
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {describe(value)}; write `balance: true` (no quotes)")
    return value


def _label_column(value: Any) -> str | None:
    return None if value is None else _column_name(value)


def _paths(value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) and value.strip() else value
    if not isinstance(values, list) or not values:
        shown = "an empty list" if values == [] else "empty text" if isinstance(value, str) else describe(value)
        raise _Invalid(f"must be a path (text, a glob or s3://bucket/key) or a non-empty list of them, not {shown}")
    for item in values:
        if not isinstance(item, str) or not item.strip():
            raise _Invalid(f"lists {describe(item) if item != '' else 'empty text'}; each entry must be a path (text)")
    return tuple(values)


def _format(value: Any) -> str | None:
    if value is None:
        return None
    fmt = value.strip().lower() if isinstance(value, str) else None
    if fmt not in FORMAT_NAMES:
        raise _Invalid(f"must be csv, parquet or jsonl, not {describe(value)}")
    return fmt


def _encoding(value: Any) -> str | None:
    if value is None:
        return None
    name = _text(value, "the name of a text encoding (utf-8, latin-1, cp1252...)")
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        info = None
    # bytes-to-bytes codecs (base64, zlib) and "undefined" are known to Python but decode no text.
    if info is None or not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        raise _Invalid(f"must be a text encoding Python knows (utf-8, latin-1, cp1252, utf-16...), "
                       f"not {_short(value)}")
    return name.strip()


def _delimiter(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 1 or value in '"\r\n':
        raise _Invalid(f"must be one character (`,`, `;`, `|`, a tab...), not {describe(value)}")
    return value


def _items(value: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list):
        raise _Invalid(f"must be a list of mappings (one per row), not {describe(value)}")
    if not value:
        raise _Invalid("is empty, so the dataset would have no rows; list at least one row (a mapping)")
    bad = next((i for i, item in enumerate(value) if not isinstance(item, Mapping)), None)
    if bad is not None:
        raise _Invalid(f"must be a list of mappings (one per row), but row {bad + 1} is {describe(value[bad])}")
    return tuple(value)


def _fixed(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() != "fixed":
        raise _Invalid(f"can only be `fixed` (Plexus's name for inline items), not {describe(value)}")
    return "fixed"


def _seed(value: Any) -> int:
    return parse_seed(value)


Seed = Annotated[int, BeforeValidator(_seed), Field(description="a whole number from 0 to 4294967295")]
Balance = Annotated[bool, BeforeValidator(_balance), Field(description="true or false")]
LabelColumn = Annotated[str | None, BeforeValidator(_label_column), Field(description="a column name (text)")]
ColumnName = Annotated[str, BeforeValidator(_column_name), Field(description="a column name (text)")]
FilterType = Annotated[str, BeforeValidator(_filter_type), Field(description="include or exclude")]
ComparedValue = Annotated[str, BeforeValidator(_compared_value), Field(description="the value rows are matched on")]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- loaders: field order is the order messages list them ---------------------------------------

class Steering(_Params):
    """The keys ``materialize`` itself reads, accepted by every loader (also third-party ones)."""

    label_column: LabelColumn = None
    balance: Balance = False
    random_seed: Seed = SEED


class FileItemsParams(_Params):
    path: Annotated[tuple[str, ...], BeforeValidator(_paths),
                    Field(description="a file, a glob, or s3://bucket/key; or a list of those")]
    format: Annotated[Literal["csv", "parquet", "jsonl"] | None, BeforeValidator(_format),
                      Field(description="csv, parquet or jsonl")] = None
    encoding: Annotated[str | None, BeforeValidator(_encoding), Field(description="a text encoding")] = None
    delimiter: Annotated[str | None, BeforeValidator(_delimiter), Field(description="one character")] = None
    label_column: LabelColumn = None
    balance: Balance = False
    random_seed: Seed = SEED
    # Which formats `encoding:` and `delimiter:` apply to is checked by loaders.builtin.misapplied,
    # which knows the file extensions: refused when checked, ignored (with a warning) when loaded.


class InlineItemsParams(_Params):
    items: Annotated[tuple[Any, ...], BeforeValidator(_items),
                     Field(description="a list of mappings, one per row")]
    type: Annotated[str | None, BeforeValidator(_fixed), Field(description="fixed")] = None
    label_column: LabelColumn = None
    balance: Balance = False
    random_seed: Seed = SEED


LOADER_MODELS: dict[str, type[_Params]] = {"FileItems": FileItemsParams, "InlineItems": InlineItemsParams}
STEERING = tuple(Steering.model_fields)


# --- processors: fields in snake case, shown in Plexus's own spelling ----------------------------

class ColumnFilterParams(_Params):
    filter_type: FilterType = "include"
    columns: Annotated[tuple[str, ...], BeforeValidator(_columns),
                       Field(description="a column name or a list of them")]


class ByColumnValueParams(_Params):
    filter_type: FilterType = "include"
    column_name: ColumnName
    value: ComparedValue


class DownsampleParams(_Params):
    column_name: ColumnName
    value: ComparedValue
    random_seed: Seed = SEED
    # Plexus's DownsampleClassDatasetFilter reads `filter-type` and ignores it; configurations carry it.
    filter_type: FilterType = "include"


class MergeRule(_Params):
    labels: tuple[str, ...]
    new_label: str | int | float | bool


def _labels(value: Any) -> tuple[str, ...]:
    # One text is one label (`labels: spam`), never a sequence of one-letter labels.
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, _SCALARS) for v in values):
        shown = "an empty list" if values == [] else describe(value)
        raise _Invalid(f"must be a label (text) or a non-empty list of labels, not {shown}")
    return tuple(str(v) for v in values)


def _rule(column: str, rule: Any) -> MergeRule:
    # Messages start with ":" so they read "columns_to_merge: 'label' ..." after the parameter's name.
    where = _short(column)
    if not isinstance(rule, Mapping):
        raise _Invalid(f": {where} must map to {{labels: [...], new_label: ...}}, not {describe(rule)}")
    fields = _respelled(rule, ("labels", "new_label"), {}, where, prefix=": ")
    missing = [name for name in ("labels", "new_label") if name not in fields]
    if missing:
        raise _Invalid(f": {where} needs `{missing[0]}:`")
    try:
        labels = _labels(fields["labels"])
    except ValueError as exc:
        raise _Invalid(f": {where}: labels {exc}") from exc
    new_label = fields["new_label"]
    if not isinstance(new_label, _SCALARS):
        raise _Invalid(f": {where}: new_label must be a single value (text or a number), not {describe(new_label)}")
    return MergeRule(labels=labels, new_label=new_label)


def _merge_rules(value: Any) -> dict[str, MergeRule]:
    if not isinstance(value, Mapping) or not value:
        raise _Invalid(f"must map each column to {{labels: [...], new_label: ...}}, not "
                       f"{'an empty mapping' if isinstance(value, Mapping) else describe(value)}")
    rules = {}
    for column, rule in value.items():
        if not isinstance(column, str) or not column.strip():
            raise _Invalid(f"must map column names (text), but maps {describe(column)}")
        rules[column] = _rule(column, rule)
    return rules


class MergeParams(_Params):
    new_column_name: ColumnName
    columns_to_merge: Annotated[dict[str, MergeRule], BeforeValidator(_merge_rules),
                                Field(description="a mapping column -> {labels: [...], new_label: ...}")]


#: Each built-in processor: its model and how each field is spelled in messages (Plexus's spelling).
PROCESSOR_MODELS: dict[str, tuple[type[_Params], dict[str, str]]] = {
    "ColumnDatasetFilter": (ColumnFilterParams, {"filter_type": "filter-type"}),
    "ByColumnValueDatasetFilter": (ByColumnValueParams, {"filter_type": "filter-type", "column_name": "column-name"}),
    "DownsampleClassDatasetFilter": (DownsampleParams, {"filter_type": "filter-type", "column_name": "column-name"}),
    "MergeColumnsDatasetFilter": (MergeParams, {}),
}


# --- running a model ---------------------------------------------------------------------------

def validated(model: type[_Params], owner: str, params: Mapping[str, Any], *, kebab: bool = False,
              spelled: Mapping[str, str] | None = None) -> Any:
    """``params`` checked against ``model``: an instance, or a one-line LoaderError.

    ``owner`` names the loader or processor in messages; ``kebab`` accepts ``a-b`` for the
    field ``a_b`` (processors); ``spelled`` maps field names to the spelling messages show.
    """
    spelled = dict(spelled or {})
    try:
        fields = _respelled(params, tuple(model.model_fields), spelled, owner, kebab=kebab, model=model)
    except ValueError as exc:
        raise LoaderError(str(exc)) from None
    try:
        return model.model_validate(fields)
    except pydantic.ValidationError as exc:
        # The message says everything; chained, pydantic's multi-line report would follow it in tracebacks.
        raise LoaderError(_one_line(owner, model, exc.errors()[0], spelled)) from None


def unknown_ignored(model: type[_Params], owner: str, params: Mapping[str, Any], *, kebab: bool = False,
                    spelled: Mapping[str, str] | None = None, warn: bool = True) -> dict[str, Any]:
    """``params`` without the names ``model`` doesn't know, each one reported (``warn``) by a
    DataQualityWarning with a did-you-mean: how a stored configuration is loaded. Non-text
    names are kept, for ``validated`` to refuse."""
    spelled = dict(spelled or {})
    fields = tuple(model.model_fields)
    kept: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(key, str) and (key.replace("-", "_") if kebab else key) not in fields:
            if warn:
                warnings.warn(_ignored(owner, key, [spelled.get(f, f) for f in fields]), DataQualityWarning,
                              stacklevel=4)
            continue
        kept[key] = value
    return kept


def _ignored(owner: str, key: str, accepted: list[str]) -> str:
    guess = did_you_mean(key, accepted)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return (f"{owner} ignores the parameter {_short(key, 80)}{hint}: it has no such parameter (its parameters are: "
            f"{', '.join(accepted)}). Remove it in a new version of the configuration to stop this warning.")


def _respelled(params: Mapping[Any, Any], fields: tuple[str, ...], spelled: Mapping[str, str], owner: str, *,
               kebab: bool = True, model: type[_Params] | None = None, prefix: str = "") -> dict[str, Any]:
    """``params`` keyed by field name; ValueError (``prefix`` + a sentence) for a non-text,
    unknown or twice-given name."""
    out: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, value in params.items():
        if not isinstance(key, str):
            raise _Invalid(f"{prefix}{owner}: names must be text, not {describe(key)}.")
        field = key.replace("-", "_") if kebab else key
        if field not in fields:
            raise _Invalid(prefix + _unknown(owner, key, [spelled.get(f, f) for f in fields], model is not None))
        if field in given:
            raise _Invalid(f"{prefix}{owner}: {spelled.get(field, field)} is given twice, as {given[field]!r} and "
                           f"{key!r}; keep one.")
        given[field] = key
        out[field] = value
    return out


def _unknown(owner: str, key: str, accepted: list[str], is_parameter: bool) -> str:
    guess = did_you_mean(key, accepted)
    hint = f"; did you mean {guess!r}?" if guess else "."
    noun = "parameter" if is_parameter else "key"
    return f"{owner} has no {noun} {_short(key, 80)}{hint} Its {noun}s are: {', '.join(accepted)}."


def _one_line(owner: str, model: type[_Params], error: Mapping[str, Any], spelled: Mapping[str, str]) -> str:
    """Pydantic's first error as one sentence naming the parameter."""
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else None
    shown = spelled.get(field, field) if field else None
    info = model.model_fields.get(field) if field else None
    description = (info.description if info else None) or "a valid value"
    if error.get("type") == "missing":
        return f"{owner} needs `{shown}:` ({description})."
    cause = (error.get("ctx") or {}).get("error")
    detail = str(cause) if isinstance(cause, ValueError) else f"must be {description}, not {describe(error.get('input'))}"
    end = "" if detail.endswith((".", "?")) else "."
    if not shown:
        return f"{owner}: {detail}{end}"
    return f"{owner}: {shown}{'' if detail.startswith(':') else ' '}{detail}{end}"
