"""Row diffs of two 1,000,000-row snapshots: DuckDB out of core vs a pandas merge.

Generates snapshot A (default 1,000,000 rows: a unique content_id; text of 10-40 words
from a Zipf vocabulary; a Yes/No/NA label; a float score; a channel; a timestamp; 5%
nulls) and snapshot B from it: 10% of the rows changed (label flips, text edits,
score changes, a third each), 1% removed, 2% added, and writes both as Parquet.
Then, in the same run, interleaved (A/B/A/B, default 3 rounds), each in a fresh
child process:

- ``plexus_datasets.rowdiff.diff_parquet`` (key content_id, label flips, first 20
  rows of each kind as DataFrames; DuckDB memory_limit 1GB);
- a pandas merge-based diff: read both files, ``merge(on=key, how="outer",
  indicator=True)``, compare every shared column (nulls equal), count label flips,
  take the first 20 rows of each kind.

Prints each run, the medians, the ratios, and whether both found the same counts.
Memory is the peak RSS of the child (Linux: VmHWM) above its RSS after imports, so the
peak includes reading the files, for pandas, and DuckDB's buffers, for rowdiff.
Run: python benchmarks/rowdiff_bench.py [--rows 1000000] [--rounds 3] [--rowdiff-only]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import tempfile
import time
from pathlib import Path
from queue import Empty

KEY, LABEL, LIMIT = "content_id", "label", 20


def synthesize(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """Snapshots A and B as DataFrames (B: 10% changed, 1% removed, 2% added)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)

    def text(count: int):  # type: ignore[no-untyped-def]
        vocab = pa.array([f"w{i}" if i % 7 else f"word{i}x" for i in range(20_000)])
        lengths = rng.integers(10, 41, count)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        words = vocab.take(pa.array(np.minimum(rng.zipf(1.3, offsets[-1]) - 1, len(vocab) - 1)))
        return pd.Series(pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets), words), " ").to_pandas())

    def rows(start: int, count: int):  # type: ignore[no-untyped-def]
        frame = pd.DataFrame({
            KEY: pd.Series([f"c{i:08d}" for i in range(start, start + count)]),
            "text": text(count),
            LABEL: rng.choice(["Yes", "No", "NA"], count, p=[0.70, 0.25, 0.05]),
            "score": rng.normal(0.5, 0.2, count),
            "channel": rng.choice(["phone", "chat", "email"], count),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, count), unit="s"),
        })
        for column in ("text", "score", "channel"):
            frame.loc[rng.random(count) < 0.05, column] = None
        return frame

    a = rows(0, n)
    b = a.copy()
    changed = rng.choice(n, n // 10, replace=False)
    flips, edits, scores = np.array_split(changed, 3)
    b.loc[flips, LABEL] = np.where(b.loc[flips, LABEL].to_numpy() == "Yes", "No", "Yes")
    b.loc[edits, "text"] = b.loc[edits, "text"].fillna("") + " (edited)"
    b.loc[scores, "score"] = b.loc[scores, "score"].fillna(0) + 1.0
    removed = rng.choice(np.setdiff1d(np.arange(n), changed), n // 100, replace=False)
    b = pd.concat([b.drop(index=removed), rows(n, n // 50)], ignore_index=True)
    return a, b


def _memory_mb() -> tuple[float, float]:
    """(RSS now, peak RSS) of this process in MB. Linux's VmHWM starts afresh at exec, unlike
    ru_maxrss, which a spawned child inherits from the parent that forked it (here holding both
    frames), so it is used when there is a /proc."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


def _step(name: str, path_a: str, path_b: str, out: mp.Queue) -> None:
    try:
        out.put(_measure(name, path_a, path_b))
    except Exception as exc:  # noqa: BLE001  (say what failed instead of hanging the parent)
        out.put(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}")


def _measure(name: str, path_a: str, path_b: str) -> tuple[float, float, dict[str, int]]:
    import duckdb  # noqa: F401  (imported before the baseline in both steps)
    import numpy as np  # noqa: F401
    import pandas as pd  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from plexus_datasets.rowdiff import diff_parquet

    base, _ = _memory_mb()
    start = time.perf_counter()
    if name == "rowdiff":
        result = diff_parquet(path_a, path_b, key=KEY, label_columns=[LABEL], limit=LIMIT)
        counts = {"added": result.added, "removed": result.removed, "changed": result.changed,
                  "unchanged": result.unchanged, "flips": sum(f.count for f in result.label_flips)}
    else:
        counts = pandas_diff(path_a, path_b)
    seconds = time.perf_counter() - start
    return seconds, _memory_mb()[1] - base, counts


def pandas_diff(path_a: str, path_b: str) -> dict[str, int]:
    """The usual notebook diff: merge on the key with an indicator, compare each column."""
    import numpy as np
    import pandas as pd

    a, b = pd.read_parquet(path_a), pd.read_parquet(path_b)
    merged = a.merge(b, on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
    both = (merged["_merge"] == "both").to_numpy()
    changed = np.zeros(len(merged), dtype=bool)
    for column in (c for c in a.columns if c != KEY and c in b.columns):
        left, right = merged[f"{column}_a"], merged[f"{column}_b"]
        differs = ~((left == right) | (left.isna() & right.isna())).to_numpy() & both
        changed |= differs
    flipped = merged.loc[both & (merged[f"{LABEL}_a"] != merged[f"{LABEL}_b"]).to_numpy(),
                         [f"{LABEL}_a", f"{LABEL}_b"]].value_counts()
    merged.loc[merged["_merge"] == "right_only"].head(LIMIT)
    merged.loc[merged["_merge"] == "left_only"].head(LIMIT)
    merged.loc[changed].head(LIMIT)
    return {"added": int((merged["_merge"] == "right_only").sum()), "removed": int((merged["_merge"] == "left_only")
                                                                                  .sum()),
            "changed": int(changed.sum()), "unchanged": int(both.sum() - changed.sum()), "flips": int(flipped.sum())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (rowdiff, pandas) to take medians of")
    parser.add_argument("--step-timeout", type=float, default=900)
    parser.add_argument("--rowdiff-only", action="store_true", help="skip the pandas merge (for sizes it can't hold)")
    options = parser.parse_args()
    t0 = time.perf_counter()
    a, b = synthesize(options.rows)
    print(f"generated A: {len(a):,} rows, B: {len(b):,} rows in {time.perf_counter() - t0:.1f}s")
    results: dict[str, list[tuple[float, float, dict[str, int]]]] = {"rowdiff": []}
    if not options.rowdiff_only:
        results["pandas merge"] = []
    with tempfile.TemporaryDirectory() as tmp:
        path_a, path_b = str(Path(tmp) / "a.parquet"), str(Path(tmp) / "b.parquet")
        a.to_parquet(path_a, index=False)
        b.to_parquet(path_b, index=False)
        sizes = Path(path_a).stat().st_size / 2**20, Path(path_b).stat().st_size / 2**20
        print(f"Parquet: A {sizes[0]:,.0f} MB, B {sizes[1]:,.0f} MB")
        del a, b
        ctx = mp.get_context("spawn")
        for round_ in range(options.rounds):
            for name, runs in results.items():  # interleaved: rowdiff, pandas, rowdiff, pandas...
                queue = ctx.Queue()
                proc = ctx.Process(target=_step, args=(name, path_a, path_b, queue))
                proc.start()
                try:
                    found = queue.get(timeout=options.step_timeout)
                except Empty:
                    found = f"did not finish within {options.step_timeout:.0f} s"
                    proc.kill()
                proc.join()
                if isinstance(found, str):
                    raise SystemExit(f"{name} failed: {found}")
                runs.append(found)
                print(f"  round {round_ + 1} {name:<13} {found[0]:6.2f} s  peak +{found[1]:,.0f} MB", flush=True)
    medians = {name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
               for name, runs in results.items()}
    print(f"\n{'step':<14}{'median s':>10}{'rows/s':>13}{'peak over baseline':>21}")
    for name, (seconds, peak) in medians.items():
        print(f"{name:<14}{seconds:>10.2f}{options.rows / seconds:>13,.0f}{peak:>18,.0f} MB")
    if options.rowdiff_only:
        print(f"counts: {results['rowdiff'][0][2]}")
        return
    (rs, rm), (ps, pm) = medians["rowdiff"], medians["pandas merge"]
    print(f"\nrowdiff vs pandas merge: time {rs / ps:.2f}x, peak memory {rm / pm:.2f}x")
    same = results["rowdiff"][0][2] == results["pandas merge"][0][2]
    found = "pandas found the same" if same else f"pandas found DIFFERENT ones: {results['pandas merge'][0][2]}"
    print(f"counts: {results['rowdiff'][0][2]} ({found})")


if __name__ == "__main__":
    main()
