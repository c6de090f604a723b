"""The composition root: the one place that reads settings and picks what to build.

``open_store()`` chooses the backend (DESIGN §3): the Amplify/AppSync GraphQL
API when an API URL is given or ``PLEXUS_API_URL`` is set (unless a database is
given explicitly), else the embedded store (``db``, ``PLEXUS_DATASETS_DB``, or
``datasets.db`` in the per-user data directory). ``service.connect()`` and
``DatasetService()`` both call it, so they always agree.

``materialization_cache()`` and ``default_progress()`` give the service the rest
of its defaults; ``serve()`` builds the stand-in server over the chosen store.
Nothing above this module imports a backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from .backends.base import Backend
    from .loaders.cache import MaterializationCache
    from .progress import Progress

__all__ = ["configured_api_key", "default_progress", "materialization_cache", "open_store", "serve",
           "store_description"]


def open_store(db: str | None = None, *, api_url: str | None = None, api_key: str | None = None) -> Backend:
    """The backend for these arguments and the environment (arguments win).

    An explicit ``db`` wins over a ``PLEXUS_API_URL`` that only comes from the
    environment; an explicit ``api_url`` wins over everything.
    """
    settings = Settings.from_env()
    url = api_url or (None if db else settings.api_url)
    if url:
        from .backends.graphql import GraphQLBackend

        return GraphQLBackend(url, api_key or settings.api_key)
    from .backends.sql import SQLBackend

    return SQLBackend(db or settings.database)


def materialization_cache() -> MaterializationCache:
    """Where loaded versions are cached (``PLEXUS_DATASETS_CACHE_DIR``), mirrored to
    ``PLEXUS_DATASETS_S3_URI`` when set."""
    from .loaders.cache import MaterializationCache

    settings = Settings.from_env()
    return MaterializationCache(settings.materialization_dir, settings.s3_uri)


def default_progress() -> Progress:
    """A progress bar (tqdm.auto) that appears only for work that takes over a second."""
    from .progress import tqdm_progress

    return tqdm_progress


def serve(db: str | None = None, *, host: str = "127.0.0.1", port: int = 8765, api_key: str | None = None,
          log_level: str = "info") -> None:
    """Serve the SQL store ``db`` (default: the embedded store) over GraphQL until interrupted."""
    from .backends.sql import SQLBackend
    from .server import run

    backend = SQLBackend(db or Settings.from_env().database)
    try:
        run(backend, host=host, port=port, api_key=api_key, log_level=log_level)
    finally:
        backend.close()


def configured_api_key(explicit: str | None = None) -> str | None:
    """The API key to use: ``explicit``, else ``PLEXUS_API_KEY``."""
    return explicit or Settings.from_env().api_key


def store_description(db: str | None = None) -> str:
    """What ``serve(db)`` would serve, password hidden, without opening it (for the CLI's banner)."""
    from .backends.sql import describe_database

    return describe_database(db or Settings.from_env().database)
