"""Shared fixtures: real stores in temporary folders, never mocks.

``backend`` is parametrized over every backend the contract suite covers;
later issues add PostgreSQL and the GraphQL stand-in server here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.service import DatasetService

BACKENDS = ["sqlite-file", "sqlite-memory"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "datasets.db"


def _make_backend(kind: str, tmp_path: Path) -> SQLBackend:
    if kind == "sqlite-file":
        return SQLBackend(str(tmp_path / "contract.db"))
    if kind == "sqlite-memory":
        return SQLBackend("sqlite:///:memory:")
    raise AssertionError(kind)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLBackend]:
    store = _make_backend(request.param, tmp_path)
    yield store
    store.close()


@pytest.fixture
def svc(backend: SQLBackend) -> DatasetService:
    return DatasetService(backend)


@pytest.fixture
def file_svc(db_path: Path) -> Iterator[DatasetService]:
    service = DatasetService(SQLBackend(str(db_path)))
    yield service
    service.close()


@pytest.fixture
def card(svc: DatasetService):
    return svc.create_scorecard("Call Center QA", key="cc-qa")


@pytest.fixture
def score(svc: DatasetService, card):
    section = svc.create_section(card, "Compliance")
    return svc.create_score(section, "Greeting", key="greeting")


CONFIG = {"class": "FeedbackItems", "scorecard": "cc-qa", "score": "Greeting", "days": 30}
