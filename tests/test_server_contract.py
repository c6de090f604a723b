"""The Amplify contracts as data (``plexus_datasets.server.contract``), checked against the packaged files.

Plexus's: the expected numbers and names were read in the packaged files themselves:
``model_introspection.json`` for keys and associations, and ``plexus_datasources.graphql`` for fields and
``Create<Model>Input``. They also agree with the shared contract's README §3.

The dataset plan's (``contracts/plan/``): the SDL the GraphQL client validates against and the model
introspection Amplify's generator makes from ``tests/amplify_client/schema.mjs`` (regenerated and compared
here when Node.js is installed).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from plexus_datasets.server.contract import CONTRACT_FILES, Contract, Field, Index, Relation, load_contract

SHARED = Path(__file__).resolve().parents[2] / "shared" / "contracts" / "plexus"
PACKAGED = resources.files("plexus_datasets.server").joinpath("contracts").joinpath("plexus")
PLAN_PACKAGED = resources.files("plexus_datasets.server").joinpath("contracts").joinpath("plan")
SHARED_PLAN_SDL = SHARED.parent / "amplify_datasets.graphql"
AMPLIFY_CLIENT = Path(__file__).resolve().parent / "amplify_client"
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def plexus() -> Contract:
    return load_contract("plexus")


def _files() -> tuple[str, dict]:
    sdl_file, introspection_file = CONTRACT_FILES["plexus"]
    return (PACKAGED.joinpath(sdl_file).read_text(encoding="utf-8"),
            json.loads(PACKAGED.joinpath(introspection_file).read_text(encoding="utf-8")))


# (indexes with a query field, relation-only GSIs), as the introspection's `key` attributes list them.
# The first column is README §3's "Account 1, Scorecard 5, ..., DataSet 9". Score and DataSource each also
# carry one relation GSI, which has a name but no queryField: `gsi-ScoreVersion.scoresAsChampion` and
# `gsi-DataSourceVersion.dataSourcesAsCurrentVersion`.
INDEX_COUNTS = {
    "Account": (1, 0), "Scorecard": (5, 0), "ScorecardSection": (1, 0), "Score": (5, 1), "ScoreVersion": (3, 0),
    "DataSource": (5, 1), "DataSourceVersion": (1, 0), "DataSet": (9, 0),
}


def test_the_plexus_contract_has_its_eight_models(plexus):
    assert list(plexus.models) == list(INDEX_COUNTS)


@pytest.mark.parametrize("model", list(INDEX_COUNTS))
def test_index_counts_per_model(plexus, model):
    indexes = plexus.models[model].indexes
    queried = [i for i in indexes if i.query_field is not None]
    relation_only = [i for i in indexes if i.query_field is None]
    assert (len(queried), len(relation_only)) == INDEX_COUNTS[model]
    assert all(i.name for i in indexes)


@pytest.mark.parametrize("model", list(INDEX_COUNTS))
def test_the_primary_key_is_id_with_no_name_or_query_field(plexus, model):
    assert plexus.models[model].primary_key == Index(None, None, "id", ())


@pytest.mark.parametrize("model, query_field, expected", [
    ("Account", "listAccountByKey", Index("accountsByKey", "listAccountByKey", "key", ())),
    ("DataSource", "listDataSourceByAccountIdAndName",
     Index("dataSourcesByAccountIdAndName", "listDataSourceByAccountIdAndName", "accountId", ("name",))),
    ("DataSource", "listDataSourceByAccountIdAndKey",
     Index("dataSourcesByAccountIdAndKey", "listDataSourceByAccountIdAndKey", "accountId", ("key",))),
    ("DataSource", "listDataSourceByScorecardIdAndUpdatedAt",
     Index("dataSourcesByScorecardIdAndUpdatedAt", "listDataSourceByScorecardIdAndUpdatedAt", "scorecardId",
           ("updatedAt",))),
    ("ScoreVersion", "listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt",
     Index("byScoreIdAndIsFeaturedAndCreatedAt", "listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt", "scoreId",
           ("isFeatured", "createdAt"))),
    ("DataSourceVersion", "listDataSourceVersionByDataSourceIdAndCreatedAt",
     Index("dataSourceVersionsByDataSourceIdAndCreatedAt", "listDataSourceVersionByDataSourceIdAndCreatedAt",
           "dataSourceId", ("createdAt",))),
    ("Scorecard", "listScorecardByAccountIdAndExternalId",
     Index("byAccountIdAndExternalId", "listScorecardByAccountIdAndExternalId", "accountId", ("externalId",))),
])
def test_specific_indexes_with_their_sort_keys(plexus, model, query_field, expected):
    assert plexus.models[model].index(query_field) == expected


def test_relation_gsis_have_a_name_and_no_query_field(plexus):
    assert Index("gsi-DataSourceVersion.dataSourcesAsCurrentVersion", None, "currentVersionId", ()) \
        in plexus.models["DataSource"].indexes
    assert Index("gsi-ScoreVersion.scoresAsChampion", None, "championVersionId", ()) in plexus.models["Score"].indexes


def test_an_unknown_index_query_is_a_key_error(plexus):
    with pytest.raises(KeyError, match="listDataSourceByVersionNumber"):
        plexus.models["DataSource"].index("listDataSourceByVersionNumber")


@pytest.mark.parametrize("model, required", [
    ("Account", {"name", "key"}),
    ("Scorecard", {"name", "key", "accountId"}),
    ("ScorecardSection", {"name", "order", "scorecardId"}),
    ("Score", {"name", "order", "type", "sectionId", "scorecardId", "externalId"}),
    ("ScoreVersion", {"scoreId", "configuration"}),
    ("DataSource", {"name", "accountId"}),
    ("DataSourceVersion", {"dataSourceId", "yamlConfiguration", "isFeatured"}),
    ("DataSet", {"accountId", "dataSourceVersionId"}),
])
def test_required_create_inputs(plexus, model, required):
    assert plexus.models[model].create_required == required


# The SDL's Create<Model>Input takes createdAt/updatedAt for the four models that declare them in
# resource.ts (ScoreVersion, DataSource, DataSourceVersion, DataSet); the server sets them for the others.
@pytest.mark.parametrize("model, takes_timestamps", [
    ("Account", False), ("Scorecard", False), ("ScorecardSection", False), ("Score", False),
    ("ScoreVersion", True), ("DataSource", True), ("DataSourceVersion", True), ("DataSet", True),
])
def test_which_create_inputs_take_timestamps(plexus, model, takes_timestamps):
    assert plexus.models[model].timestamps_in_input is takes_timestamps


def test_field_kinds_and_requiredness(plexus):
    data_source = plexus.models["DataSource"].fields
    assert data_source["id"] == Field("ID", True)
    assert data_source["name"] == Field("String", True)
    assert data_source["key"] == Field("String", False)
    assert data_source["attachedFiles"] == Field("String", False, is_list=True)
    assert data_source["createdAt"] == Field("AWSDateTime", True)
    assert plexus.models["DataSourceVersion"].fields["isFeatured"] == Field("Boolean", True)
    assert plexus.models["ScoreVersion"].fields["isFeatured"] == Field("String", False)
    assert plexus.models["Score"].fields["order"] == Field("Int", True)
    assert plexus.models["Score"].fields["accuracy"] == Field("Float", False)
    assert plexus.models["DataSet"].fields["buildContext"] == Field("AWSJSON", False)
    assert "metadata" not in plexus.models["Score"].fields  # Plexus's Score has none


def test_relationship_fields_are_relations_not_stored_fields(plexus):
    data_source = plexus.models["DataSource"]
    assert {"account", "scorecard", "score", "versions", "currentVersion"} == set(data_source.relations)
    assert not set(data_source.relations) & set(data_source.fields)


def test_relations(plexus):
    version = plexus.models["DataSourceVersion"].relations
    source = plexus.models["DataSource"].relations
    assert version["dataSource"] == Relation("BELONGS_TO", "DataSource", target_names=("dataSourceId",))
    assert source["versions"] == Relation("HAS_MANY", "DataSourceVersion", associated_with=("dataSourceId",))
    assert source["currentVersion"] == Relation("BELONGS_TO", "DataSourceVersion",
                                                target_names=("currentVersionId",))
    assert version["dataSourcesAsCurrentVersion"] == Relation("HAS_MANY", "DataSource",
                                                              associated_with=("currentVersionId",))
    assert version["childVersions"] == Relation("HAS_MANY", "DataSourceVersion",
                                                associated_with=("parentVersionId",))
    assert plexus.models["DataSet"].relations["dataSourceVersion"] == Relation(
        "BELONGS_TO", "DataSourceVersion", target_names=("dataSourceVersionId",))


def test_the_contract_is_loaded_once_and_frozen(plexus):
    assert load_contract("plexus") is plexus
    with pytest.raises(TypeError):
        plexus.models["Extra"] = plexus.models["Account"]  # type: ignore[index]
    assert plexus.sdl.startswith("# AWS Amplify Gen2 (AppSync) SDL")


def test_an_unknown_contract_name_is_refused():
    with pytest.raises(ValueError, match="no contract named 'nope'; known: plan, plexus"):
        load_contract("nope")


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the shared contract folder {SHARED} is not on this machine")
@pytest.mark.parametrize("file_name", CONTRACT_FILES["plexus"])
def test_the_packaged_copies_are_byte_identical_to_the_shared_contract(file_name):
    assert PACKAGED.joinpath(file_name).read_bytes() == (SHARED / file_name).read_bytes()


def test_an_index_queried_by_a_field_the_sdl_lacks_is_refused():
    sdl_text, introspection = _files()
    tampered = copy.deepcopy(introspection)
    key = next(a for a in tampered["models"]["DataSource"]["attributes"]
               if a["type"] == "key" and a["properties"].get("queryField") == "listDataSourceByAccountIdAndName")
    key["properties"]["queryField"] = "listDataSourceByAccountIdAndTitle"
    with pytest.raises(ValueError, match="DataSource: index 'dataSourcesByAccountIdAndName' is queried by "
                                         "'listDataSourceByAccountIdAndTitle', which is not a Query field"):
        Contract.from_files(sdl_text, tampered)


def test_a_model_the_sdl_lacks_is_refused():
    sdl_text, introspection = _files()
    tampered = copy.deepcopy(introspection)
    tampered["models"]["Dataset"] = copy.deepcopy(tampered["models"]["DataSource"]) | {"name": "Dataset"}
    with pytest.raises(ValueError, match=r"the SDL has no type 'Dataset' \(model Dataset of the introspection\)"):
        Contract.from_files(sdl_text, tampered)


def test_an_index_on_a_field_the_model_lacks_is_refused():
    sdl_text, introspection = _files()
    tampered = copy.deepcopy(introspection)
    tampered["models"]["DataSourceVersion"]["attributes"].append(
        {"type": "key", "properties": {"name": "byVersionNumber", "fields": ["dataSourceId", "versionNumber"]}})
    with pytest.raises(ValueError, match=r"uses \['versionNumber'\], not stored fields"):
        Contract.from_files(sdl_text, tampered)


# --- the dataset plan's contract ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan() -> Contract:
    return load_contract("plan")


# The plan's indexes, as the introspection lists them: each has a query field and no sort key.
PLAN_INDEXES = {
    "Scorecard": [("scorecardsByKey", "listScorecardByKey", "key"),
                  ("scorecardsByExternalId", "listScorecardByExternalId", "externalId"),
                  ("scorecardsByAccountId", "listScorecardByAccountId", "accountId")],
    "ScorecardSection": [("scorecardSectionsByScorecardId", "listScorecardSectionByScorecardId", "scorecardId")],
    "Score": [("scoresByKey", "listScoreByKey", "key"), ("scoresByExternalId", "listScoreByExternalId", "externalId"),
              ("scoresBySectionId", "listScoreBySectionId", "sectionId")],
    "Dataset": [("datasetsByScorecardId", "listDatasetByScorecardId", "scorecardId"),
                ("datasetsByScoreId", "listDatasetByScoreId", "scoreId")],
    "DatasetVersion": [("datasetVersionsByDatasetId", "listDatasetVersionByDatasetId", "datasetId")],
    "DatasetProfile": [("datasetProfilesByDatasetId", "listDatasetProfileByDatasetId", "datasetId"),
                       ("datasetProfilesByDatasetVersionId", "listDatasetProfileByDatasetVersionId",
                        "datasetVersionId")],
}


def test_the_plan_contract_has_its_six_models_and_their_indexes(plan):
    assert list(plan.models) == list(PLAN_INDEXES)
    for model, expected in PLAN_INDEXES.items():
        assert plan.models[model].indexes == tuple(Index(name, query, pk, ()) for name, query, pk in expected), model
        assert plan.models[model].primary_key == Index(None, None, "id", ())


@pytest.mark.parametrize("model, required", [
    ("Scorecard", {"name", "key", "accountId"}),
    ("ScorecardSection", {"name", "order", "scorecardId"}),
    ("Score", {"name", "order", "type", "sectionId"}),
    ("Dataset", {"name", "scorecardId"}),
    ("DatasetVersion", {"datasetId", "versionNumber", "configuration"}),
    ("DatasetProfile", {"datasetId", "datasetVersionId", "columnList", "recordCounts", "answerDistribution"}),
])
def test_plan_required_create_inputs(plan, model, required):
    assert plan.models[model].create_required == required


def test_plan_field_kinds(plan):
    assert plan.models["DatasetVersion"].fields["configuration"] == Field("AWSJSON", True)
    assert plan.models["DatasetVersion"].fields["versionNumber"] == Field("Int", True)
    assert plan.models["DatasetProfile"].fields["columnList"] == Field("String", True, is_list=True)
    assert plan.models["Score"].fields["metadata"] == Field("AWSJSON", False)
    assert plan.models["Dataset"].fields["createdAt"] == Field("AWSDateTime", True)
    assert plan.models["Dataset"].timestamps_in_input and not plan.models["Scorecard"].timestamps_in_input


def test_plan_relations(plan):
    dataset, version = plan.models["Dataset"].relations, plan.models["DatasetVersion"].relations
    assert dataset == {
        "scorecard": Relation("BELONGS_TO", "Scorecard", target_names=("scorecardId",)),
        "score": Relation("BELONGS_TO", "Score", target_names=("scoreId",)),
        "currentVersion": Relation("BELONGS_TO", "DatasetVersion", target_names=("currentVersionId",)),
        "versions": Relation("HAS_MANY", "DatasetVersion", associated_with=("datasetId",)),
        "profiles": Relation("HAS_MANY", "DatasetProfile", associated_with=("datasetId",)),
    }
    # The reverse of currentVersion: a hasMany on a field no declared index covers (a relation GSI only).
    assert version["datasetsAsCurrentVersion"] == Relation("HAS_MANY", "Dataset", associated_with=("currentVersionId",))
    assert plan.models["Scorecard"].relations["sections"] == Relation("HAS_MANY", "ScorecardSection",
                                                                      associated_with=("scorecardId",))
    assert plan.models["ScorecardSection"].relations["scorecard"] == Relation("BELONGS_TO", "Scorecard",
                                                                              target_names=("scorecardId",))


def test_the_plan_sdl_is_the_one_the_client_validates_against():
    from plexus_datasets.backends.contract import schema_text

    sdl_file, _ = CONTRACT_FILES["plan"]
    assert PLAN_PACKAGED.joinpath(sdl_file).read_text(encoding="utf-8") == schema_text()
    assert load_contract("plan").sdl == schema_text()


@pytest.mark.skipif(not SHARED_PLAN_SDL.is_file(), reason=f"the shared contract {SHARED_PLAN_SDL} is not on this machine")
def test_the_plan_sdl_is_byte_identical_to_the_shared_contract():
    sdl_file, _ = CONTRACT_FILES["plan"]
    assert PLAN_PACKAGED.joinpath(sdl_file).read_bytes() == SHARED_PLAN_SDL.read_bytes()


@pytest.mark.skipif(NODE is None or not (AMPLIFY_CLIENT / "node_modules").is_dir(),
                    reason="Node.js and tests/amplify_client/node_modules are needed to regenerate the plan's "
                           "model introspection (scripts/test.sh installs them)")
def test_the_plan_introspection_is_what_amplifys_generator_makes(tmp_path):
    generated = tmp_path / "model_introspection.json"
    subprocess.run([NODE, "gen.mjs", str(generated)], cwd=AMPLIFY_CLIENT, check=True, timeout=120,
                   capture_output=True)
    _, introspection_file = CONTRACT_FILES["plan"]
    assert PLAN_PACKAGED.joinpath(introspection_file).read_bytes() == generated.read_bytes()
