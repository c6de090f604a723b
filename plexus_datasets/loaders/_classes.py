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
checked before it is ever instantiated. A name that can't be found gets a
did-you-mean against the built-ins and the installed entry points; the hint to
install Plexus is kept for names that are not a near miss of a built-in.
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

__all__ = ["PLEXUS_NAMESPACES", "builtin_loader", "check_class_name", "resolve_class"]

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


def builtin_loader(name: str) -> type | None:
    """The built-in loader class ``name`` names (short name or dotted path), else None."""
    name = str(name).strip()
    return BUILTIN_LOADERS.get(name) or _BUILTIN_PATHS.get(name)


def resolve_class(name: str, kind: str = "loader", trust: TrustPolicy | None = None) -> type:
    """The loader (or processor) class ``name`` names, checked against its interface.

    Raises UntrustedCodeError for a dotted path outside Plexus's namespaces and
    the trusted prefixes (nothing imported), LoaderError when it can't be found,
    fails to import, or isn't a loader/processor class.
    """
    spec = KINDS[kind]
    name = str(name).strip()
    builtin = builtin_loader(name) if kind == "loader" else None
    if builtin is not None:
        return builtin
    found = _entry_point(name, spec)
    if found is None:
        check_class_name(name, kind)
        found = _dotted(name, spec, trust or TrustPolicy()) if "." in name else _plexus_short(name, spec)
    if not isinstance(found, type):
        raise LoaderError(f"The {spec.word} {_shown(name)} names a {type(found).__name__}, not a class.")
    if not implements(found, spec.interface):
        raise LoaderError(
            f"The {spec.word} class {_shown(name)} ({found.__module__}.{found.__qualname__}) has no "
            f"`{spec.method}` method, so it is not a {spec.word}; it was not used."
        )
    return found


def check_class_name(name: str, kind: str = "loader") -> None:
    """LoaderError unless ``name`` could name a class (``FileItems``, ``package.module.Class``);
    nothing is looked up or imported."""
    if not is_module_name(str(name).strip()):
        raise LoaderError(f"The {KINDS[kind].word} class {_shown(name)} is not a class name "
                          "(a name like `FileItems` or a dotted path like `package.module.Class`).")


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


def _builtin_names(spec: _Kind) -> list[str]:
    if spec.word == "loader":
        return list(BUILTIN_LOADERS)
    from ._params import PROCESSOR_MODELS  # imported on this error path only: it brings pydantic

    return list(PROCESSOR_MODELS)


def _not_found(name: str, spec: _Kind) -> LoaderError:
    from ._params import did_you_mean

    builtins = _builtin_names(spec)
    installed = [ep.name for ep in entry_points(group=spec.group)]
    short = name.rsplit(".", 1)[-1]  # plexus.data.FileItem is a near miss of FileItems too
    guess = did_you_mean(short, builtins, cutoff=0.8) or did_you_mean(short, installed, cutoff=0.8)
    asked = f"The {spec.word} class {_shown(name)} can't be found"
    if guess in builtins:  # a typo of a built-in: the hint about installing Plexus would mislead
        return LoaderError(f"{asked}; did you mean {guess!r}? The built-in {spec.word}s are: {', '.join(builtins)}.")
    maybe = f"; did you mean {guess!r}?" if guess else "."
    where = (f"no installed package registers it in the entry-point group {spec.group!r}, and it is not an "
             "importable dotted path (package.module.Class)")
    if spec.word == "loader":
        plexus = ("If it is a Plexus data cache (FeedbackItems, CallCriteriaDBCache...), install Plexus in this "
                  "environment; otherwise register it as an entry point or use its dotted path.")
    else:
        plexus = ("If it is one of Plexus's own processors (`plexus.processors`), install Plexus in this "
                  "environment; otherwise register your processor as an entry point or use its dotted path.")
    return LoaderError(f"{asked}{maybe} It is not a built-in {spec.word} ({', '.join(builtins)}), {where}. {plexus}")
