"""Concurrent writers on one SQLite file: version numbers stay unique and contiguous."""

import multiprocessing as mp

import pytest

from plexus_datasets import ConflictError, connect
from tests.conftest import CONFIG

WRITERS, PER_WRITER = 8, 25


def _config(writer: int, i: int) -> dict:
    return {"class": "InlineItems", "items": [{"writer": writer, "i": i}]}


def _write_versions(db: str, dataset_id: str, writer: int, start) -> list[int]:  # runs in a child process
    svc = connect(db)
    start.wait()
    numbers = [svc.create_version(dataset_id, _config(writer, i)).version_number for i in range(PER_WRITER)]
    svc.close()
    return numbers


@pytest.mark.slow
def test_eight_processes_create_200_contiguous_versions(tmp_path):
    db = str(tmp_path / "shared.db")
    svc = connect(db)
    card = svc.create_scorecard("QA", key="qa")
    ds = svc.create_dataset(card, "calls")
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Barrier(WRITERS)
        with ctx.Pool(WRITERS) as pool:
            results = pool.starmap(_write_versions, [(db, ds.id, w, start) for w in range(WRITERS)])
    versions = svc.list_versions(ds)
    assert [v.version_number for v in versions] == list(range(1, WRITERS * PER_WRITER + 1))
    written = sorted((v.configuration["items"][0]["writer"], v.configuration["items"][0]["i"]) for v in versions)
    assert written == [(w, i) for w in range(WRITERS) for i in range(PER_WRITER)]  # none lost or duplicated
    # each writer saw its own numbers increase, and together they cover 1..200 once
    assert sorted(n for r in results for n in r) == list(range(1, 201))
    assert all(r == sorted(r) for r in results)
    assert svc.current_version(ds).version_number == 1


def test_stale_expected_current_is_a_conflict(tmp_path):
    db = str(tmp_path / "cas.db")
    alice, bob = connect(db), connect(db)
    ds = alice.create_dataset(alice.create_scorecard("QA", key="qa"), "calls", configuration=CONFIG, check=False)
    alice.create_version(ds, {**CONFIG, "days": 60}, check=False)
    alice.create_version(ds, {**CONFIG, "days": 90}, check=False)
    seen_by_bob = bob.current_version("calls")
    alice.set_current_version("calls", 2, expected_current=1)
    with pytest.raises(ConflictError, match="now v2"):
        bob.set_current_version("calls", 3, expected_current=seen_by_bob)
    assert bob.current_version("calls").version_number == 2
