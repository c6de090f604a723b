"""``/health`` latency of the stand-in server while the heaviest allowed query runs.

Seeds one scorecard with N datasets (default 45), starts ``plexus-datasets serve`` on
a free loopback port, and measures in interleaved rounds (default 5):

- idle (the baseline, same run): P probes of ``GET /health`` (default 200), one after
  another, nothing else running;
- loaded: the same P probes while one thread sends the issue's 3-level nesting query
  (``listScorecards > datasets > scorecard > datasets > scorecard > datasets``) again
  and again. Over 45 datasets it returns 45^3 = 91,125 records at its deepest level
  (95,266 in all), about the most the server's limits let through (100,000 records
  per request; 30 datasets, the issue's case, return 27,000).

Prints each round's p50/p99 probe latency, idle and loaded, the heavy query's time, and
the medians over the rounds. The target: p99 under 100 ms while loaded.
Run: python benchmarks/health_under_load.py [--datasets 45] [--rounds 5] [--probes 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests
from _serve import served  # benchmarks/_serve.py (the script's folder is on sys.path)

from plexus_datasets.backends.sql import SQLBackend

KEY = "bench-key"
NOW = "2025-01-01T00:00:00.000Z"


def nesting_query(levels: int = 3) -> str:
    """The issue's query: ``datasets`` nested ``levels`` deep through ``scorecard``."""
    inner = "datasets { items { id name } }"
    for _ in range(levels - 1):
        inner = f"datasets {{ items {{ scorecard {{ {inner} }} }} }}"
    return f"query Q3 {{ listScorecards {{ items {{ {inner} }} }} }}"


def seed(db: str, n: int) -> None:
    store = SQLBackend(db)
    with store.transaction():
        store.create("Scorecard", {"id": "sc-bench", "name": "Bench", "key": "bench", "accountId": "acct",
                                   "createdAt": NOW, "updatedAt": NOW})
        for d in range(n):
            store.create("Dataset", {"id": f"ds-{d:03d}", "name": f"dataset-{d:03d}", "scorecardId": "sc-bench",
                                     "createdAt": NOW, "updatedAt": NOW})
    store.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def probe(session: requests.Session, base: str, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        session.get(f"{base}/health", timeout=10).raise_for_status()
        latencies.append(time.perf_counter() - start)
        time.sleep(0.005)
    return latencies


class HeavyLoop(threading.Thread):
    """Sends the query again and again until stopped; records each one's seconds."""

    def __init__(self, url: str, query: str, expected: int) -> None:
        super().__init__(daemon=True)
        self.url, self.query, self.expected = url, query, expected
        self.times: list[float] = []
        self.started_one = threading.Event()
        self.stop = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            self.started_one.set()
            start = time.perf_counter()
            response = session.post(self.url, json={"query": self.query}, headers={"x-api-key": KEY}, timeout=120)
            self.times.append(time.perf_counter() - start)
            # Count the records without decoding the JSON here (the probes share this process).
            if response.status_code != 200 or response.content.count(b'"name"') != self.expected:
                self.failure = response.text[-300:]
                return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=45)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()
    n = args.datasets
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        seed(db, n)
        with served(db, KEY) as base:
            session = requests.Session()
            probe(session, base, 20)  # warm up the connection and the server
            rows = []
            for round_no in range(1, args.rounds + 1):
                idle = probe(session, base, args.probes)
                heavy = HeavyLoop(f"{base}/graphql", nesting_query(3), n ** 3)
                heavy.start()
                heavy.started_one.wait()
                time.sleep(0.05)  # the first query is now running on the server
                loaded = probe(session, base, args.probes)
                heavy.stop.set()
                heavy.join()
                if heavy.failure:
                    raise SystemExit(f"the heavy query failed: {heavy.failure}")
                rows.append((percentile(idle, 0.5), percentile(idle, 0.99), percentile(loaded, 0.5),
                             percentile(loaded, 0.99), statistics.median(heavy.times), len(heavy.times)))
                print(f"round {round_no}: idle p50 {rows[-1][0] * 1000:.1f} ms p99 {rows[-1][1] * 1000:.1f} ms | "
                      f"loaded p50 {rows[-1][2] * 1000:.1f} ms p99 {rows[-1][3] * 1000:.1f} ms | heavy query "
                      f"{rows[-1][4]:.2f} s (x{rows[-1][5]})")
    med = [statistics.median(row[i] for row in rows) for i in range(5)]
    print(f"\n{n} datasets, {n ** 3:,} records per heavy query, {args.rounds} rounds x {args.probes} probes")
    print(f"{'':<22}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'/health idle':<22}{med[0] * 1000:>10.1f}{med[1] * 1000:>10.1f}")
    print(f"{'/health under load':<22}{med[2] * 1000:>10.1f}{med[3] * 1000:>10.1f}")
    print(f"heavy query: {med[4]:.2f} s (median); p99 under load {'<' if med[3] < 0.1 else '>='} 100 ms")


if __name__ == "__main__":
    main()
