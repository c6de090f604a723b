"""Profiling speed and memory on synthetic labeled transcripts.

Generates N rows (default 1,000,000): an id; text of 20-200 words from a
Zipf-distributed vocabulary; a Yes/No/NA label at 70/25/5%; two more label
columns with 5 and 12 classes; a float and a datetime; 5% nulls in every
column but id. Then, in the same run, prints seconds, rows/s and peak memory for:

- the bare pandas pass (len, value_counts on the three label columns,
  isna().sum(), nunique()): the baseline;
- plexus_datasets.profiling.profile (DuckDB engine);
- whylogs and ydata-profiling (minimal mode), when installed.

Memory is each step's peak RSS above the RSS with the frame loaded, measured
in a fresh child process per step so steps don't inherit each other's peaks.
Targets: profile <= 2.5x the pandas pass; peak <= frame + 2 GB; JSON <= 50 KB.
Run: python benchmarks/profile_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path
from queue import Empty


def synthesize(n: int, seed: int = 0):  # type: ignore[no-untyped-def]
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    vocab = pa.array([f"w{i}" if i % 7 else f"word{i}x" for i in range(20_000)])
    lengths = rng.integers(20, 201, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    words = vocab.take(pa.array(np.minimum(rng.zipf(1.3, offsets[-1]) - 1, len(vocab) - 1)))
    text = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets), words), " ")
    frame = pd.DataFrame({
        "id": np.arange(n),
        "text": pd.Series(text.to_pandas()).astype("str"),
        "label": rng.choice(["Yes", "No", "NA"], n, p=[0.70, 0.25, 0.05]),
        "label5": rng.choice([f"c{i}" for i in range(5)], n),
        "label12": rng.choice([f"k{i}" for i in range(12)], n),
        "score": rng.normal(0.5, 0.2, n),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s"),
    })
    for column in frame.columns[1:]:
        mask = rng.random(n) < 0.05
        if frame[column].dtype.kind in "fM":
            frame.loc[mask, column] = None
        else:
            frame[column] = frame[column].astype("str").mask(mask)
    return frame


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step(name: str, path: str, out: mp.Queue) -> None:
    try:
        out.put(_measure(name, path))
    except Exception as exc:  # a third-party profiler that doesn't run here: say so, don't hang
        out.put(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")


def _measure(name: str, path: str) -> tuple:
    import pandas as pd

    frame = pd.read_parquet(path)  # strings as pandas reads them: Arrow-backed on pandas 3, objects on 2
    loaded = _rss_mb()
    size = None
    start = time.perf_counter()
    if name == "pandas pass":
        len(frame)
        for column in ("label", "label5", "label12"):
            frame[column].value_counts(dropna=False)
        frame.isna().sum()
        frame.nunique()
    elif name == "plexus_datasets":
        from plexus_datasets.profiling import profile

        payload = profile(frame, answer_columns=["label", "label5", "label12"])
        size = len(json.dumps(payload))
    elif name == "whylogs":
        import whylogs

        whylogs.log(frame)
    elif name == "ydata-profiling (minimal)":
        from ydata_profiling import ProfileReport

        ProfileReport(frame, minimal=True, progress_bar=False).get_description()
    return time.perf_counter() - start, _rss_mb() - loaded, loaded, size


def _available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--step-timeout", type=float, default=600, help="give up on a step after this many seconds")
    options = parser.parse_args()
    rows = options.rows
    t0 = time.perf_counter()
    frame = synthesize(rows)
    frame_mb = frame.memory_usage(deep=True).sum() / 2**20
    print(f"generated {rows:,} rows ({frame_mb:,.0f} MB in memory) in {time.perf_counter() - t0:.1f}s")
    steps = ["pandas pass", "plexus_datasets"]
    steps += [name for name, module in (("whylogs", "whylogs"), ("ydata-profiling (minimal)", "ydata_profiling"))
              if _available(module)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "frame.parquet")
        frame.to_parquet(path)
        del frame
        ctx = mp.get_context("spawn")
        for name in steps:
            queue = ctx.Queue()
            proc = ctx.Process(target=_step, args=(name, path, queue))
            proc.start()
            try:
                results[name] = queue.get(timeout=options.step_timeout)
            except Empty:
                results[name] = f"did not finish within {options.step_timeout:.0f} s"
                proc.kill()
            proc.join()
            print(f"  {name}: done", flush=True)
    base = results["pandas pass"][0]
    print(f"\n{'step':<28}{'seconds':>9}{'rows/s':>13}{'x pandas':>10}{'peak over frame':>17}")
    for name, result in results.items():
        if isinstance(result, str):
            print(f"{name:<28}  failed here: {result}")
            continue
        seconds, extra_mb, _loaded, _size = result
        print(f"{name:<28}{seconds:>9.2f}{rows / seconds:>13,.0f}{seconds / base:>10.2f}{extra_mb:>14,.0f} MB")
    missing = [m for m in ("whylogs", "ydata_profiling") if not _available(m)]
    if missing:
        print(f"(not installed, skipped: {', '.join(missing)})")
    seconds, extra_mb, _loaded, size = results["plexus_datasets"]
    print(f"\nprofile JSON: {size:,} bytes (target <= 50,000)")
    print(f"targets: time {seconds / base:.2f}x pandas (<= 2.5x), "
          f"peak frame + {extra_mb / 1024:.2f} GB (<= 2 GB)")


if __name__ == "__main__":
    main()
