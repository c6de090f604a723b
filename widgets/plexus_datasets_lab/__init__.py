"""plexus-datasets-lab: a Datasets sidebar for JupyterLab (frontend) and its JSON API (server)."""

try:
    from ._version import __version__
except ImportError:  # pragma: no cover - a source checkout that was never built
    __version__ = "dev"

from .handlers import setup_handlers

__all__ = ["__version__", "setup_handlers"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "plexus-datasets-lab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "plexus_datasets_lab"}]


def _load_jupyter_server_extension(server_app) -> None:  # type: ignore[no-untyped-def]
    """Register the /plexus-datasets/ handlers with the Jupyter server."""
    setup_handlers(server_app.web_app)
    server_app.log.info("Registered the plexus_datasets_lab server extension at /plexus-datasets/")
