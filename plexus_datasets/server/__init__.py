"""The Amplify-compatible GraphQL stand-in server (``plexus-datasets serve``).

``compose.serve()`` builds the store and calls ``run``; tests build an app with
``create_app(backend, api_key)`` and run it under their own uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .app import create_app

if TYPE_CHECKING:
    from ..backends.base import Backend

__all__ = ["create_app", "run"]


def run(backend: Backend, *, host: str = "127.0.0.1", port: int = 8765, api_key: str | None = None,
        log_level: str = "info") -> None:
    """Serve ``backend`` until interrupted. ``api_key=None`` serves without
    authentication; the CLI only allows that with ``--insecure-no-auth``."""
    import uvicorn

    uvicorn.run(create_app(backend, api_key), host=host, port=port, log_level=log_level,
                access_log=False, lifespan="on")
