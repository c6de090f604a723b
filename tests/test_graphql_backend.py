"""GraphQLBackend against the stand-in server: concurrency, faults, retries, secrecy."""

import logging
import multiprocessing as mp

import pytest

from plexus_datasets import AuthError, BackendUnavailableError, connect
from plexus_datasets.backends.graphql import GraphQLBackend, RetryPolicy
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server import create_app
from plexus_datasets.service import DatasetService
from tests.conftest import API_KEY, CONFIG
from tests.faults import FaultProxy
from tests.servers import ServeProcess, ThreadedServer, free_port

WRITERS, PER_WRITER = 8, 25


def _write_versions(url: str, key: str, dataset_id: str, writer: int, start) -> list[int]:  # child process
    svc = connect(api_url=url, api_key=key)
    start.wait()
    numbers = [svc.create_version(dataset_id, {"class": "InlineItems", "items": [{"writer": writer, "i": i}]}
                                  ).version_number for i in range(PER_WRITER)]
    svc.close()
    return numbers


@pytest.mark.slow
def test_eight_processes_through_the_server_get_200_contiguous_versions(tmp_path):
    with ServeProcess(str(tmp_path / "team.db"), api_key=API_KEY) as served:
        svc = connect(api_url=served.url, api_key=API_KEY)
        ds = svc.create_dataset(svc.create_scorecard("QA", key="qa"), "calls")
        ctx = mp.get_context("spawn")
        with ctx.Manager() as manager:
            start = manager.Barrier(WRITERS)
            with ctx.Pool(WRITERS) as pool:
                pool.starmap(_write_versions, [(served.url, API_KEY, ds.id, w, start) for w in range(WRITERS)])
        versions = svc.list_versions(ds)
        assert [v.version_number for v in versions] == list(range(1, WRITERS * PER_WRITER + 1))
        assert sorted((v.configuration["items"][0]["writer"], v.configuration["items"][0]["i"]) for v in versions) == [
            (w, i) for w in range(WRITERS) for i in range(PER_WRITER)]


def _workload(svc: DatasetService) -> dict:
    card = svc.create_scorecard("Faulty QA", key="faulty")
    score = svc.create_score(svc.create_section(card, "Main"), "Greeting", key="greeting")
    expected = {}
    for d in range(4):
        ds = svc.create_dataset(card, f"ds-{d}", score=score, configuration={**CONFIG, "days": 1}, check=False)
        for n in range(2, 6):
            svc.create_version(ds, {**CONFIG, "days": n}, note=f"v{n}", check=False)
        for p in range(3):
            svc.record_profile(f"ds-{d}:v{p + 1}", ["text"], {"rows": p}, {"label": {"Yes": p}})
        svc.set_current_version(ds, 5, expected_current=1)
        expected[ds.id] = ds.name
    svc.delete_dataset("ds-3", cascade=True)
    return expected


def test_workload_survives_injected_faults_without_duplicates_or_losses(tmp_path):
    store = SQLBackend(str(tmp_path / "served.db"))
    with ThreadedServer(create_app(store, API_KEY)) as server, FaultProxy(server.port, rate=0.2, hold=1.2) as proxy:
        flaky = GraphQLBackend(proxy.url, API_KEY, timeout=0.6,
                               retry=RetryPolicy(max_attempts=12, max_elapsed=60, base_delay=0.01, max_delay=0.1))
        _workload(DatasetService(flaky))
        flaky.close()
    faults = {k: v for k, v in proxy.counts.items() if k != "ok"}
    assert set(faults) == {"503", "throttle", "reset_before", "reset_after", "timeout"}, proxy.counts
    assert 0.1 < sum(faults.values()) / sum(proxy.counts.values()) < 0.3
    # Read back directly from the store: exactly what the workload meant to write.
    direct = DatasetService(store)
    assert [d.name for d in direct.list_datasets()] == ["ds-0", "ds-1", "ds-2"]
    assert len(store.list("Scorecard")) == 1 and len(store.list("Score")) == 1
    for ds in direct.list_datasets():
        versions = direct.list_versions(ds)
        assert [v.version_number for v in versions] == [1, 2, 3, 4, 5]
        assert [v.configuration["days"] for v in versions] == [1, 2, 3, 4, 5]
        assert [v.note for v in versions] == [None, "v2", "v3", "v4", "v5"]
        assert sorted(p.record_counts["rows"] for p in direct.list_profiles(ds)) == [0, 1, 2]
        assert direct.current_version(ds).version_number == 5
    assert store.list("DatasetVersion", filter={"datasetId": {"eq": "gone"}}) == []
    assert len(store.list("DatasetVersion")) == 15 and len(store.list("DatasetProfile")) == 9
    store.close()


def test_retries_run_out_as_backend_unavailable(tmp_path):
    store = SQLBackend(str(tmp_path / "served.db"))
    with ThreadedServer(create_app(store, API_KEY)) as server, FaultProxy(server.port, rate=1.0) as proxy:
        backend = GraphQLBackend(proxy.url, API_KEY, timeout=0.5,
                                 retry=RetryPolicy(max_attempts=3, max_elapsed=10, base_delay=0.01))
        with pytest.raises(BackendUnavailableError, match=r"kept failing .* after 3 attempt\(s\)"):
            backend.list("Dataset")
    store.close()
    nobody = GraphQLBackend(f"http://127.0.0.1:{free_port()}/graphql", API_KEY,
                            retry=RetryPolicy(max_attempts=2, max_elapsed=5, base_delay=0.01))
    with pytest.raises(BackendUnavailableError, match="connection failed"):
        nobody.get("Dataset", "x")


def test_the_api_key_never_leaks(tmp_path, caplog):
    secret = "sk-very-secret-0123456789"
    caplog.set_level(logging.DEBUG)
    store = SQLBackend(str(tmp_path / "served.db"))
    seen = []
    with ThreadedServer(create_app(store, secret)) as server:
        svc = connect(api_url=server.url, api_key=secret)
        seen += [repr(svc), repr(svc.backend), str(vars(svc.backend.retry))]
        svc.create_dataset(svc.create_scorecard("QA", key="qa"), "calls", configuration=CONFIG, check=False)
        try:
            svc.resolve("nope")
        except Exception as exc:  # noqa: BLE001 - we inspect every message
            seen.append(str(exc))
        wrong = connect(api_url=server.url, api_key=secret + "-wrong")
        with pytest.raises(AuthError) as info:
            wrong.list_datasets()
        seen += [str(info.value), repr(info.value), repr(wrong.backend)]
        with FaultProxy(server.port, rate=1.0) as proxy:
            failing = GraphQLBackend(proxy.url, secret, timeout=0.5, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
            with pytest.raises(BackendUnavailableError) as info:
                failing.list("Dataset")
            seen += [str(info.value), repr(info.value.__cause__)]
    store.close()
    seen += [r.getMessage() for r in caplog.records]
    assert caplog.records, "the workload should have logged something at DEBUG"
    assert not [text for text in seen if secret in text]


def test_listing_many_datasets_takes_a_bounded_number_of_round_trips(tmp_path):
    store = SQLBackend(str(tmp_path / "served.db"))
    seeder = DatasetService(store)
    card = seeder.create_scorecard("QA", key="qa")
    for d in range(60):
        ds = seeder.create_dataset(card, f"ds-{d:02d}", configuration={"class": "InlineItems", "items": [{"d": d}]})
        seeder.create_version(ds, {"class": "InlineItems", "items": [{"d": d}, {"d": -d}]})  # v1 stays current
        seeder.record_profile(f"ds-{d:02d}:1", ["t"], {"rows": d}, {})
        seeder.record_profile(f"ds-{d:02d}:2", ["t"], {"rows": d + 1000}, {})  # newer, but not the current version
        if d % 3 == 0:  # the current version's newest profile is a sample: round 2 looks further back
            seeder.record_profile(f"ds-{d:02d}:1", ["t"], {"spec": 2, "rows": 1, "subject": {
                "kind": "sample", "rows": 1, "population": d + 1, "seed": None, "purpose": "evaluation"}}, {})
    expected = {s.dataset.id: s for s in seeder.dataset_summaries()}
    with ThreadedServer(create_app(store, API_KEY)) as server:
        backend = GraphQLBackend(server.url, API_KEY, page_size=25)
        got = DatasetService(backend).dataset_summaries()
        # 3 pages of 25 datasets + 1 batch of newest candidates + 1 batch for the 20 whose newest is a sample
        assert backend.requests_sent == 5
        before = backend.requests_sent
        DatasetService(backend).dataset_summaries(scorecard=card.id)
        assert backend.requests_sent - before <= 6  # + resolving the scorecard
    assert {s.dataset.id: s for s in got} == expected
    assert sorted(s.record_count for s in got) == list(range(60))  # v1's full profiles: never v2's, never a sample
    assert all(s.profile_version.version_number == 1 for s in got)
    store.close()


def test_summaries_halve_their_page_when_the_server_budget_is_exceeded(tmp_path):
    """A server with a tight per-request budget still lists every dataset, in smaller pages."""
    from plexus_datasets.server.limits import Limits

    served = SQLBackend(str(tmp_path / "tight.db"))
    svc = DatasetService(served)
    card = svc.create_scorecard("QA", key="qa")
    with served.transaction():
        for i in range(40):
            ds = svc.create_dataset(card, f"ds-{i:02}", configuration={"class": "InlineItems", "items": [{"n": i}]})
            svc.create_version(ds, {"class": "InlineItems", "items": [{"n": i, "v": 2}]})
            svc.record_profile(f"ds-{i:02}:1", ["n"], {"rows": i}, {})
    tight = Limits(max_items=60)  # 40 datasets x (1 + current + 2 versions + 1 profile) don't fit one request
    with ThreadedServer(create_app(served, API_KEY, limits=tight)) as server:
        client = DatasetService(GraphQLBackend(server.url, API_KEY))
        summaries = client.dataset_summaries()
        assert [s.dataset.name for s in summaries] == [f"ds-{i:02}" for i in range(40)]
        assert all(s.version_numbers == (1, 2) for s in client.dataset_summaries())
        assert [s.record_count for s in summaries] == list(range(40))
        client.close()
    served.close()


def test_transport_errors_never_repeat_secrets_from_the_url():
    port = free_port()  # nothing listens there
    backend = GraphQLBackend(f"http://user:pw999@127.0.0.1:{port}/graphql?key=QSECRET", "SECRET123",
                             retry=RetryPolicy(max_attempts=2, max_elapsed=2))
    with pytest.raises(BackendUnavailableError) as info:
        DatasetService(backend).list_datasets()
    text = str(info.value)
    assert "QSECRET" not in text and "pw999" not in text and "SECRET123" not in text
    assert f"127.0.0.1:{port}" in text
    backend.close()
