"""The one exception tree of plexus_datasets.

Every error the package raises on purpose is a ``PlexusDatasetsError``; callers
can catch that one class. Third-party errors (SQLAlchemy/sqlite, gql, botocore,
YAML) are translated where they enter, always with ``raise ... from exc``.

    PlexusDatasetsError
    ├── NotFoundError                 an id, name or version that does not exist
    │   ├── AccountNotFoundError      no Plexus account to work in
    │   └── SnapshotNotFoundError     a pinned snapshot whose bytes are nowhere to be had
    ├── AmbiguousReferenceError       a name that matches more than one dataset
    ├── ConflictError                 a compare-and-set or unique rule was broken
    ├── ValidationError               bad input: empty names, non-JSON configs, ...
    │   └── ConfigurationError        a dataset configuration that can't be parsed
    ├── LoaderError                   a configuration's data can't be loaded
    │   ├── UntrustedCodeError        a configuration names code this user has not trusted
    │   └── DataAccessError           a path outside the data roots, a bucket not allowed
    └── BackendError                  the store failed
        ├── BackendUnavailableError   the store can't be reached (after retries)
        ├── AuthError                 the store refused our credentials
        ├── SchemaVersionError        the store's schema is newer than this package
        ├── DialectError              a GraphQL API whose schema is not the one expected
        ├── SnapshotMismatchError     a snapshot's bytes are not the ones recorded (altered)
        └── CorruptRecordError        a stored record that breaks the rules (bad id, tampering...)

Things that are not errors but must not pass in silence are warnings
(``warnings.warn``), under one root too::

    PlexusDatasetsWarning (UserWarning)
    ├── DataQualityWarning            the data loaded, but part of it deserves a look
    └── StaleDataWarning              cached data whose sources changed since it was built

Messages say what was wrong and what to do about it, and never contain secrets.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AccountNotFoundError",
    "AmbiguousReferenceError",
    "AuthError",
    "BackendError",
    "BackendUnavailableError",
    "ConfigurationError",
    "ConflictError",
    "CorruptRecordError",
    "DataAccessError",
    "DataQualityWarning",
    "DialectError",
    "LoaderError",
    "NotFoundError",
    "PlexusDatasetsError",
    "PlexusDatasetsWarning",
    "SchemaVersionError",
    "SnapshotMismatchError",
    "SnapshotNotFoundError",
    "StaleDataWarning",
    "UntrustedCodeError",
    "ValidationError",
]


class PlexusDatasetsError(Exception):
    """Root of every error raised by plexus_datasets."""


class NotFoundError(PlexusDatasetsError, LookupError):
    """A record or reference that does not exist.

    ``candidates`` lists close matches (names or refs) the user may have meant.
    """

    def __init__(self, message: str, candidates: Iterable[str] = ()) -> None:
        self.candidates = list(candidates)
        super().__init__(_with_candidates(message, self.candidates))


class AccountNotFoundError(NotFoundError):
    """No Plexus account to work in: ``PLEXUS_ACCOUNT_KEY`` (or ``connect(account_key=...)``)
    is unset, or names no account on that API."""


class AmbiguousReferenceError(PlexusDatasetsError, LookupError):
    """A reference that matches more than one record; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: Iterable[str] = ()) -> None:
        self.candidates = list(candidates)
        super().__init__(_with_candidates(message, self.candidates))


class ConflictError(PlexusDatasetsError):
    """A write lost a race or broke a uniqueness rule; re-read and try again."""


class ValidationError(PlexusDatasetsError, ValueError):
    """Input that can never be stored as given (wrong type, empty, too large...)."""


class ConfigurationError(ValidationError):
    """A dataset configuration that can't be parsed; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        super().__init__(message)


class LoaderError(PlexusDatasetsError):
    """A configuration's data can't be loaded (unknown class, missing file, ...)."""


class UntrustedCodeError(LoaderError):
    """A stored configuration names a module that only the loading user can trust
    (``PLEXUS_DATASETS_TRUSTED_MODULES`` or ``connect(trusted_modules=...)``)."""


class DataAccessError(LoaderError):
    """A configuration points outside what this user lets it read: a path outside the
    data roots (``PLEXUS_DATASETS_DATA_ROOTS``) or an S3 bucket not allowed
    (``PLEXUS_DATASETS_S3_BUCKETS``)."""


class BackendError(PlexusDatasetsError):
    """The storage backend failed in a way the caller did not cause."""


class BackendUnavailableError(BackendError):
    """The backend can't be reached, or kept failing until retries ran out."""


class AuthError(BackendError):
    """The backend refused the credentials (missing or wrong API key)."""


class SchemaVersionError(BackendError):
    """The database was written by a newer plexus-datasets than this one."""


class DialectError(BackendError):
    """The GraphQL API speaks neither schema this package knows (the dataset plan's
    Dataset/DatasetVersion/DatasetProfile, or Plexus's DataSource/DataSourceVersion/DataSet),
    or both, so which one to use must be said (``PLEXUS_DATASETS_DIALECT``)."""


class SnapshotMismatchError(BackendError):
    """A snapshot's bytes are not the ones recorded: a stored data file (a Plexus DataSet's
    Parquet file), a pinned snapshot in the cache or its S3 mirror whose sha256 differs.
    Never used, never silently replaced; load with ``fresh=True`` to build the data anew."""


class SnapshotNotFoundError(NotFoundError):
    """A pinned snapshot (``calls:v3@sha256:ab12cd34``) whose bytes are in neither the
    local cache, its S3 mirror nor the store. It can't be rebuilt byte for byte: the
    message says which snapshots of the version are available."""


def _with_candidates(message: str, candidates: list[str], shown: int = 10) -> str:
    if not candidates:
        return message
    listed = ", ".join(candidates[:shown])
    more = f" (and {len(candidates) - shown} more)" if len(candidates) > shown else ""
    return f"{message} Candidates: {listed}{more}."


class CorruptRecordError(BackendError):
    """A record read from the store breaks the rules any honest writer follows (an id
    outside the strict pattern, an impossible version number, a configuration whose
    digest no longer matches): refused, never used as is."""


class PlexusDatasetsWarning(UserWarning):
    """Root of every warning plexus_datasets issues (``warnings.warn``)."""


class DataQualityWarning(PlexusDatasetsWarning):
    """The data loaded, but part of it deserves a look: rows with too few fields, a
    filter value the column never holds, a label column that isn't there."""


class StaleDataWarning(PlexusDatasetsWarning):
    """Cached data of a version whose sources changed after it was built; load with
    ``fresh=True`` (CLI ``--fresh``) to rebuild it."""
