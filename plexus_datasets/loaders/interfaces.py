"""The loader and processor interfaces, written down (Plexus's DataCache and processor shapes).

A class named by ``class:`` must implement one of these; ``loaders`` checks the
class *before* building it, so a class that merely happens to be importable
(``subprocess.Popen``, ``pathlib.Path``) is refused without being called.

>>> class Squares:
...     def __init__(self, n=3, **_): self.n = n
...     def load_dataframe(self, *, data, fresh=False): ...
>>> implements(Squares, Loader)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Loader", "Processor", "implements"]


@runtime_checkable
class Loader(Protocol):
    """A "data cache": built as ``cls(**parameters)`` from the configuration's keys
    (all but ``class`` and ``processors``), then asked for its rows."""

    def load_dataframe(self, *, data: Mapping[str, Any], fresh: bool = False) -> pd.DataFrame:
        """The rows as a non-empty DataFrame; ``data`` is the parameters again, ``fresh``
        asks the loader to bypass any cache of its own."""
        ...


@runtime_checkable
class Processor(Protocol):
    """A processor: built as ``cls(**parameters)`` from its ``parameters:`` mapping."""

    def process(self, df: pd.DataFrame) -> pd.DataFrame:
        """A new DataFrame; the input is not modified."""
        ...


#: The methods each interface needs, for ``implements``.
_METHODS: dict[type, tuple[str, ...]] = {Loader: ("load_dataframe",), Processor: ("process",)}


def implements(cls: object, interface: type) -> bool:
    """True when ``cls`` is a class with callable methods covering ``interface``
    (``Loader`` or ``Processor``); nothing is instantiated or called."""
    return (isinstance(cls, type) and issubclass(cls, interface)
            and all(callable(getattr(cls, name, None)) for name in _METHODS[interface]))
