"""PlexusBackend against the real stand-in (``serve --schema plexus``): what Plexus's own
records look like after the service wrote through the mapper, and what the mapper makes of
records Plexus wrote. Raw documents (``raw``) play Plexus's CLI and dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from plexus_datasets.backends import _snapshots
from plexus_datasets.backends._snapshots import location, sha256_file
from plexus_datasets.backends.base import SnapshotFile
from plexus_datasets.backends.plexus import OUR_KEY, PlexusBackend, _null_tolerant
from plexus_datasets.errors import (
    AccountNotFoundError,
    AmbiguousReferenceError,
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    ConflictError,
    CorruptRecordError,
    DataAccessError,
    NotFoundError,
    PlexusDatasetsWarning,
    ValidationError,
)
from plexus_datasets.models import NOTE_KEY, DatasetVersion, read_record
from plexus_datasets.service import DatasetService, version_id
from tests.conftest import PLEXUS_ACCOUNT_KEY, PLEXUS_BUCKET, create_account, plexus_stand_in, plexus_transport

T = "2025-01-01T00:00:00.000Z"


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    with plexus_stand_in(tmp_path / "plexus.db") as address:
        yield address


@pytest.fixture
def raw(url: str):
    """Plexus's side: raw documents against the same API."""
    transport = plexus_transport(url)
    yield transport
    transport.close()


@pytest.fixture
def account(raw) -> str:
    return create_account(raw, PLEXUS_ACCOUNT_KEY)


@pytest.fixture
def plexus(url: str, account: str) -> Iterator[PlexusBackend]:
    backend = PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY, datasets_bucket=PLEXUS_BUCKET)
    yield backend
    backend.close()


@pytest.fixture
def svc(plexus: PlexusBackend) -> DatasetService:
    return DatasetService(plexus)


def get(raw, model: str, id: str, fields: str) -> dict | None:
    return raw.execute(f"query G($id: ID!) {{ get{model}(id: $id) {{ {fields} }} }}", {"id": id})[f"get{model}"]


def create(raw, model: str, input: dict, fields: str = "id") -> dict:
    text = f"mutation C($input: Create{model}Input!) {{ create{model}(input: $input) {{ {fields} }} }}"
    return raw.execute(text, {"input": input})[f"create{model}"]


def catalog(svc: DatasetService):
    card = svc.create_scorecard("Call Center QA", key="cc-qa")
    section = svc.create_section(card, "Compliance")
    return card, svc.create_score(section, "Greeting", key="greeting")


# --- the account ---------------------------------------------------------------------------

def test_account_resolution_says_which_variable_to_set(url, raw, account):
    def backend(**kwargs) -> PlexusBackend:
        return PlexusBackend(plexus_transport(url), **kwargs)

    with pytest.raises(AccountNotFoundError, match="No Plexus account chosen .* set PLEXUS_ACCOUNT_KEY"):
        backend().list("Dataset")
    with pytest.raises(AccountNotFoundError, match=r"No Plexus account with key 'nope' at http://127\.0\.0\.1:\d+/"
                                                   r"graphql: set PLEXUS_ACCOUNT_KEY \(or connect\(account_key=\.\.\.\)\) "
                                                   "to an existing account's key"):
        backend(account_key="nope").list("Dataset")
    with pytest.raises(AccountNotFoundError, match="No Plexus account with id 'missing'"):
        backend(account_id="missing").list("Dataset")
    assert backend(account_id=account).account == account

    twin = create_account(raw, "twin", "One")
    other = create_account(raw, "twin", "Two")
    with pytest.raises(AmbiguousReferenceError, match="2 Plexus accounts .* key 'twin'") as info:
        backend(account_key="twin").list("Dataset")
    assert sorted(info.value.candidates) == sorted([twin, other])

    resolved = backend(account_key=PLEXUS_ACCOUNT_KEY)
    assert resolved.account == account
    sent = resolved.requests_sent
    resolved.list("Dataset")
    resolved.list("Dataset")
    assert resolved.requests_sent == sent + 2  # the account is looked up once per connection


def test_everything_is_scoped_to_the_account(svc, plexus, raw, account):
    card, _ = catalog(svc)
    assert card.account_id == account  # never the service's "default"
    stranger = create_account(raw, "stranger")
    theirs = create(raw, "Scorecard", {"name": "Theirs", "key": "theirs", "accountId": stranger})
    their_source = create(raw, "DataSource", {"name": "calls", "accountId": stranger, "scorecardId": card.id})
    create(raw, "DataSourceVersion", {"id": "their-v1", "dataSourceId": their_source["id"], "yamlConfiguration": "a: 1",
                                      "isFeatured": True})
    create(raw, "DataSet", {"id": "their-set", "accountId": stranger, "dataSourceVersionId": "their-v1"})
    assert plexus.get("Scorecard", theirs["id"]) is None and plexus.get("Dataset", their_source["id"]) is None
    assert plexus.get("DatasetVersion", "their-v1") is None and plexus.get("DatasetProfile", "their-set") is None
    assert [c["id"] for c in plexus.list("Scorecard")] == [card.id]
    assert plexus.list("Dataset", index=("scorecardId", card.id)) == []
    assert plexus.list("Dataset", filter={"name": {"eq": "calls"}}) == []
    with pytest.raises(NotFoundError):
        plexus.update("Dataset", their_source["id"], {"description": "mine now"})
    assert get(raw, "DataSource", their_source["id"], "description")["description"] is None


# --- scorecards and scores -------------------------------------------------------------------

def test_scores_take_scorecard_and_external_id_and_have_no_metadata(svc, plexus, raw):
    card, score = catalog(svc)
    stored = get(raw, "Score", score.id, "scorecardId externalId sectionId")
    assert stored == {"scorecardId": card.id, "externalId": score.id, "sectionId": score.section_id}
    section = svc.list_sections(card)[0]
    same = svc.create_score(section, "Upsell", metadata={"label_column": "Upsell", "class": "LangGraphScore"},
                            external_id="ext-9")
    assert same.metadata is None and same.external_id == "ext-9"  # dropped: Plexus's Score has no metadata
    with pytest.raises(ValidationError, match="Plexus scores have no metadata: put label_column in the dataset's "
                                              "configuration"):
        svc.create_score(section, "Tone", metadata={"label_column": "tone_label"})
    assert [s.name for s in svc.list_scores(card)] == ["Greeting", "Upsell"]
    assert svc.get_score("ext-9").id == same.id and svc.get_score("greeting").id == score.id



def test_sections_and_scores_of_another_accounts_scorecard_are_absent_and_refuse_writes(svc, plexus, raw, account):
    card, score = catalog(svc)
    section = svc.list_sections(card)[0]
    stranger = create_account(raw, "stranger")
    their_card = create(raw, "Scorecard", {"name": "Theirs", "key": "theirs", "accountId": stranger})["id"]
    their_section = create(raw, "ScorecardSection", {"name": "Secret", "order": 1, "scorecardId": their_card})["id"]
    their_score = create(raw, "Score", {"name": "Secret score", "key": "secret", "order": 1, "type": "X",
                                        "sectionId": their_section, "scorecardId": their_card,
                                        "externalId": "9009"})["id"]
    # reads: by id, many ids, every listing and page
    assert plexus.get("ScorecardSection", their_section) is None and plexus.get("Score", their_score) is None
    assert set(plexus.get_many("Score", [score.id, their_score])) == {score.id}
    assert set(plexus.get_many("ScorecardSection", [section.id, their_section])) == {section.id}
    assert plexus.list("ScorecardSection", index=("scorecardId", their_card)) == []
    assert plexus.page("ScorecardSection", index=("scorecardId", their_card)).items == []
    assert plexus.list("Score", index=("sectionId", their_section)) == []
    assert plexus.page("Score", index=("sectionId", their_section)).items == []
    assert plexus.list("Score", index=("key", "secret")) == [] and plexus.list("Score", index=("externalId", "9009")) == []
    assert plexus.list("Score", filter={"name": {"eq": "Secret score"}}) == []
    assert [s["id"] for s in plexus.list("Score")] == [score.id]
    assert [s["id"] for s in plexus.list("ScorecardSection")] == [section.id]
    # writes: as if they did not exist, and nothing changes
    with pytest.raises(NotFoundError, match=f"No Score with id '{their_score}'"):
        plexus.update("Score", their_score, {"name": "mine now"})
    with pytest.raises(NotFoundError, match=f"No ScorecardSection with id '{their_section}'"):
        plexus.update("ScorecardSection", their_section, {"name": "mine now"})
    assert get(raw, "Score", their_score, "name")["name"] == "Secret score"
    assert get(raw, "ScorecardSection", their_section, "name")["name"] == "Secret"
    with pytest.raises(ValidationError, match=f"No scorecard section '{their_section}'"):
        plexus.create("Score", {"id": "planted", "name": "Planted", "sectionId": their_section, "createdAt": T,
                                "updatedAt": T})
    with pytest.raises(ValidationError, match=f"No scorecard '{their_card}'"):
        plexus.create("ScorecardSection", {"id": "planted-section", "name": "Planted", "order": 2,
                                           "scorecardId": their_card, "createdAt": T, "updatedAt": T})
    with pytest.raises(ValidationError, match=f"No scorecard section '{their_section}'"):
        plexus.update("Score", score.id, {"sectionId": their_section})
    with pytest.raises(ValidationError, match=f"No scorecard '{their_card}'"):
        plexus.update("ScorecardSection", section.id, {"scorecardId": their_card})
    assert get(raw, "Score", "planted", "id") is None and get(raw, "ScorecardSection", "planted-section", "id") is None
    assert get(raw, "Score", score.id, "sectionId")["sectionId"] == section.id
    # ours still work
    assert plexus.update("Score", score.id, {"description": "d"})["description"] == "d"
    assert plexus.update("ScorecardSection", section.id, {"name": "Compliance 2"})["name"] == "Compliance 2"

# --- datasets = DataSources -----------------------------------------------------------------

def test_dataset_crud_compare_and_set_and_the_head_copy(svc, plexus, raw, account):
    card, score = catalog(svc)
    ds = svc.create_dataset(card, "calls", score=score, description="d",
                            configuration={"class": "InlineItems", "items": [{"a": 1}]}, check=False)
    stored = get(raw, "DataSource", ds.id, "accountId scorecardId scoreId currentVersionId yamlConfiguration")
    v1 = svc.current_version(ds)
    assert stored == {"accountId": account, "scorecardId": card.id, "scoreId": score.id,
                      "currentVersionId": v1.id, "yamlConfiguration": "class: InlineItems\nitems:\n- a: 1\n"}
    text = "# two items now\nclass: InlineItems\nitems:\n  - {a: 1}\n  - {a: 2}  # added\n"
    v2 = svc.create_version(ds, text, check=False)
    svc.set_current_version(ds, v2, expected_current=v1)
    assert get(raw, "DataSource", ds.id, "yamlConfiguration currentVersionId") == {
        "yamlConfiguration": text, "currentVersionId": v2.id}
    with pytest.raises(ConflictError, match="expected current version v1, but it is now v2"):
        svc.set_current_version(ds, v1, expected_current=v1)
    assert svc.update_dataset(ds, name="calls-2025", description=None).description is None
    assert svc.get_dataset("calls-2025").id == ds.id

    # the backend verb: a condition on the pointer, and the head copy removed with it
    with pytest.raises(ConflictError):
        plexus.update("Dataset", ds.id, {"currentVersionId": v1.id}, condition={"currentVersionId": {"eq": v1.id}})
    plexus.update("Dataset", ds.id, {"currentVersionId": None})
    assert get(raw, "DataSource", ds.id, "yamlConfiguration currentVersionId") == {
        "yamlConfiguration": None, "currentVersionId": None}
    plexus.update("Dataset", ds.id, {"currentVersionId": v1.id}, condition={"currentVersionId": {"attributeExists": False}})
    assert get(raw, "DataSource", ds.id, "yamlConfiguration")["yamlConfiguration"] == v1.text

    empty = svc.create_dataset(card, "empty")
    svc.delete_dataset(empty)
    assert get(raw, "DataSource", empty.id, "id") is None
    with pytest.raises(ValidationError, match="versions can't be deleted on Plexus"):
        plexus.delete("Dataset", ds.id)


def test_no_current_yet_also_matches_an_explicit_null():
    assert _null_tolerant({"currentVersionId": {"attributeExists": False}}) == {
        "or": [{"currentVersionId": {"attributeExists": False}}, {"currentVersionId": {"attributeType": "_null"}}]}
    assert _null_tolerant({"currentVersionId": {"eq": "v1"}}) == {"currentVersionId": {"eq": "v1"}}


def test_names_written_in_nfd_by_plexus_are_found_by_their_nfc_form(svc, raw, account):
    card, _ = catalog(svc)
    create(raw, "DataSource", {"name": "Ame\u0301lie", "accountId": account, "scorecardId": card.id})  # NFD
    found = svc.get_dataset("Am\u00e9lie")
    assert found.name == "Am\u00e9lie"


# --- versions = DataSourceVersions ------------------------------------------------------------

def test_versions_are_numbered_by_created_at_instant_never_by_string(svc, plexus, raw, account):
    card, _ = catalog(svc)
    source = create(raw, "DataSource", {"name": "legacy", "accountId": account, "scorecardId": card.id})["id"]
    # Plexus's CLI writes microseconds with +00:00, AppSync milliseconds with Z: as strings, the
    # first sorts before the second, as instants it is 1 µs later.
    create(raw, "DataSourceVersion", {"id": "plexus-b", "dataSourceId": source, "yamlConfiguration": "class: B\n",
                                      "isFeatured": True, "createdAt": "2025-01-01T10:00:00.000001+00:00"})
    create(raw, "DataSourceVersion", {"id": "plexus-a", "dataSourceId": source, "yamlConfiguration": "class: A\n",
                                      "isFeatured": False, "createdAt": "2025-01-01T10:00:00.000Z"})
    create(raw, "DataSourceVersion", {"id": "plexus-0", "dataSourceId": source, "yamlConfiguration": "class: Z\n",
                                      "isFeatured": False, "createdAt": "2025-01-01T10:30:00.000+01:00"})  # 09:30 UTC
    versions = svc.list_versions("legacy")
    assert [(v.version_number, v.id) for v in versions] == [(1, "plexus-0"), (2, "plexus-a"), (3, "plexus-b")]
    assert versions[2].featured and not versions[1].featured
    v4 = svc.create_version("legacy", {"class": "C"}, check=False)  # our slot 4 comes after them all
    assert v4.version_number == 4 and v4.id == version_id(source, 4)
    assert v4.created_at.isoformat() > "2025-01-01T10:00:00.000001"
    assert svc.resolve("legacy:v2").id == "plexus-a"  # a foreign version: found by listing
    assert svc.get_version(v4.id) == v4 and plexus.get("DatasetVersion", "plexus-b")["versionNumber"] == 3


def test_the_conflict_path_numbers_stay_unique_and_contiguous(svc, plexus, raw, account):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)

    def version(id: str, number: int) -> dict:
        return {"id": id, "datasetId": ds.id, "versionNumber": number, "configuration": {"class": id},
                "createdAt": T, "updatedAt": T}

    with pytest.raises(ConflictError, match="already has 1 version"):
        plexus.create("DatasetVersion", version("another-1", 1))  # number 1 is taken, whatever the id
    with pytest.raises(ConflictError, match="already exists"):
        plexus.create("DatasetVersion", version(version_id(ds.id, 1), 2))  # slot ids are unique
    # a version Plexus's dashboard adds takes the next position; the service steps over it
    create(raw, "DataSourceVersion", {"id": "dashboard", "dataSourceId": ds.id, "yamlConfiguration": "class: D\n",
                                      "isFeatured": True})
    v3 = svc.create_version(ds, {"class": "Y"}, check=False)
    assert v3.version_number == 3
    assert [v.version_number for v in svc.list_versions(ds)] == [1, 2, 3]
    # the stamp written is strictly after every sibling's, in AppSync's millisecond form
    stamp = get(raw, "DataSourceVersion", v3.id, "createdAt")["createdAt"]
    assert stamp.endswith("Z") and len(stamp) == len("2025-01-01T00:00:00.000Z")


def test_yaml_text_with_comments_round_trips_verbatim(svc, plexus, raw):
    card, _ = catalog(svc)
    text = ("# Calls from the last month\nclass: InlineItems   # built in\nitems:\n  - {id: 1, label: 'Yes'}\n"
            "  - {id: 2, label: \"No\"}\n")
    ds = svc.create_dataset(card, "calls")
    version = svc.create_version(ds, text, check=False)
    assert get(raw, "DataSourceVersion", version.id, "yamlConfiguration")["yamlConfiguration"] == text
    again = svc.get_version(version.id)
    assert again.text == text and again.configuration == {"class": "InlineItems", "items": [
        {"id": 1, "label": "Yes"}, {"id": 2, "label": "No"}]}
    wire = plexus.get("DatasetVersion", version.id)["configuration"]
    assert wire[NOTE_KEY] == {"text": text} and "digest" not in wire[NOTE_KEY]


def test_note_parent_and_featured_are_plexus_fields(plexus, raw, svc):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    v1 = svc.current_version(ds)
    meta = {"note": "more days", "parent": v1.id, "featured": True}
    plexus.create("DatasetVersion", {"id": version_id(ds.id, 2), "datasetId": ds.id, "versionNumber": 2,
                                     "configuration": {"class": "X", "days": 9, NOTE_KEY: meta},
                                     "createdAt": T, "updatedAt": T})
    stored = get(raw, "DataSourceVersion", version_id(ds.id, 2), "note parentVersionId isFeatured yamlConfiguration")
    assert stored == {"note": "more days", "parentVersionId": v1.id, "isFeatured": True,
                      "yamlConfiguration": "class: X\ndays: 9\n"}
    read = read_record(DatasetVersion, plexus.get("DatasetVersion", version_id(ds.id, 2)))
    assert (read.note, read.parent_version_id, read.featured, read.version_number) == ("more days", v1.id, True, 2)
    assert get(raw, "DataSourceVersion", v1.id, "isFeatured parentVersionId") == {"isFeatured": False,
                                                                                 "parentVersionId": None}


def test_a_version_whose_text_is_not_a_mapping_is_skipped_but_still_counted(svc, raw, account):
    card, _ = catalog(svc)
    source = create(raw, "DataSource", {"name": "odd", "accountId": account, "scorecardId": card.id})["id"]
    create(raw, "DataSourceVersion", {"id": "a-list", "dataSourceId": source, "yamlConfiguration": "- just\n- a list\n",
                                      "isFeatured": False, "createdAt": "2025-01-01T00:00:00Z"})
    versions = svc.list_versions("odd")
    assert list(versions) == [] and versions.skipped == 1
    assert svc.create_version("odd", {"class": "X"}, check=False).version_number == 2


def test_versions_and_plexus_data_sets_are_never_deleted_here(svc, plexus, raw, account):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    v1 = svc.current_version(ds)
    with pytest.raises(ValidationError, match="a version's number is its position"):
        plexus.delete("DatasetVersion", v1.id)
    with pytest.raises(ValidationError, match="a version's number is its position"):
        plexus.update("DatasetVersion", v1.id, {"createdAt": T})
    profile = svc.record_profile(v1, ["a"], {"rows": 1}, {})
    with pytest.raises(ValidationError, match="DataSets belong to Plexus"):
        plexus.delete("DatasetProfile", profile.id)
    with pytest.raises(ValidationError, match="belong to Plexus"):
        plexus.delete("Scorecard", card.id)
    assert plexus.deletes_versions is False
    assert get(raw, "DataSourceVersion", v1.id, "id") and get(raw, "DataSet", profile.id, "id")


# --- profiles = DataSets ---------------------------------------------------------------------

def test_profiles_are_data_sets_with_our_key_in_build_context(svc, plexus, raw, account):
    card, score = catalog(svc)
    raw.execute("mutation U($input: UpdateScoreInput!) { updateScore(input: $input) { id } }",
                {"input": {"id": score.id, "championVersionId": "champion-1"}})
    ds = svc.create_dataset(card, "calls", score=score, configuration={"class": "X"}, check=False)
    profile = svc.record_profile("calls:v1", ["a", "label"], {"rows": 2}, {"label": {"Yes": 2}})
    stored = get(raw, "DataSet", profile.id, "accountId scorecardId scoreId scoreVersionId dataSourceVersionId name "
                                             "file buildContext")
    assert (stored["accountId"], stored["scorecardId"], stored["scoreId"], stored["scoreVersionId"]) == (
        account, card.id, score.id, "champion-1")
    assert stored["dataSourceVersionId"] == ds.current_version_id and stored["name"].startswith("calls - v1 - ")
    assert stored["file"] is None  # recorded without a data file
    ours = json.loads(stored["buildContext"])[OUR_KEY]
    assert ours == {"layout": 1, "snapshot": None, "profile": {"columnList": ["a", "label"], "recordCounts": {"rows": 2},
                                                               "answerDistribution": {"label": {"Yes": 2}}}}
    assert svc.latest_profile("calls").id == profile.id and profile.dataset_id == ds.id
    assert [s.latest_profile.id for s in svc.dataset_summaries()] == [profile.id]


def test_a_data_set_plexus_made_reads_as_unprofiled_and_can_be_profiled_once(svc, plexus, raw, account):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    context = {"timeWindow": {"days": 30}, OUR_KEY: {"layout": 1, "profile": None, "snapshot": {"sha256": "ab"}}}
    create(raw, "DataSet", {"id": "plexus-set", "accountId": account, "dataSourceVersionId": ds.current_version_id,
                            "file": "datasets/x/plexus-set/dataset.parquet", "buildContext": json.dumps(context)})
    create(raw, "DataSet", {"id": "bare-set", "accountId": account, "dataSourceVersionId": ds.current_version_id})
    found = {p["id"]: p for p in plexus.list("DatasetProfile", index=("datasetId", ds.id))}
    assert found["bare-set"]["recordCounts"] == {"subject": {"kind": "unprofiled", "file": None}}
    unprofiled = found["plexus-set"]
    assert unprofiled["datasetId"] == ds.id and unprofiled["columnList"] == [] and unprofiled["answerDistribution"] == {}
    assert unprofiled["recordCounts"] == {"subject": {"kind": "unprofiled",
                                                      "file": "datasets/x/plexus-set/dataset.parquet"}}
    filled = plexus.update("DatasetProfile", "plexus-set", {"columnList": ["a"], "recordCounts": {"rows": 5},
                                                            "answerDistribution": {}})
    assert filled["recordCounts"] == {"rows": 5} and filled["datasetId"] == ds.id
    merged = json.loads(get(raw, "DataSet", "plexus-set", "buildContext")["buildContext"])
    assert merged["timeWindow"] == {"days": 30}  # Plexus's keys are never dropped
    assert merged[OUR_KEY]["snapshot"] == {"sha256": "ab"} and merged[OUR_KEY]["profile"]["columnList"] == ["a"]
    with pytest.raises(ValidationError, match="has a profile already"):
        plexus.update("DatasetProfile", "plexus-set", {"columnList": ["b"], "recordCounts": {}, "answerDistribution": {}})
    with pytest.raises(ValidationError, match="append-only"):
        plexus.update("DatasetProfile", "bare-set", {"columnList": ["b"]})



@pytest.mark.parametrize("context", [None, {"timeWindow": {"days": 30}}], ids=["no-build-context", "plexus-keys-only"])
def test_a_data_set_plexus_made_without_our_key_is_filled_in_place(svc, plexus, raw, account, context):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    file = f"datasets/{account}/plexus-load/dataset.parquet"
    fields = {"id": "plexus-load", "accountId": account, "dataSourceVersionId": ds.current_version_id, "file": file}
    if context is not None:
        fields["buildContext"] = json.dumps(context)
    create(raw, "DataSet", fields)
    filled = plexus.update("DatasetProfile", "plexus-load", {"columnList": ["a"], "recordCounts": {"rows": 5},
                                                             "answerDistribution": {"a": {"x": 5}}})
    assert (filled["id"], filled["recordCounts"], filled["datasetId"]) == ("plexus-load", {"rows": 5}, ds.id)
    stored = get(raw, "DataSet", "plexus-load", "file buildContext")
    merged = json.loads(stored["buildContext"])
    assert stored["file"] == file  # Plexus's file stays the DataSet's file
    assert {k: v for k, v in merged.items() if k != OUR_KEY} == (context or {})  # Plexus's keys kept
    assert merged[OUR_KEY] == {"layout": 1, "snapshot": None, "profile": {
        "columnList": ["a"], "recordCounts": {"rows": 5}, "answerDistribution": {"a": {"x": 5}}}}
    assert [p.id for p in svc.list_profiles("calls")] == ["plexus-load"]  # filled, not a second DataSet
    assert svc.latest_profile("calls").id == "plexus-load"

# --- data files in S3 -------------------------------------------------------------------------

@pytest.fixture
def bucket(s3) -> str:
    s3.create_bucket(Bucket=PLEXUS_BUCKET)
    return PLEXUS_BUCKET


def parquet(path: Path, rows: int) -> Path:
    import pandas as pd

    pd.DataFrame({"n": list(range(rows))}).to_parquet(path)
    return path


def test_data_files_go_to_s3_before_their_data_set(svc, plexus, raw, account, s3, bucket, tmp_path):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    version = ds.current_version_id
    first = parquet(tmp_path / "first.parquet", 3)
    digest = sha256_file(first)
    key = plexus.put_snapshot("set-1", version, str(first), digest)
    assert key == f"datasets/{account}/set-1/dataset.parquet"
    # nothing moves until the DataSet is made: its size is checked, then the file goes up, then the DataSet
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"datasets/{account}/")["KeyCount"] == 0
    assert get(raw, "DataSet", "set-1", "id") is None
    plexus.create("DatasetProfile", {"id": "set-1", "datasetId": ds.id, "datasetVersionId": version,
                                     "columnList": ["n"], "recordCounts": {"rows": 3}, "answerDistribution": {},
                                     "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": "2025-01-01T00:00:00.000Z"})
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == first.stat().st_size
    stored = get(raw, "DataSet", "set-1", "file buildContext")
    assert stored["file"] == key
    assert ", " not in stored["buildContext"]  # compact JSON: what the item-size check measured
    assert json.loads(stored["buildContext"])[OUR_KEY]["snapshot"] == {"sha256": digest, "rows": 3, "sources": None,
                                                                       "format": "parquet"}

    later = parquet(tmp_path / "later.parquet", 5)
    recorded = plexus.record_snapshot(version, str(later), sha256_file(later), 5, {"count": 2, "digest": "d" * 64})
    assert recorded.location == f"datasets/{account}/{recorded.profile_id}/dataset.parquet"
    assert plexus.get("DatasetProfile", recorded.profile_id)["recordCounts"]["subject"]["kind"] == "unprofiled"
    listed = plexus.snapshots(version)
    assert [s.profile_id for s in listed] == [recorded.profile_id, "set-1"]  # newest first
    assert (listed[1].sha256, listed[1].rows) == (digest, 3) and listed[0].rows == 5

    dest = tmp_path / "got.parquet"
    plexus.fetch_snapshot(listed[1], str(dest))
    assert sha256_file(dest) == digest
    s3.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(NotFoundError, match="The data file of DataSet 'set-1' is gone"):
        plexus.fetch_snapshot(listed[1], str(tmp_path / "gone.parquet"))
    assert not (tmp_path / "gone.parquet").exists()


def test_file_values_plexus_stores_are_checked_before_use(plexus, raw, account, s3, bucket, tmp_path, svc):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    version = ds.current_version_id
    data = parquet(tmp_path / "d.parquet", 2)
    s3.upload_file(str(data), bucket, "elsewhere/plexus.parquet")
    create(raw, "DataSet", {"id": "uri-set", "accountId": account, "dataSourceVersionId": version,
                            "file": f"s3://{bucket}/elsewhere/plexus.parquet"})
    create(raw, "DataSet", {"id": "climbing-set", "accountId": account, "dataSourceVersionId": version,
                            "file": "datasets/../../secrets/x.parquet"})
    listed = plexus.snapshots(version)
    assert [s.profile_id for s in listed] == ["uri-set"]  # the climbing one is skipped
    plexus.fetch_snapshot(listed[0], str(tmp_path / "uri.parquet"))
    assert sha256_file(tmp_path / "uri.parquet") == sha256_file(data)
    climbing = SnapshotFile("climbing-set", version, "datasets/../../secrets/x.parquet", None, None, T)
    with pytest.raises(CorruptRecordError, match="climbing-set"):
        plexus.fetch_snapshot(climbing, str(tmp_path / "x.parquet"))
    for bad in ("/etc/passwd", "s3:///key", "http://x/y", "a\\b", "", "a/./b"):
        with pytest.raises(ValueError):
            location(bad, "bucket")


def test_a_missing_bucket_names_the_variable(url, account, tmp_path):
    backend = PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY)
    assert backend.keeps_snapshots is False  # the service then records profiles without files, and loads nothing
    assert PlexusBackend(plexus_transport(url), datasets_bucket=PLEXUS_BUCKET).keeps_snapshots is True
    with pytest.raises(ConfigurationError, match="AMPLIFY_STORAGE_DATASETS_BUCKET_NAME"):
        backend.put_snapshot("set-1", "v1", str(tmp_path / "x.parquet"), "0" * 64)
    with pytest.raises(ConfigurationError, match="AMPLIFY_STORAGE_DATASETS_BUCKET_NAME"):
        backend.fetch_snapshot(SnapshotFile("s", "v", f"datasets/{account}/s/dataset.parquet", None, None, T), "x")



def test_a_relative_file_outside_the_accounts_folder_is_another_accounts(
        plexus, raw, account, s3, bucket, tmp_path, svc, caplog):
    card, _ = catalog(svc)
    version = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False).current_version_id
    data = parquet(tmp_path / "d.parquet", 2)
    stranger = create_account(raw, "stranger")
    for id, key in [("theirs", f"datasets/{stranger}/their-set/dataset.parquet"),
                    ("lookalike", f"datasets/{account}-x/their-set/dataset.parquet"),
                    ("loose", "uploads/dataset.parquet"),
                    ("mine", f"datasets/{account}/mine/dataset.parquet")]:
        s3.upload_file(str(data), bucket, key)
        create(raw, "DataSet", {"id": id, "accountId": account, "dataSourceVersionId": version, "file": key,
                                "createdAt": T, "updatedAt": T})
    with caplog.at_level("WARNING", logger="plexus_datasets.plexus"):
        listed = plexus.snapshots(version)
    assert [s.profile_id for s in listed] == ["mine"]
    skipped = [r.getMessage() for r in caplog.records if "another account's file" in r.getMessage()]
    assert len(skipped) == 3 and all(f"datasets/{account}/" in m for m in skipped)
    for id in ("theirs", "lookalike", "loose"):
        record = get(raw, "DataSet", id, "file")
        with pytest.raises(CorruptRecordError, match=rf"{id}.*another account's file"):
            plexus.fetch_snapshot(SnapshotFile(id, version, record["file"], None, None, T), str(tmp_path / f"{id}.pq"))
        assert not (tmp_path / f"{id}.pq").exists()


def test_downloads_over_the_size_cap_are_refused_before_a_byte_is_read(plexus, account, s3, bucket, tmp_path,
                                                                       monkeypatch):
    data = parquet(tmp_path / "d.parquet", 50)
    key = f"datasets/{account}/big/dataset.parquet"
    s3.upload_file(str(data), bucket, key)
    snapshot = SnapshotFile("big", "v", key, None, None, T)
    monkeypatch.setattr(_snapshots, "MAX_FILE_BYTES", data.stat().st_size - 1)
    with pytest.raises(DataAccessError, match=rf"DataSet 'big' \(s3://{bucket}/{key}\) is {data.stat().st_size:,} "
                                              "bytes, over the limit of .* bytes plexus-datasets downloads"):
        plexus.fetch_snapshot(snapshot, str(tmp_path / "got.parquet"))
    assert not [p.name for p in tmp_path.iterdir() if "got" in p.name]  # no file, no partial one
    monkeypatch.setattr(_snapshots, "MAX_FILE_BYTES", data.stat().st_size)
    plexus.fetch_snapshot(snapshot, str(tmp_path / "got.parquet"))  # at the cap: read, streamed to the file
    assert sha256_file(tmp_path / "got.parquet") == sha256_file(data)


def test_a_missing_bucket_is_a_typed_error_and_nothing_is_half_written(url, account, s3, tmp_path):
    backend = PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY,
                            datasets_bucket="no-such-datasets-bucket")
    svc = DatasetService(backend)
    card, _ = catalog(svc)
    svc.create_dataset(card, "calls", configuration={"class": "InlineItems", "items": [{"id": 1}, {"id": 2}]})
    # boto3's upload_file wraps S3's NoSuchBucket in S3UploadFailedError: it arrives as ours
    with pytest.warns(PlexusDatasetsWarning, match="data file was not recorded.*S3 bucket 'no-such-datasets-bucket'"):
        assert list(svc.load("calls")["id"]) == [1, 2]
    with pytest.raises(NotFoundError, match="S3 bucket 'no-such-datasets-bucket' .* does not exist; check "
                                            "AMPLIFY_STORAGE_DATASETS_BUCKET_NAME"):
        svc.profile("calls")
    assert list(svc.list_profiles("calls")) == []  # no DataSet without its file
    assert "no-such-datasets-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    svc.close()


def test_no_object_is_left_behind_when_its_data_set_is_not_made(svc, plexus, raw, account, s3, bucket, tmp_path):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    version = ds.current_version_id
    data = parquet(tmp_path / "d.parquet", 3)

    def profile(id: str, answers: dict) -> dict:
        return {"id": id, "datasetId": ds.id, "datasetVersionId": version, "columnList": ["n"],
                "recordCounts": {"rows": 3}, "answerDistribution": answers, "createdAt": T, "updatedAt": T}

    # too large for DynamoDB: refused before the upload
    plexus.put_snapshot("big-set", version, str(data), sha256_file(data))
    huge = {f"column-{i}": {"x" * 100: i} for i in range(4000)}
    with pytest.raises(ValidationError, match="DynamoDB items hold at most"):
        plexus.create("DatasetProfile", profile("big-set", huge))
    # createDataSet refused (the id is taken by a DataSet Plexus made): the uploaded object is deleted again
    create(raw, "DataSet", {"id": "taken-set", "accountId": account, "dataSourceVersionId": version})
    plexus.put_snapshot("taken-set", version, str(data), sha256_file(data))
    with pytest.raises(ConflictError, match="already exists"):
        plexus.create("DatasetProfile", profile("taken-set", {}))
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"datasets/{account}/")["KeyCount"] == 0
    assert get(raw, "DataSet", "big-set", "id") is None and get(raw, "DataSet", "taken-set", "file")["file"] is None
    # a put_snapshot whose create never comes uploads nothing, and what it remembers is bounded
    for n in range(1000):
        plexus.put_snapshot(f"never-{n}", version, str(data), "0" * 64)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"datasets/{account}/")["KeyCount"] == 0
    assert len(plexus._pending) <= plexus.MAX_PENDING


def test_s3_clients_come_from_a_session_of_their_own_and_close_with_the_backend(url, account, s3, bucket, tmp_path,
                                                                              monkeypatch):
    import boto3

    key = f"datasets/{account}/s/dataset.parquet"
    s3.upload_file(str(parquet(tmp_path / "d.parquet", 2)), bucket, key)
    snapshot = SnapshotFile("s", "v", key, None, None, T)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    backend = PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY, datasets_bucket=PLEXUS_BUCKET)
    backend.fetch_snapshot(snapshot, str(tmp_path / "a.parquet"))
    assert boto3.DEFAULT_SESSION is None  # boto3's shared (not thread-safe) default session was never used
    backend.close()
    with pytest.raises(BackendError, match="closed"):
        backend.fetch_snapshot(snapshot, str(tmp_path / "b.parquet"))


def test_a_version_is_numbered_even_when_the_listing_after_its_create_fails(svc, plexus, raw, monkeypatch):
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    send = plexus.transport.execute
    created: list[str] = []

    def unreachable_after_the_create(text: str, variables=None, **kwargs):
        if created and "listDataSourceVersionByDataSourceIdAndCreatedAt" in text:
            raise BackendUnavailableError("The GraphQL API can't be reached (test).")
        data = send(text, variables, **kwargs)
        if "createDataSourceVersion" in text:
            created.append(data["createDataSourceVersion"]["id"])
        return data

    monkeypatch.setattr(plexus.transport, "execute", unreachable_after_the_create)
    made = plexus.create("DatasetVersion", {"id": version_id(ds.id, 2), "datasetId": ds.id, "versionNumber": 2,
                                            "configuration": {"class": "Y"}, "createdAt": T, "updatedAt": T})
    assert created == [version_id(ds.id, 2)] and made["versionNumber"] == 2  # the version exists: it is answered
    monkeypatch.setattr(plexus.transport, "execute", send)
    assert [v.version_number for v in svc.list_versions(ds)] == [1, 2]

# --- round trips and agreements ------------------------------------------------------------



def test_reads_of_many_records_cost_a_bounded_number_of_requests(svc, plexus):
    card, _ = catalog(svc)
    ids = []
    for i in range(3):
        ds = svc.create_dataset(card, f"calls-{i}", configuration={"class": "X", "i": i}, check=False)
        for n in range(2, 5):
            ids.append(svc.create_version(ds, {"class": "X", "i": i, "n": n}, check=False).id)
        svc.record_profile(f"calls-{i}", ["a"], {"rows": i}, {})
    sent = plexus.requests_sent
    found = plexus.get_many("DatasetVersion", ids)
    assert len(found) == 9 and plexus.requests_sent - sent <= 2  # aliased gets, then aliased sibling listings
    sent = plexus.requests_sent
    summaries = plexus.summaries()
    assert len(summaries) == 3 and plexus.requests_sent - sent <= 4
    assert all(s["versionNumbers"] == [1, 2, 3, 4] and len(s["profileStamps"]) == 1 for s in summaries)


def test_concurrent_writers_get_distinct_contiguous_numbers(url, account, svc):
    from concurrent.futures import ThreadPoolExecutor

    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "busy", configuration={"class": "X", "w": -1}, check=False)

    def writer(w: int) -> list[int]:
        own = DatasetService(PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY))
        try:
            return [own.create_version(ds.id, {"class": "X", "w": w, "n": n}, check=False).version_number
                    for n in range(5)]
        finally:
            own.close()

    with ThreadPoolExecutor(4) as pool:
        numbers = [n for got in pool.map(writer, range(4)) for n in got]
    assert sorted(numbers) == list(range(2, 22))
    listed = svc.list_versions(ds)
    assert [v.version_number for v in listed] == list(range(1, 22))
    assert all(v.id == version_id(ds.id, v.version_number) for v in listed)  # positions are the slots


def plexus_document(number: int) -> str:
    """One of the documents Plexus's own code sends (tests/data/plexus_documents)."""
    path = Path(__file__).parent / "data" / "plexus_documents" / "documents.json"
    return next(d["document"] for d in json.loads(path.read_text(encoding="utf-8")) if d["number"] == number)


def test_plexus_cli_documents_work_on_what_we_wrote_and_the_other_way_round(svc, plexus, raw, account, s3, bucket,
                                                                            tmp_path):
    """`plexus dataset` adds a version and moves the pointer on our DataSource (#11, #12); our
    listing numbers it; Plexus reads our DataSet's file (#14, #20)."""
    card, _ = catalog(svc)
    ds = svc.create_dataset(card, "calls", configuration={"class": "X"}, check=False)
    made = raw.execute(plexus_document(11), {"input": {
        "dataSourceId": ds.id, "yamlConfiguration": "class: FromPlexus\n", "isFeatured": True,
        "createdAt": "2030-01-01T00:00:00.123456+00:00", "updatedAt": "2030-01-01T00:00:00.123456+00:00"}})
    plexus_version = made["createDataSourceVersion"]["id"]
    raw.execute(plexus_document(12), {"input": {"id": ds.id, "currentVersionId": plexus_version}})
    current = svc.current_version("calls")
    assert (current.id, current.version_number, current.configuration) == (plexus_version, 2, {"class": "FromPlexus"})
    assert svc.create_version(ds, {"class": "Y"}, check=False).version_number == 3

    data = parquet(tmp_path / "d.parquet", 4)
    plexus.put_snapshot("our-set", plexus_version, str(data), sha256_file(data))
    plexus.create("DatasetProfile", {"id": "our-set", "datasetId": ds.id, "datasetVersionId": plexus_version,
                                     "columnList": ["n"], "recordCounts": {"rows": 4}, "answerDistribution": {},
                                     "createdAt": T, "updatedAt": T})
    assert raw.execute(plexus_document(14), {"id": "our-set"})["getDataSet"]["file"] == \
        f"datasets/{account}/our-set/dataset.parquet"
    seen = raw.execute(plexus_document(20), {"id": "our-set"})["getDataSet"]
    assert (seen["accountId"], seen["dataSourceVersionId"]) == (account, plexus_version)


def test_every_listing_follows_next_token_to_the_end(svc, plexus, monkeypatch):
    card, _ = catalog(svc)
    names = [f"calls-{i}" for i in range(5)]
    for name in names:
        svc.create_dataset(card, name, configuration={"class": "X", "name": name}, check=False)
    for n in range(2, 5):
        svc.create_version("calls-0", {"class": "X", "n": n}, check=False)
    monkeypatch.setattr("plexus_datasets.backends.plexus.PAGE_LIMIT", 2)
    assert sorted(d["name"] for d in plexus.list("Dataset")) == names
    assert [v["versionNumber"] for v in sorted(plexus.list("DatasetVersion"), key=lambda v: v["createdAt"])
            if v["datasetId"] == svc.get_dataset("calls-0").id] == [1, 2, 3, 4]
    assert len(plexus.list("DatasetVersion")) == 8
    assert [s.dataset.name for s in svc.dataset_summaries()] == names


def test_the_service_profiles_into_a_data_set_with_its_file_and_a_teammate_loads_that_file(
        url, svc, plexus, raw, s3, bucket, tmp_path, monkeypatch):
    card, _ = catalog(svc)
    items = [{"id": 1, "Greeting": "Yes"}, {"id": 2, "Greeting": "No"}]
    svc.create_dataset(card, "calls", configuration={"class": "InlineItems", "items": items})
    profile = svc.profile("calls")
    stored = plexus.snapshots(profile.dataset_version_id)
    assert [(s.profile_id, s.rows) for s in stored] == [(profile.id, 2)]
    assert get(raw, "DataSet", profile.id, "file")["file"] == stored[0].location

    monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(tmp_path / "teammate-cache"))  # an empty cache
    teammate = DatasetService(PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY,
                                            datasets_bucket=PLEXUS_BUCKET))
    frame = teammate.load("calls")
    assert list(frame["id"]) == [1, 2]
    assert [s.profile_id for s in plexus.snapshots(profile.dataset_version_id)] == [profile.id]  # nothing rebuilt
    teammate.close()
