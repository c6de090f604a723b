"""Turning a configuration into a DataFrame: ``class:`` resolution, processors, balance.

``class:`` names a loader ("data cache"): a built-in short name (``InlineItems``,
also ``type: fixed``; ``FileItems``), an entry point in the group
``plexus_datasets.loaders``, Plexus's own ``plexus.data`` (when installed), or a
dotted path ``package.module.Class`` in a module the loading user trusts
(``_classes`` has the order and the rules; ``trust.TrustPolicy`` the opt-ins).
A stored configuration comes from a shared registry, so it never makes this
machine import untrusted code or read outside its data roots.

A loader implements ``interfaces.Loader`` (Plexus's DataCache interface): it is
built with the configuration's parameters and answers
``load_dataframe(*, data, fresh=False)``. After loading, ``processors`` run in
order, then ``balance: true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import LoaderError, PlexusDatasetsError
from ._classes import resolve_class
from .builtin import BUILTIN_LOADERS
from .interfaces import Loader, Processor
from .trust import TrustPolicy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUILTIN_LOADERS", "Loader", "Processor", "TrustPolicy", "check_loader", "loader_name", "materialize",
           "resolve_class"]

#: Keys that steer materialization here rather than being loader parameters.
RESERVED = {"class", "processors"}


def loader_name(config: Mapping[str, Any]) -> str:
    """The loader a configuration names (``type: fixed`` means InlineItems)."""
    name = config.get("class")
    if name:
        if not isinstance(name, str):
            raise LoaderError(f"`class:` must be a class name (text), not {type(name).__name__}.")
        return name
    if str(config.get("type", "")).lower() == "fixed":
        return "InlineItems"
    raise LoaderError("The configuration has no `class:`; name a loader, e.g. `class: FileItems`.")


def check_loader(config: Mapping[str, Any], trust: TrustPolicy | None = None) -> type:
    """Resolve a configuration's loader and processor classes without loading anything
    (for forms and CLI checks); an untrusted module is refused, never imported."""
    from .processors import check_processors

    cls = resolve_class(loader_name(config), trust=trust)
    check_processors(config.get("processors"), trust)
    return cls


def materialize(config: Mapping[str, Any], *, label_column: str | None = None, fresh: bool = False,
                trust: TrustPolicy | None = None) -> pd.DataFrame:
    """Load a configuration's data, then apply its processors and ``balance``.

    ``trust`` is the loading user's policy (default ``TrustPolicy()``: no extra
    modules, files below the current directory, any S3 bucket). Raises
    UntrustedCodeError / DataAccessError (both LoaderErrors) before anything
    untrusted is imported or read, LoaderError for an unknown class, unreadable
    data, bad processor parameters or a result with no rows.
    """
    import pandas as pd

    from .processors import apply_processors, balance, seed_param

    trust = trust if trust is not None else TrustPolicy()
    cls = check_loader(config, trust)
    builtin = cls in BUILTIN_LOADERS.values()
    seed = seed_param(config, "random_seed", "configuration") if builtin and config.get("balance") is True else None
    params = {k: v for k, v in config.items() if k not in RESERVED}
    try:
        # Built-ins read files, so they get the policy; a config can't supply its own.
        loader = cls(**{**params, "trust": trust}) if builtin else cls(**params)
        df = loader.load_dataframe(data=params, fresh=fresh)
    except PlexusDatasetsError:
        raise
    except Exception as exc:
        raise LoaderError(f"The loader {cls.__name__} failed: {type(exc).__name__}: {_first_line(exc)}") from exc
    if not isinstance(df, pd.DataFrame):
        raise LoaderError(f"The loader {cls.__name__} returned {type(df).__name__}, not a pandas DataFrame.")
    if df.empty:
        raise LoaderError(f"The loader {cls.__name__} returned no rows; check its parameters.")
    df = apply_processors(df, config.get("processors"), trust)
    if df.empty:
        raise LoaderError("The processors removed every row; check their column names and values.")
    if seed is not None:
        column = config.get("label_column") or label_column
        if not column:
            raise LoaderError("`balance: true` needs a label column: add `label_column:` to the configuration.")
        df = balance(df, str(column), seed=seed)
    return df.reset_index(drop=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:300] if text else repr(exc)[:300]
