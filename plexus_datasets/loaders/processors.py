"""Plexus dataset processors (filters), with Plexus's class and parameter names.

Each takes a DataFrame and returns a new one; the input is never modified.

- ``ColumnDatasetFilter``: ``filter-type`` include|exclude, ``columns``: keep only,
  or drop, those columns.
- ``ByColumnValueDatasetFilter``: ``filter-type`` include|exclude, ``column-name``,
  ``value``: keep only, or drop, rows whose value equals ``value`` (compared as
  text, so ``value: 1`` matches 1 and "1"; nulls never match).
- ``DownsampleClassDatasetFilter``: ``column-name``, ``value``: rows of that class
  are sampled down to the number of all other rows (seeded, original order kept).
- ``MergeColumnsDatasetFilter``: ``new_column_name``, ``columns_to_merge``
  ``{column: {labels: [...], new_label: X}}``: the new column is X where
  ``column`` holds one of ``labels``; the first matching entry wins; null elsewhere.
- ``balance``: every class of the label column sampled down to the smallest.

Unknown processor classes are resolved like loaders, under the same trust
policy (an entry point in ``plexus_datasets.processors``, Plexus's
``plexus.processors``, or a trusted dotted path to a class with ``process(df)``).
Parameters are type-checked before any data is loaded (``random_seed: "abc"``
or ``columns: 5`` is a one-line LoaderError); a column that doesn't exist is a
LoaderError that lists the columns there are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import LoaderError, PlexusDatasetsError
from ._classes import resolve_class

if TYPE_CHECKING:
    import pandas as pd

    from .trust import TrustPolicy

__all__ = ["PROCESSORS", "apply_processors", "balance", "check_processors", "seed_param"]

SEED = 42
#: numpy's seeds are unsigned 32-bit integers.
MAX_SEED = 2**32 - 1
_SCALARS = (str, int, float, bool)


def _param(params: Mapping[str, Any], *names: str, processor: str) -> Any:
    for name in names:
        if name in params:
            return params[name]
    raise LoaderError(f"{processor} needs the parameter {names[0]!r}.")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _scalar(value: Any, what: str, processor: str) -> Any:
    """A single value (text or number), as column names and compared values must be."""
    if not isinstance(value, _SCALARS):
        raise LoaderError(f"{processor}: {what} must be a single value (text or a number), not {_kind(value)}.")
    return value


def _names(value: Any, what: str, processor: str) -> list[Any]:
    """One column name or a list of them."""
    values = [value] if isinstance(value, (str, int)) and not isinstance(value, bool) else value
    if not isinstance(values, list) or not all(isinstance(v, (str, int)) for v in values):
        raise LoaderError(f"{processor}: {what} must be a column name or a list of them, not {_kind(value)}.")
    return values


def seed_param(params: Mapping[str, Any], name: str, processor: str) -> int:
    """``params[name]`` (default 42) as a seed: a whole number from 0 to 2**32-1."""
    value = params.get(name, SEED)
    # int() accepted quoted and whole float seeds before; keep those, within bounds.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 10:
        value = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise LoaderError(f"{processor}: {name} must be a whole number from 0 to {MAX_SEED}, "
                          f"not {str(value)[:40]!r}.")
    return value


def _columns_exist(df: pd.DataFrame, columns: list[str], processor: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LoaderError(
            f"{processor}: column(s) {', '.join(map(repr, missing))} not in the data. "
            f"Columns are: {', '.join(map(str, df.columns))}."
        )


def _filter_type(params: Mapping[str, Any], processor: str) -> str:
    kind = str(_scalar(params.get("filter-type", "include"), "filter-type", processor)).lower()
    if kind not in ("include", "exclude"):
        raise LoaderError(f"{processor}: filter-type must be include or exclude, not {kind[:40]!r}.")
    return kind


# Each built-in reads its parameters in one typed step (also run by check_processors,
# before any data is loaded), then works on the frame.

def _column_filter_params(params: Mapping[str, Any]) -> tuple[list[Any], str]:
    name = "ColumnDatasetFilter"
    return _names(_param(params, "columns", processor=name), "columns", name), _filter_type(params, name)


def column_filter(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    columns, kind = _column_filter_params(params)
    _columns_exist(df, columns, "ColumnDatasetFilter")
    if kind == "include":
        return df[columns].copy()
    return df.drop(columns=columns)


def _value_params(params: Mapping[str, Any], processor: str) -> tuple[Any, str]:
    column = _scalar(_param(params, "column-name", "column_name", processor=processor), "column-name", processor)
    value = _param(params, "value", processor=processor)
    if value is not None:  # null is compared as the text "None", as before
        _scalar(value, "value", processor)
    return column, str(value)


def _value_mask(df: pd.DataFrame, params: Mapping[str, Any], processor: str) -> pd.Series:
    """Rows whose ``column-name`` value equals ``value``, compared as text (nulls never match)."""
    column, value = _value_params(params, processor)
    _columns_exist(df, [column], processor)
    series = df[column]
    return (series.notna() & (series.astype("string") == value)).fillna(False).astype(bool)


def _by_column_value_params(params: Mapping[str, Any]) -> None:
    name = "ByColumnValueDatasetFilter"
    _value_params(params, name)
    _filter_type(params, name)


def by_column_value(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    name = "ByColumnValueDatasetFilter"
    mask = _value_mask(df, params, name)
    kept = df[mask] if _filter_type(params, name) == "include" else df[~mask]
    return kept.copy()


def _downsample_params(params: Mapping[str, Any]) -> int:
    name = "DownsampleClassDatasetFilter"
    _value_params(params, name)
    return seed_param(params, "random_seed", name)


def downsample_class(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    seed = _downsample_params(params)
    mask = _value_mask(df, params, "DownsampleClassDatasetFilter")
    target, others = df[mask], df[~mask]
    if len(target) <= len(others):
        return df.copy()
    kept = target.sample(n=len(others), random_state=seed)
    return df.loc[sorted([*kept.index, *others.index], key=df.index.get_loc)].copy()


def _merge_params(params: Mapping[str, Any]) -> tuple[Any, dict[Any, tuple[set[str], Any]]]:
    name = "MergeColumnsDatasetFilter"
    new_column = _scalar(_param(params, "new_column_name", "new-column-name", processor=name), "new_column_name", name)
    spec = _param(params, "columns_to_merge", "columns-to-merge", processor=name)
    if not isinstance(spec, Mapping):
        raise LoaderError(f"{name}: columns_to_merge must map column -> {{labels: [...], new_label: ...}}.")
    rules = {}
    for column, rule in spec.items():
        if not isinstance(rule, Mapping) or "labels" not in rule or "new_label" not in rule:
            raise LoaderError(f"{name}: {str(column)[:80]!r} needs `labels` and `new_label`.")
        labels = rule["labels"]
        if not isinstance(labels, list) or not all(isinstance(label, _SCALARS) for label in labels):
            raise LoaderError(f"{name}: {str(column)[:80]!r}: labels must be a list of values, not {_kind(labels)}.")
        rules[column] = ({str(label) for label in labels}, _scalar(rule["new_label"], "new_label", name))
    return new_column, rules


def merge_columns(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    import pandas as pd

    new_column, rules = _merge_params(params)
    _columns_exist(df, list(rules), "MergeColumnsDatasetFilter")
    out = df.copy()
    merged = pd.Series(pd.NA, index=df.index, dtype="object")
    for column, (labels, new_label) in rules.items():
        hit = df[column].notna() & df[column].astype("string").isin(labels).fillna(False) & merged.isna()
        merged[hit.astype(bool)] = new_label
    out[new_column] = merged
    return out


def balance(df: pd.DataFrame, column: str, seed: int = SEED) -> pd.DataFrame:
    """Every class of ``column`` (nulls excluded) sampled down to the smallest class."""
    _columns_exist(df, [column], "balance")
    labelled = df[df[column].notna()]
    if labelled.empty:
        raise LoaderError(f"balance: the label column {column!r} has no values to balance.")
    smallest = int(labelled[column].value_counts().min())
    kept = [group.sample(n=smallest, random_state=seed) for _, group in labelled.groupby(column, sort=True)]
    index = sorted((i for part in kept for i in part.index), key=df.index.get_loc)
    return df.loc[index].copy()


PROCESSORS: dict[str, Callable[[pd.DataFrame, Mapping[str, Any]], pd.DataFrame]] = {
    "ColumnDatasetFilter": column_filter,
    "ByColumnValueDatasetFilter": by_column_value,
    "DownsampleClassDatasetFilter": downsample_class,
    "MergeColumnsDatasetFilter": merge_columns,
}
#: Each built-in's typed parameter reading, run by ``check_processors`` before any data is loaded.
PARAMETER_CHECKS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "ColumnDatasetFilter": _column_filter_params,
    "ByColumnValueDatasetFilter": _by_column_value_params,
    "DownsampleClassDatasetFilter": _downsample_params,
    "MergeColumnsDatasetFilter": _merge_params,
}


def _steps(processors: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """The ``processors`` list as (class name, parameters), shapes checked."""
    if processors is None:
        return []
    if not isinstance(processors, list):
        raise LoaderError("`processors` must be a list of {class: ..., parameters: {...}}.")
    steps = []
    for i, processor in enumerate(processors):
        if not isinstance(processor, Mapping) or not processor.get("class"):
            raise LoaderError(f"processors[{i}] needs a `class:`.")
        if not isinstance(processor["class"], str):
            raise LoaderError(f"processors[{i}]: `class:` must be a class name (text).")
        name = processor["class"]
        params = processor.get("parameters") or {}
        if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
            raise LoaderError(f"processors[{i}] ({name[:80]}): `parameters` must be a mapping with text keys.")
        steps.append((name, params))
    return steps


def _builtin(name: str) -> str | None:
    for candidate in (name, name.rsplit(".", 1)[-1]):
        if candidate in PROCESSORS:
            return candidate
    return None


def check_processors(processors: Any, trust: TrustPolicy | None = None) -> list[type | str]:
    """Check a ``processors`` list without loading data: shapes, built-in parameter
    types, and other classes resolved under ``trust`` (never importing untrusted code).
    Returns each step's built-in name or resolved class."""
    found: list[type | str] = []
    for name, params in _steps(processors):
        builtin = _builtin(name)
        if builtin is not None:
            PARAMETER_CHECKS[builtin](params)
            found.append(builtin)
        else:
            found.append(resolve_class(name, kind="processor", trust=trust))
    return found


def apply_processors(df: pd.DataFrame, processors: Any, trust: TrustPolicy | None = None) -> pd.DataFrame:
    """Apply a configuration's ``processors`` list in order (checked first, as ``check_processors``)."""
    steps = _steps(processors)
    for (name, params), step in zip(steps, check_processors(processors, trust), strict=True):
        try:
            df = PROCESSORS[step](df, params) if isinstance(step, str) else step(**params).process(df)
        except PlexusDatasetsError:
            raise
        except Exception as exc:  # a third-party processor, or pandas refusing a value
            text = str(exc).splitlines()[0][:300] if str(exc) else repr(exc)[:300]
            raise LoaderError(f"The processor {name[:80]} failed: {type(exc).__name__}: {text}") from exc
    return df
