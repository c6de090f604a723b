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
    from collections.abc import Callable, Iterable, Mapping

    from .backends.base import Backend
    from .loaders.cache import MaterializationCache
    from .loaders.trust import TrustPolicy
    from .progress import Progress

__all__ = ["configured_api_key", "default_progress", "materialization_cache", "open_store", "serve",
           "store_description", "trust_policy"]


def open_store(db: str | None = None, *, api_url: str | None = None, api_key: str | None = None,
               dialect: str | None = None, account_key: str | None = None, account_id: str | None = None) -> Backend:
    """The backend for these arguments and the environment (arguments win).

    An explicit ``db`` wins over a ``PLEXUS_API_URL`` that only comes from the
    environment; an explicit ``api_url`` wins over everything. For an API: its
    schema is ``dialect`` (else ``PLEXUS_DATASETS_DIALECT``; "auto" asks the API once,
    on first use); ``PLEXUS_GRAPHQL_AUTH_MODE=iam`` signs requests with SigV4 in
    ``PLEXUS_API_REGION`` (else the AppSync host's region) instead of sending the key;
    on Plexus's schema the account is ``account_id``, else the one whose key is
    ``account_key`` (else ``PLEXUS_ACCOUNT_KEY``), and DataSet files go to
    ``AMPLIFY_STORAGE_DATASETS_BUCKET_NAME``.
    """
    settings = Settings.from_env()
    url = api_url or (None if db else settings.api_url)
    if url:
        from .backends.dialects import open_api

        return open_api(url, api_key=api_key or settings.api_key, iam_region=_iam_region(url, settings),
                        dialect=dialect or settings.dialect, account_key=account_key or settings.account_key,
                        account_id=account_id, datasets_bucket=settings.datasets_bucket)
    from .backends.sql import SQLBackend

    return SQLBackend(db or settings.database)


def _iam_region(url: str, settings: Settings) -> str | None:
    """The SigV4 region when ``PLEXUS_GRAPHQL_AUTH_MODE`` is ``iam`` (None: the API key is used)."""
    from .errors import ValidationError

    mode = (settings.auth_mode or "api_key").strip().lower().replace("-", "_")
    if mode in ("api_key", "apikey", "key"):
        return None
    if mode not in ("iam", "aws_iam"):
        raise ValidationError(f"PLEXUS_GRAPHQL_AUTH_MODE must be iam or api_key, got {settings.auth_mode!r}.")
    from .backends.dialects import region_from_url

    region = settings.api_region or region_from_url(url)
    if not region:
        raise ValidationError("PLEXUS_GRAPHQL_AUTH_MODE=iam needs a region: set PLEXUS_API_REGION (the API's host "
                              "name doesn't say one).")
    return region


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
          log_level: str = "info", cors_origins: Iterable[str] = (), allowed_hosts: Iterable[str] = (),
          schema: str = "plan", account_key: str | None = None, iam_credentials: Mapping[str, str] | None = None,
          iam_credentials_env: bool = False, on_account: Callable[[str], None] | None = None,
          on_copied: Callable[[int], None] | None = None, iam_region: str | None = None) -> None:
    """Serve the database ``db`` (default: the embedded store's) over GraphQL until interrupted.

    Either schema is served from the contract (``server.contract.load_contract(schema)``)
    over an item store in that database: DynamoDB-like items in the ``appsync_*`` tables,
    apart from the tables the embedded store (``SQLBackend``) keeps there.
    ``schema="plan"`` serves the dataset plan's schema (Dataset, DatasetVersion,
    DatasetProfile...); on its first start over a database whose SQL tables hold records
    (the embedded store's, or an older ``serve``'s), it copies them into the items once
    (``server.migration``) and calls ``on_copied`` with the count; the tables are left
    as they were. ``schema="plexus"`` serves Plexus's deployed schema (DataSource,
    DataSourceVersion, DataSet...). With ``account_key`` (plexus only) the Account with
    that key is created if missing, and ``on_account`` gets its id before the server
    starts.

    ``iam_credentials`` (access key id -> secret key) accepts SigV4-signed requests
    besides ``api_key``; ``iam_credentials_env`` adds the credentials of this process's
    environment (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``). Only ``cors_origins``
    get CORS headers (none by default); requests must name ``host``, a loopback name or
    one of ``allowed_hosts`` in their Host header. ``iam_region``, when given, is the only
    region a SigV4 signature may be scoped to (any otherwise).

    Raises ValidationError for an unknown schema, an account key on the plan schema,
    or ``iam_credentials_env`` without credentials in the environment.
    """
    from .errors import ValidationError
    from .server import ensure_account, run

    if schema not in SERVED_SCHEMAS:
        raise ValidationError(f"Unknown schema {schema!r}: serve one of {', '.join(SERVED_SCHEMAS)}.")
    if account_key is not None and schema != "plexus":
        raise ValidationError("An account key only applies to the plexus schema (--schema plexus).")
    credentials = {**(iam_credentials or {}), **(_environment_credentials() if iam_credentials_env else {})}
    url = db or Settings.from_env().database
    from .server.contract import load_contract
    from .server.items import ItemStore

    store = ItemStore(url, load_contract(schema))
    try:
        if schema == "plan":
            from .backends.sql import SQLBackend
            from .server.migration import copy_backend_once

            copied = copy_backend_once(store, lambda: SQLBackend(url))
            if copied is not None and on_copied is not None:
                on_copied(copied)
        if account_key is not None:
            account_id = ensure_account(store, account_key)
            if on_account is not None:
                on_account(account_id)
        run(store, host=host, port=port, api_key=api_key, log_level=log_level, cors_origins=cors_origins,
            allowed_hosts=allowed_hosts, iam_credentials=credentials or None, iam_region=iam_region)
    finally:
        store.close()


#: What ``serve(schema=...)`` can serve, and the models each holds (for banners).
SERVED_SCHEMAS = {
    "plan": "Scorecard, ScorecardSection, Score, Dataset, DatasetVersion, DatasetProfile",
    "plexus": "Account, Scorecard, ScorecardSection, Score, ScoreVersion, DataSource, DataSourceVersion, DataSet",
}


def _environment_credentials() -> dict[str, str]:
    """``{access key id: secret key}`` from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (botocore reads
    them, so this module never touches ``os.environ``)."""
    from botocore.credentials import EnvProvider

    from .errors import ValidationError

    found = EnvProvider().load()
    if found is None or not found.access_key or not found.secret_key:
        raise ValidationError("No AWS credentials in the environment: set AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY for the server (or leave out --iam-credentials-env).")
    return {found.access_key: found.secret_key}


def configured_api_key(explicit: str | None = None) -> str | None:
    """The API key to use: ``explicit``, else ``PLEXUS_API_KEY``."""
    return explicit or Settings.from_env().api_key


def store_description(db: str | None = None, schema: str = "plan") -> str:
    """What ``serve(db, schema=schema)`` would serve, password hidden, without opening it
    (for the CLI's banner): which schema with which models, kept as items, and the database."""
    from .backends.sql import describe_database

    models = SERVED_SCHEMAS.get(schema, "?")
    return f"the {schema} schema ({models}; as items) from {describe_database(db or Settings.from_env().database)}"
