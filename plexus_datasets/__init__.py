"""plexus_datasets: notebook-native dataset management for Plexus.

>>> import plexus_datasets as pd_
>>> svc = pd_.connect()                      # doctest: +SKIP
>>> svc.resolve("calls:latest")              # doctest: +SKIP

Importing this package is cheap: the service, backends and every heavy
dependency load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    AccountNotFoundError,
    AmbiguousReferenceError,
    AuthError,
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    CorruptRecordError,
    DataAccessError,
    DataQualityWarning,
    DialectError,
    LoaderError,
    NotFoundError,
    PlexusDatasetsError,
    PlexusDatasetsWarning,
    SchemaVersionError,
    SnapshotMismatchError,
    SnapshotNotFoundError,
    StaleDataWarning,
    UntrustedCodeError,
    ValidationError,
)

if TYPE_CHECKING:
    from .models import Dataset, DatasetProfile, DatasetVersion, Score, Scorecard, ScorecardSection
    from .service import DatasetService, connect

__version__ = "0.2.0"

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
    "Dataset",
    "DatasetProfile",
    "DatasetService",
    "DatasetVersion",
    "DialectError",
    "LoaderError",
    "NotFoundError",
    "PlexusDatasetsError",
    "PlexusDatasetsWarning",
    "SchemaVersionError",
    "Score",
    "Scorecard",
    "ScorecardSection",
    "SnapshotMismatchError",
    "SnapshotNotFoundError",
    "StaleDataWarning",
    "UntrustedCodeError",
    "ValidationError",
    "__version__",
    "connect",
]

_LAZY = {
    "DatasetService": "service",
    "connect": "service",
    "Dataset": "models",
    "DatasetProfile": "models",
    "DatasetVersion": "models",
    "Score": "models",
    "Scorecard": "models",
    "ScorecardSection": "models",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'plexus_datasets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext plexus_datasets``: registers ``%datasets`` and ``%%dataset_config``."""
    from .magics import load_ipython_extension as load

    load(ipython)
