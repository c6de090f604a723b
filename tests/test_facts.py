"""ProfileFacts: the one reader of profile payloads, on real profile() output and on hostile stored payloads."""

import json
import math
from datetime import UTC, datetime

import pandas as pd
import pytest
from click.testing import CliRunner

from plexus_datasets import ValidationError, connect
from plexus_datasets.cli import cli
from plexus_datasets.diff import compare_profiles
from plexus_datasets.facts import OTHER, ProfileFacts
from plexus_datasets.models import DatasetProfile
from plexus_datasets.profiling import profile


@pytest.fixture
def messy():
    """Ragged text, an all-null column, "NA" as an answer next to real nulls, numbers with gaps."""
    return pd.DataFrame({
        "text": ["hello there", "", None, "  \t", "a much longer call transcript here"],
        "label": ["Yes", "NA", None, "No", "Yes"],
        "empty": [None, None, None, None, None],
        "n": [1.0, None, 3.0, None, 5.0],
    })


def test_facts_of_a_real_profile(messy):
    payload = profile(messy, answer_columns=["label"], text_columns=["text"])
    facts = ProfileFacts.of(payload)
    assert (facts.spec, facts.rows, facts.duplicate_rows) == (2, 5, 0)
    assert facts.is_full and (facts.subject.kind, facts.subject.rows, facts.subject.declared) == ("full", 5, True)
    assert facts.columns == ("text", "label", "empty", "n") and facts.answer_columns == ("label",)
    label = facts.answer("label")
    assert dict(label.counts) == {"Yes": 2, "NA": 1, "No": 1} and (label.null, label.other) == (1, 0)
    # shares are of answered rows: "NA" is an answer, a null is not
    assert facts.shares("label") == {"Yes": 0.5, "NA": 0.25, "No": 0.25}
    assert facts.column("label").null_rate == pytest.approx(0.2)
    assert facts.column("empty").null_rate == 1.0 and facts.column("empty").distinct == 0
    text = facts.column("text")
    assert (text.kind, text.empty, text.whitespace_only, text.null) == ("text", 1, 1, 1)
    assert text.length["max"] == len("a much longer call transcript here") and text.length_histogram.scheme == "length"
    n = facts.column("n")
    assert (n.kind, n.minimum, n.maximum, n.null_rate) == ("numeric", 1.0, 5.0, pytest.approx(0.4))
    assert n.histogram.scheme == "log125" and sum(n.histogram.counts.values()) == 3


def test_a_record_and_its_payload_read_the_same(messy):
    payload = profile(messy, answer_columns=["label"])
    when = datetime(2025, 1, 1, tzinfo=UTC)
    record = DatasetProfile(id="p1", created_at=when, updated_at=when,
                            dataset_id="d1", dataset_version_id="v1", column_list=payload["columnList"],
                            record_counts=json.loads(json.dumps(payload["recordCounts"])),
                            answer_distribution=payload["answerDistribution"])
    assert ProfileFacts.of(record) == ProfileFacts.of(payload)


def test_values_beyond_the_top_50_count_as_other():
    frame = pd.DataFrame({"label": [f"class-{i % 60}" for i in range(600)]})
    facts = ProfileFacts.of(profile(frame, answer_columns=["label"]))
    answers = facts.answer("label")
    assert len(answers.counts) == 50 and answers.other == 100 and answers.total == 600
    assert sum(facts.shares("label").values()) == pytest.approx(500 / 600)  # the kept values' shares
    with_other = facts.shares("label", include_other=True)
    assert with_other[OTHER] == pytest.approx(100 / 600) and sum(with_other.values()) == pytest.approx(1)


def _stored(payload):
    """A stored record always has the three fields; what they hold is anyone's guess."""
    return {"columnList": None, "recordCounts": None, "answerDistribution": None, **payload}


HOSTILE_PAYLOADS = [_stored(p) for p in [
    {},
    {"columnList": None, "recordCounts": None, "answerDistribution": None},
    {"columnList": "text", "recordCounts": "12 rows", "answerDistribution": [1, 2]},
    {"columnList": [None, 7, "a", "a"], "recordCounts": {"rows": -3, "spec": "one", "columns": ["a"]}},
    {"recordCounts": {"rows": True, "duplicate_rows": float("nan"), "columns": {"a": "x", "b": None}}},
    {"recordCounts": {"rows": "100", "columns": {"a": {"null": -1, "distinct": "many", "top": [1],
                                                       "histogram": {"counts": {"1": 5}}, "length": "long"}}}},
    {"recordCounts": {"rows": 10.0, "columns": {"a": {"null": 4, "top": {"values": {"x": "3"}, "other": -2}}}},
     "answerDistribution": {"columns": {"a": {"counts": {"Yes": -2, "No": "3", "Maybe": 2.0, "X": True},
                                              "null": None, "other": -5}}}},
    {"answerDistribution": {"columns": {"a": None, "b": {"counts": None}, "c": {"counts": {"Yes": 0}}}}},
    {"answerDistribution": {"columns": ["a", "b"]}},
]]


@pytest.mark.parametrize("payload", HOSTILE_PAYLOADS)
def test_hostile_payloads_read_as_unknown_never_raise(payload):
    facts = ProfileFacts.of(payload)
    assert facts.rows is None or (isinstance(facts.rows, int) and facts.rows >= 0)
    assert all(isinstance(c, str) for c in facts.columns)
    for column in (*facts.columns, *facts.column_facts, "missing"):
        rate = facts.column(column).null_rate
        assert rate is None or 0 <= rate
    for column in (*facts.answer_columns, "missing"):
        answers = facts.answer(column)
        assert answers.null >= 0 and answers.other >= 0 and all(v >= 0 for v in answers.counts.values())
        shares = facts.shares(column, include_other=True)
        assert all(0 <= s <= 1 for s in shares.values()) and (not shares or math.isclose(sum(shares.values()), 1))
    compare_profiles(payload, payload)  # drift over nonsense is no drift, not a traceback


def test_what_survives_a_malformed_payload():
    facts = ProfileFacts.of(HOSTILE_PAYLOADS[6])
    assert facts.rows == 10 and facts.column("a").null_rate == 0.4
    assert dict(facts.answer("a").counts) == {"Maybe": 2}  # only real counts survive
    assert facts.answer("a").null == 0 and facts.shares("a") == {"Maybe": 1.0}
    assert ProfileFacts.of(HOSTILE_PAYLOADS[3]).columns == ("7", "a")
    assert ProfileFacts.of(HOSTILE_PAYLOADS[7]).shares("c") == {}  # nothing answered: no shares
    with pytest.raises(ValidationError, match="DatasetProfile or a profile"):
        ProfileFacts.of(42)


def test_a_malformed_stored_profile_still_lists_and_compares(tmp_path):
    """A profile written by another tool into the shared store: every view shows what it can."""
    db = str(tmp_path / "hostile.db")
    svc = connect(db)
    card = svc.create_scorecard("QA", key="qa")
    svc.create_dataset(card, "calls", configuration={"class": "InlineItems", "items": [{"label": "Yes"}]})
    svc.create_version("calls", {"class": "InlineItems", "items": [{"label": "No"}]})
    svc.record_profile("calls:1", ["label"], {"spec": 1, "rows": 4}, {"columns": {"label": {"counts": {"Yes": 4}}}})
    svc.record_profile("calls:2", ["label"], {"spec": 1, "rows": "many", "columns": "x"},
                       {"columns": {"label": {"counts": {"Yes": "lots", "No": 2}, "null": -1}}})
    good, bad = svc.list_profiles("calls")
    # the listing shows the current version's (v1's) profile, never v2's malformed one
    assert "rows=" not in repr(bad) and svc.dataset_summaries()[0].record_count == 4
    assert compare_profiles(good, bad).rows_b == 0
    from plexus_datasets.widgets import ProfileHistory, ProfileView

    view = ProfileView(bad)
    assert list(view.figure.data[0].x) == ["No"] and repr(view).startswith("ProfileView(None rows")
    assert list(ProfileHistory("calls", svc).rows_figure.data[0].y) == [4, None]
    svc.close()
    runner = CliRunner()
    history = runner.invoke(cli, ["--db", db, "profiles", "history", "calls", "--json"])
    assert history.exit_code == 0, history.output
    rows = json.loads(history.stdout)
    assert rows[0]["label=Yes %"] == 100.0 and rows[1]["rows"] is None and rows[1]["label=No %"] == 100.0
    compared = runner.invoke(cli, ["--db", db, "profiles", "compare", "calls:1", "calls:2"])
    assert compared.exit_code == 0 and "Traceback" not in compared.output


@pytest.mark.parametrize("not_a_profile", [{}, {"rows": 3}, {"spec": 1, "columns": {}}, [1, 2], "profile", None])
def test_things_that_are_not_profiles_are_refused_not_read_as_empty(not_a_profile):
    with pytest.raises(ValidationError):
        ProfileFacts.of(not_a_profile)
    with pytest.raises(ValidationError, match="compare_profiles"):
        compare_profiles(not_a_profile, not_a_profile)
