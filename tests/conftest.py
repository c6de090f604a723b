"""Shared fixtures: real stores in temporary folders, never mocks.

``backend`` is parametrized over every backend the contract suite covers: SQLite (file and memory),
PostgreSQL, the GraphQL stand-in in the plan's schema and in Plexus's.

Beside Plexus's pins (``PLEXUS_DATASETS_PINS_ENV=1``, set by scripts/test_plexus_pins.sh) the tests that
need what that environment leaves out are skipped, each group with its reason (``PINS_ENV_SKIPS``), and
PostgreSQL tests skip wherever SQLAlchemy is older than 2.0 (its psycopg 3 dialect is 2.0's).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plexus_datasets.backends._appsync import AppSyncTransport
from plexus_datasets.backends.engines import POSTGRESQL_NEEDS, SQLALCHEMY_2
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


#: Whether this run is the Plexus-pins environment's (scripts/test_plexus_pins.sh).
PINS_ENV = os.environ.get("PLEXUS_DATASETS_PINS_ENV") == "1"
#: What the Plexus-pins environment leaves out (it installs only the `test` extra, to stay within its CI time),
#: and the tests that need it: test files, or ``file::test-name-prefix``. The main run covers them all.
PINS_ENV_SKIPS = {
    "a real browser (playwright, Chromium) and JupyterLab": ("test_browser.py", "test_lab_browser.py"),
    "JupyterLab's server and the lab extension (widgets/)": (
        "test_plexus_faces.py::test_lab_sidebar_", "test_profile_subjects.py::test_lab_sidebar_"),
    "Amplify's JavaScript client (node; slow)": (
        "test_amplify_client.py", "test_amplify_client_plexus.py", "test_server_contract.py::test_amplify_"),
}


def _click_runner_as_in_8_2() -> None:
    """The tests read ``result.stderr`` and ``result.stdout`` apart and ``result.output`` as both, as click 8.2's
    CliRunner gives them. click 8.1 (a Plexus environment has 8.1.8: litellm pins it) keeps stderr apart only
    with ``mix_stderr=False``, and then its ``output`` is stdout alone: here it is stdout, then stderr."""
    import inspect

    from click.testing import CliRunner, Result

    if "mix_stderr" not in inspect.signature(CliRunner.__init__).parameters:
        return
    init = CliRunner.__init__

    def __init__(self: CliRunner, *args: Any, mix_stderr: bool = False, **kwargs: Any) -> None:
        init(self, *args, mix_stderr=mix_stderr, **kwargs)

    CliRunner.__init__ = __init__  # type: ignore[method-assign]
    Result.output = property(  # type: ignore[assignment,method-assign]
        lambda self: self.stdout + ("" if self.stderr_bytes is None else self.stderr))


_click_runner_as_in_8_2()


def pytest_addoption(parser: pytest.Parser) -> None:
    # pytest-asyncio before 0.24 (Plexus 1.50 pins 0.23.5), or none at all, doesn't know this option of
    # pyproject.toml's, and pytest would warn about it: declared here, it means nothing there.
    try:
        known = tuple(int(p) for p in importlib.metadata.version("pytest-asyncio").split(".")[:2]) >= (0, 24)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        known = False
    if not known:
        parser.addini("asyncio_default_fixture_loop_scope", "pytest-asyncio>=0.24's (unused here)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "plan_only(reason): an assertion about the dataset plan's schema that "
                                       "Plexus's schema can't make; skipped for the 'plexus' backend, naming why")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not PINS_ENV:
        return
    for item in items:
        where = f"{item.path.name}::{item.name}"
        for reason, needs in PINS_ENV_SKIPS.items():
            if any(where.startswith(need if "::" in need else f"{need}::") for need in needs):
                item.add_marker(pytest.mark.skip(reason=f"Plexus-pins environment: needs {reason}"))


@pytest.fixture(autouse=True)
def _plan_only(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("plan_only")
    callspec = getattr(request.node, "callspec", None)
    if marker is not None and callspec is not None and callspec.params.get("backend") == "plexus":
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "dataset plan schema only")
        pytest.skip(f"plan schema only: {reason}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """In the Plexus-pins environment: how many tests were skipped, by reason (``-rs`` would list each)."""
    if not PINS_ENV:
        return
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.write_sep("-", "skipped in the Plexus-pins environment, by reason")
        for reason, count in reasons.most_common():
            terminalreporter.write_line(f"{count:5d}  {reason}")


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
    if not SQLALCHEMY_2:
        pytest.skip(POSTGRESQL_NEEDS)
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
