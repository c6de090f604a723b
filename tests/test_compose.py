"""One composition root: ``connect()`` and ``DatasetService()`` always pick the same store."""

from __future__ import annotations

import pytest

from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server import create_app
from plexus_datasets.service import DatasetService, connect
from tests.conftest import API_KEY
from tests.servers import ThreadedServer

ENV = ("PLEXUS_API_URL", "PLEXUS_API_KEY", "PLEXUS_DATASETS_DB", "PLEXUS_DATASETS_CACHE_DIR")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # the per-user default lands here
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _same_store(a: DatasetService, b: DatasetService) -> None:
    """Both describe the same store, and a write through one is read through the other."""
    with a, b:
        assert a.describe() == b.describe()
        assert type(a.backend) is type(b.backend)
        a.create_scorecard("Written by one", key="one")
        assert [c.key for c in b.list_scorecards()] == ["one"]


def test_default_is_the_per_user_sqlite_file(tmp_path):
    _same_store(DatasetService(), connect())
    assert (tmp_path / "xdg-data" / "plexus-datasets" / "datasets.db").exists()


def test_plexus_datasets_db_names_the_file(tmp_path, monkeypatch):
    target = tmp_path / "team" / "registry.db"
    monkeypatch.setenv("PLEXUS_DATASETS_DB", str(target))
    _same_store(DatasetService(), connect())
    assert target.exists() and str(target) in connect().describe()


def test_plexus_api_url_picks_the_graphql_api(tmp_path, monkeypatch):
    served = SQLBackend(str(tmp_path / "served.db"))
    with ThreadedServer(create_app(served, API_KEY)) as server:
        monkeypatch.setenv("PLEXUS_API_URL", server.url)
        monkeypatch.setenv("PLEXUS_API_KEY", API_KEY)
        svc = DatasetService()
        # The dialect is asked of the API once, on first use, not when the store is opened.
        assert type(svc.backend).__name__ == "DetectedBackend" and svc.backend._backend is None
        assert svc.backend.dialect == "plan" and type(svc.backend.backend).__name__ == "GraphQLBackend"
        assert API_KEY not in svc.describe() and API_KEY not in repr(svc)
        explicit = connect(dialect="plan")
        assert type(explicit.backend).__name__ == "GraphQLBackend"  # said, not asked
        explicit.close()
        _same_store(svc, connect())
        # An explicit database still wins over an API URL that only comes from the environment.
        local = connect(str(tmp_path / "local.db"))
        assert type(local.backend) is SQLBackend and local.list_scorecards() == []
        local.close()
    served.close()
    assert not (tmp_path / "xdg-data").exists()  # nothing fell back to the embedded default


def test_describe_masks_credentials_in_urls(tmp_path):
    svc = connect(api_url="https://user:s3cret-pass@example.invalid/graphql?token=abc123", api_key="k-123")
    try:
        text = svc.describe()
        assert "s3cret-pass" not in text and "abc123" not in text and "k-123" not in text
        assert text.startswith("https://") and "example.invalid/graphql" in text
    finally:
        svc.close()


def test_the_serve_banner_and_urls_hide_passwords():
    from plexus_datasets.backends.graphql import masked_url
    from plexus_datasets.compose import store_description

    shown = store_description("postgresql+psycopg://alice:hunter2@127.0.0.1/db")
    assert shown.endswith(" from postgresql+psycopg://alice:***@127.0.0.1/db") and "hunter2" not in shown
    assert shown.startswith("the plan schema (") and "DatasetProfile" in shown
    plexus = store_description("postgresql+psycopg://alice:hunter2@127.0.0.1/db", "plexus")
    assert plexus.startswith("the plexus schema (") and "DataSourceVersion" in plexus and "hunter2" not in plexus
    assert masked_url("http://[::1]:8765/graphql") == "http://[::1]:8765/graphql"
    assert masked_url("https://tok3n@api.example/graphql") == "https://***@api.example/graphql"


def test_database_urls_hide_query_passwords():
    from plexus_datasets.backends.sql import describe_database

    shown = describe_database("postgresql+psycopg://u@127.0.0.1/db?password=PW_SECRET&sslmode=require")
    assert "PW_SECRET" not in shown and shown == "postgresql+psycopg://u@127.0.0.1/db?***"
