"""Every DatasetService method, with good and bad input."""

from datetime import UTC, datetime

import pytest

from plexus_datasets import (
    AmbiguousReferenceError,
    ConflictError,
    NotFoundError,
    PlexusDatasetsError,
    ValidationError,
)
from plexus_datasets.configs import MAX_CONFIG_BYTES
from plexus_datasets.service import version_id
from tests.conftest import CONFIG

HOSTILE = "<img src=x onerror=alert(1)>"


def snapshot(svc):
    """Everything stored, to prove a refused call wrote nothing."""
    return {m: sorted(map(str, svc.backend.list(m))) for m in
            ("Scorecard", "ScorecardSection", "Score", "Dataset", "DatasetVersion", "DatasetProfile")}


# --- scorecards, sections, scores -------------------------------------------------------

def test_scorecards_sections_and_scores(svc):
    plexus = not svc.stores_score_metadata  # Plexus: the connection's account, and scores without metadata
    card = svc.create_scorecard("Call Center QA", external_id="ext-1")
    assert card.key == "call-center-qa" and (card.account_id != "default") == plexus
    assert svc.get_scorecard("call-center-qa").id == card.id
    assert svc.get_scorecard("ext-1").id == card.id
    assert svc.get_scorecard("Call Center QA").id == card.id
    assert svc.get_scorecard(card.id).id == card.id
    s1 = svc.create_section(card, "Compliance")
    s2 = svc.create_section(card, "Sales")
    assert [s.order for s in svc.list_sections(card)] == [0, 1]
    a = svc.create_score(s2, "Upsell", key="upsell")
    b = svc.create_score(s1, "Greeting", key="greeting", metadata={"label_column": "Greeting"})
    assert [s.name for s in svc.list_scores(card)] == ["Greeting", "Upsell"]  # section order
    assert svc.get_score("greeting").metadata == (None if plexus else {"label_column": "Greeting"})
    assert svc.get_score("Upsell", scorecard=card).id == a.id
    assert svc.scorecard_of_score(b).id == card.id
    assert len(svc.list_scorecards()) == 1


def test_scorecard_and_score_errors(svc):
    svc.create_scorecard("QA", key="qa")
    before = snapshot(svc)
    with pytest.raises(ConflictError, match="key 'qa'"):
        svc.create_scorecard("Other", key="qa")
    with pytest.raises(ValidationError, match="must not be empty"):
        svc.create_scorecard("   ")
    with pytest.raises(ValidationError, match="must be a string"):
        svc.create_scorecard(42)
    with pytest.raises(NotFoundError, match="No scorecard 'QB'.*Candidates: QA"):
        svc.get_scorecard("QB")
    with pytest.raises(NotFoundError, match="section"):
        svc.create_score("missing-section", "S")
    with pytest.raises(ValidationError, match="integer"):
        svc.create_section("qa", "S", order="first")
    assert snapshot(svc) == before


# --- datasets ---------------------------------------------------------------------------

def test_create_dataset_with_configuration_makes_current_v1(svc, card, score):
    ds = svc.create_dataset(card, "calls", score=score, description="d", configuration=CONFIG, note="first", check=False)
    assert ds.current_version_id == version_id(ds.id, 1)
    v1 = svc.current_version(ds)
    assert v1.version_number == 1 and v1.configuration == CONFIG and v1.note == "first"
    assert ds.description == "d"


def test_create_dataset_without_configuration(svc, card):
    ds = svc.create_dataset(card, "empty")
    assert ds.current_version_id is None and svc.list_versions(ds) == []
    with pytest.raises(NotFoundError, match="no current version"):
        svc.resolve("empty")
    with pytest.raises(NotFoundError, match="no versions"):
        svc.resolve("empty:latest")


@pytest.mark.parametrize("name", [HOSTILE, "Приём звонков 📞", "  padded  "])
def test_names_with_html_and_non_ascii_are_stored_verbatim(svc, card, name):
    ds = svc.create_dataset(card, name, configuration=CONFIG, check=False)
    assert svc.get_dataset(ds.id).name == name.strip()
    assert svc.resolve(name.strip()).dataset_id == ds.id


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": ""}, ValidationError, "must not be empty"),
        ({"name": "  \t "}, ValidationError, "must not be empty"),
        ({"name": None}, ValidationError, "must be a string"),
        ({"name": "a\nb"}, ValidationError, "control characters"),
        ({"name": "x" * 300}, ValidationError, "limit is 255"),
        ({"configuration": ["not", "a", "mapping"]}, ValidationError, "must be a mapping"),
        ({"configuration": "- a list\n- not a mapping\n"}, ValidationError, "must be a mapping"),  # YAML text
        ({"configuration": "class: [unclosed\n"}, ValidationError, "YAML syntax error at line"),
        ({"configuration": "class: X\x00"}, ValidationError, "NUL"),
        ({"configuration": {"when": datetime(2025, 1, 1, tzinfo=UTC)}}, ValidationError, "configuration.when is a datetime"),
        ({"configuration": {"x": float("nan")}}, ValidationError, "JSON can't represent"),
        ({"configuration": {1: "int key"}}, ValidationError, "not a string"),
        ({"configuration": {"items": ["x" * 1000] * 300}}, ValidationError, "over the 262,144-byte limit"),
        ({"score": "no-such-score"}, NotFoundError, "No score"),
        ({"description": 5}, ValidationError, "description must be a string"),
        ({"note": "n" * 5000}, ValidationError, "note"),
    ],
)
def test_create_dataset_refuses_bad_input_and_writes_nothing(svc, card, kwargs, error, message):
    before = snapshot(svc)
    args = {"name": "calls", "configuration": CONFIG, **kwargs}
    with pytest.raises(error, match=message) as info:
        svc.create_dataset(card, args.pop("name"), **args)
    assert isinstance(info.value, PlexusDatasetsError)
    assert snapshot(svc) == before


def test_dataset_names_are_unique_within_a_scorecard(svc, card):
    svc.create_dataset(card, "calls")
    with pytest.raises(ConflictError, match="already has a dataset named 'calls'"):
        svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    other = svc.create_scorecard("Other", key="other")
    svc.create_dataset(other, "calls")  # another scorecard may reuse it


def test_score_must_belong_to_the_scorecard(svc, card, score):
    other = svc.create_scorecard("Other", key="other")
    with pytest.raises((ValidationError, NotFoundError)):
        svc.create_dataset(other, "calls", score=score.id)


def test_unknown_scorecard(svc):
    with pytest.raises(NotFoundError, match="scorecard"):
        svc.create_dataset("nope", "calls")


def test_list_datasets_filters(svc, card, score):
    svc.create_dataset(card, "Greeting Calls", score=score)
    svc.create_dataset(card, "billing")
    other = svc.create_scorecard("Other", key="other")
    svc.create_dataset(other, "greeting archive")
    assert [d.name for d in svc.list_datasets()] == ["billing", "greeting archive", "Greeting Calls"]
    assert [d.name for d in svc.list_datasets(scorecard="cc-qa")] == ["billing", "Greeting Calls"]
    assert [d.name for d in svc.list_datasets(score="greeting")] == ["Greeting Calls"]
    assert [d.name for d in svc.list_datasets(name="GREET")] == ["greeting archive", "Greeting Calls"]
    assert [d.name for d in svc.list_datasets(scorecard="other", name="greet")] == ["greeting archive"]


def test_update_dataset(svc, card):
    ds = svc.create_dataset(card, "calls", description="old")
    svc.create_dataset(card, "taken")
    renamed = svc.update_dataset(ds, name="calls-2024")
    assert renamed.name == "calls-2024" and renamed.description == "old"
    assert renamed.updated_at >= ds.updated_at
    assert svc.update_dataset("calls-2024", description="new").description == "new"
    assert svc.update_dataset("calls-2024", description=None).description is None
    before = snapshot(svc)
    with pytest.raises(ConflictError, match="Scorecard 'Call Center QA' already has a dataset named 'taken'"):
        svc.update_dataset("calls-2024", name="taken")
    with pytest.raises(ValidationError):
        svc.update_dataset("calls-2024", name="")
    with pytest.raises(NotFoundError):
        svc.update_dataset("nope", name="x")
    assert snapshot(svc) == before


def test_delete_unknown_dataset(svc):
    with pytest.raises(NotFoundError):
        svc.delete_dataset("nope", cascade=True)


# --- versions ---------------------------------------------------------------------------

def test_versions_are_numbered_and_deduplicated(svc, card):
    ds = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    reordered = dict(reversed(list(CONFIG.items())))
    assert svc.create_version(ds, reordered, check=False).version_number == 1  # same canonical JSON
    assert len(svc.list_versions(ds)) == 1
    assert svc.create_version(ds, CONFIG, force=True, check=False).version_number == 2
    v3 = svc.create_version("calls", {**CONFIG, "days": 90}, note="three months", check=False)
    assert (v3.version_number, v3.note, v3.id) == (3, "three months", version_id(ds.id, 3))
    assert v3.digest == svc.create_version(ds, {**CONFIG, "days": 90}, check=False).digest
    assert [v.version_number for v in svc.list_versions(ds)] == [1, 2, 3]
    assert svc.current_version(ds).version_number == 1  # new versions don't move current
    assert svc.latest_version(ds).version_number == 3
    assert svc.get_version(v3.id) == v3
    assert svc.get_version("calls:v3") == v3


def test_create_version_refuses_bad_input_and_writes_nothing(svc, card):
    ds = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    before = snapshot(svc)
    with pytest.raises(ValidationError, match="over the"):
        svc.create_version(ds, {"blob": "x" * (MAX_CONFIG_BYTES + 1)}, check=False)
    with pytest.raises(ValidationError, match="set"):
        svc.create_version(ds, {"tags": {"a", "b"}})
    with pytest.raises(ValidationError, match="mapping"):
        svc.create_version(ds, None)
    with pytest.raises(NotFoundError):
        svc.create_version("nope", CONFIG, check=False)
    with pytest.raises(ValidationError):
        svc.create_version(ds, {**CONFIG, "x": 1}, note=12, check=False)
    assert snapshot(svc) == before


def test_set_current_version_compare_and_set(svc, card):
    ds = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    v2 = svc.create_version(ds, {**CONFIG, "days": 60}, check=False)
    svc.create_version(ds, {**CONFIG, "days": 90}, check=False)
    assert svc.set_current_version(ds, v2, expected_current="v1").current_version_id == v2.id
    with pytest.raises(ConflictError, match="expected current version v1, but it is now v2"):
        svc.set_current_version(ds, 3, expected_current=1)
    assert svc.current_version(ds).id == v2.id  # the stale write changed nothing
    # rollback without a check
    assert svc.set_current_version("calls", "v1").current_version_id == version_id(ds.id, 1)
    with pytest.raises(NotFoundError, match="no version v9"):
        svc.set_current_version(ds, 9)
    other = svc.create_dataset(card, "other", configuration=CONFIG, check=False)
    with pytest.raises(ValidationError, match="another dataset"):
        svc.set_current_version(other, v2)
    with pytest.raises(ValidationError, match="start at 1"):
        svc.set_current_version(ds, 0)


# --- profiles ---------------------------------------------------------------------------

def test_profiles_in_time_order(svc, card):
    ds = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    v2 = svc.create_version(ds, {**CONFIG, "days": 60}, check=False)
    late = svc.record_profile("calls:1", ["a"], {"rows": 3}, {"x": {}}, created_at=datetime(2025, 3, 1, tzinfo=UTC))
    early = svc.record_profile(v2, ["a", "b"], {"rows": 5}, {}, created_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert [p.id for p in svc.list_profiles(ds)] == [early.id, late.id]
    assert svc.latest_profile(ds).id == late.id
    assert svc.latest_profile(v2).id == early.id
    assert svc.latest_profile("calls:v2").id == early.id
    assert [p.id for p in svc.list_profiles("calls:1")] == [late.id]
    assert svc.latest_profile(svc.create_dataset(card, "empty")) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("text", {}, {}), "list of column names"),
        (([1, 2], {}, {}), "only strings"),
        ((["a"], [1], {}), "record_counts must be a mapping"),
        ((["a"], {}, {"x": object()}), "object"),
        ((["a"], {"values": ["v" * 1000] * 400}, {}), "over the"),
    ],
)
def test_record_profile_refuses_bad_input(svc, card, args, message):
    svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    before = snapshot(svc)
    with pytest.raises(ValidationError, match=message):
        svc.record_profile("calls", *args)
    with pytest.raises(NotFoundError):
        svc.record_profile("calls:v7", ["a"], {}, {})
    assert snapshot(svc) == before


# --- references -------------------------------------------------------------------------

def test_resolve_grammar(svc, card):
    ds = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    v2 = svc.create_version(ds, {**CONFIG, "days": 60}, check=False)
    v3 = svc.create_version(ds, {**CONFIG, "days": 90}, check=False)
    svc.set_current_version(ds, v2)
    assert svc.resolve("calls").id == v2.id
    assert svc.resolve("calls:current").id == v2.id
    assert svc.resolve("calls:LATEST").id == v3.id
    assert svc.resolve("calls:3").id == v3.id
    assert svc.resolve("calls:v1").version_number == 1
    assert svc.resolve(f"calls:{v2.id}").id == v2.id
    assert svc.resolve(f"{ds.id}:v3").id == v3.id
    assert svc.resolve(v3.id).id == v3.id
    assert svc.resolve(ds.id).id == v2.id
    assert svc.resolve("cc-qa/calls:1").version_number == 1
    assert svc.resolve("Call Center QA/calls:latest").id == v3.id
    assert svc.resolve("calls", scorecard="cc-qa").id == v2.id


def test_resolve_errors_list_candidates(svc, card):
    svc.create_dataset(card, "greeting-calls", configuration=CONFIG, check=False)
    with pytest.raises(NotFoundError, match="Candidates: greeting-calls"):
        svc.resolve("greeting-call")
    with pytest.raises(NotFoundError, match=r"no version v4\. Candidates: v1"):
        svc.resolve("greeting-calls:v4")
    with pytest.raises(NotFoundError, match="no version"):
        svc.resolve("greeting-calls:no-such-version-id")
    with pytest.raises(ValidationError, match="Empty dataset"):
        svc.resolve(":v1")
    with pytest.raises(ValidationError):
        svc.resolve(3)


def test_ambiguous_names_across_scorecards(svc, card):
    other = svc.create_scorecard("Sales QA", key="sales-qa")
    a = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    b = svc.create_dataset(other, "calls", configuration={**CONFIG, "days": 7}, check=False)
    with pytest.raises(AmbiguousReferenceError) as info:
        svc.resolve("calls:v1")
    assert sorted(info.value.candidates) == sorted([f"cc-qa/calls (id {a.id})", f"sales-qa/calls (id {b.id})"])
    assert "SCORECARD/NAME" in str(info.value)
    assert svc.resolve("sales-qa/calls").dataset_id == b.id
    assert svc.resolve("calls", scorecard="cc-qa").dataset_id == a.id
    assert svc.resolve(f"{a.id}:1").dataset_id == a.id


def test_name_with_colon_and_slash(svc, card):
    ds = svc.create_dataset(card, "calls:2024/q1", configuration=CONFIG, check=False)
    assert svc.resolve("calls:2024/q1:current").dataset_id == ds.id
    assert svc.resolve("cc-qa/calls:2024/q1:v1").dataset_id == ds.id


def test_dataset_summaries(svc, card, score):
    a = svc.create_dataset(card, "calls", score=score, configuration=CONFIG, check=False)
    svc.create_version(a, {**CONFIG, "days": 60}, check=False)
    svc.create_version(a, {**CONFIG, "days": 90}, check=False)
    svc.set_current_version(a, 2)
    svc.record_profile("calls:1", ["t"], {"rows": 10}, {}, created_at=datetime(2025, 1, 1, tzinfo=UTC))
    svc.record_profile("calls:3", ["t"], {"rows": 30}, {}, created_at=datetime(2025, 2, 1, tzinfo=UTC))  # newest
    current = svc.record_profile("calls:2", ["t"], {"rows": 20}, {}, created_at=datetime(2025, 1, 15, tzinfo=UTC))
    svc.create_dataset(card, "empty")
    other = svc.create_scorecard("Other", key="other")
    svc.create_dataset(other, "elsewhere", configuration=CONFIG, check=False)

    rows = {s.dataset.name: s for s in svc.dataset_summaries()}
    assert set(rows) == {"calls", "empty", "elsewhere"}
    calls = rows["calls"]
    assert calls.current_version.version_number == 2 and calls.version_numbers == (1, 2, 3)
    # the current version's profile, not the newest of any version
    assert calls.latest_profile.id == current.id and calls.record_count == 20
    assert calls.profile_version.label == "v2"
    assert calls.latest_profile.record_counts == {"rows": 20}  # the full profile, not a stub
    assert rows["empty"].current_version is None and rows["empty"].version_count == 0
    assert rows["empty"].latest_profile is None and rows["empty"].record_count is None
    assert [s.dataset.name for s in svc.dataset_summaries(scorecard="cc-qa")] == ["calls", "empty"]
    assert [s.dataset.name for s in svc.dataset_summaries(score="greeting")] == ["calls"]
    assert [s.dataset.name for s in svc.dataset_summaries(name="ELSE")] == ["elsewhere"]


# --- how many store calls a lookup costs --------------------------------------------------


class _CountingSQLBackend:
    """Wraps a real SQLBackend and records which verbs a lookup sends to it."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        verb = getattr(self.inner, name)
        if name not in ("get", "list", "page", "summaries"):
            return verb

        def counted(*args, **kwargs):
            self.calls.append((name, args[0], kwargs.get("index"), kwargs.get("filter")))
            return verb(*args, **kwargs)

        return counted


def test_resolving_a_name_asks_the_store_for_that_name(tmp_path):
    from plexus_datasets.backends.sql import SQLBackend
    from plexus_datasets.service import DatasetService

    counting = _CountingSQLBackend(SQLBackend(str(tmp_path / "many.db")))
    svc = DatasetService(counting)
    card = svc.create_scorecard("QA", key="qa")
    with counting.inner.transaction():
        for i in range(300):
            svc.create_dataset(card, f"other-{i:03}", configuration={"class": "InlineItems", "items": [{"n": i}]})
    ds = svc.create_dataset(card, "calls", configuration={"class": "InlineItems", "items": [{"n": 1}]})
    v2 = svc.create_version(ds, {"class": "InlineItems", "items": [{"n": 2}]})
    counting.calls.clear()
    assert svc.resolve("calls:v2").id == v2.id
    assert len(counting.calls) <= 3, counting.calls
    # No call lists datasets or versions without naming what it wants.
    assert all(verb == "get" or call_filter or index for verb, _, index, call_filter in counting.calls)
    counting.calls.clear()
    assert svc.resolve(f"qa/calls:{v2.id}").id == v2.id and svc.get_dataset("calls").id == ds.id
    assert all(verb == "get" or call_filter or index for verb, _, index, call_filter in counting.calls)
    svc.close()


def test_methods_that_moved_out_of_the_service_say_where_they_went(svc):
    with pytest.raises(AttributeError, match=r"plexus_datasets\.importer\.import_score_config\(svc, path\)"):
        svc.import_score_config("x.yaml")
    with pytest.raises(AttributeError, match="formats.to_yaml"):
        svc.configuration_yaml({})
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        svc.nonsense  # noqa: B018
    assert not hasattr(svc, "parse_configuration")


def test_write_rules_for_ids_numbers_and_keys(svc, card):
    with pytest.raises(ValidationError, match="between"):
        svc.create_section(card, "Big", order=2**31)
    section = svc.create_section(card, "Main")
    with pytest.raises(ValidationError, match="U\\+202E"):
        svc.create_score(section, "Greeting", key="greet\u202eing")
    with pytest.raises(ValidationError, match="not a valid score id"):
        svc.create_score(section, "Greeting", id="a:b")
    assert svc.create_score(section, "Greeting", key="  ", id="score_1").id == "score_1"
