"""Turning a configuration into a DataFrame: ``class:`` resolution, processors, balance.

``class:`` names a loader ("data cache"), resolved in this order:

1. a built-in short name: ``InlineItems`` (also ``type: fixed``), ``FileItems``;
2. an entry point in the group ``plexus_datasets.loaders`` (``name = "pkg.mod:Class"``);
3. a dotted path ``package.module.Class`` (Plexus's convention);
4. Plexus's own ``plexus.data`` package, when Plexus is installed.

A loader is a class built with the configuration's parameters that has
``load_dataframe(*, data, fresh=False)`` (Plexus's DataCache interface).
After loading, ``processors`` run in order, then ``balance: true``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from ..errors import LoaderError
from .builtin import FileItems, InlineItems

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUILTIN_LOADERS", "check_loader", "loader_name", "materialize", "resolve_class"]

BUILTIN_LOADERS: dict[str, type] = {"InlineItems": InlineItems, "FileItems": FileItems}
ENTRY_POINT_GROUP = "plexus_datasets.loaders"
#: Keys that steer materialization here rather than being loader parameters.
RESERVED = {"class", "processors"}


def loader_name(config: Mapping[str, Any]) -> str:
    """The loader a configuration names (``type: fixed`` means InlineItems)."""
    name = config.get("class")
    if name:
        return str(name)
    if str(config.get("type", "")).lower() == "fixed":
        return "InlineItems"
    raise LoaderError("The configuration has no `class:`; name a loader, e.g. `class: FileItems`.")


def resolve_class(name: str, kind: str = "loader") -> type:
    """Find a loader (or processor) class by short name, entry point or dotted path."""
    if kind == "loader" and name in BUILTIN_LOADERS:
        return BUILTIN_LOADERS[name]
    group = ENTRY_POINT_GROUP if kind == "loader" else "plexus_datasets.processors"
    for ep in entry_points(group=group, name=name):
        try:
            return ep.load()
        except Exception as exc:
            raise LoaderError(f"The {kind} {name!r} is registered by {ep.value!r} but failed to import: {exc}") from exc
    candidates = [name] if "." in name else []
    candidates.append(f"plexus.{'data' if kind == 'loader' else 'processors'}.{name}")
    for dotted in candidates:
        module_name, _, attr = dotted.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        except Exception as exc:
            raise LoaderError(f"Importing {module_name!r} for the {kind} {name!r} failed: {exc}") from exc
        found = getattr(module, attr, None)
        if isinstance(found, type):
            return found
    builtins = ", ".join(BUILTIN_LOADERS) if kind == "loader" else "the Plexus dataset filters"
    raise LoaderError(
        f"The {kind} class {name!r} can't be found: it is not built in ({builtins}), no installed package "
        f"registers it in the entry-point group {group!r}, and it is not an importable dotted path "
        "(package.module.Class). If it is a Plexus data cache (FeedbackItems, CallCriteriaDBCache...), "
        "install Plexus in this environment; otherwise register it as an entry point or use its dotted path."
    )


def check_loader(config: Mapping[str, Any]) -> type:
    """Resolve a configuration's loader without loading anything (for forms and CLI checks)."""
    return resolve_class(loader_name(config))


def materialize(
    config: Mapping[str, Any], *, label_column: str | None = None, fresh: bool = False
) -> pd.DataFrame:
    """Load a configuration's data, then apply its processors and ``balance``.

    Raises LoaderError for an unknown class, unreadable data, bad processor
    parameters or a result with no rows.
    """
    import pandas as pd

    from .processors import apply_processors, balance

    cls = resolve_class(loader_name(config))
    params = {k: v for k, v in config.items() if k not in RESERVED}
    try:
        loader = cls(**params)
        df = loader.load_dataframe(data=params, fresh=fresh)
    except LoaderError:
        raise
    except Exception as exc:
        raise LoaderError(f"The loader {cls.__name__} failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(df, pd.DataFrame):
        raise LoaderError(f"The loader {cls.__name__} returned {type(df).__name__}, not a pandas DataFrame.")
    if df.empty:
        raise LoaderError(f"The loader {cls.__name__} returned no rows; check its parameters.")
    df = apply_processors(df, config.get("processors"))
    if df.empty:
        raise LoaderError("The processors removed every row; check their column names and values.")
    if config.get("balance") is True and cls in BUILTIN_LOADERS.values():
        column = config.get("label_column") or label_column
        if not column:
            raise LoaderError("`balance: true` needs a label column: add `label_column:` to the configuration.")
        df = balance(df, str(column), seed=int(config.get("random_seed", 42)))
    return df.reset_index(drop=True)
