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

Unknown processor classes are resolved like loaders (a dotted path to a class
with ``process(df)``); a column that doesn't exist is a LoaderError that lists
the columns there are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import LoaderError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PROCESSORS", "apply_processors", "balance"]

SEED = 42


def _param(params: Mapping[str, Any], *names: str, processor: str) -> Any:
    for name in names:
        if name in params:
            return params[name]
    raise LoaderError(f"{processor} needs the parameter {names[0]!r}.")


def _columns_exist(df: pd.DataFrame, columns: list[str], processor: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LoaderError(
            f"{processor}: column(s) {', '.join(map(repr, missing))} not in the data. "
            f"Columns are: {', '.join(map(str, df.columns))}."
        )


def _filter_type(params: Mapping[str, Any], processor: str) -> str:
    kind = str(params.get("filter-type", "include")).lower()
    if kind not in ("include", "exclude"):
        raise LoaderError(f"{processor}: filter-type must be include or exclude, not {kind!r}.")
    return kind


def column_filter(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    name = "ColumnDatasetFilter"
    columns = _param(params, "columns", processor=name)
    columns = [columns] if isinstance(columns, str) else list(columns)
    _columns_exist(df, columns, name)
    if _filter_type(params, name) == "include":
        return df[columns].copy()
    return df.drop(columns=columns)


def _value_mask(df: pd.DataFrame, params: Mapping[str, Any], processor: str) -> pd.Series:
    """Rows whose ``column-name`` value equals ``value``, compared as text (nulls never match)."""
    column = _param(params, "column-name", "column_name", processor=processor)
    value = _param(params, "value", processor=processor)
    _columns_exist(df, [column], processor)
    series = df[column]
    return (series.notna() & (series.astype("string") == str(value))).fillna(False).astype(bool)


def by_column_value(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    name = "ByColumnValueDatasetFilter"
    mask = _value_mask(df, params, name)
    kept = df[mask] if _filter_type(params, name) == "include" else df[~mask]
    return kept.copy()


def downsample_class(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    mask = _value_mask(df, params, "DownsampleClassDatasetFilter")
    target, others = df[mask], df[~mask]
    if len(target) <= len(others):
        return df.copy()
    kept = target.sample(n=len(others), random_state=int(params.get("random_seed", SEED)))
    return df.loc[sorted([*kept.index, *others.index], key=df.index.get_loc)].copy()


def merge_columns(df: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    import pandas as pd

    name = "MergeColumnsDatasetFilter"
    new_column = _param(params, "new_column_name", "new-column-name", processor=name)
    spec = _param(params, "columns_to_merge", "columns-to-merge", processor=name)
    if not isinstance(spec, Mapping):
        raise LoaderError(f"{name}: columns_to_merge must map column -> {{labels: [...], new_label: ...}}.")
    _columns_exist(df, list(spec), name)
    out = df.copy()
    merged = pd.Series(pd.NA, index=df.index, dtype="object")
    for column, rule in spec.items():
        if not isinstance(rule, Mapping) or "labels" not in rule or "new_label" not in rule:
            raise LoaderError(f"{name}: {column!r} needs `labels` and `new_label`.")
        labels = {str(label) for label in rule["labels"]}
        hit = df[column].notna() & df[column].astype("string").isin(labels).fillna(False) & merged.isna()
        merged[hit.astype(bool)] = rule["new_label"]
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


def apply_processors(df: pd.DataFrame, processors: Any) -> pd.DataFrame:
    """Apply a configuration's ``processors`` list in order."""
    from . import resolve_class

    if processors is None:
        return df
    if not isinstance(processors, list):
        raise LoaderError("`processors` must be a list of {class: ..., parameters: {...}}.")
    for i, processor in enumerate(processors):
        if not isinstance(processor, Mapping) or not processor.get("class"):
            raise LoaderError(f"processors[{i}] needs a `class:`.")
        name = str(processor["class"])
        params = processor.get("parameters") or {}
        if not isinstance(params, Mapping):
            raise LoaderError(f"processors[{i}] ({name}): `parameters` must be a mapping.")
        builtin = PROCESSORS.get(name) or PROCESSORS.get(name.rsplit(".", 1)[-1])
        if builtin is not None:
            df = builtin(df, params)
        else:
            cls = resolve_class(name, kind="processor")
            df = cls(**params).process(df)
    return df
