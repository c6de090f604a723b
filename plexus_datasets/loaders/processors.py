"""Plexus dataset processors (filters), with Plexus's class and parameter names.

Each takes a DataFrame and returns a new one; the input is never modified.

- ``ColumnDatasetFilter``: ``filter-type`` include|exclude, ``columns``: keep only,
  or drop, those columns.
- ``ByColumnValueDatasetFilter``: ``filter-type`` include|exclude, ``column-name``,
  ``value``: keep only, or drop, rows whose value equals ``value``. In a numeric
  column (ints or floats, even with nulls) a value that reads as a number is
  compared as a number, so ``value: 1`` and ``value: "1"`` match 1 and 1.0;
  anything else is compared as text (``value: 1`` matches 1 and "1" in a column
  of mixed values). Nulls never match. A value the column never holds is a
  DataQualityWarning listing the values present, closest first.
- ``DownsampleClassDatasetFilter``: ``column-name``, ``value``, ``random_seed``:
  rows of that class (matched as above) are sampled down to the number of all
  other rows (seeded, original order kept); a class the column never holds is a
  LoaderError listing the classes present. ``filter-type`` is accepted and
  ignored, as in Plexus.
- ``MergeColumnsDatasetFilter``: ``new_column_name``, ``columns_to_merge``
  ``{column: {labels: [...], new_label: X}}``: the new column is X where
  ``column`` holds one of ``labels`` (one text is one label; matched as above);
  the first matching entry wins; null elsewhere. A column none of whose rows
  holds a label is a DataQualityWarning listing the values present. A
  ``new_column_name`` that is already a column (one of the merged ones, say, to
  relabel a column in place) replaces it: Plexus's own filter does the same and
  stored Plexus configurations may rely on it, so it is allowed, with a
  DataQualityWarning saying the column's values are replaced.
- ``balance``: every class of the label column sampled down to the smallest.

Messages that list the values a column holds show at most ``SHOWN_VALUES`` of
them, each cut to ``SHOWN_CHARS`` characters (a transcript column's cells are
long), closest first: values equal to the one given but for case, then the
``RANKED_VALUES`` most frequent distinct values ranked by similarity (difflib,
on their cut text).

Parameters are written as people write them: ``filter-type`` or ``filter_type``,
``column-name`` or ``column_name``, ``new_column_name`` or ``new-column-name``,
``random_seed`` or ``random-seed``; both spellings of one parameter, an unknown
name (with a did-you-mean) or a wrong type (``random_seed: "abc"``,
``columns: 5``) is a one-line LoaderError, raised by ``check_processors``
before any data is loaded (the models are in ``_params``). A stored version
being loaded (``stored=True``) may carry names an older release ignored: an
unknown parameter or step key is then a DataQualityWarning and ignored. A
column that doesn't exist is a LoaderError that lists the columns there are.

Unknown processor classes are resolved like loaders, under the same trust
policy (an entry point in ``plexus_datasets.processors``, Plexus's
``plexus.processors``, or a trusted dotted path to a class with ``process(df)``);
their parameters are theirs to check.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import DataQualityWarning, LoaderError, PlexusDatasetsError
from ._classes import check_class_name, resolve_class
from ._params import (
    PROCESSOR_MODELS,
    SEED,
    ByColumnValueParams,
    ColumnFilterParams,
    DownsampleParams,
    MergeParams,
    describe,
    did_you_mean,
    parse_seed,
    unknown_ignored,
    validated,
)

if TYPE_CHECKING:
    import pandas as pd

    from .trust import TrustPolicy

__all__ = ["PROCESSORS", "Step", "apply_processors", "balance", "check_processors", "seed_param"]

#: Values listed when a filter's value is not in the column, each cut to this many characters;
#: only the most frequent this many distinct values are ranked by similarity (a free-text
#: column can hold a million, each a whole transcript).
SHOWN_VALUES = 10
SHOWN_CHARS = 40
RANKED_VALUES = 200


def seed_param(params: Mapping[str, Any], name: str, processor: str) -> int:
    """``params[name]`` (default 42) as a seed: a whole number from 0 to 2**32-1."""
    try:
        return parse_seed(params.get(name, SEED))
    except ValueError as exc:
        raise LoaderError(f"{processor}: {name} {exc}.") from exc


def _columns_exist(df: pd.DataFrame, columns: list[Any], processor: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LoaderError(
            f"{processor}: column(s) {', '.join(map(repr, missing))} not in the data. "
            f"Columns are: {', '.join(map(str, df.columns))}."
        )


def cut(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``value`` as text for a message, cut to ``limit`` characters (an ellipsis after)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "\u2026"


def clip(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``value`` as a message quotes it: ``cut``, then quoted."""
    return repr(cut(value, limit))


def _present(series: pd.Series, near: Any, noun: str = "values") -> str:
    """The values ``series`` holds, closest to ``near`` first, for a message: at most
    ``SHOWN_VALUES``, each cut to ``SHOWN_CHARS`` characters."""
    values = series.dropna()
    try:
        counts = values.value_counts()  # most frequent first, values as they are
    except TypeError:  # unhashable cells (lists from JSON Lines): count their text
        counts = values.astype("string").value_counts()
    if counts.empty:
        return "the column holds no values at all"
    ranked = _closest(str(near), list(counts.index), SHOWN_VALUES)
    more = f" and {len(counts) - len(ranked)} more" if len(counts) > len(ranked) else ""
    return f"{noun} present (closest first): {', '.join(clip(v) for v in ranked)}{more}"


def _closest(wanted: str, values: list[Any], limit: int) -> list[Any]:
    """Up to ``limit`` of ``values`` (most frequent first), cheaply ranked: those equal to
    ``wanted`` but for case first (only values about as long can be), then the
    ``RANKED_VALUES`` most frequent others by difflib's ratio on their cut text (ties keep
    the frequency order)."""
    folded = wanted.casefold()
    longest = 3 * len(wanted) + 3  # casefold() can lengthen a text (ß -> ss), never this much
    exact = [i for i, v in enumerate(values) if len(text := str(v)) <= longest and text.casefold() == folded]
    exact = exact[:limit]
    cut = folded[:SHOWN_CHARS]

    def likeness(i: int) -> tuple[float, int]:
        text = str(values[i])[:SHOWN_CHARS].casefold()
        return -difflib.SequenceMatcher(None, cut, text).ratio(), i

    others = sorted((i for i in range(min(len(values), RANKED_VALUES)) if i not in exact), key=likeness)
    return [values[i] for i in (exact + others)[:limit]]


def _as_number(value: Any) -> int | float | None:
    """``value`` (text from the configuration) as a number, or None when it doesn't read as one."""
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number  # "nan" is no number to compare with


def _numeric(series: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _matches(series: pd.Series, values: tuple[str, ...] | list[str]) -> pd.Series:
    """Rows of ``series`` equal to one of ``values`` (text from the configuration): as numbers
    in a numeric column for the values that read as numbers, as text otherwise; nulls never."""
    if _numeric(series):
        # One null makes a column of whole numbers float: 1 is stored as 1.0, whose text is "1.0".
        mask = series.isin([n for n in map(_as_number, values) if n is not None])
    else:
        mask = series.astype("string").isin(list(values))
    return (series.notna() & mask).fillna(False).astype(bool)


def _value_mask(df: pd.DataFrame, column: str, value: str, processor: str) -> pd.Series:
    """Rows whose ``column`` value equals ``value`` (see ``_matches``)."""
    _columns_exist(df, [column], processor)
    return _matches(df[column], [value])


def column_filter(df: pd.DataFrame, p: ColumnFilterParams) -> pd.DataFrame:
    columns = list(p.columns)
    _columns_exist(df, columns, "ColumnDatasetFilter")
    if p.filter_type == "include":
        return df[columns].copy()
    return df.drop(columns=columns)


def by_column_value(df: pd.DataFrame, p: ByColumnValueParams) -> pd.DataFrame:
    name = "ByColumnValueDatasetFilter"
    mask = _value_mask(df, p.column_name, p.value, name)
    include = p.filter_type == "include"
    if not mask.any():
        # Almost always a spelling or case slip ("Ham" for "ham"): the rows are all kept or all gone.
        outcome = "every row is removed" if include else "no row is removed"
        warnings.warn(f"{name}: no row has {cut(p.column_name)} = {clip(p.value)}, so {outcome}; "
                      f"{_present(df[p.column_name], p.value)}. Check the spelling and case of `value:`.",
                      DataQualityWarning, stacklevel=2)
    return (df[mask] if include else df[~mask]).copy()


def downsample_class(df: pd.DataFrame, p: DownsampleParams) -> pd.DataFrame:
    mask = _value_mask(df, p.column_name, p.value, "DownsampleClassDatasetFilter")
    if not mask.any():
        raise LoaderError(f"DownsampleClassDatasetFilter: the class {clip(p.value)} never occurs in "
                          f"{clip(p.column_name)}; {_present(df[p.column_name], p.value, 'classes')}. "
                          "Set `value:` to one of them.")
    target, others = df[mask], df[~mask]
    if len(target) <= len(others):
        return df.copy()
    kept = target.sample(n=len(others), random_state=p.random_seed)
    return df.loc[sorted([*kept.index, *others.index], key=df.index.get_loc)].copy()


def merge_columns(df: pd.DataFrame, p: MergeParams) -> pd.DataFrame:
    import pandas as pd

    name = "MergeColumnsDatasetFilter"
    _columns_exist(df, list(p.columns_to_merge), name)
    out = df.copy()
    merged = pd.Series(pd.NA, index=df.index, dtype="object")
    for column, rule in p.columns_to_merge.items():
        holds = _matches(df[column], rule.labels)
        if not holds.any():
            labels = ", ".join(map(clip, rule.labels[:SHOWN_VALUES]))
            warnings.warn(f"{name}: no row of {clip(column)} holds {labels}, so no row gets {clip(rule.new_label)} "
                          f"from it; {_present(df[column], rule.labels[0])}.", DataQualityWarning, stacklevel=2)
        merged[holds & merged.isna()] = rule.new_label
    if p.new_column_name in df.columns:
        # Allowed, as Plexus allows it (labels are matched on the original values first), but never silent.
        which = "one of the columns it merges" if p.new_column_name in p.columns_to_merge else "already a column"
        warnings.warn(f"{name}: new_column_name {clip(p.new_column_name)} is {which}, so its values are replaced by "
                      "the merged labels (null where no label matched). Choose another new_column_name to keep "
                      "the original column.", DataQualityWarning, stacklevel=2)
    out[p.new_column_name] = merged
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


PROCESSORS: dict[str, Callable[[pd.DataFrame, Any], pd.DataFrame]] = {
    "ColumnDatasetFilter": column_filter,
    "ByColumnValueDatasetFilter": by_column_value,
    "DownsampleClassDatasetFilter": downsample_class,
    "MergeColumnsDatasetFilter": merge_columns,
}


@dataclass(frozen=True)
class Step:
    """One checked entry of ``processors``: a built-in (``builtin`` and its typed ``checked``
    parameters) or another class (``cls``, None when not resolved), with its raw ``params``."""

    name: str
    params: Mapping[str, Any]
    builtin: str | None = None
    checked: Any = None
    cls: type | None = None


_STEP_KEYS = ("class", "parameters")


def _steps(processors: Any, stored: bool = False, warn: bool = True) -> list[tuple[str, Mapping[str, Any]]]:
    """The ``processors`` list as (class name, parameters), shapes checked (``stored``: a key
    besides ``class`` and ``parameters`` ignored, with a warning when ``warn``)."""
    if processors is None:
        return []
    if not isinstance(processors, list):
        raise LoaderError(f"`processors` must be a list of {{class: ..., parameters: {{...}}}}, "
                          f"not {describe(processors)}.")
    return [_step_shape(i, processor, stored, warn) for i, processor in enumerate(processors)]


def _step_shape(i: int, processor: Any, stored: bool = False, warn: bool = True) -> tuple[str, Mapping[str, Any]]:
    where = f"processors[{i}]"
    if not isinstance(processor, Mapping):
        raise LoaderError(f"{where} must be a mapping {{class: ..., parameters: {{...}}}}, not {describe(processor)}.")
    for extra in (k for k in processor if k not in _STEP_KEYS):
        guess = did_you_mean(str(extra), _STEP_KEYS)
        if not stored:  # checking: the first one is refused
            hint = f"; did you mean {guess!r}?" if guess else "."
            raise LoaderError(f"{where} has no key {str(extra)[:80]!r}{hint} A processor has `class:` and "
                              "`parameters:`.")
        if warn:  # loading a stored version: each one is ignored
            hint = f" (did you mean {guess!r}?)" if guess else ""
            warnings.warn(f"{where} ignores the key {str(extra)[:80]!r}{hint}: a processor has only `class:` and "
                          "`parameters:`. Remove it in a new version of the configuration to stop this warning.",
                          DataQualityWarning, stacklevel=5)
    name = processor.get("class")
    if not name:
        raise LoaderError(f"{where} needs a `class:`.")
    if not isinstance(name, str):
        raise LoaderError(f"{where}: `class:` must be a class name (text), not {describe(name)}.")
    params = processor.get("parameters")
    params = {} if params is None else params
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise LoaderError(f"{where} ({name[:80]}): `parameters` must be a mapping with text keys, "
                          f"not {describe(params)}.")
    return name, params


def _builtin(name: str) -> str | None:
    for candidate in (name.strip(), name.strip().rsplit(".", 1)[-1]):
        if candidate in PROCESSORS:
            return candidate
    return None


def builtin_params(name: str, params: Mapping[str, Any], *, stored: bool = False, warn: bool = True) -> Any:
    """The built-in processor ``name``'s parameters, typed (LoaderError naming the parameter);
    ``stored``: unknown names ignored (a DataQualityWarning each when ``warn``), not refused."""
    model, spelled = PROCESSOR_MODELS[name]
    if stored:
        params = unknown_ignored(model, name, params, kebab=True, spelled=spelled, warn=warn)
    return validated(model, name, params, kebab=True, spelled=spelled)


def check_processors(processors: Any, trust: TrustPolicy | None = None, *, resolve: bool = True,
                     stored: bool = False, warn: bool = True) -> list[Step]:
    """Check a ``processors`` list without loading data: shapes, built-in parameters, and
    other classes resolved under ``trust`` (never importing untrusted code); with
    ``resolve=False`` other classes are only checked to be class names. ``stored`` (a
    stored version being loaded): unknown built-in parameters and step keys are ignored,
    with a DataQualityWarning each when ``warn``, instead of refused."""
    steps = []
    for name, params in _steps(processors, stored, warn):
        builtin = _builtin(name)
        if builtin is not None:
            checked = builtin_params(builtin, params, stored=stored, warn=warn)
            steps.append(Step(name, params, builtin=builtin, checked=checked))
        elif resolve:
            steps.append(Step(name, params, cls=resolve_class(name, kind="processor", trust=trust)))
        else:
            check_class_name(name, kind="processor")
            steps.append(Step(name, params))
    return steps


def apply_processors(df: pd.DataFrame, processors: Any, trust: TrustPolicy | None = None) -> pd.DataFrame:
    """Apply a configuration's ``processors`` list in order (checked first, as ``check_processors``)."""
    return apply_steps(df, check_processors(processors, trust))


def apply_steps(df: pd.DataFrame, steps: list[Step]) -> pd.DataFrame:
    """Apply steps checked by ``check_processors`` (with ``resolve=True``) in order."""
    for step in steps:
        try:
            if step.builtin is not None:
                df = PROCESSORS[step.builtin](df, step.checked)
            elif step.cls is None:  # checked with resolve=False: for another machine, never run here
                raise LoaderError(f"The processor {step.name[:80]} was checked but not resolved, so it can't run.")
            else:
                df = step.cls(**step.params).process(df)
        except PlexusDatasetsError:
            raise
        except Exception as exc:  # a third-party processor, or pandas refusing a value
            text = str(exc).splitlines()[0][:300] if str(exc) else repr(exc)[:300]
            raise LoaderError(f"The processor {step.name[:80]} failed: {type(exc).__name__}: {text}") from exc
    return df
