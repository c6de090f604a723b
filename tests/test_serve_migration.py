"""``serve --schema plan`` over a database an older ``serve`` (or the embedded store) wrote: its records move
from the SQL backend's tables into the server's item tables once, on SQLite and PostgreSQL.

Every test seeds a real database with ``SQLBackend``, starts ``plexus-datasets serve`` as a process, and reads
back through GraphQL, ``plexus_datasets.connect(api_url=...)`` and the embedded store.
"""

from __future__ import annotations

import os
import threading

import pytest

from plexus_datasets import connect
from plexus_datasets.backends.graphql import GraphQLBackend
from plexus_datasets.backends.specs import MODEL_SPECS
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ItemStore
from plexus_datasets.server.migration import MARKER, copy_backend_once
from plexus_datasets.service import DatasetService
from tests.servers import ServeProcess

KEY = "migration-key"
V1 = {"class": "InlineItems", "items": [{"text": "hi", "Greeting": "Yes"}]}
V2 = {"class": "InlineItems", "items": [{"text": "bye", "Greeting": "No"}]}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "team.db")
    return request.getfixturevalue("postgres").fresh_schema_url()


def seed(url: str) -> dict[str, list[dict]]:
    """A registry as an older ``serve`` left it (in SQLBackend's tables); its records by model."""
    svc = DatasetService(SQLBackend(url))
    card = svc.create_scorecard("Call Center QA", key="cc-qa")
    score = svc.create_score(svc.create_section(card, "Compliance"), "Greeting", key="greeting")
    calls = svc.create_dataset(card, "greeting-calls", score=score, configuration=V1, note="first")
    svc.create_version(calls, V2, note="second")
    svc.set_current_version(calls, 2, expected_current=1)
    svc.record_profile("greeting-calls:v1", ["text", "Greeting"], {"rows": 1}, {"Greeting": {"Yes": 1}})
    svc.create_dataset(card, "empty-one", check=False)
    records = {model: svc.backend.list(model) for model in MODEL_SPECS}
    svc.close()
    return records


def served_records(url: str) -> dict[str, list[dict]]:
    api = GraphQLBackend(url, KEY)
    try:
        return {model: api.list(model) for model in MODEL_SPECS}
    finally:
        api.close()


def stderr_so_far(served: ServeProcess) -> str:
    """What the server process has written to stderr until now (without waiting for more)."""
    assert served.proc is not None and served.proc.stderr is not None
    fd = served.proc.stderr.fileno()
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def by_id(records: list[dict]) -> dict[str, dict]:
    return {record["id"]: record for record in records}


def test_serve_moves_an_old_database_into_items_once(database):
    before = seed(database)
    total = sum(len(records) for records in before.values())
    assert total == 8  # 1 scorecard, 1 section, 1 score, 2 datasets, 2 versions, 1 profile

    with ServeProcess(database, api_key=KEY) as served:
        log = stderr_so_far(served)
        assert log.count(f"Copied {total} records") == 1, log
        assert "left as they were" in log
        # Everything reads back through GraphQL as it was stored...
        assert {model: by_id(records) for model, records in served_records(served.url).items()} == {
            model: by_id(records) for model, records in before.items()}
        # ...and through the package, with the relations the service follows.
        svc = connect(api_url=served.url, api_key=KEY)
        assert sorted(d.name for d in svc.list_datasets()) == ["empty-one", "greeting-calls"]
        current = svc.resolve("greeting-calls")
        assert current.version_number == 2 and current.configuration == V2 and current.note == "second"
        assert svc.resolve("greeting-calls:1").note == "first"
        assert [p.record_counts["rows"] for p in svc.list_profiles("greeting-calls")] == [1]
        # What the server writes from now on is its own: make one version, delete a dataset.
        svc.create_version("greeting-calls", {**V2, "items": V2["items"] * 2}, note="third")
        svc.delete_dataset("empty-one")
        svc.close()

    # The SQL tables are as they were.
    untouched = SQLBackend(database)
    assert {model: by_id(untouched.list(model)) for model in MODEL_SPECS} == {
        model: by_id(records) for model, records in before.items()}
    # The embedded store writes on in its tables; that is not copied again.
    DatasetService(untouched).create_dataset(untouched.list("Scorecard")[0]["id"], "written-later", check=False)
    untouched.close()

    with ServeProcess(database, api_key=KEY) as again:
        assert "Copied" not in stderr_so_far(again)
        svc = connect(api_url=again.url, api_key=KEY)
        assert [d.name for d in svc.list_datasets()] == ["greeting-calls"]  # empty-one stays deleted
        assert [v.note for v in svc.list_versions("greeting-calls")] == ["first", "second", "third"]
        svc.close()
    store = ItemStore(database, load_contract("plan"))
    assert store.marker(MARKER)["copied"] == total
    store.close()


def test_a_database_used_by_the_embedded_store_and_served_keeps_working_for_both(tmp_path):
    db = str(tmp_path / "datasets.db")
    local = connect(db)
    card = local.create_scorecard("Local QA", key="local")
    local.create_dataset(card, "mine", configuration=V1)

    with ServeProcess(db, api_key=KEY) as served:
        assert "Copied 3 records" in stderr_so_far(served)  # scorecard, dataset, version
        remote = connect(api_url=served.url, api_key=KEY)
        remote.create_dataset(remote.get_scorecard("local"), "shared", configuration=V2)
        # Both work at once on the one file, each on its own records.
        local.create_version("mine", V2, note="local edit")
        assert sorted(d.name for d in remote.list_datasets()) == ["mine", "shared"]
        assert [v.version_number for v in remote.list_versions("mine")] == [1]
        assert [d.name for d in local.list_datasets()] == ["mine"]
        assert [v.version_number for v in local.list_versions("mine")] == [1, 2]
        remote.close()
    local.close()

    with ServeProcess(db, api_key=KEY) as again:  # restarted: its own records, nothing copied again
        assert "Copied" not in stderr_so_far(again)
        remote = connect(api_url=again.url, api_key=KEY)
        assert sorted(d.name for d in remote.list_datasets()) == ["mine", "shared"]
        assert [v.version_number for v in remote.list_versions("mine")] == [1]
        remote.close()
    assert [v.version_number for v in connect(db).list_versions("mine")] == [1, 2]


def test_a_fresh_database_has_nothing_to_move_now_or_later(tmp_path):
    db = str(tmp_path / "fresh.db")
    with ServeProcess(db, api_key=KEY) as served:
        assert "Copied" not in stderr_so_far(served)
        assert served_records(served.url) == {model: [] for model in MODEL_SPECS}
    store = ItemStore(db, load_contract("plan"))
    assert store.marker(MARKER)["copied"] == 0
    store.close()
    local = connect(db)  # the embedded store starts using the file afterwards
    local.create_scorecard("Later", key="later")
    local.close()
    with ServeProcess(db, api_key=KEY) as again:
        assert "Copied" not in stderr_so_far(again)
        assert served_records(again.url)["Scorecard"] == []


def test_two_servers_starting_at_once_copy_once(database):
    total = sum(len(records) for records in seed(database).values())
    stores = [ItemStore(database, load_contract("plan")) for _ in range(2)]
    results: list[int | None] = []
    start = threading.Barrier(2)

    def copy(store: ItemStore) -> None:
        start.wait()
        results.append(copy_backend_once(store, lambda: SQLBackend(database)))

    threads = [threading.Thread(target=copy, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results, key=str) == [total, None]
    assert sum(stores[0].count(model) for model in MODEL_SPECS) == total
    for store in stores:
        store.close()
