"""Where things are. The only module that reads ``os.environ``.

Environment variables:

``PLEXUS_DATASETS_DB``
    The embedded store: a file path (``~/datasets.db``) or a SQLAlchemy URL
    (``sqlite:///...``, ``postgresql+psycopg://...``). Default: ``datasets.db``
    in the per-user data directory (platformdirs).
``PLEXUS_API_URL`` / ``PLEXUS_API_KEY``
    An Amplify/AppSync GraphQL endpoint and its API key. When the URL is set,
    ``connect()`` uses the GraphQL backend instead of the embedded store.
``PLEXUS_DATASETS_DIALECT``
    Which schema the GraphQL API speaks: ``plan`` (Dataset/DatasetVersion/
    DatasetProfile), ``plexus`` (DataSource/DataSourceVersion/DataSet, what Plexus
    runs) or ``auto`` (the default: asked once per connection).
``PLEXUS_ACCOUNT_KEY``
    The Plexus account to work in (its ``key``), on the ``plexus`` schema.
``PLEXUS_GRAPHQL_AUTH_MODE`` / ``PLEXUS_API_REGION``
    ``iam`` signs requests with AWS SigV4 (the standard AWS credential chain) instead
    of sending the API key; the region defaults to the AppSync host's.
``AMPLIFY_STORAGE_DATASETS_BUCKET_NAME``
    The S3 bucket of Plexus DataSet files (``datasets/{account}/{id}/dataset.parquet``).
``PLEXUS_DATASETS_CACHE_DIR``
    Where materialized datasets are cached (default: the per-user cache dir).
``PLEXUS_DATASETS_S3_URI``
    Optional ``s3://bucket/prefix`` mirror of the materialization cache.

What a stored configuration may make this machine do (``loaders.trust``):

``PLEXUS_DATASETS_TRUSTED_MODULES``
    Comma-separated module prefixes (``acme,team_loaders.s3``) whose classes a
    configuration may name by dotted path. Default: none.
``PLEXUS_DATASETS_DATA_ROOTS``
    Folders (separated by ``os.pathsep``, ``:`` on POSIX) that configurations
    may read files from; relative paths start at the first. Default: the
    current working directory when the service is built.
``PLEXUS_DATASETS_S3_BUCKETS``
    Comma-separated S3 buckets configurations may read. Unset: any bucket.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings"]

APP_NAME = "plexus-datasets"


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment; build one with ``Settings.from_env()``."""

    db: str | None = None
    api_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    dialect: str | None = None
    account_key: str | None = field(default=None, repr=False)
    auth_mode: str | None = None
    api_region: str | None = None
    datasets_bucket: str | None = None
    cache_dir: Path | None = None
    s3_uri: str | None = None
    trusted_modules: tuple[str, ...] = ()
    data_roots: tuple[Path, ...] = ()
    s3_buckets: tuple[str, ...] | None = None

    @classmethod
    def from_env(cls) -> Settings:
        cache = _env("PLEXUS_DATASETS_CACHE_DIR")
        roots = _env("PLEXUS_DATASETS_DATA_ROOTS")
        buckets = _env("PLEXUS_DATASETS_S3_BUCKETS")
        return cls(
            db=_env("PLEXUS_DATASETS_DB"),
            api_url=_env("PLEXUS_API_URL"),
            api_key=_env("PLEXUS_API_KEY"),
            dialect=_env("PLEXUS_DATASETS_DIALECT"),
            account_key=_env("PLEXUS_ACCOUNT_KEY"),
            auth_mode=_env("PLEXUS_GRAPHQL_AUTH_MODE"),
            api_region=_env("PLEXUS_API_REGION") or _env("NEXT_PUBLIC_PLEXUS_API_REGION"),
            datasets_bucket=_env("AMPLIFY_STORAGE_DATASETS_BUCKET_NAME"),
            cache_dir=Path(cache).expanduser() if cache else None,
            s3_uri=_env("PLEXUS_DATASETS_S3_URI"),
            trusted_modules=_items(_env("PLEXUS_DATASETS_TRUSTED_MODULES"), ","),
            data_roots=tuple(Path(r).expanduser() for r in _items(roots, os.pathsep)),
            s3_buckets=_items(buckets, ",") if buckets else None,
        )

    @property
    def database(self) -> str:
        """The embedded store: the configured path or URL, else the per-user default file."""
        return self.db or str(default_data_dir() / "datasets.db")

    @property
    def materialization_dir(self) -> Path:
        if self.cache_dir:
            return self.cache_dir
        import platformdirs

        return Path(platformdirs.user_cache_dir(APP_NAME)) / "materialized"


def _items(value: str | None, separator: str) -> tuple[str, ...]:
    """The non-empty, stripped items of a separated list (none for None)."""
    return tuple(item.strip() for item in (value or "").split(separator) if item.strip())


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))
