"""The Amplify-compatible GraphQL stand-in server (``plexus-datasets serve``).

>>> serve("sqlite:///team.db", port=8765, api_key="...")   # doctest: +SKIP
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app", "serve"]


def serve(db: str, *, host: str = "127.0.0.1", port: int = 8765, api_key: str | None = None,
          log_level: str = "info") -> None:
    """Serve the store at ``db`` (a SQLite path or SQLAlchemy URL) until interrupted.

    ``api_key=None`` serves without authentication; the CLI only allows that
    with ``--insecure-no-auth``.
    """
    import uvicorn

    from ..backends.sql import SQLBackend

    backend = SQLBackend(db)
    try:
        uvicorn.run(create_app(backend, api_key), host=host, port=port, log_level=log_level,
                    access_log=False, lifespan="on")
    finally:
        backend.close()
