"""The Amplify-compatible GraphQL stand-in server (``plexus-datasets serve``).

``compose.serve()`` builds the store and calls ``run``; tests build an app with
``create_app(backend, api_key)`` and run it under their own uvicorn. ``Limits``
holds what one request may ask (``limits`` module).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .app import create_app
from .limits import Limits

if TYPE_CHECKING:
    from ..backends.base import Backend

__all__ = ["Limits", "create_app", "run"]

#: Connections served at once; past it uvicorn answers 503 (clients retry).
MAX_CONNECTIONS = 128


def run(backend: Backend, *, host: str = "127.0.0.1", port: int = 8765, api_key: str | None = None,
        log_level: str = "info", cors_origins: Iterable[str] = (), allowed_hosts: Iterable[str] = ()) -> None:
    """Serve ``backend`` until interrupted. ``api_key=None`` serves without
    authentication; the CLI only allows that with ``--insecure-no-auth``. Only
    ``cors_origins`` get CORS headers; Host headers must name ``host``, a loopback
    name or one of ``allowed_hosts``."""
    import sys

    import uvicorn

    # GraphQL work runs on worker threads; a 1 ms switch interval (Python's default is
    # 5 ms) hands the interpreter back to the event loop soon enough for /health to
    # answer within milliseconds while they work.
    sys.setswitchinterval(0.001)
    app = create_app(backend, api_key, host=host, allowed_hosts=allowed_hosts, cors_origins=cors_origins,
                     manage_gc=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on",
                limit_concurrency=MAX_CONNECTIONS)
