"""How fast the notebook widgets build.

- ProfileHistory over 100 profiles (10 versions x 10 profiles), cold (first
  widget in the process, plotly's one-time setup included) and warm (median of 5);
- baseline in the same run: three bare plotly FigureWidgets holding the same
  points, built directly;
- DatasetSelector over a scorecard with 10,000 datasets, and narrowing it with
  the text filter.

Run: python benchmarks/widgets_bench.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from plexus_datasets import connect
from plexus_datasets.profiling import profile


def seed_history(svc) -> str:  # type: ignore[no-untyped-def]
    import pandas as pd

    card = svc.create_scorecard("Bench", key="bench")
    ds = svc.create_dataset(card, "history")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for v in range(10):
        version = svc.create_version(ds, {"class": "InlineItems", "items": [{"v": v}]})
        for k in range(10):
            n = 100 + 10 * v + k
            frame = pd.DataFrame({"text": [f"call {i}" for i in range(n)],
                                  "label": (["Yes", "No", "NA"] * n)[:n], "score": range(n)})
            payload = profile(frame, answer_columns=["label"], text_columns=["text"])
            svc.record_profile(version, payload["columnList"], payload["recordCounts"], payload["answerDistribution"],
                               created_at=start + timedelta(days=10 * v + k))
    return ds.id


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    import plotly.graph_objects as go

    from plexus_datasets.widgets import DatasetSelector, ProfileHistory

    with tempfile.TemporaryDirectory() as tmp:
        svc = connect(str(Path(tmp) / "bench.db"))
        dataset_id = seed_history(svc)
        profiles = svc.list_profiles(dataset_id)
        cold = timed(lambda: ProfileHistory(dataset_id, svc))
        warm = statistics.median(timed(lambda: ProfileHistory(dataset_id, svc)) for _ in range(5))
        times = [p.created_at for p in profiles]
        rows = [p.record_counts["rows"] for p in profiles]

        def bare() -> None:
            for _ in range(3):
                figure = go.FigureWidget()
                for _trace in range(3):
                    figure.add_scatter(x=times, y=rows)

        baseline = statistics.median(timed(bare) for _ in range(5))
        print(f"ProfileHistory, {len(profiles)} profiles: cold {cold:.3f}s, warm {warm:.3f}s "
              f"(baseline: 3 bare FigureWidgets x 3 traces {baseline:.3f}s)")

        card = svc.create_scorecard("Big", key="big")
        with svc.backend.transaction():
            for i in range(10_000):
                svc.create_dataset(card, f"dataset-{i:05d}")
        selector_time = timed(lambda: DatasetSelector(svc, ref="dataset-09999"))
        selector = DatasetSelector(svc, ref="dataset-00000")
        filter_time = timed(lambda: setattr(selector.filter_text, "value", "dataset-0999"))
        print(f"DatasetSelector, 10,000 datasets: build + preselect {selector_time:.3f}s, "
              f"filter keystroke {filter_time * 1000:.1f} ms")
        svc.close()


if __name__ == "__main__":
    main()
