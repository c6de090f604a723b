"""How long-running service work reports progress, without the service knowing how.

A ``Progress`` is called with a description and a number of steps and returns a
context manager yielding ``advance()``. The service calls whatever it was given
(``DatasetService(progress=...)``); the composition root passes ``tqdm_progress``
(a bar that appears only after a second), and ``no_progress`` shows nothing.

>>> with no_progress("Loading calls:v2", 2) as advance:
...     advance()
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

__all__ = ["Progress", "no_progress", "tqdm_progress"]


class Progress(Protocol):
    def __call__(self, description: str, total: int) -> AbstractContextManager[Callable[[], None]]: ...


@contextlib.contextmanager
def no_progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    """Report nothing."""
    yield lambda: None


@contextlib.contextmanager
def tqdm_progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    """A tqdm.auto bar (a widget in Jupyter, text in a terminal) shown after one second."""
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=description, delay=1.0, leave=False)
    try:
        yield lambda: bar.update(1)
    finally:
        bar.close()
