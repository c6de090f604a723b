"""A deterministic demo registry for notebooks, widget tests and first runs.

``seed_demo(service)`` creates one scorecard ("Demo Call Center QA", key
``demo-cc-qa``) with a section, two scores, three datasets with several
versions each, and profiles spread over eight weeks. Everything (item texts,
labels, dates) comes from a fixed seed and fixed timestamps, so two seeded
stores differ only in their generated ids. Seeding a store that already has
the demo scorecard writes nothing and returns what is there.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .service import DatasetService

__all__ = ["DEMO_SCORECARD_KEY", "DemoSummary", "demo_items", "seed_demo"]

DEMO_SCORECARD_KEY = "demo-cc-qa"
DEMO_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

_OPENERS = ["Thanks for calling", "Hello, this is", "Good morning, you've reached", "Hi there, it's"]
_TOPICS = ["my bill", "a refund", "the new plan", "a late delivery", "my password", "an upgrade"]
_CLOSERS = ["Have a great day.", "Anything else?", "Goodbye.", "Thanks for your patience."]


@dataclass(frozen=True)
class DemoSummary:
    scorecard: str
    datasets: int
    versions: int
    profiles: int

    def __str__(self) -> str:
        return (
            f"scorecard {self.scorecard!r}: {self.datasets} datasets, "
            f"{self.versions} versions, {self.profiles} profiles"
        )


def demo_items(n: int, label: str, seed: int, yes_share: float = 0.7) -> list[dict[str, Any]]:
    """``n`` synthetic labeled call transcripts (deterministic for a seed)."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        text = (
            f"{rng.choice(_OPENERS)} Acme support. I'm calling about {rng.choice(_TOPICS)}. "
            f"{rng.choice(_CLOSERS)}"
        )
        roll = rng.random()
        answer = "Yes" if roll < yes_share else "No" if roll < 0.96 else None
        items.append({"content_id": 1000 + seed * 1000 + i, "text": text, label: answer})
    return items


def _inline(items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"class": "InlineItems", "items": items, **extra}


# (dataset name, score key, description, [(rows, yes share, note)...], current version number)
_PLAN = [
    ("greeting-calls", "greeting", "Calls where the agent should greet by company name.",
     [(40, 0.70, "first cut"), (60, 0.66, "more recent calls"), (80, 0.62, "added weekend calls")], 3),
    ("greeting-calls-balanced", "greeting", "Balanced sample for threshold tuning.",
     [(50, 0.50, None), (70, 0.50, "larger sample")], 2),
    ("misrepresentation-review", "agent-misrepresentation", "Calls reviewed for agent misrepresentation.",
     [(45, 0.80, "initial review"), (45, 0.78, "relabelled two calls"), (90, 0.75, "second review batch")], 2),
]


def seed_demo(service: DatasetService) -> DemoSummary:
    """Create the demo registry in ``service`` (or return what a previous call made)."""
    import pandas as pd

    existing = [c for c in service.list_scorecards() if c.key == DEMO_SCORECARD_KEY]
    if existing:
        return _summary(service, existing[0].name)
    card = service.create_scorecard(
        "Demo Call Center QA", key=DEMO_SCORECARD_KEY, description="Demo data from plexus_datasets.demo"
    )
    section = service.create_section(card, "Compliance")
    service.create_score(section, "Greeting", key="greeting", type="Classifier",
                         metadata={"label_column": "Greeting"})
    service.create_score(section, "Agent Misrepresentation", key="agent-misrepresentation", type="Classifier",
                         metadata={"label_column": "Agent Misrepresentation"})
    label_of = {"greeting": "Greeting", "agent-misrepresentation": "Agent Misrepresentation"}
    for d, (name, score_key, description, versions, current) in enumerate(_PLAN):
        label = label_of[score_key]
        when = DEMO_START + timedelta(days=d)
        dataset = service.create_dataset(card, name, score=score_key, description=description, created_at=when)
        for v, (rows, yes_share, note) in enumerate(versions, start=1):
            items = demo_items(rows, label, seed=d * 10 + v, yes_share=yes_share)
            version = service.create_version(dataset, _inline(items, label_column=label), note=note,
                                             created_at=when + timedelta(weeks=2 * (v - 1)))
            # Two materializations per version, a week apart (the first before its last five
            # calls were labelled): profiles form a history, and the newest is the data as it is.
            frame = pd.DataFrame.from_records(items)
            for k in range(2):
                profiled = when + timedelta(weeks=2 * (v - 1) + k, hours=1)
                service.profile_frame(version, frame.iloc[: len(frame) - 5 * (1 - k)], answer_columns=[label],
                                      text_columns=["text"], created_at=profiled)
        service.set_current_version(dataset, current)
    return _summary(service, card.name)


def _summary(service: DatasetService, name: str) -> DemoSummary:
    from .facts import ProfileFacts

    datasets = service.list_datasets(DEMO_SCORECARD_KEY)
    versions = sum(len(service.list_versions(d)) for d in datasets)
    # A data file nobody profiled (on Plexus, a load keeps one as a DataSet) is no profile.
    profiles = sum(1 for d in datasets for p in service.list_profiles(d)
                   if not ProfileFacts.of(p).subject.is_unprofiled)
    return DemoSummary(name, len(datasets), versions, profiles)
