"""Pieces every widget shares: the default service, the status line, labels.

Renderings (escaping, styles, tables) come from ``display``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..display import message_html, short_time
from ..errors import PlexusDatasetsError

if TYPE_CHECKING:
    from ..models import DatasetVersion
    from ..service import DatasetService

__all__ = ["Status", "run_safely", "service_or_default", "version_label"]


def service_or_default(service: DatasetService | None) -> DatasetService:
    """``service``, or the default ``connect()`` when None."""
    if service is not None:
        return service
    from ..service import connect

    return connect()


def version_label(version: DatasetVersion, current_id: str | None = None) -> str:
    marker = " (current)" if version.id == current_id else ""
    return f"{version.label} · {short_time(version.created_at)}{marker}"


class Status(w.HTML):
    """A one-line message under a widget: errors in red, results in green, escaped."""

    def clear(self) -> None:
        self.value = ""

    def ok(self, message: str) -> None:
        self.value = message_html("ok", message)

    def info(self, message: str) -> None:
        self.value = message_html("muted", message)

    def error(self, error: BaseException | str) -> None:
        kind = type(error).__name__ if isinstance(error, BaseException) else "Error"
        self.value = message_html("error", error, title=kind)


def run_safely(status: Status, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a PlexusDatasetsError shows in ``status`` (and returns None) instead of vanishing."""
    try:
        return fn(*args, **kwargs)
    except PlexusDatasetsError as exc:
        status.error(exc)
        return None
