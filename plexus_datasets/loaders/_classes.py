"""``class:`` resolution under the loading user's TrustPolicy.

A name resolves, in this order, to:

1. a built-in loader (``InlineItems``, ``FileItems``; processors are matched in
   ``processors``);
2. an installed entry point of that name in ``plexus_datasets.loaders`` /
   ``plexus_datasets.processors`` (installed code is trusted code);
3. for a dotted path ``package.module.Class``: a class in Plexus's own
   namespaces (``plexus.data``, ``plexus.processors``, ``plexus_extensions``)
   when Plexus is installed, else a class in a module the policy trusts. Any
   other module raises UntrustedCodeError **before anything is imported**;
4. for a bare name: Plexus's ``plexus.data.NAME`` / ``plexus.processors.NAME``
   when Plexus is installed.

The class found must implement ``interfaces.Loader`` (or ``Processor``); that is
checked before it is ever instantiated.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from ..errors import LoaderError
from .builtin import BUILTIN_LOADERS
from .interfaces import Loader, Processor, implements
from .trust import TrustPolicy, is_module_name

__all__ = ["PLEXUS_NAMESPACES", "resolve_class"]

#: Plexus's own code: trusted when installed, like any entry point.
PLEXUS_NAMESPACES = ("plexus.data", "plexus.processors", "plexus_extensions")


@dataclass(frozen=True)
class _Kind:
    word: str
    group: str
    namespace: str  # where a bare Plexus name lives
    interface: type
    method: str


KINDS = {
    "loader": _Kind("loader", "plexus_datasets.loaders", "plexus.data", Loader,
                    "load_dataframe(*, data, fresh=False)"),
    "processor": _Kind("processor", "plexus_datasets.processors", "plexus.processors", Processor, "process(df)"),
}
_BUILTIN_PATHS = {f"{c.__module__}.{c.__qualname__}": c for c in BUILTIN_LOADERS.values()}


def resolve_class(name: str, kind: str = "loader", trust: TrustPolicy | None = None) -> type:
    """The loader (or processor) class ``name`` names, checked against its interface.

    Raises UntrustedCodeError for a dotted path outside Plexus's namespaces and
    the trusted prefixes (nothing imported), LoaderError when it can't be found,
    fails to import, or isn't a loader/processor class.
    """
    spec = KINDS[kind]
    name = str(name).strip()
    if kind == "loader" and name in BUILTIN_LOADERS:
        return BUILTIN_LOADERS[name]
    if kind == "loader" and name in _BUILTIN_PATHS:
        return _BUILTIN_PATHS[name]
    found = _entry_point(name, spec)
    if found is None:
        if not is_module_name(name):
            raise LoaderError(f"The {spec.word} class {_shown(name)} is not a class name "
                              "(a name like `FileItems` or a dotted path like `package.module.Class`).")
        found = _dotted(name, spec, trust or TrustPolicy()) if "." in name else _plexus_short(name, spec)
    if not isinstance(found, type):
        raise LoaderError(f"The {spec.word} {_shown(name)} names a {type(found).__name__}, not a class.")
    if not implements(found, spec.interface):
        raise LoaderError(
            f"The {spec.word} class {_shown(name)} ({found.__module__}.{found.__qualname__}) has no "
            f"`{spec.method}` method, so it is not a {spec.word}; it was not used."
        )
    return found


def _shown(name: str) -> str:
    return repr(name if len(name) <= 120 else name[:120] + "...")


def _entry_point(name: str, spec: _Kind) -> object | None:
    for ep in entry_points(group=spec.group, name=name):
        try:
            return ep.load()
        except Exception as exc:
            raise LoaderError(
                f"The {spec.word} {_shown(name)} is registered by {ep.value!r} but failed to import: {exc}") from exc
    return None


def _dotted(name: str, spec: _Kind, trust: TrustPolicy) -> object:
    module_name, _, attr = name.rpartition(".")
    plexus = _namespace_of(module_name)
    if plexus is not None:
        if not _installed(plexus):
            raise _not_found(name, spec)
    else:
        trust.check_module(module_name, kind=spec.word, name=name, group=spec.group)
    module = _import(module_name, name, spec)
    found = getattr(module, attr, None) if module is not None else None
    if module is not None and (found is None or isinstance(found, ModuleType)):
        # Plexus's convention, a module per class: plexus.data.FeedbackItems.FeedbackItems
        submodule = _import(name, name, spec)
        found = getattr(submodule, attr, None) if submodule is not None else None
    if found is None:
        raise _not_found(name, spec)
    return found


def _plexus_short(name: str, spec: _Kind) -> object:
    if _installed(spec.namespace):
        module = _import(spec.namespace, name, spec)
        found = getattr(module, name, None) if module is not None else None
        if not isinstance(found, type):
            submodule = _import(f"{spec.namespace}.{name}", name, spec)
            found = getattr(submodule, name, None) if submodule is not None else None
        if found is not None:
            return found
    raise _not_found(name, spec)


def _namespace_of(module_name: str) -> str | None:
    for namespace in PLEXUS_NAMESPACES:
        if module_name == namespace or module_name.startswith(namespace + "."):
            return namespace
    return None


def _installed(namespace: str) -> bool:
    """Whether Plexus's top-level package is *installed* here (found without running it):
    an installed distribution must provide it, and the package found must not live in the
    working directory (a folder named ``plexus/`` beside a notebook is not Plexus). An
    editable checkout counts only when trusted explicitly (``PLEXUS_DATASETS_TRUSTED_MODULES``)."""
    top = namespace.split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None or top not in importlib.metadata.packages_distributions():
        return False
    places = list(spec.submodule_search_locations or []) or ([spec.origin] if spec.origin else [])
    here = Path.cwd().resolve()
    return bool(places) and not any(Path(p).resolve().is_relative_to(here) for p in places)


def _import(module_name: str, name: str, spec: _Kind) -> ModuleType | None:
    """Import a module already allowed by the caller; None when it does not exist."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None
        raise LoaderError(f"Importing {module_name!r} for the {spec.word} {_shown(name)} failed: {exc}") from exc
    except Exception as exc:
        raise LoaderError(f"Importing {module_name!r} for the {spec.word} {_shown(name)} failed: {exc}") from exc


def _not_found(name: str, spec: _Kind) -> LoaderError:
    builtins = ", ".join(BUILTIN_LOADERS) if spec.word == "loader" else "the Plexus dataset filters"
    return LoaderError(
        f"The {spec.word} class {_shown(name)} can't be found: it is not built in ({builtins}), no installed "
        f"package registers it in the entry-point group {spec.group!r}, and it is not an importable dotted path "
        "(package.module.Class). If it is a Plexus data cache (FeedbackItems, CallCriteriaDBCache...), "
        "install Plexus in this environment; otherwise register it as an entry point or use its dotted path."
    )
