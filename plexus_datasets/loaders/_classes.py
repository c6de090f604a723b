"""``class:`` resolution under the loading user's TrustPolicy, and how Plexus calls what it finds.

A name resolves, in this order, to:

1. a built-in loader (``InlineItems``, ``FileItems``; processors are matched in
   ``processors``);
2. an installed entry point of that name in ``plexus_datasets.loaders`` /
   ``plexus_datasets.processors`` (installed code is trusted code);
3. for a dotted path ``package.module.Class``: a class in Plexus's own
   namespaces (``plexus.data``, ``plexus.processors``, ``plexus_extensions``)
   when that namespace is installed (or trusted explicitly), else a class in a
   module the policy trusts. Any other module raises UntrustedCodeError **before
   anything is imported**. A path that names a module of Plexus's module-per-class
   layout (``plexus_extensions.CallCriteriaDBCache``) means the class of that name
   in it, as Plexus reads it;
4. for a bare name, as Plexus resolves it (``ScoreData._load_data_cache`` for a
   score's ``data:``, ``plexus dataset load`` for a DataSource): a loader is
   ``plexus.data.NAME``, then ``plexus_extensions.NAME.NAME`` (a module per
   class: how client extensions such as ``CallCriteriaDBCache`` ship); a processor
   is ``plexus.processors.NAME`` (Plexus's ``ProcessorFactory``). Each place is
   looked in only when its namespace is installed or trusted.

"Installed" means an installed distribution provides the top-level package and it
does not live in the working directory (a ``plexus/`` folder beside a notebook is
not Plexus). A checkout on ``PYTHONPATH`` (Call-Criteria-Python's
``plexus_extensions``, an editable Plexus) counts once the loading user trusts it:
``PLEXUS_DATASETS_TRUSTED_MODULES=plexus_extensions``.

The class found must implement ``interfaces.Loader`` (or ``Processor``); that is
checked before it is ever instantiated. A name that can't be found gets a
did-you-mean against the built-ins and the installed entry points; the hint to
install Plexus is kept for names that are not a near miss of a built-in.

``plexus_parameters`` gives a loader its parameters the way Plexus does: a
configuration's ``item:`` section (the score's item pipeline, ``Item.to_score_input``)
reaches a data cache as ``item_config``, in its constructor and in ``data``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import LoaderError
from .builtin import BUILTIN_LOADERS
from .interfaces import Loader, Processor, implements
from .trust import TrustPolicy, is_module_name

__all__ = ["ITEM_KEY", "PLEXUS_NAMESPACES", "builtin_loader", "check_class_name", "plexus_parameters",
           "resolve_class"]

#: Plexus's own code: trusted when installed, like any entry point.
PLEXUS_NAMESPACES = ("plexus.data", "plexus.processors", "plexus_extensions")
#: A score's (or DataSource's) item pipeline section, and the parameter Plexus's data caches take it as.
ITEM_KEY, ITEM_PARAMETER = "item", "item_config"


@dataclass(frozen=True)
class _Kind:
    word: str
    group: str
    namespace: str  # where a bare Plexus name lives first
    interface: type
    method: str
    extensions: bool  # whether a bare name is also looked for in plexus_extensions (NAME.NAME)

    def places(self) -> list[str]:
        """The packages a bare name is looked for in (a module per class below each), in Plexus's order."""
        return [self.namespace, *(["plexus_extensions"] if self.extensions else [])]


KINDS = {
    "loader": _Kind("loader", "plexus_datasets.loaders", "plexus.data", Loader,
                    "load_dataframe(*, data, fresh=False)", extensions=True),
    "processor": _Kind("processor", "plexus_datasets.processors", "plexus.processors", Processor, "process(df)",
                       extensions=False),
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
        trust = trust or TrustPolicy()
        found = _dotted(name, spec, trust) if "." in name else _plexus_short(name, spec, trust)
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
        if not _available(plexus, module_name, trust):
            raise _not_found(name, spec)
    else:
        trust.check_module(module_name, kind=spec.word, name=name, group=spec.group)
    found = _class_in(module_name, attr, name, spec)
    if found is None:
        raise _not_found(name, spec)
    return found


def _plexus_short(name: str, spec: _Kind, trust: TrustPolicy) -> object:
    """A bare name where Plexus looks for it (see the module docstring), in its order. A place
    that fails to import is passed over for the next one, as Plexus does; when no place has
    the class, that import failure is the error (else "can't be found")."""
    failure: LoaderError | None = None
    for module_name in spec.places():
        if not _available(_namespace_of(module_name) or module_name, module_name, trust):
            continue
        try:
            found = _class_in(module_name, name, name, spec)
        except LoaderError as exc:
            failure = failure or exc
            continue
        if isinstance(found, type):
            return found
    raise failure or _not_found(name, spec)


def _class_in(module_name: str, attr: str, name: str, spec: _Kind) -> object | None:
    """``attr`` of the module ``module_name`` (already allowed by the caller), looking down
    Plexus's module-per-class layouts when the attribute is a module or missing:
    ``module_name.attr`` (``plexus/data/FeedbackItems.py``, ``plexus_extensions/X.py``), then
    ``module_name.attr.attr`` (a package ``plexus_extensions/X/`` holding ``X.py``). None when
    none of them has it; only modules below ``module_name`` are imported."""
    for depth in range(3):
        module = _import(".".join([module_name, *[attr] * depth]), name, spec)
        if module is None:
            return None
        found = getattr(module, attr, None)
        if found is not None and not isinstance(found, ModuleType):
            return found
    return None


def _namespace_of(module_name: str) -> str | None:
    for namespace in PLEXUS_NAMESPACES:
        if module_name == namespace or module_name.startswith(namespace + "."):
            return namespace
    return None


def _available(namespace: str, module_name: str, trust: TrustPolicy) -> bool:
    """Whether a module in one of Plexus's namespaces may be imported here: the namespace is
    installed, or the loading user trusts the module (a checkout on ``PYTHONPATH``)."""
    return trust.trusts_module(module_name) or _installed(namespace)


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
        plexus = ("If it is a Plexus data cache, install Plexus in this environment (plexus.data: FeedbackItems...) "
                  "or its extensions (plexus_extensions.NAME.NAME: CallCriteriaDBCache...); a checkout on PYTHONPATH "
                  "needs PLEXUS_DATASETS_TRUSTED_MODULES=plexus_extensions (or plexus). Otherwise register it as an "
                  "entry point or use its dotted path.")
    else:
        plexus = ("If it is one of Plexus's own processors (`plexus.processors`), install Plexus in this "
                  "environment; otherwise register your processor as an entry point or use its dotted path.")
    return LoaderError(f"{asked}{maybe} It is not a built-in {spec.word} ({', '.join(builtins)}), {where}. {plexus}")


def plexus_parameters(params: Mapping[str, Any], *, builtin: bool, stored: bool = False) -> dict[str, Any]:
    """A loader's parameters as Plexus passes them: ``item:`` becomes ``item_config``.

    Plexus's ``dataset load`` gives a data cache the configuration's ``item:`` section as
    ``item_config`` (``FeedbackItems`` runs ``Item.to_score_input(item_config)`` on each
    row's Item); ``item_config`` written as such passes unchanged. Built-in loaders read
    rows as stored and can't run Plexus's item pipeline: checking a configuration
    (``stored=False``) refuses ``item:`` for them with a LoaderError saying so, and so it
    does for a configuration giving both spellings or an item section that is not a
    mapping; a stored version is passed on as written (a built-in's own check drops the
    unknown name with a warning).
    """
    named = [key for key in (ITEM_KEY, ITEM_PARAMETER) if key in params]
    if not named:
        return dict(params)
    if builtin:
        if not stored:
            raise LoaderError(
                f"`{named[0]}:` is Plexus's item pipeline (Item.to_score_input on each row's Plexus Item), which "
                "Plexus's data caches run (FeedbackItems takes it as item_config). The built-in loaders read the rows "
                f"as stored and can't run it: remove `{named[0]}:` from this configuration (the score keeps its own "
                "item: section), or use a Plexus data cache.")
        return dict(params)
    if len(named) == 2:
        if not stored:
            raise LoaderError("The configuration gives both `item:` and `item_config:`; they are the same section "
                              "(Plexus passes item: to the data cache as item_config). Keep one.")
        return dict(params)
    value = params[named[0]]
    if not stored and value is not None and not isinstance(value, Mapping):
        raise LoaderError(f"`{named[0]}:` must be a mapping (Plexus's item section: class, options, processors), "
                          f"not {type(value).__name__}.")
    if named == [ITEM_PARAMETER]:
        return dict(params)
    out = {key: value for key, value in params.items() if key != ITEM_KEY}
    out[ITEM_PARAMETER] = params[ITEM_KEY]
    return out
