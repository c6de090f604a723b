"""Shared fixtures: real stores in temporary folders, never mocks.

``backend`` is parametrized over every backend the contract suite covers;
later issues add PostgreSQL and the GraphQL stand-in server here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from plexus_datasets.backends._appsync import AppSyncTransport
from plexus_datasets.backends.graphql import GraphQLBackend, RetryPolicy
from plexus_datasets.backends.plexus import PlexusBackend, schema_text
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server import create_app
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ItemStore
from plexus_datasets.service import DatasetService
from tests.servers import MotoS3, PostgresServer, ThreadedServer

BACKENDS = ["sqlite-file", "sqlite-memory", "postgresql", "graphql", "plexus"]
API_KEY = "test-key-Zq81"
#: The Account every "plexus" store works in, and the bucket its DataSet files would go to.
PLEXUS_ACCOUNT_KEY = "acme-qa"
PLEXUS_BUCKET = "plexus-datasets"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "plan_only(reason): an assertion about the dataset plan's schema that "
                                       "Plexus's schema can't make; skipped for the 'plexus' backend, naming why")


@pytest.fixture(autouse=True)
def _plan_only(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("plan_only")
    callspec = getattr(request.node, "callspec", None)
    if marker is not None and callspec is not None and callspec.params.get("backend") == "plexus":
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "dataset plan schema only")
        pytest.skip(f"plan schema only: {reason}")


@contextlib.contextmanager
def plexus_stand_in(db: Path) -> Iterator[str]:
    """``serve --schema plexus`` on a loopback port (in a thread) over an item store in ``db``; its URL."""
    store = ItemStore(str(db), load_contract("plexus"))
    try:
        with ThreadedServer(create_app(store, API_KEY)) as server:
            yield server.url
    finally:
        store.close()


def plexus_transport(url: str) -> AppSyncTransport:
    return AppSyncTransport(url, schema_sdl=schema_text(), api_key=API_KEY,
                            retry=RetryPolicy(max_attempts=2, max_elapsed=5))


def create_account(transport: AppSyncTransport, key: str, name: str = "Acme QA") -> str:
    """A Plexus Account made with a raw ``createAccount`` (the package never creates one); its id."""
    data = transport.execute("mutation A($input: CreateAccountInput!) { createAccount(input: $input) { id } }",
                             {"input": {"name": name, "key": key}})
    return data["createAccount"]["id"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "datasets.db"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLBackend | GraphQLBackend | PlexusBackend]:
    kind = request.param
    if kind == "sqlite-file":
        store = SQLBackend(str(tmp_path / "contract.db"))
    elif kind == "sqlite-memory":
        store = SQLBackend("sqlite:///:memory:")
    elif kind == "postgresql":
        store = SQLBackend(request.getfixturevalue("postgres").fresh_schema_url())
    elif kind == "plexus":
        with plexus_stand_in(tmp_path / "plexus.db") as url:
            transport = plexus_transport(url)
            create_account(transport, PLEXUS_ACCOUNT_KEY)
            store = PlexusBackend(transport, account_key=PLEXUS_ACCOUNT_KEY, datasets_bucket=PLEXUS_BUCKET)
            yield store
            store.close()
        return
    else:
        served = SQLBackend(str(tmp_path / "served.db"))
        with ThreadedServer(create_app(served, API_KEY)) as server:
            store = GraphQLBackend(server.url, API_KEY, retry=RetryPolicy(max_attempts=2, max_elapsed=5))
            yield store
            store.close()
        served.close()
        return
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


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's stores, caches or API settings."""
    for name in ("PLEXUS_API_URL", "PLEXUS_API_KEY", "PLEXUS_DATASETS_DB", "PLEXUS_DATASETS_S3_URI",
                 "PLEXUS_DATASETS_TRUSTED_MODULES", "PLEXUS_DATASETS_DATA_ROOTS", "PLEXUS_DATASETS_S3_BUCKETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture
def s3(moto_s3: MotoS3, monkeypatch: pytest.MonkeyPatch):
    """A boto3 S3 client on moto's server, with the standard AWS variables pointing at it."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_s3.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.client("s3")
    yield client
