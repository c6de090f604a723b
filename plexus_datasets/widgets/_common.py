"""Pieces every widget shares: the default service, status lines, escaping, labels."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..display import STYLE, esc, short_time
from ..errors import PlexusDatasetsError

if TYPE_CHECKING:
    from ..models import DatasetVersion
    from ..service import DatasetService

__all__ = ["STYLE", "Status", "esc", "plot_text", "run_safely", "service_or_default", "short_time", "version_label"]


def service_or_default(service: DatasetService | None) -> DatasetService:
    if service is not None:
        return service
    from .. import connect

    return connect()


def version_label(version: DatasetVersion, current_id: str | None = None) -> str:
    marker = " (current)" if version.id == current_id else ""
    return f"{version.label} · {short_time(version.created_at)}{marker}"


def plot_text(value: Any) -> str:
    """User text for Plotly labels and hovers: escaped, since Plotly renders a little HTML."""
    return html.escape(str(value), quote=False)


class Status(w.HTML):
    """A one-line message under a widget: errors in red, results in green, escaped."""

    def clear(self) -> None:
        self.value = ""

    def ok(self, message: str) -> None:
        self.value = f"{STYLE}<span class='pds-ok'>{esc(message)}</span>"

    def info(self, message: str) -> None:
        self.value = f"{STYLE}<span class='pds-muted'>{esc(message)}</span>"

    def error(self, error: BaseException | str) -> None:
        kind = type(error).__name__ if isinstance(error, BaseException) else "Error"
        self.value = f"{STYLE}<span class='pds-error'><b>{esc(kind)}</b>: {esc(error)}</span>"


def run_safely(status: Status, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a PlexusDatasetsError shows in ``status`` (and returns None) instead of vanishing."""
    try:
        return fn(*args, **kwargs)
    except PlexusDatasetsError as exc:
        status.error(exc)
        return None
