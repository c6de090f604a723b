"""Fixtures for the server-extension tests (run with `-p pytest_jupyter.jupyter_server`)."""

from __future__ import annotations

import pytest

from plexus_datasets import connect
from plexus_datasets.demo import seed_demo


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    """A demo-seeded SQLite store that the server's connect() will open."""
    path = tmp_path / "lab.db"
    svc = connect(str(path))
    seed_demo(svc)
    svc.close()
    for name in ("PLEXUS_API_URL", "PLEXUS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLEXUS_DATASETS_DB", str(path))
    monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(tmp_path / "cache"))
    return path


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {
            "jpserver_extensions": {"plexus_datasets_lab": True},
            # Every endpoint must require authentication.
            "allow_unauthenticated_access": False,
        }
    }
