"""What a profile describes (issue #13 items 1 and 2): the whole version or a sample of it.

An evaluation on a sample records a profile of that sample; it must never stand for its version
(listings, ProfileView, comparisons, the history chart), and a listing shows the *current*
version's profile. Real stores throughout: SQLite files, and the GraphQL stand-in server.
"""

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from plexus_datasets import NotFoundError, ValidationError, connect, display
from plexus_datasets.backends.graphql import GraphQLBackend
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.diff import compare_profiles
from plexus_datasets.facts import ProfileFacts, SubjectFacts
from plexus_datasets.profiling import full_subject, payload_size, profile, sample_subject, validate_subject
from plexus_datasets.server import create_app
from plexus_datasets.service import DatasetService
from tests.conftest import API_KEY
from tests.servers import ThreadedServer

SHA = "ab" * 32
ITEMS = [{"text": f"call number {i}", "label": "Yes" if i % 5 else "No"} for i in range(50)]
EVALUATION = {"kind": "sample", "rows": 10, "population": 50, "seed": 7, "purpose": "evaluation"}


def at(day: int) -> datetime:
    return datetime(2025, 1, day, 9, tzinfo=UTC)


def frame(rows: int = 50) -> pd.DataFrame:
    return pd.DataFrame(ITEMS[:rows] if rows <= 50 else ITEMS * (rows // 50) + ITEMS[: rows % 50])


def record(svc: DatasetService, ref: str, payload: dict, day: int):
    """``svc.record_profile`` of a ``profile()`` payload (its camelCase keys as the arguments)."""
    return svc.record_profile(ref, payload["columnList"], payload["recordCounts"], payload["answerDistribution"],
                              created_at=at(day))


# --- profiling: the subject inside the spec-2 layout ----------------------------------------------


def test_profile_records_its_subject_and_defaults_to_the_full_version():
    whole = profile(frame(), answer_columns=["label"])
    assert whole["recordCounts"]["spec"] == 2 and whole["recordCounts"]["subject"] == {"kind": "full", "rows": 50}
    sample = profile(frame(10), answer_columns=["label"], subject=EVALUATION)
    assert sample["recordCounts"]["subject"] == EVALUATION and sample["recordCounts"]["rows"] == 10
    snapshot = {"sha256": SHA, "rows": 50, "built_at": "2025-01-31T09:00:00Z", "data_sha256": SHA,
                "source_count": 1, "sources_digest": SHA}
    fingerprinted = profile(frame(), subject={"kind": "full", "rows": 50, "snapshot": snapshot})
    assert fingerprinted["recordCounts"]["subject"]["snapshot"] == snapshot
    # completed: rows filled in, a sample's seed and purpose defaulted
    assert validate_subject({"kind": "sample", "population": 60}, 10) == {
        "kind": "sample", "rows": 10, "population": 60, "seed": None, "purpose": "sample"}
    assert sample_subject(10, 50, seed=7, purpose="evaluation") == EVALUATION
    assert full_subject(50, snapshot)["snapshot"]["sha256"] == SHA


def test_payload_size_counts_the_subject():
    plain = profile(frame(), subject={"kind": "full", "rows": 50})
    heavy = profile(frame(), subject={"kind": "full", "rows": 50, "snapshot": {
        "sha256": SHA, "rows": 50, "built_at": "2025-01-31T09:00:00+00:00", "data_sha256": SHA,
        "source_count": 200, "sources_digest": SHA}})

    def size(p):
        return payload_size(p["columnList"], p["recordCounts"], p["answerDistribution"])

    extra = len(json.dumps(heavy["recordCounts"]["subject"], separators=(",", ":")))
    assert size(heavy) - size(plain) == extra - len(json.dumps(plain["recordCounts"]["subject"], separators=(",", ":")))


@pytest.mark.parametrize(("subject", "message"), [
    ({"kind": "partial", "rows": 50}, "kind must be one of full, sample"),
    ({"rows": 50}, "kind must be one of"),
    ("sample", "must be a mapping"),
    ({"kind": "full", "rows": 49}, "49 rows but 50"),
    ({"kind": "full", "rows": True}, "rows were profiled"),
    ({"kind": "sample", "rows": 50, "population": 49}, "population of 49"),
    ({"kind": "sample", "rows": 50}, "needs its population"),
    ({"kind": "sample", "rows": 50, "population": "many"}, "needs its population"),
    ({"kind": "sample", "rows": 50, "population": 60, "seed": "7"}, "seed must be an integer"),
    ({"kind": "sample", "rows": 50, "population": 60, "seed": True}, "seed must be an integer"),
    ({"kind": "sample", "rows": 50, "population": 60, "purpose": "fun"}, "purpose must be one of"),
    ({"kind": "sample", "rows": 50, "population": 60, "snapshot": {}}, "sha256 must be"),
    ({"kind": "sample", "rows": 50, "population": 60, "snapshot": {"sha256": SHA, "rows": 50}}, "drawn from"),
    ({"kind": "sample", "rows": 50, "population": 60, "snapshot": {"sha256": SHA, "seed": 1}}, "unknown key"),
    ({"kind": "full", "rows": 50, "seed": 1}, "unknown key"),
    ({"kind": "full", "snapshot": {"sha256": "xyz", "rows": 50, "built_at": None}}, "sha256"),
    ({"kind": "full", "snapshot": {"sha256": SHA, "rows": 5, "built_at": None}}, "snapshot has 5 rows"),
    ({"kind": "full", "snapshot": {"sha256": SHA, "built_at": "yesterday"}}, "built_at"),
    ({"kind": "full", "snapshot": {"sha256": SHA, "built_at": "2025-01-31T09:00:00+02:00"}}, "built_at"),
    ({"kind": "full", "snapshot": {"sha256": SHA, "built_at": None, "sources": ["calls.csv"]}}, "unknown key"),
    ({"kind": "full", "snapshot": {"sha256": SHA, "built_at": None, "sources_digest": "calls"}}, "sources_digest"),
    ({"kind": "full", "snapshot": {"sha256": SHA, "built_at": None, "source_count": -1}}, "source_count"),
])
def test_a_subject_that_does_not_fit_is_refused_before_any_work(subject, message):
    with pytest.raises(ValidationError, match=message):
        profile(frame(), subject=subject)


# --- facts: reading subjects, old and hostile ---------------------------------------------------


def test_facts_read_the_subject_and_legacy_profiles_as_full():
    sample = ProfileFacts.of(profile(frame(10), subject=EVALUATION))
    assert not sample.is_full and sample.subject == SubjectFacts("sample", 10, 50, 7, "evaluation", declared=True)
    snapshot = {"sha256": SHA, "rows": 50, "built_at": "2025-01-31T09:00:00Z", "source_count": None}
    full = ProfileFacts.of(profile(frame(), subject={"kind": "full", "snapshot": snapshot}))
    assert full.is_full and full.subject.declared
    assert (full.subject.snapshot_sha256, full.subject.built_at) == (SHA, "2025-01-31T09:00:00Z")
    legacy = ProfileFacts.of({"columnList": ["a"], "recordCounts": {"spec": 1, "rows": 30}, "answerDistribution": {}})
    assert legacy.is_full and legacy.subject == SubjectFacts("full", 30, declared=False)
    assert ProfileFacts.of({"recordCounts": {"rows": 3, "subject": None}}).subject == SubjectFacts("full", 3)


GARBLED = [
    ("sample", None),                                           # not a mapping
    (["full"], None),
    (42, None),
    ({}, None),                                                 # no kind
    ({"kind": "partial", "rows": 3}, None),                     # an unknown kind: never "full"
    ({"kind": ["full"]}, None),
    ({"kind": "FULL"}, None),
    ({"kind": "full", "rows": "many", "snapshot": "x"}, "full"),
    ({"kind": "full", "snapshot": {"sha256": "<script>", "built_at": 5}}, "full"),
    ({"kind": "sample", "rows": -1, "population": "all", "seed": "7", "purpose": 3}, "sample"),
    ({"kind": "sample", "rows": 1e400, "population": float("nan"), "seed": 2.5}, "sample"),
]


@pytest.mark.parametrize(("subject", "kind"), GARBLED)
def test_garbled_subjects_never_crash_and_unknown_kinds_are_not_full(subject, kind):
    facts = ProfileFacts.of({"columnList": ["a"], "recordCounts": {"spec": 2, "rows": 3, "subject": subject},
                             "answerDistribution": {}})
    assert facts.subject.kind == kind and facts.is_full == (kind == "full")
    assert facts.subject.declared == (kind is not None)
    # every field is of its type or None, and every rendering copes
    subject_facts = facts.subject
    assert subject_facts.snapshot_sha256 is None and subject_facts.built_at is None
    assert all(v is None or isinstance(v, int) and not isinstance(v, bool)
               for v in (subject_facts.rows, subject_facts.population, subject_facts.seed))
    assert subject_facts.purpose is None or isinstance(subject_facts.purpose, str)
    assert display.subject_text(subject_facts) and display.subject_text(subject_facts, short=True)
    header = display.profile_summary_html(facts, None, "v1")
    expected = {"full": "Full profile of v1", "sample": "Sample profile of v1: sample of"}.get(
        kind, "Profile of v1 of rows of an unknown subject (not the full version)")
    assert expected in header
    assert json.dumps(subject_facts.to_dict())


# --- the service on a real store ----------------------------------------------------------------


@pytest.fixture
def svc(tmp_path: Path):
    service = connect(str(tmp_path / "subjects.db"))
    card = service.create_scorecard("QA", key="qa")
    service.create_dataset(card, "calls", configuration={"class": "InlineItems", "items": ITEMS})
    service.create_version("calls", {"class": "InlineItems", "items": ITEMS + ITEMS[:10]})  # v1 stays current
    yield service
    service.close()


@pytest.fixture
def recorded(svc):
    """v1: a full profile of 50 rows, then (newer) an evaluation's profile of 10 of them;
    v2: a full profile of 60 rows between the two."""
    full = record(svc, "calls:v1", profile(frame(), answer_columns=["label"]), 1)
    v2 = record(svc, "calls:v2", profile(frame(60), answer_columns=["label"]), 2)
    sample = record(svc, "calls:v1", profile(frame(10), answer_columns=["label"], subject=EVALUATION), 3)
    return full, v2, sample


def test_the_version_is_described_by_its_full_profile_not_the_newer_sample(svc, recorded):
    full, v2, sample = recorded
    assert svc.latest_profile("calls:v1").id == full.id
    assert [p.id for p in svc.list_profiles("calls:v1")] == [full.id, sample.id]
    assert [p.id for p in svc.list_profiles("calls", samples=False)] == [full.id, v2.id]
    summary = svc.dataset_summaries()[0]
    assert summary.current_version.label == "v1" and summary.profile_version.label == "v1"
    assert summary.latest_profile.id == full.id and summary.record_count == 50
    assert not summary.sample_profiles_only
    comparison = svc.compare_profiles("calls:v1", "calls:v2")
    assert (comparison.rows_a, comparison.rows_b) == (50, 60)
    assert comparison.sample_sides == () and comparison.notes == []


def test_datasets_list_says_which_version_the_records_describe(svc, recorded):
    table = display.summaries_table(svc.dataset_summaries())
    assert table.rows[0]["records"] == 50 and table.rows[0]["current"] == "v1"  # JSON/CSV: a number
    assert table.cells()[0][table.columns.index("records")] == "50 (v1)"  # the terminal: with its version
    assert "samples_only" not in repr(svc.dataset_summaries()[0])
    profiles = svc.list_profiles("calls")
    assert "sample=" not in repr(profiles[0]) and "sample='sample 10/50 seed 7'" in repr(profiles[-1])


def test_a_current_version_with_only_samples_has_no_record_count(svc):
    record(svc, "calls:v1", profile(frame(10), subject=EVALUATION), 1)
    record(svc, "calls:v2", profile(frame(60)), 2)  # another version's full profile is never used
    summary = svc.dataset_summaries()[0]
    assert summary.latest_profile is None and summary.record_count is None and summary.profile_version is None
    assert summary.sample_profiles_only and "samples_only=True" in repr(summary)
    table = display.summaries_table([summary])
    assert table.cells()[0][table.columns.index("records")] == "(v1 samples only)" and table.rows[0]["records"] is None
    assert svc.latest_profile("calls:v1") is None
    with pytest.raises(NotFoundError):  # "the" profile of v1 is a full one: there is none
        svc.compare_profiles("calls:v1", "calls:v2")


def test_explicit_comparisons_with_a_sample_say_so(svc, recorded):
    full, _, sample = recorded
    comparison = compare_profiles(full, sample, labels=("calls:v1", "calls:v1 sample"))
    assert (comparison.rows_a, comparison.rows_b) == (50, 10)
    assert comparison.sample_sides == ("calls:v1 sample",)
    assert comparison.notes == [("calls:v1 sample is a sample of 10 of 50 rows (seed 7, for an evaluation): its "
                                 "record count is the sample's, not the version's.")]
    assert comparison.to_dict()["subject_b"]["kind"] == "sample" and comparison.to_dict()["subject_a"]["kind"] == "full"
    parts = display.comparison_parts(svc.compare_profiles(full, sample))
    assert parts[1] == ("Note: B is a sample of 10 of 50 rows (seed 7, for an evaluation): its record count is the "
                        "sample's, not the version's.")
    assert "\n  note: B is a sample of 10 of 50 rows" in repr(compare_profiles(full, sample))
    assert "Note: B is a sample of 10 of 50 rows" in display.comparison_html(compare_profiles(full, sample))
    assert not compare_profiles(full, full).notes


def test_profile_history_table_says_full_or_sample(svc, recorded):
    labels = {v.id: v.label for v in svc.list_versions("calls")}
    table = display.history_table("calls", svc.list_profiles("calls"), labels)
    assert [(r["version"], r["subject"], r["rows"]) for r in table.rows] == [
        ("v1", "full", 50), ("v2", "full", 60), ("v1", "sample 10/50 seed 7", 10)]
    assert table.columns[:6] == ("created", "version", "subject", "snapshot", "rows", "columns")


def test_legacy_spec_1_profiles_still_read_as_full(svc):
    svc.record_profile("calls:v1", ["text", "label"], {"spec": 1, "rows": 30}, {}, created_at=at(1))
    record(svc, "calls:v1", profile(frame(10), subject=EVALUATION), 2)
    assert svc.dataset_summaries()[0].record_count == 30
    assert ProfileFacts.of(svc.latest_profile("calls:v1")).subject.declared is False


def test_garbled_newest_profiles_are_passed_over_and_corrupt_ones_skipped(svc, recorded):
    full, _, _ = recorded
    version = svc.resolve("calls:v1")
    for n, subject in ((4, "garbage"), (5, {"kind": "partial"})):
        with pytest.raises(ValidationError):  # record_profile refuses them...
            svc.record_profile("calls:v1", ["a"], {"spec": 2, "rows": 3, "subject": subject}, {}, created_at=at(n))
        stamp = at(n).isoformat().replace("+00:00", "Z")  # ...another client may still write them
        svc.backend.create("DatasetProfile", {
            "id": f"garbled-{n}", "datasetId": version.dataset_id, "datasetVersionId": version.id,
            "columnList": ["a"], "recordCounts": {"spec": 2, "rows": 3, "subject": subject},
            "answerDistribution": {}, "createdAt": stamp, "updatedAt": stamp})
    # a corrupt record (columnList is not a list), the newest of all: refused, counted, passed over
    svc.backend.create("DatasetProfile", {
        "id": "corrupt-1", "datasetId": version.dataset_id, "datasetVersionId": version.id, "columnList": "oops",
        "recordCounts": {"rows": 1}, "answerDistribution": {}, "createdAt": "2025-01-09T09:00:00.000000Z",
        "updatedAt": "2025-01-09T09:00:00.000000Z"})
    summaries = svc.dataset_summaries()
    assert summaries[0].latest_profile.id == full.id and summaries[0].record_count == 50
    assert summaries.skipped == 1
    assert svc.latest_profile("calls:v1").id == full.id
    labels = {v.id: v.label for v in svc.list_versions("calls")}
    subjects = [r["subject"] for r in display.history_table("calls", svc.list_profiles("calls"), labels).rows]
    assert subjects == ["full", "full", "sample 10/50 seed 7", "unknown", "unknown"]


# --- widgets ------------------------------------------------------------------------------------


def test_profile_view_describes_the_newest_full_profile(svc, recorded):
    from plexus_datasets.widgets import ProfileView

    full, _, sample = recorded
    view = ProfileView("calls:v1", svc)
    assert view.profile.id == full.id
    assert "<b>50</b> records" in view.summary.value and "Full profile of v1" in view.summary.value
    assert sum(view.figure.data[0].y) == 50
    shown = ProfileView(sample, svc)  # a sample asked for explicitly is shown, as a sample
    assert "<b>10</b> records" in shown.summary.value
    assert "Sample profile of v1: sample of 10 of 50 rows (seed 7, for an evaluation)" in shown.summary.value


def test_profile_view_of_a_version_with_only_samples_says_so(svc):
    from plexus_datasets.widgets import ProfileView

    record(svc, "calls:v1", profile(frame(10), subject=EVALUATION), 1)
    view = ProfileView("calls:v1", svc)
    assert view.profile is None
    assert "calls:v1 has only sample profiles (1)" in view.status.value
    assert "plexus-datasets profiles record calls:v1" in view.status.value


def test_profile_history_keeps_samples_apart_and_hidden_by_default(svc, recorded):
    from plexus_datasets.widgets import ProfileHistory

    full, v2, sample = recorded
    history = ProfileHistory("calls", svc)
    assert not history.show_samples and history.samples_toggle.layout.display is None
    assert [p.id for p in history.profiles] == [full.id, v2.id]
    assert [t.name for t in history.rows_figure.data] == ["records"]
    assert list(history.rows_figure.data[0].y) == [50, 60]
    assert [a.text for a in history.rows_figure.layout.annotations] == ["v2"]  # markers from what is shown
    assert "1 sample profiles hidden" in repr(history)

    history.samples_toggle.value = True  # the checkbox drives the trait
    assert history.show_samples
    assert [t.name for t in history.rows_figure.data] == ["records", "records (samples)"]
    assert list(history.rows_figure.data[0].y) == [50, 60] and list(history.rows_figure.data[1].y) == [10]
    assert history.rows_figure.data[1].customdata[0].endswith("sample 10/50 seed 7")
    assert [a.text for a in history.rows_figure.layout.annotations] == ["v2", "v1"]  # the sample, back on v1
    assert {t.name for t in history.answers_figure.data} == {"Yes", "No", "Yes (samples)", "No (samples)"}
    assert "label (samples)" in {t.name for t in history.nulls_figure.data}

    history.show_samples = False
    assert [t.name for t in history.rows_figure.data] == ["records"] and len(history.profiles) == 2
    history.version_filter.value = svc.resolve("calls:v1").id
    history.show_samples = True
    assert [p.id for p in history.profiles] == [full.id, sample.id]


def test_profile_history_without_samples_hides_the_toggle(svc):
    from plexus_datasets.widgets import ProfileHistory

    record(svc, "calls:v1", profile(frame()), 1)
    history = ProfileHistory("calls", svc)
    assert history.samples_toggle.layout.display == "none"
    assert repr(history) == "ProfileHistory(1 profiles, answer column None)"


# --- the lab sidebar's JSON ----------------------------------------------------------------------


def _lab_handlers():
    """The extension's handler module from the source tree (the installed copy may be older)."""
    path = Path(__file__).parents[1] / "widgets" / "plexus_datasets_lab" / "handlers.py"
    spec = importlib.util.spec_from_file_location("plexus_datasets_lab_handlers_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lab_sidebar_json_describes_the_full_profile_with_its_subject(svc, recorded):
    handlers = _lab_handlers()
    full, _, _ = recorded
    row = handlers.dataset_rows(svc, None, None, None)[0]
    assert (row["records"], row["currentVersion"], row["profileVersion"], row["sampleProfilesOnly"]) == (50, 1, 1,
                                                                                                          False)
    shown = handlers.version_profile(svc, svc.resolve("calls:v1").id)
    assert shown["id"] == full.id and shown["rows"] == 50
    assert shown["subject"]["kind"] == "full" and shown["subject"]["declared"] is True
    json.dumps(shown)


def test_lab_sidebar_json_of_a_version_with_only_samples(svc):
    handlers = _lab_handlers()
    record(svc, "calls:v1", profile(frame(10), subject=EVALUATION), 1)
    assert handlers.version_profile(svc, svc.resolve("calls:v1").id) is None
    row = handlers.dataset_rows(svc, None, None, None)[0]
    assert row["records"] is None and row["sampleProfilesOnly"] is True and row["profileVersion"] is None


# --- the GraphQL path ------------------------------------------------------------------------------


def test_graphql_summaries_choose_the_full_profile_in_two_batched_reads(tmp_path):
    served = SQLBackend(str(tmp_path / "served.db"))
    seeder = DatasetService(served)
    card = seeder.create_scorecard("QA", key="qa")
    for d in range(5):
        seeder.create_dataset(card, f"ds-{d}", configuration={"class": "InlineItems", "items": ITEMS})
        record(seeder, f"ds-{d}:v1", profile(frame(50 - d)), 1)
        for day in range(2, 2 + d):  # ds-d has d sample profiles newer than its full one
            record(seeder, f"ds-{d}:v1", profile(frame(10), subject=EVALUATION), day)
    with ThreadedServer(create_app(served, API_KEY)) as server:
        backend = GraphQLBackend(server.url, API_KEY)
        client = DatasetService(backend)
        summaries = client.dataset_summaries()
        assert backend.requests_sent == 3  # one summaries page, round 1, round 2
        assert [s.record_count for s in summaries] == [50, 49, 48, 47, 46]
        assert all(ProfileFacts.of(s.latest_profile).is_full for s in summaries)
        assert client.latest_profile("ds-4:v1").record_counts["rows"] == 46
        assert [p.record_counts["rows"] for p in client.list_profiles("ds-2", samples=False)] == [48]
        client.close()
    served.close()


def test_a_profile_dated_out_of_range_is_skipped_not_a_crash(svc, recorded):
    full, _, _ = recorded
    version = svc.resolve("calls:v1")
    year_one = "0001-01-01T00:00:00+01:00"  # can't be moved to UTC
    svc.backend.create("DatasetProfile", {
        "id": "year-one", "datasetId": version.dataset_id, "datasetVersionId": version.id, "columnList": ["a"],
        "recordCounts": {"rows": 1}, "answerDistribution": {}, "createdAt": year_one, "updatedAt": year_one})
    summaries = svc.dataset_summaries()
    assert summaries[0].latest_profile.id == full.id
    listed = svc.list_profiles("calls:v1")
    assert [p.id for p in listed][:1] == [full.id] and "year-one" not in [p.id for p in listed]
    assert listed.skipped == 1
