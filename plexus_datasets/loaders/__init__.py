"""Turning a configuration into a DataFrame: ``class:`` resolution, processors, balance.

``class:`` names a loader ("data cache"): a built-in short name (``InlineItems``,
also ``type: fixed``; ``FileItems``), an entry point in the group
``plexus_datasets.loaders``, Plexus's own ``plexus.data`` (when installed), or a
dotted path ``package.module.Class`` in a module the loading user trusts
(``_classes`` has the order and the rules; ``trust.TrustPolicy`` the opt-ins).
A stored configuration comes from a shared registry, so it never makes this
machine import untrusted code or read outside its data roots.

A loader implements ``interfaces.Loader`` (Plexus's DataCache interface): it is
built with the configuration's parameters (every key but ``class`` and
``processors``; an ``item:`` section arrives as ``item_config``, as Plexus passes
it) and answers ``load_dataframe(*, data, fresh=False)``. Built-in
loaders declare their parameters (``_params``); a third-party loader's are its
own business. After loading, ``processors`` run in order, then ``balance: true``.
The steering keys ``label_column``, ``balance`` (true/false only) and
``random_seed`` are checked for every loader.

Three entry points, one set of checks:

- ``check_configuration(config, trust, environment=True)``: everything that can
  be known before loading; with ``environment=False`` only the structure (for a
  configuration meant for another machine). ``check_loader`` is its old name.
- ``materialize(config, ...)``: the same checks, then the data.
- ``source_fingerprint(config, trust)``: what a configuration's sources are right
  now (file sizes and times, S3 ETags), for a cache to tell whether they changed.

Checking is strict; loading is not stricter than the versions already stored.
A stored version is immutable and may carry names an older release ignored
(``limit:`` or ``description:`` on FileItems, an extra key on a built-in
processor), or an ``encoding:`` on a Parquet file. ``check_configuration``
(run before anything is written) refuses them; ``materialize`` and
``source_fingerprint`` (run on stored versions) ignore them, ``materialize``
with one DataQualityWarning each, so a registry never stops loading because the
rules grew. A known parameter of the wrong type is an error everywhere.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import DataQualityWarning, LoaderError, PlexusDatasetsError
from ._classes import builtin_loader, check_class_name, plexus_parameters, resolve_class
from .builtin import BUILTIN_LOADERS, FileItems, InlineItems
from .interfaces import Loader, Processor
from .trust import TrustPolicy

if TYPE_CHECKING:
    import pandas as pd

    from .processors import Step

__all__ = ["BUILTIN_LOADERS", "Loader", "Processor", "TrustPolicy", "check_configuration", "check_loader",
           "loader_name", "materialize", "resolve_class", "source_fingerprint"]

#: Keys that steer materialization here rather than being loader parameters.
RESERVED = {"class", "processors"}


def loader_name(config: Mapping[str, Any]) -> str:
    """The loader a configuration names (``type: fixed`` means InlineItems); LoaderError when
    ``class:`` is missing, empty or not text."""
    name = config.get("class")
    if name is not None:
        if not isinstance(name, str):
            raise LoaderError(f"`class:` must be a class name (text), not {_kind(name)}.")
        if not name.strip():
            raise LoaderError("`class:` is empty; name a loader, e.g. `class: FileItems`.")
        return name.strip()
    if str(config.get("type", "")).lower() == "fixed":
        return "InlineItems"
    raise LoaderError("The configuration has no `class:`; name a loader, e.g. `class: FileItems` "
                      f"(built in: {', '.join(BUILTIN_LOADERS)}).")


def _kind(value: Any) -> str:
    from ._params import describe

    return describe(value)


@dataclass(frozen=True)
class _Plan:
    """A configuration checked: the loader class (None when not resolved), its parameters,
    the steering values (``label_column``, ``balance``, ``random_seed``) and the processors."""

    name: str
    cls: type | None
    builtin: bool
    params: dict[str, Any]
    steering: Any
    steps: list[Step]
    stored: bool = False


def _plan(config: Any, trust: TrustPolicy, *, resolve: bool, stored: bool = False, warn: bool = True) -> _Plan:
    """Every structural check, plus (``resolve``) the classes resolved under ``trust``.

    ``stored``: the configuration is a stored version being loaded, so names a built-in
    doesn't know, and an ``encoding:``/``delimiter:`` its files can't use, are ignored
    (a DataQualityWarning each when ``warn``) rather than refused.
    """
    from ._params import LOADER_MODELS, STEERING, Steering, unknown_ignored, validated
    from .builtin import misapplied
    from .processors import check_processors

    if not isinstance(config, Mapping):
        raise LoaderError(f"A configuration must be a mapping (the `data:` section), not {_kind(config)}.")
    name = loader_name(config)
    cls = builtin_loader(name)
    # `item:` reaches a data cache as `item_config`, as Plexus passes it (refused for built-ins)
    params = plexus_parameters({k: v for k, v in config.items() if k not in RESERVED}, builtin=cls is not None,
                               stored=stored)
    if cls is not None:
        # A built-in's model covers its parameters and the steering keys, unknown names refused
        # (when checking) or dropped (when loading a stored version).
        model = LOADER_MODELS[cls.__name__]
        if stored:
            params = unknown_ignored(model, cls.__name__, params, warn=warn)
        steering = validated(model, cls.__name__, params)
        for problem in misapplied(steering) if cls is FileItems else []:
            if not stored:
                raise LoaderError(problem.refusal)
            if warn:
                warnings.warn(problem.warning, DataQualityWarning, stacklevel=3)
    else:
        if resolve:
            cls = resolve_class(name, trust=trust)
        else:
            check_class_name(name)
        # A third-party loader takes any parameters; only the keys read here are checked.
        steering = validated(Steering, name[:80], {k: params[k] for k in STEERING if k in params})
    steps = check_processors(config.get("processors"), trust, resolve=resolve, stored=stored, warn=warn)
    return _Plan(name, cls, cls in BUILTIN_LOADERS.values(), params, steering, steps, stored)


def check_configuration(config: Mapping[str, Any], trust: TrustPolicy | None = None, *,
                        environment: bool = True) -> type | None:
    """Check a configuration fully before anything is written or loaded; return its loader class.

    Always: ``class:`` present and a class name; a built-in loader's parameters
    (unknown names with a did-you-mean, wrong types named, ``encoding:`` or
    ``delimiter:`` for a Parquet file or ``delimiter:`` for JSON Lines, the format
    known from ``format:`` or the path's extension); the ``processors``
    shapes and built-in processors' parameters; ``balance`` true/false,
    ``random_seed`` a valid seed, ``label_column`` text.
    With ``environment`` (this machine will load it): the loader and processor
    classes resolve under ``trust`` (UntrustedCodeError before anything untrusted
    is imported), and for FileItems every local path or glob lies inside the data
    roots (DataAccessError) and names at least one file, and every S3 bucket is
    allowed (nothing is listed or read). Without it, classes are not looked up
    (the return is None unless the loader is built in) and paths are not checked.
    Raises LoaderError (or a subclass) saying what is wrong and what to do.
    """
    trust = trust if trust is not None else TrustPolicy()
    plan = _plan(config, trust, resolve=environment)
    if environment and plan.cls is FileItems:
        FileItems(**{**plan.params, "trust": trust}).check_sources()
    return plan.cls


def check_loader(config: Mapping[str, Any], trust: TrustPolicy | None = None) -> type:
    """``check_configuration(config, trust)`` (this machine's environment): the old name."""
    cls = check_configuration(config, trust, environment=True)
    assert cls is not None  # resolved: environment=True
    return cls


def source_fingerprint(config: Mapping[str, Any], trust: TrustPolicy | None = None) -> list[dict[str, Any]] | None:
    """What a configuration's sources are right now, read from metadata only (no file contents).

    FileItems: each file or object it names now, sorted by ``source``: local files as
    ``{"source": resolved path, "size", "mtime_ns"}``, S3 objects as ``{"source": uri,
    "etag", "version_id" (None from a glob's listing), "size"}``; a glob matching more or
    fewer files gives another list. InlineItems: ``[]`` (the configuration is the source).
    Any other loader: None (can't tell). Raises what loading would for paths outside the
    data roots, disallowed buckets, or sources that are gone.
    """
    trust = trust if trust is not None else TrustPolicy()
    if not isinstance(config, Mapping):
        raise LoaderError(f"A configuration must be a mapping (the `data:` section), not {_kind(config)}.")
    cls = builtin_loader(loader_name(config))
    if cls is InlineItems:
        return []
    if cls is not FileItems:
        return None
    # The parameters checked as loading checks them (a stored version's unknown names ignored,
    # silently: materialize is the one that reports them).
    plan = _plan(config, trust, resolve=False, stored=True, warn=False)
    return FileItems(**{**plan.params, "trust": trust, "stored": True}).fingerprint()


def materialize(config: Mapping[str, Any], *, label_column: str | None = None, fresh: bool = False,
                trust: TrustPolicy | None = None) -> pd.DataFrame:
    """Load a configuration's data, then apply its processors and ``balance``.

    ``trust`` is the loading user's policy (default ``TrustPolicy()``: no extra
    modules, files below the current directory, any S3 bucket). The configuration
    is checked as ``check_configuration`` does (structure, classes) before anything
    is read. Raises UntrustedCodeError / DataAccessError (both LoaderErrors) before
    anything untrusted is imported or read, LoaderError for an unknown class, a bad
    parameter, unreadable data, or a result with no rows. Data that loads but
    deserves a look (short CSV rows, a filter value never present) is reported by
    a DataQualityWarning, and so is what a stored version carries that checking
    would now refuse but an older release ignored (an unknown name of a built-in
    loader or processor, an ``encoding:`` on a Parquet file): it is ignored, never
    an error, so stored versions keep loading (see the module docstring).
    """
    from .processors import apply_steps, balance

    trust = trust if trust is not None else TrustPolicy()
    plan = _plan(config, trust, resolve=True, stored=True)
    df = _load(plan, trust, fresh)
    df = apply_steps(df, plan.steps)
    if df.empty:
        raise LoaderError("The processors removed every row; check their column names and values.")
    # Only built-ins are balanced here: a third-party loader receives `balance` and applies it itself.
    if plan.builtin and plan.steering.balance:
        column = plan.steering.label_column or label_column
        if not column:
            raise LoaderError("`balance: true` needs a label column: add `label_column:` to the configuration.")
        df = balance(df, str(column), seed=plan.steering.random_seed)
    return df.reset_index(drop=True)


def _load(plan: _Plan, trust: TrustPolicy, fresh: bool) -> pd.DataFrame:
    """The loader's rows: a non-empty DataFrame, or a LoaderError naming the loader."""
    import pandas as pd

    cls = plan.cls
    assert cls is not None  # resolved by _plan(resolve=True)
    try:
        # Built-ins read files, so they get the policy; a config can't supply its own.
        loader = cls(**{**plan.params, "trust": trust, "stored": plan.stored}) if plan.builtin else cls(**plan.params)
        df = loader.load_dataframe(data=dict(plan.params), fresh=fresh)
    except PlexusDatasetsError:
        raise
    except Exception as exc:
        raise LoaderError(f"The loader {cls.__name__} failed: {type(exc).__name__}: {_first_line(exc)}") from exc
    if not isinstance(df, pd.DataFrame):
        raise LoaderError(f"The loader {cls.__name__} returned {type(df).__name__}, not a pandas DataFrame.")
    if df.empty:
        raise LoaderError(f"The loader {cls.__name__} returned no rows; check its parameters.")
    return df


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:300] if text else repr(exc)[:300]
