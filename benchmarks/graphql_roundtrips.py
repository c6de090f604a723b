"""Round trips to list datasets with their current version and newest profile.

Seeds N datasets (default 1,000), each with 5 versions and 3 profiles, into a
stand-in server's store, starts ``plexus-datasets serve`` on a free loopback
port, then lists them two ways in the same run:

- ``DatasetService.dataset_summaries()``: nested selections + batched gets;
- a naive loop: list datasets, then per dataset get the current version, list
  its versions and read its newest profile.

Prints round trips (HTTP requests) and wall time for both.
Run: python benchmarks/graphql_roundtrips.py [--datasets 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _serve import served  # benchmarks/_serve.py (the script's folder is on sys.path)

from plexus_datasets.backends.graphql import GraphQLBackend
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.service import DatasetService

KEY = "bench-key"


def seed(db: str, n: int) -> None:
    svc = DatasetService(SQLBackend(db))
    card = svc.create_scorecard("Bench", key="bench")
    with svc.backend.transaction():
        for d in range(n):
            ds = svc.create_dataset(card, f"dataset-{d:05d}", configuration={"class": "InlineItems", "items": [{"v": 1}]})
            for v in range(2, 6):
                svc.create_version(ds, {"class": "InlineItems", "items": [{"v": v}]})
            for p in range(3):
                svc.record_profile(f"{ds.id}:{p + 1}", ["text", "label"], {"spec": 1, "rows": 100 + p},
                                   {"spec": 1, "columns": {"label": {"counts": {"Yes": 70, "No": 30}, "null": 0}}})
    svc.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=1000)
    n = parser.parse_args().datasets
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        seed(db, n)
        print(f"seeded {n} datasets x 5 versions x 3 profiles in {time.perf_counter() - t0:.1f}s")
        with served(db, KEY) as base:
            url = f"{base}/graphql"

            backend = GraphQLBackend(url, KEY)
            svc = DatasetService(backend)
            t0 = time.perf_counter()
            summaries = svc.dataset_summaries()
            smart_time, smart_trips = time.perf_counter() - t0, backend.requests_sent
            assert len(summaries) == n and all(s.record_count == 100 for s in summaries)  # v1 is current

            naive_backend = GraphQLBackend(url, KEY)
            naive = DatasetService(naive_backend)
            t0 = time.perf_counter()
            rows = []
            for ds in naive.list_datasets():
                rows.append((naive.current_version(ds), len(naive.list_versions(ds)), naive.latest_profile(ds)))
            naive_time, naive_trips = time.perf_counter() - t0, naive_backend.requests_sent
            assert len(rows) == n
    print(f"{'method':<34}{'round trips':>12}{'seconds':>10}")
    print(f"{'dataset_summaries (nested)':<34}{smart_trips:>12}{smart_time:>10.2f}")
    print(f"{'naive loop (calls per dataset)':<34}{naive_trips:>12}{naive_time:>10.2f}")
    print(f"speed-up: {naive_time / smart_time:.1f}x, {naive_trips / smart_trips:.0f}x fewer round trips")


if __name__ == "__main__":
    main()
