"""The composition root: the one place that reads settings and picks what to build.

``open_store()`` chooses the backend (DESIGN §3): the Amplify/AppSync GraphQL
API when an API URL is given or ``PLEXUS_API_URL`` is set (unless a database is
given explicitly), else the embedded store (``db``, ``PLEXUS_DATASETS_DB``, or
``datasets.db`` in the per-user data directory). ``service.connect()`` and
``DatasetService()`` both call it, so they always agree.

``materialization_cache()``, ``trust_policy()`` (what a stored configuration may
make this machine do) and ``default_progress()`` give the service the rest of
its defaults; ``serve()`` builds the stand-in server over the chosen store.
Nothing above this module imports a backend.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .backends.base import Backend
    from .loaders.cache import MaterializationCache
    from .loaders.trust import TrustPolicy
    from .progress import Progress

__all__ = ["configured_api_key", "default_progress", "materialization_cache", "open_store", "serve",
           "store_description", "trust_policy"]


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


def trust_policy(trusted_modules: Iterable[str] | None = None,
                 data_roots: Iterable[str | os.PathLike[str]] | None = None,
                 s3_buckets: Iterable[str] | None = None) -> TrustPolicy:
    """The loading user's trust policy: the environment, extended by the arguments.

    - ``trusted_modules``: module prefixes added to ``PLEXUS_DATASETS_TRUSTED_MODULES``;
    - ``data_roots``: folders put *before* ``PLEXUS_DATASETS_DATA_ROOTS`` (so the
      first argument is where relative paths start); with neither, the current
      working directory (now, when the service is built);
    - ``s3_buckets``: buckets added to ``PLEXUS_DATASETS_S3_BUCKETS``; with neither
      set, any bucket (``s3_buckets=[]`` alone allows none).

    A single string is read like the variable (``"acme,team"``; one folder for
    ``data_roots``), never as a sequence of characters. Nothing here can narrow
    what the environment allows; unset the variable for that. Raises
    ValidationError for a prefix that is not a module name.
    """
    from .loaders.trust import TrustPolicy

    settings = Settings.from_env()
    if isinstance(trusted_modules, str):
        trusted_modules = trusted_modules.split(",")
    if isinstance(s3_buckets, str):
        s3_buckets = [b for b in s3_buckets.split(",") if b.strip()]
    if isinstance(data_roots, (str, os.PathLike)):
        data_roots = [data_roots]
    modules = (*settings.trusted_modules, *(m for m in trusted_modules or () if str(m).strip()))
    roots = (*(data_roots or ()), *settings.data_roots)
    buckets = None
    if settings.s3_buckets is not None or s3_buckets is not None:
        buckets = (*(settings.s3_buckets or ()), *(s3_buckets or ()))
    return TrustPolicy.of(modules, roots, buckets)


def default_progress() -> Progress:
    """A progress bar (tqdm.auto) that appears only for work that takes over a second."""
    from .progress import tqdm_progress

    return tqdm_progress


def serve(db: str | None = None, *, host: str = "127.0.0.1", port: int = 8765, api_key: str | None = None,
          log_level: str = "info", cors_origins: Iterable[str] = (), allowed_hosts: Iterable[str] = ()) -> None:
    """Serve the SQL store ``db`` (default: the embedded store) over GraphQL until interrupted.

    Only ``cors_origins`` get CORS headers (none by default); requests must name
    ``host``, a loopback name or one of ``allowed_hosts`` in their Host header.
    """
    from .backends.sql import SQLBackend
    from .server import run

    backend = SQLBackend(db or Settings.from_env().database)
    try:
        run(backend, host=host, port=port, api_key=api_key, log_level=log_level, cors_origins=cors_origins,
            allowed_hosts=allowed_hosts)
    finally:
        backend.close()


def configured_api_key(explicit: str | None = None) -> str | None:
    """The API key to use: ``explicit``, else ``PLEXUS_API_KEY``."""
    return explicit or Settings.from_env().api_key


def store_description(db: str | None = None) -> str:
    """What ``serve(db)`` would serve, password hidden, without opening it (for the CLI's banner)."""
    from .backends.sql import describe_database

    return describe_database(db or Settings.from_env().database)
