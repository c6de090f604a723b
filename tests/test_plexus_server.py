"""The stand-in serving Plexus's deployed schema (``serve --schema plexus``), checked with raw GraphQL over HTTP.

Covers the contract README §4 (typical documents, and Plexus's own 29 documents from
``tests/data/plexus_documents/``) and §5 (the AppSync semantics a stand-in must reproduce), plus the plan
server's createdAt/updatedAt fix and a smoke run of it.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server import create_app, ensure_account
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ItemStore
from tests.conftest import API_KEY
from tests.servers import ServeProcess, ThreadedServer

DOCUMENTS = json.loads((Path(__file__).parent / "data" / "plexus_documents" / "documents.json").read_text("utf-8"))
SERVER_NOW = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")  # AppSync's nowISO8601()

CREATE_DS = ("mutation C($i: CreateDataSourceInput!, $c: ModelDataSourceConditionInput) { createDataSource(input: $i, "
             "condition: $c) { id name key accountId scorecardId scoreId currentVersionId description createdAt "
             "updatedAt } }")
UPDATE_DS = ("mutation U($i: UpdateDataSourceInput!, $c: ModelDataSourceConditionInput) { updateDataSource(input: $i, "
             "condition: $c) { id name key scorecardId currentVersionId description yamlConfiguration createdAt "
             "updatedAt } }")
DELETE_DS = "mutation D($i: DeleteDataSourceInput!) { deleteDataSource(input: $i) { id name key } }"
CREATE_DSV = ("mutation C($i: CreateDataSourceVersionInput!) { createDataSourceVersion(input: $i) { id dataSourceId "
              "yamlConfiguration isFeatured note createdAt updatedAt } }")
CREATE_SET = ("mutation C($i: CreateDataSetInput!) { createDataSet(input: $i) { id accountId dataSourceVersionId "
              "isReferenceDataset buildContext provenance createdAt updatedAt } }")
CREATE_SV = ("mutation C($i: CreateScoreVersionInput!) { createScoreVersion(input: $i) { id isFeatured createdAt } }")
UPDATE_SV = ("mutation U($i: UpdateScoreVersionInput!) { updateScoreVersion(input: $i) { id isFeatured createdAt } }")
VERSIONS_BY_CREATED = ("query Q($ds: String!, $sk: ModelStringKeyConditionInput, $dir: ModelSortDirection) { "
                       "listDataSourceVersionByDataSourceIdAndCreatedAt(dataSourceId: $ds, createdAt: $sk, "
                       "sortDirection: $dir) { items { id createdAt } nextToken } }")
FEATURED = ("query Q($s: String!, $sk: ModelScoreVersionByScoreIdAndIsFeaturedAndCreatedAtCompositeKeyConditionInput, "
            "$dir: ModelSortDirection) { listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt(scoreId: $s, "
            "isFeaturedCreatedAt: $sk, sortDirection: $dir) { items { id isFeatured createdAt } nextToken } }")


# --- servers and requests --------------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    items = ItemStore(str(tmp_path / "plexus.db"), load_contract("plexus"))
    yield items
    items.close()


@pytest.fixture
def server(store):
    with ThreadedServer(create_app(store, API_KEY)) as running:
        yield running


def post(server, query: str, variables: dict | None = None, key: str | None = API_KEY) -> dict[str, Any]:
    headers = {"x-api-key": key} if key is not None else {}
    response = requests.post(server.url, json={"query": query, "variables": variables or {}}, headers=headers,
                             timeout=20)
    assert response.status_code == 200, response.text
    return response.json()


def ok(server, query: str, variables: dict | None = None) -> dict[str, Any]:
    """The ``data`` of a request that must succeed."""
    body = post(server, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    return body["errors"][0]


def plexus_now(offset_seconds: float = 0) -> str:
    """A timestamp as Plexus writes them: ``datetime.now(timezone.utc).isoformat()``."""
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


def day(n: int) -> str:
    return f"2025-01-{n:02d}T00:00:00.000Z"


def make_source(server, **fields) -> dict[str, Any]:
    return ok(server, CREATE_DS, {"i": {"name": "calls", "accountId": "acc-1", **fields}})["createDataSource"]


def make_version(server, source_id: str, **fields) -> dict[str, Any]:
    data = {"dataSourceId": source_id, "yamlConfiguration": "class: CSVLoader\n", "isFeatured": True, **fields}
    return ok(server, CREATE_DSV, {"i": data})["createDataSourceVersion"]


def make_data_set(server, **fields) -> dict[str, Any]:
    data = {"accountId": "acc-1", "dataSourceVersionId": "v-1", **fields}
    return ok(server, CREATE_SET, {"i": data})["createDataSet"]


def ids(connection: dict[str, Any]) -> list[str]:
    return [item["id"] for item in connection["items"]]


# --- create ----------------------------------------------------------------------------------


def test_plexus_shaped_creates_keep_client_timestamps_and_set_server_ones(server):
    created, updated = plexus_now(), plexus_now(0.5)
    source = make_source(server, key="calls-key", description="Calls", scorecardId="sc-1", createdAt=created,
                         updatedAt=updated)
    assert (source["createdAt"], source["updatedAt"]) == (created, updated)  # kept as sent: +00:00, microseconds
    assert len(source["id"]) == 36 and source["key"] == "calls-key"
    version = make_version(server, source["id"], note="first", createdAt=created, updatedAt=created)
    assert version["isFeatured"] is True and version["createdAt"] == created
    data_set = make_data_set(server, dataSourceVersionId=version["id"], name="calls - v1")
    assert SERVER_NOW.match(data_set["createdAt"]) and data_set["createdAt"] == data_set["updatedAt"]
    account = ok(server, "mutation { createAccount(input: {name: \"A\", key: \"a\"}) { id createdAt updatedAt } }")
    assert SERVER_NOW.match(account["createAccount"]["createdAt"])


def test_created_at_without_updated_at_gets_server_now(server):
    source = make_source(server, createdAt="2020-01-01T00:00:00.000000+00:00")
    assert source["createdAt"] == "2020-01-01T00:00:00.000000+00:00"
    assert SERVER_NOW.match(source["updatedAt"])
    assert datetime.fromisoformat(source["updatedAt"]) > datetime.now(UTC) - timedelta(minutes=1)
    only_updated = make_source(server, updatedAt="2021-01-01T00:00:00Z")
    assert only_updated["updatedAt"] == "2021-01-01T00:00:00Z" and SERVER_NOW.match(only_updated["createdAt"])
    neither = make_source(server)
    assert neither["createdAt"] == neither["updatedAt"]


def missing_field(field: str, type_: str, input_type: str) -> re.Pattern[str]:
    """graphql-core's message for a required input field left out: 3.2's wording (the contract README's), or
    3.3's, which names the input type instead."""
    return re.compile(re.escape(f"Field '{field}' of required type '{type_}' was not provided.") + "|" +
                      re.escape(f"Expected value of type '{input_type}' to include required field '{field}'"))


def test_required_inputs_are_validation_errors_and_write_nothing(server):
    body = post(server, CREATE_DSV, {"i": {"dataSourceId": "ds-1", "yamlConfiguration": "x: 1\n"}})
    assert missing_field("isFeatured", "Boolean!", "CreateDataSourceVersionInput").search(error(body)["message"])
    assert error(body)["errorType"] == "ValidationError" and body.get("data") is None
    body = post(server, CREATE_SET, {"i": {"name": "no account"}})
    messages = " ".join(e["message"] for e in body["errors"])
    assert missing_field("accountId", "String!", "CreateDataSetInput").search(messages)
    assert missing_field("dataSourceVersionId", "String!", "CreateDataSetInput").search(messages)
    listed = ok(server, "{ listDataSourceVersions { items { id } } listDataSets { items { id } } }")
    assert listed == {"listDataSourceVersions": {"items": []}, "listDataSets": {"items": []}}


def test_duplicate_id_is_a_conditional_check_failure_with_a_null_field(server):
    make_source(server, id="ds-1")
    body = post(server, CREATE_DS, {"i": {"id": "ds-1", "name": "again", "accountId": "acc-1"}})
    assert body["data"] == {"createDataSource": None}
    assert error(body)["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert ok(server, '{ getDataSource(id: "ds-1") { name } }')["getDataSource"]["name"] == "calls"


def test_awsjson_round_trips_as_json_text_and_awsdatetime_needs_an_offset(server):
    context = json.dumps({"plexusDatasets": {"layout": 1, "profile": None}, "window": ["a", "b"]})
    made = make_data_set(server, buildContext=context, provenance='"labels"')
    assert isinstance(made["buildContext"], str) and json.loads(made["buildContext"]) == json.loads(context)
    fetched = ok(server, "query G($id: ID!) { getDataSet(id: $id) { buildContext provenance } }", {"id": made["id"]})
    assert json.loads(fetched["getDataSet"]["buildContext"]) == json.loads(context)
    assert fetched["getDataSet"]["provenance"] == '"labels"'
    assert error(post(server, CREATE_SET, {"i": {"accountId": "a", "dataSourceVersionId": "v", "buildContext": "{no"}}
                      ))["errorType"] == "ValidationError"
    body = post(server, CREATE_DS, {"i": {"name": "n", "accountId": "a", "createdAt": "2025-01-01T00:00:00"}})
    assert "offset" in error(body)["message"]
    nine_digits = make_source(server, createdAt="2025-01-01T00:00:00.123456789-05:00")
    assert nine_digits["createdAt"] == "2025-01-01T00:00:00.123456789-05:00"


# --- indexes ---------------------------------------------------------------------------------


def test_indexes_are_sparse(server):
    with_both = make_source(server, scorecardId="sc-1", key="k1")
    without = make_source(server, name="no scorecard, no key")
    nulled = make_source(server, name="explicit nulls", scorecardId=None)
    by_scorecard = ok(server, '{ listDataSourceByScorecardIdAndUpdatedAt(scorecardId: "sc-1") { items { id } } }')
    assert ids(by_scorecard["listDataSourceByScorecardIdAndUpdatedAt"]) == [with_both["id"]]
    by_key = ok(server, '{ listDataSourceByAccountIdAndKey(accountId: "acc-1") { items { id } } }')
    assert ids(by_key["listDataSourceByAccountIdAndKey"]) == [with_both["id"]]
    by_account = ok(server, '{ listDataSourceByAccountIdAndName(accountId: "acc-1") { items { id } } }')
    assert set(ids(by_account["listDataSourceByAccountIdAndName"])) == {with_both["id"], without["id"], nulled["id"]}
    stored = ok(server, "query G($id: ID!) { getDataSource(id: $id) { scorecardId } }", {"id": nulled["id"]})
    assert stored["getDataSource"]["scorecardId"] is None


def test_every_sort_key_operator_and_descending_order(server):
    source = make_source(server)
    made = {n: make_version(server, source["id"], createdAt=day(n))["id"] for n in range(1, 6)}

    def query(sk=None, direction=None):
        data = ok(server, VERSIONS_BY_CREATED, {"ds": source["id"], "sk": sk, "dir": direction})
        return [item["id"] for item in data["listDataSourceVersionByDataSourceIdAndCreatedAt"]["items"]]

    def expect(*days):
        return [made[n] for n in days]

    assert query() == expect(1, 2, 3, 4, 5)
    assert query(direction="DESC") == expect(5, 4, 3, 2, 1)
    assert query({"eq": day(3)}) == expect(3)
    assert query({"lt": day(3)}) == expect(1, 2)
    assert query({"le": day(3)}) == expect(1, 2, 3)
    assert query({"gt": day(3)}) == expect(4, 5)
    assert query({"ge": day(3)}, "DESC") == expect(5, 4, 3)
    assert query({"between": [day(2), day(4)]}) == expect(2, 3, 4)
    assert query({"beginsWith": "2025-01-0"}) == expect(1, 2, 3, 4, 5)
    assert query({"beginsWith": day(5)[:10]}) == expect(5)
    assert query({}) == expect(1, 2, 3, 4, 5)


def test_sort_key_conditions_take_one_operator(server):
    source = make_source(server)
    body = post(server, VERSIONS_BY_CREATED, {"ds": source["id"], "sk": {"ge": day(1), "le": day(2)}})
    assert error(body)["errorType"] == "DynamoDB:DynamoDbException"
    assert "KeyConditionExpressions must only contain one condition per key" in error(body)["message"]
    assert "ValidationException" in error(body)["message"]
    assert body["data"]["listDataSourceVersionByDataSourceIdAndCreatedAt"] is None


def test_sort_direction_needs_a_sort_key(server):
    body = post(server, '{ listAccountByKey(key: "k", sortDirection: DESC) { items { id } } }')
    assert error(body)["errorType"] == "InvalidArgumentsError"
    assert error(body)["message"] == "sortDirection is not supported for List operations without a Sort key defined."
    assert ok(server, '{ listDataSourceByAccountIdAndUpdatedAt(accountId: "a", sortDirection: DESC) { items { id } } }')
    # hasMany fields accept it (their GSIs have no sort key; the order is unspecified, as on AppSync)
    source = make_source(server)
    nested = ok(server, 'query G($id: ID!) { getDataSource(id: $id) { versions(sortDirection: DESC) { items { id } } } }',
                {"id": source["id"]})
    assert nested["getDataSource"]["versions"] == {"items": []}


def test_composite_sort_key_queries_join_fields_in_order(server):
    made = {}
    for n, featured in ((1, "true"), (2, "false"), (3, "true"), (4, "false"), (5, "true")):
        made[n] = ok(server, CREATE_SV, {"i": {"scoreId": "score-1", "configuration": "name: x\n",
                                                "isFeatured": featured, "createdAt": day(n)}})["createScoreVersion"]["id"]

    def query(sk=None, direction=None):
        data = ok(server, FEATURED, {"s": "score-1", "sk": sk, "dir": direction})
        return [item["id"] for item in data["listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt"]["items"]]

    def expect(*days):
        return [made[n] for n in days]

    assert query() == expect(2, 4, 1, 3, 5)  # "false#..." sorts before "true#..."
    assert query({"beginsWith": {"isFeatured": "true"}}) == expect(1, 3, 5)
    assert query({"beginsWith": {"isFeatured": "true"}}, "DESC") == expect(5, 3, 1)
    assert query({"eq": {"isFeatured": "false", "createdAt": day(4)}}) == expect(4)
    assert query({"between": [{"isFeatured": "true", "createdAt": day(2)},
                              {"isFeatured": "true", "createdAt": day(5)}]}) == expect(3, 5)
    assert query({"lt": {"isFeatured": "true"}}) == expect(2, 4)
    assert query({"gt": {"isFeatured": "true", "createdAt": day(3)}}) == expect(5)
    body = post(server, FEATURED, {"s": "score-1", "sk": {"eq": {"isFeatured": "true"}, "lt": {"isFeatured": "x"}}})
    assert error(body)["errorType"] == "DynamoDB:DynamoDbException"


def test_composite_sort_key_writes_must_give_every_part(server):
    version = ok(server, CREATE_SV, {"i": {"scoreId": "score-1", "configuration": "c", "isFeatured": "false",
                                           "createdAt": day(1)}})["createScoreVersion"]
    body = post(server, UPDATE_SV, {"i": {"id": version["id"], "isFeatured": "true"}})
    assert error(body)["message"] == ("When updating any part of the composite sort key for @index "
                                      "'byScoreIdAndIsFeaturedAndCreatedAt', you must provide all fields for the key. "
                                      "Missing key: 'createdAt'.")
    assert error(body)["errorType"] is None and body["data"]["updateScoreVersion"] is None
    body = post(server, UPDATE_SV, {"i": {"id": version["id"], "createdAt": day(2)}})
    assert error(body)["message"].endswith("Missing key: 'isFeatured'.")
    moved = ok(server, UPDATE_SV, {"i": {"id": version["id"], "isFeatured": "true", "createdAt": day(2)}})
    assert moved["updateScoreVersion"] == {"id": version["id"], "isFeatured": "true", "createdAt": day(2)}
    featured = ok(server, FEATURED, {"s": "score-1", "sk": {"eq": {"isFeatured": "true", "createdAt": day(2)}}})
    assert ids(featured["listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt"]) == [version["id"]]
    # Amplify's create template runs the same check over the defaults: createdAt always is one.
    body = post(server, CREATE_SV, {"i": {"scoreId": "score-1", "configuration": "c"}})
    assert error(body)["message"] == ("When creating any part of the composite sort key for @index "
                                      "'byScoreIdAndIsFeaturedAndCreatedAt', you must provide all fields for the key. "
                                      "Missing key: 'isFeatured'.")


# --- update and delete -----------------------------------------------------------------------


def test_update_sets_updated_at_and_removes_explicit_nulls(server):
    source = make_source(server, key="k1", description="keep", scorecardId="sc-1", createdAt=day(1), updatedAt=day(1))
    updated = ok(server, UPDATE_DS, {"i": {"id": source["id"], "key": None}})["updateDataSource"]
    assert updated["key"] is None and updated["description"] == "keep" and updated["scorecardId"] == "sc-1"
    assert SERVER_NOW.match(updated["updatedAt"]) and updated["createdAt"] == day(1)
    by_key = ok(server, '{ listDataSourceByAccountIdAndKey(accountId: "acc-1") { items { id } } }')
    assert by_key["listDataSourceByAccountIdAndKey"]["items"] == []
    given = ok(server, UPDATE_DS, {"i": {"id": source["id"], "description": "new", "updatedAt": day(9)}})
    assert given["updateDataSource"]["updatedAt"] == day(9)
    body = post(server, UPDATE_DS, {"i": {"id": "missing", "name": "x"}})
    assert error(body)["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert body["data"]["updateDataSource"] is None


def test_current_version_compare_and_set(server):
    source = make_source(server)
    first, second = make_version(server, source["id"])["id"], make_version(server, source["id"])["id"]
    none_yet = {"or": [{"currentVersionId": {"attributeExists": False}}, {"currentVersionId": {"attributeType": "_null"}}]}
    moved = ok(server, UPDATE_DS, {"i": {"id": source["id"], "currentVersionId": first}, "c": none_yet})
    assert moved["updateDataSource"]["currentVersionId"] == first
    swapped = ok(server, UPDATE_DS, {"i": {"id": source["id"], "currentVersionId": second},
                                     "c": {"currentVersionId": {"eq": first}}})
    assert swapped["updateDataSource"]["currentVersionId"] == second
    stale = post(server, UPDATE_DS, {"i": {"id": source["id"], "currentVersionId": first},
                                     "c": {"currentVersionId": {"eq": first}}})
    assert error(stale)["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert stale["data"]["updateDataSource"] is None
    current = ok(server, "query G($id: ID!) { getDataSource(id: $id) { currentVersionId currentVersion { id } } }",
                 {"id": source["id"]})
    assert current["getDataSource"] == {"currentVersionId": second, "currentVersion": {"id": second}}


def test_delete_returns_the_old_item_and_needs_an_existing_id(server):
    source = make_source(server, key="k1")
    deleted = ok(server, DELETE_DS, {"i": {"id": source["id"]}})
    assert deleted["deleteDataSource"] == {"id": source["id"], "name": "calls", "key": "k1"}
    assert ok(server, "query G($id: ID!) { getDataSource(id: $id) { id } }", {"id": source["id"]}) == \
        {"getDataSource": None}
    again = post(server, DELETE_DS, {"i": {"id": source["id"]}})
    assert error(again)["errorType"] == "DynamoDB:ConditionalCheckFailedException"


# --- pages -----------------------------------------------------------------------------------


def test_filter_applies_after_limit_and_pages_run_to_the_end(server):
    for n in range(7):
        make_data_set(server, id=f"set-{n}", createdAt=day(n + 1), isReferenceDataset=n < 3)
    query = ("query Q($t: String) { listDataSetByAccountIdAndCreatedAt(accountId: \"acc-1\", limit: 2, nextToken: $t, "
             "filter: {isReferenceDataset: {eq: true}}) { items { id } nextToken } }")
    pages, token = [], None
    while True:
        page = ok(server, query, {"t": token})["listDataSetByAccountIdAndCreatedAt"]
        pages.append(ids(page))
        token = page["nextToken"]
        if token is None:
            break
    assert pages == [["set-0", "set-1"], ["set-2"], [], []]
    scanned, token = [], None
    while True:
        page = ok(server, "query Q($t: String) { listDataSets(limit: 3, nextToken: $t, filter: {isReferenceDataset: "
                          "{ne: true}}) { items { id } nextToken } }", {"t": token})["listDataSets"]
        scanned += ids(page)
        token = page["nextToken"]
        if token is None:
            break
    assert sorted(scanned) == ["set-3", "set-4", "set-5", "set-6"]
    assert len(ids(ok(server, "{ listDataSets { items { id } } }")["listDataSets"])) == 7  # limit defaults to 100


def test_bad_or_foreign_token_is_user_illegal_argument(server):
    for n in range(3):
        make_data_set(server, createdAt=day(n + 1))
    body = post(server, '{ listDataSets(nextToken: "garbage") { items { id } } }')
    assert error(body)["errorType"] == "DynamoDB:UserIllegalArgumentException"
    token = ok(server, "{ listDataSets(limit: 1) { nextToken } }")["listDataSets"]["nextToken"]
    assert token
    foreign = post(server, "query Q($t: String) { listDataSetByAccountIdAndCreatedAt(accountId: \"acc-1\", "
                           "nextToken: $t) { items { id } } }", {"t": token})
    assert error(foreign)["errorType"] == "DynamoDB:UserIllegalArgumentException"
    source = make_source(server)
    nested = post(server, 'query G($id: ID!) { getDataSource(id: $id) { versions(nextToken: "bad") { items { id } } } }',
                  {"id": source["id"]})
    assert error(nested)["errorType"] == "DynamoDB:UserIllegalArgumentException"


# --- relations -------------------------------------------------------------------------------


def test_has_many_and_belongs_to_fields(server):
    source = make_source(server)
    versions = [make_version(server, source["id"], createdAt=day(n))["id"] for n in (1, 2, 3)]
    sets = [make_data_set(server, dataSourceVersionId=versions[0])["id"] for _ in range(2)]
    nested = ok(server, """query G($id: ID!) { getDataSource(id: $id) {
        versions { items { id dataSource { id } dataSets { items { id dataSourceVersion { id } } nextToken } } nextToken }
    } }""", {"id": source["id"]})["getDataSource"]
    assert sorted(ids(nested["versions"])) == sorted(versions) and nested["versions"]["nextToken"] is None
    by_version = {v["id"]: v for v in nested["versions"]["items"]}
    assert all(v["dataSource"] == {"id": source["id"]} for v in by_version.values())
    assert sorted(ids(by_version[versions[0]]["dataSets"])) == sorted(sets)
    assert all(s["dataSourceVersion"] == {"id": versions[0]} for s in by_version[versions[0]]["dataSets"]["items"])
    assert by_version[versions[1]]["dataSets"] == {"items": [], "nextToken": None}
    # hasMany pages like a list: limit, nextToken, filter after the limit
    seen, token = [], None
    while True:
        page = ok(server, "query G($id: ID!, $t: String, $skip: String) { getDataSource(id: $id) { versions(limit: 1, "
                          "nextToken: $t, filter: {createdAt: {ne: $skip}}) { items { id } nextToken } } }",
                  {"id": source["id"], "t": token, "skip": day(2)})["getDataSource"]["versions"]
        seen += ids(page)
        token = page["nextToken"]
        if token is None:
            break
    assert sorted(seen) == sorted([versions[0], versions[2]])
    orphan = make_data_set(server, dataSourceVersionId="nowhere")
    got = ok(server, "query G($id: ID!) { getDataSet(id: $id) { dataSourceVersion { id } scorecard { id } } }",
             {"id": orphan["id"]})
    assert got["getDataSet"] == {"dataSourceVersion": None, "scorecard": None}


class CountingStore(ItemStore):
    """A real item store that counts its reads (to see the batching, never to fake storage)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[str] = []

    def get_many(self, model, ids):
        self.calls.append(f"get_many {model}")
        return super().get_many(model, ids)

    def query_many(self, model, index, pks, **kwargs):
        self.calls.append(f"query_many {model}")
        return super().query_many(model, index, pks, **kwargs)

    def query(self, model, index, pk, **kwargs):
        self.calls.append(f"query {model}")
        return super().query(model, index, pk, **kwargs)

    def scan(self, model, **kwargs):
        self.calls.append(f"scan {model}")
        return super().scan(model, **kwargs)


def test_a_nested_level_costs_one_store_call(tmp_path):
    store = CountingStore(str(tmp_path / "counted.db"), load_contract("plexus"))
    try:
        with ThreadedServer(create_app(store, API_KEY)) as server:
            for s in range(4):
                source = make_source(server, id=f"ds-{s}")
                for v in range(2):
                    version = make_version(server, source["id"], id=f"v-{s}-{v}")
                    make_data_set(server, dataSourceVersionId=version["id"], scorecardId=f"sc-{s}")
            store.calls.clear()
            data = ok(server, "{ listDataSources { items { id versions { items { id dataSets { items { id "
                              "dataSourceVersion { id } scorecard { id } } } } } } } }")
            assert sum(len(s["versions"]["items"]) for s in data["listDataSources"]["items"]) == 8
            assert store.calls == ["scan DataSource", "query_many DataSourceVersion", "query_many DataSet",
                                   "get_many Scorecard"]  # the DataSourceVersions were read on the level above
    finally:
        store.close()


# --- limits ----------------------------------------------------------------------------------


def test_the_plan_servers_limits_apply(server):
    big = "x" * (401 * 1024)
    body = post(server, CREATE_DS, {"i": {"name": "big", "accountId": "a", "description": big}})
    assert error(body)["errorType"] == "DynamoDB:DynamoDbException" and "Item size" in error(body)["message"]
    body = post(server, CREATE_DS, {"i": {"name": "n", "accountId": ""}})
    assert "empty string value. Key: accountId" in error(body)["message"]
    raw = json.dumps({"query": CREATE_DS, "variables": {"i": {"name": "\\ud800", "accountId": "a"}}}
                     ).replace("\\\\ud800", "\\ud800")  # a lone surrogate, as JSON allows and UTF-8 doesn't
    response = requests.post(server.url, data=raw.encode(), timeout=10,
                             headers={"x-api-key": API_KEY, "content-type": "application/json"})
    assert "not valid UTF-8" in error(response.json())["message"]
    deep = "{ listDataSources { items { " + "versions { items { dataSource { " * 6 + "id" + " } } }" * 6 + " } } }"
    body = post(server, deep)
    assert error(body)["errorType"] == "ValidationError" and "depth" in error(body)["message"]
    assert ok(server, "{ listDataSources { items { id } } }") == {"listDataSources": {"items": []}}
    refused = requests.post(server.url, json={"query": "{ listDataSources { items { id } } }"},
                            headers={"x-api-key": "wrong"}, timeout=10)
    assert refused.status_code == 401 and refused.json() == {
        "errors": [{"errorType": "UnauthorizedException", "message": "You are not authorized to make this call."}]}


# --- auth ------------------------------------------------------------------------------------


def _signed(url: str, body: bytes, access_key: str, secret: str) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(Credentials(access_key, secret), "appsync", "us-west-2").add_auth(request)
    return dict(request.headers.items())


def test_iam_signed_requests_alongside_the_api_key(store):
    credentials = {"AKIDPLEXUSTEST": "secret-key-for-tests"}
    with ThreadedServer(create_app(store, API_KEY, iam_credentials=credentials)) as server:
        body = json.dumps({"query": "{ listDataSources { items { id } } }"}).encode()
        headers = _signed(server.url, body, "AKIDPLEXUSTEST", "secret-key-for-tests")
        signed = requests.post(server.url, data=body, headers=headers, timeout=10)
        assert signed.status_code == 200 and signed.json() == {"data": {"listDataSources": {"items": []}}}
        forged = requests.post(server.url, data=body, headers=_signed(server.url, body, "AKIDPLEXUSTEST", "wrong"),
                               timeout=10)
        assert forged.status_code == 403 and forged.headers["x-amzn-errortype"] == "InvalidSignatureException"
        assert "secret-key-for-tests" not in forged.text
        tampered = requests.post(server.url, data=body.replace(b"id", b"name"), headers=headers, timeout=10)
        assert tampered.status_code == 403
        assert post(server, "{ listDataSources { items { id } } }")["data"] == {"listDataSources": {"items": []}}
        anonymous = requests.post(server.url, json={"query": "{ listDataSources { items { id } } }"}, timeout=10)
        assert anonymous.status_code == 401 and anonymous.headers["x-amzn-errortype"] == "UnauthorizedException"
    with ThreadedServer(create_app(store, None, iam_credentials=credentials)) as iam_only:
        assert requests.post(iam_only.url, json={"query": "{ listDataSources { items { id } } }"},
                             timeout=10).status_code == 401
        signed = requests.post(iam_only.url, data=body, headers=_signed(iam_only.url, body, "AKIDPLEXUSTEST",
                                                                        "secret-key-for-tests"), timeout=10)
        assert signed.status_code == 200


# --- Plexus's own documents (README §4 B) ----------------------------------------------------


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if not d["valid"]], ids=lambda d: f"#{d['number']}")
def test_plexus_documents_broken_upstream_fail_validation(server, document):
    body = post(server, document["document"], {"id": "x", "key": "k", "name": "n", "dataSourceVersionId": "v"})
    assert body.get("data") is None
    assert [e["message"] for e in body["errors"]] == document["messages"]
    assert {e["errorType"] for e in body["errors"]} == {"ValidationError"}


def test_the_documents_are_plexus_s_29(server):
    assert [d["number"] for d in DOCUMENTS] == list(range(1, 30))
    assert sorted(d["number"] for d in DOCUMENTS if not d["valid"]) == [17, 18, 19, 25]
    assert all(d["where"] and d["document"].strip() for d in DOCUMENTS)


def test_plexus_documents_run_with_realistic_variables(server):
    docs = {d["number"]: d for d in DOCUMENTS}
    ran: set[int] = set()

    def run(number: int, variables: dict[str, Any]) -> dict[str, Any]:
        assert docs[number]["valid"]
        ran.add(number)
        return ok(server, docs[number]["document"], variables)

    def page_through(number: int, field: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
        items, token = [], None
        while True:
            page = run(number, {**variables, "nextToken": token})[field]
            items += page["items"]
            token = page["nextToken"]
            if token is None:
                return items

    settings = json.dumps({"timezone": "UTC"})
    account = ok(server, "mutation C($i: CreateAccountInput!) { createAccount(input: $i) { id } }",
                 {"i": {"name": "Acme", "key": "acme", "settings": settings}})["createAccount"]["id"]
    assert ensure_account_by_key(server, account)

    # account.py Account.get_by_key
    found = run(29, {"key": "acme"})["listAccountByKey"]["items"]
    assert [(a["id"], a["name"], a["key"], json.loads(a["settings"])) for a in found] == \
        [(account, "Acme", "acme", {"timezone": "UTC"})]

    # datasets.py: create a DataSource, its first version, point at it; then a second version
    created = plexus_now()
    yaml_v1 = "class: FeedbackItems\nscorecard: 1438\nscore: 45813\ndays: 30\n"
    source = run(10, {"input": {"name": "Greeting calls", "key": "greeting-calls", "description": "calls",
                                "yamlConfiguration": yaml_v1, "accountId": account, "scorecardId": "sc-1",
                                "scoreId": "score-1", "createdAt": created, "updatedAt": created}})["createDataSource"]
    assert {k: source[k] for k in ("name", "accountId", "scorecardId", "scoreId")} == \
        {"name": "Greeting calls", "accountId": account, "scorecardId": "sc-1", "scoreId": "score-1"}
    ds = source["id"]
    v1 = run(4, {"input": {"dataSourceId": ds, "yamlConfiguration": yaml_v1, "isFeatured": True,
                           "note": "Initial version", "createdAt": created, "updatedAt": created}}
             )["createDataSourceVersion"]["id"]
    assert run(5, {"input": {"id": ds, "currentVersionId": v1}})["updateDataSource"] == \
        {"id": ds, "currentVersionId": v1}
    yaml_v2 = yaml_v1.replace("days: 30", "days: 60")
    later = plexus_now(1)
    second = run(11, {"input": {"dataSourceId": ds, "yamlConfiguration": yaml_v2, "isFeatured": False,
                                "parentVersionId": v1, "createdAt": later, "updatedAt": later}}
                 )["createDataSourceVersion"]
    v2 = second["id"]
    assert second["dataSourceId"] == ds and v2 != v1
    assert run(12, {"input": {"id": ds, "currentVersionId": v2, "yamlConfiguration": yaml_v2}})["updateDataSource"] == \
        {"id": ds, "currentVersionId": v2}

    # MCP execute.py, evaluations.py, data_utils.py, base.py: read them back
    assert run(1, {"id": v2})["getDataSourceVersion"] == {"id": v2, "yamlConfiguration": yaml_v2}
    got = run(16, {"id": ds})["getDataSource"]
    assert got == {"id": ds, "name": "Greeting calls", "key": "greeting-calls", "currentVersionId": v2,
                   "attachedFiles": None, "yamlConfiguration": yaml_v2, "accountId": account}
    got = run(26, {"id": ds})["getDataSource"]
    assert got["createdAt"] == created and got["updatedAt"] != created and SERVER_NOW.match(got["updatedAt"])
    full = run(28, {"id": ds})["getDataSource"]
    assert (full["scoreId"], full["scorecardId"], full["description"]) == ("score-1", "sc-1", "calls")

    # data_source.py: the account-scoped lookups, and the paged scan
    other = make_source(server, name="Other account's", accountId="acc-other", key="greeting-calls")
    by_key = run(23, {"accountId": account, "key": {"eq": "greeting-calls"}, "limit": 10, "nextToken": None})
    assert ids(by_key["listDataSourceByAccountIdAndKey"]) == [ds]
    by_name = run(24, {"accountId": account, "name": {"eq": "Greeting calls"}, "limit": 10, "nextToken": None})
    assert [(s["id"], s["currentVersionId"]) for s in by_name["listDataSourceByAccountIdAndName"]["items"]] == [(ds, v2)]
    listed = page_through(22, "listDataSources", {"filter": {"accountId": {"eq": account}}, "limit": 1})
    assert [s["id"] for s in listed] == [ds]
    everything = page_through(22, "listDataSources", {"filter": None, "limit": 1})
    assert sorted(s["id"] for s in everything) == sorted([ds, other["id"]])

    # curation.py / datasets.py: DataSets made against the current version, then their file
    base = {"accountId": account, "scorecardId": "sc-1", "scoreId": "score-1", "dataSourceVersionId": v2}
    made = {}
    for number in (2, 3, 15):
        made[number] = run(number, {"input": {**base, "name": f"Greeting calls - #{number}"}})["createDataSet"]
        assert made[number]["name"] == f"Greeting calls - #{number}" and made[number]["dataSourceVersionId"] == v2
        assert (made[number]["scoreId"], made[number]["scorecardId"]) == ("score-1", "sc-1")
    loaded = run(6, {"input": {**base, "name": "Greeting calls - v2", "scoreVersionId": "sv-1",
                               "description": "plexus dataset load"}})["createDataSet"]
    assert loaded["scoreVersionId"] == "sv-1" and loaded["dataSourceVersionId"] == v2
    failed = "FAILED: could not upload the dataset"
    assert run(7, {"input": {"id": made[2]["id"], "description": failed}})["updateDataSet"] == {"id": made[2]["id"]}
    assert run(8, {"input": {"id": made[3]["id"], "description": failed}})["updateDataSet"] == {"id": made[3]["id"]}
    file = f"datasets/{account}/{loaded['id']}/dataset.parquet"
    assert run(9, {"input": {"id": loaded["id"], "file": file}})["updateDataSet"] == {"id": loaded["id"], "file": file}
    other_file = f"datasets/{account}/{made[15]['id']}/dataset.parquet"
    assert run(13, {"input": {"id": made[15]["id"], "file": other_file}})["updateDataSet"]["file"] == other_file
    assert run(14, {"id": loaded["id"]})["getDataSet"] == {"id": loaded["id"], "file": file, "attachedFiles": None}
    read = run(20, {"id": made[2]["id"]})["getDataSet"]
    assert read["description"] == failed and read["accountId"] == account and read["file"] is None
    assert SERVER_NOW.match(read["createdAt"]) and read["updatedAt"] >= read["createdAt"]

    # evaluations.py :716 and data_utils.py :189: DataSets by score, by version (filtered scans)
    make_data_set(server, accountId=account, scoreId="score-2", dataSourceVersionId=v1)
    by_score = run(21, {"scoreId": "score-1", "limit": 100})["listDataSets"]["items"]
    assert sorted(s["id"] for s in by_score) == sorted([made[2]["id"], made[3]["id"], made[15]["id"], loaded["id"]])
    assert {s["scoreId"] for s in by_score} == {"score-1"}
    by_version = run(27, {"filter": {"dataSourceVersionId": {"eq": v2}}})["listDataSets"]["items"]
    assert {s["file"] for s in by_version} == {None, file, other_file} and len(by_version) == 4

    assert ran == {d["number"] for d in DOCUMENTS if d["valid"]}


def ensure_account_by_key(server, account_id: str) -> bool:
    """The account made through GraphQL is the one ``ensure_account`` finds (the CLI's --account-key path)."""
    found = ok(server, '{ listAccountByKey(key: "acme") { items { id } } }')["listAccountByKey"]["items"]
    return [a["id"] for a in found] == [account_id]


def test_ensure_account_finds_or_creates_once(store):
    first = ensure_account(store, "acme")
    assert ensure_account(store, "acme") == first
    account = store.get("Account", first)
    assert account["name"] == "Plexus account acme" and account["key"] == "acme"
    assert SERVER_NOW.match(account["createdAt"]) and account["__typename"] == "Account"
    assert ensure_account(store, "other") != first and store.count("Account") == 2


# --- the command -----------------------------------------------------------------------------


def test_serve_command_serves_the_plexus_schema(tmp_path):
    db = str(tmp_path / "served.db")
    extra = ["--schema", "plexus", "--account-key", "acme"]
    with ServeProcess(db, api_key="cli-key", extra=extra) as served:
        line = served.proc.stdout.readline().strip()
        assert line.startswith("Plexus account acme: ")
        account_id = line.rsplit(" ", 1)[1]
        headers = {"x-api-key": "cli-key"}
        query = '{ listAccountByKey(key: "acme") { items { id name } } }'
        found = requests.post(served.url, json={"query": query}, headers=headers, timeout=10).json()
        assert found == {"data": {"listAccountByKey": {"items": [{"id": account_id, "name": "Plexus account acme"}]}}}
        create = {"query": CREATE_DS, "variables": {"i": {"name": "calls", "accountId": account_id}}}
        made = requests.post(served.url, json=create, headers=headers, timeout=10).json()
        assert made["data"]["createDataSource"]["accountId"] == account_id
    with ServeProcess(db, api_key="cli-key", extra=extra) as again:  # same database: same account, data kept
        assert again.proc.stdout.readline().strip() == f"Plexus account acme: {account_id}"
        listed = requests.post(again.url, json={"query": "{ listDataSources { items { name } } }"},
                               headers={"x-api-key": "cli-key"}, timeout=10).json()
        assert listed == {"data": {"listDataSources": {"items": [{"name": "calls"}]}}}


def test_serve_command_plan_schema_with_iam_credentials_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSERVETEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "serve-secret")
    with ServeProcess(str(tmp_path / "plan.db"), api_key="cli-key", extra=["--iam-credentials-env"]) as served:
        body = json.dumps({"query": "{ listDatasets { items { id } nextToken } }"}).encode()
        signed = requests.post(served.url, data=body, headers=_signed(served.url, body, "AKIDSERVETEST",
                                                                      "serve-secret"), timeout=10)
        assert signed.status_code == 200 and signed.json() == {"data": {"listDatasets": {"items": [],
                                                                                         "nextToken": None}}}
        keyed = requests.post(served.url, data=body, timeout=10,
                              headers={"x-api-key": "cli-key", "content-type": "application/json"})
        assert keyed.status_code == 200
        wrong = requests.post(served.url, data=body, headers=_signed(served.url, body, "AKIDOTHER", "x"), timeout=10)
        assert wrong.status_code == 403 and "serve-secret" not in wrong.text


def test_serve_command_refuses_what_it_cannot_serve(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from plexus_datasets.cli import cli

    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    db = str(tmp_path / "x.db")
    result = CliRunner().invoke(cli, ["serve", "--db", db, "--iam-credentials-env"], obj={})
    assert result.exit_code == 1 and "AWS_ACCESS_KEY_ID" in result.output
    result = CliRunner().invoke(cli, ["serve", "--db", db, "--api-key", "k", "--account-key", "acme"], obj={})
    assert result.exit_code == 2 and "--schema plexus" in result.output


def test_store_description_names_the_schema(tmp_path):
    from plexus_datasets.compose import store_description

    described = store_description(str(tmp_path / "x.db"), "plexus")
    assert "plexus schema" in described and "DataSource" in described and "x.db" in described
    assert "plan schema" in store_description(str(tmp_path / "x.db"))


# --- the plan server -------------------------------------------------------------------------


@pytest.fixture
def plan_server(tmp_path):
    backend = SQLBackend(str(tmp_path / "plan.db"))
    with ThreadedServer(create_app(backend, API_KEY)) as running:
        yield running
    backend.close()


PLAN_CREATE = ("mutation C($i: CreateDatasetInput!) { createDataset(input: $i) { id name createdAt updatedAt "
               "scorecard { id } } }")


def test_plan_server_keeps_created_at_and_sets_updated_at_to_now(plan_server):
    made = ok(plan_server, PLAN_CREATE, {"i": {"name": "calls", "scorecardId": "sc1",
                                               "createdAt": "2020-01-01T00:00:00Z"}})["createDataset"]
    assert made["createdAt"].startswith("2020-01-01T00:00:00")
    assert datetime.fromisoformat(made["updatedAt"]) > datetime.now(UTC) - timedelta(minutes=1)
    both = ok(plan_server, PLAN_CREATE, {"i": {"name": "b", "scorecardId": "sc1", "createdAt": "2020-01-01T00:00:00Z",
                                               "updatedAt": "2021-01-01T00:00:00Z"}})["createDataset"]
    assert both["updatedAt"].startswith("2021-01-01T00:00:00")


def test_plan_server_smoke(plan_server):
    ok(plan_server, 'mutation { createScorecard(input: {id: "sc1", name: "Calls", key: "calls", accountId: "default"}) '
                    "{ id } }")
    made = ok(plan_server, PLAN_CREATE, {"i": {"name": "calls", "scorecardId": "sc1"}})["createDataset"]
    assert made["createdAt"] == made["updatedAt"] and made["scorecard"] == {"id": "sc1"}
    listed = ok(plan_server, "{ listDatasets { items { id name scorecard { name } } nextToken } }")
    assert listed == {"listDatasets": {"items": [{"id": made["id"], "name": "calls", "scorecard": {"name": "Calls"}}],
                                       "nextToken": None}}
    body = post(plan_server, '{ listDatasetByScorecardId(scorecardId: "sc1", sortDirection: DESC) { items { id } } }')
    assert error(body)["errorType"] == "InvalidArgumentsError"
    assert post(plan_server, "{ listDataSources { items { id } } }")["errors"][0]["errorType"] == "ValidationError"


def test_ensure_account_from_servers_starting_together_makes_one_account(tmp_path):
    import threading

    path = str(tmp_path / "race.db")
    stores = [ItemStore(path, load_contract("plexus")) for _ in range(4)]
    start, found = threading.Barrier(len(stores)), []

    def claim(store):
        start.wait()
        found.append(ensure_account(store, "acme"))

    threads = [threading.Thread(target=claim, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(set(found)) == 1 and stores[0].count("Account") == 1
    finally:
        for store in stores:
            store.close()


# --- explicit nulls, non-null violations, key values -----------------------------------------------


def test_an_explicit_null_on_create_is_stored_and_exists_for_conditions(server):
    source = make_source(server, description=None, scorecardId=None)
    assert source["description"] is None and source["scorecardId"] is None
    for condition in ({"description": {"attributeExists": True}}, {"description": {"attributeType": "_null"}},
                      {"scorecardId": {"attributeExists": False}}):  # a null partition key is dropped
        ok(server, UPDATE_DS, {"i": {"id": source["id"], "name": "again"}, "c": condition})
    for condition in ({"description": {"attributeExists": False}}, {"description": {"eq": "x"}},
                      {"description": {"beginsWith": ""}}):
        body = post(server, UPDATE_DS, {"i": {"id": source["id"], "name": "no"}, "c": condition})
        assert error(body)["errorType"] == "DynamoDB:ConditionalCheckFailedException"
    listed = ok(server, '{ listDataSources(filter: {description: {attributeType: _null}}) { items { id } } }')
    assert ids(listed["listDataSources"]) == [source["id"]]


def test_an_explicit_null_sort_key_on_create_is_refused(server):
    body = post(server, CREATE_DS, {"i": {"name": "calls", "accountId": "acc-1", "key": None}})
    assert error(body)["errorType"] == "DynamoDB:DynamoDbException" and "Type mismatch" in error(body)["message"]
    assert ok(server, "{ listDataSources { items { id } } }")["listDataSources"]["items"] == []


def test_a_null_in_a_non_null_field_is_appsyncs_error_and_not_logged(server, store, caplog):
    score = ok(server, 'mutation { createScore(input: {name: "S", order: 1, type: "t", sectionId: "x", '
                       'scorecardId: "c", externalId: "e"}) { id } }')["createScore"]
    caplog.set_level(logging.WARNING)
    body = post(server, "mutation U($i: UpdateScoreInput!) { updateScore(input: $i) { id externalId } }",
                {"i": {"id": score["id"], "externalId": None}})
    assert body["data"] == {"updateScore": None}
    assert body["errors"] == [{"path": ["updateScore", "externalId"], "data": None, "errorType": None,
                               "errorInfo": None, "locations": None,
                               "message": "Cannot return null for non-nullable type: 'String' within parent "
                                          "'Score' (/updateScore/externalId)"}]
    store.put("DataSource", {"id": "no-name", "accountId": "acc-1", "__typename": "DataSource"})
    body = post(server, '{ getDataSource(id: "no-name") { id name } }')
    assert error(body)["message"] == ("Cannot return null for non-nullable type: 'String' within parent "
                                      "'DataSource' (/getDataSource/name)")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_empty_key_values_in_a_query_are_refused(server):
    for query in ('{ listDataSourceByAccountIdAndKey(accountId: "") { items { id } } }',
                  '{ listDataSourceByAccountIdAndKey(accountId: "acc-1", key: {eq: ""}) { items { id } } }'):
        body = post(server, query)
        assert error(body)["errorType"] == "DynamoDB:DynamoDbException"
        assert "cannot contain an empty string value" in error(body)["message"]


def test_a_token_used_with_another_sort_key_condition_is_refused(server):
    for n in range(3):
        make_source(server, name=f"n{n}", key=f"k{n}")
    query = ("query Q($k: ModelStringKeyConditionInput, $t: String) { listDataSourceByAccountIdAndKey("
             "accountId: \"acc-1\", key: $k, limit: 1, nextToken: $t) { items { key } nextToken } }")
    token = ok(server, query, {"k": {"le": "k1"}})["listDataSourceByAccountIdAndKey"]["nextToken"]
    assert ok(server, query, {"k": {"le": "k1"}, "t": token})["listDataSourceByAccountIdAndKey"]["items"]
    body = post(server, query, {"k": {"ge": "k2"}, "t": token})
    assert error(body)["errorType"] == "DynamoDB:UserIllegalArgumentException"


def test_awsjson_nested_deeper_than_dynamodb_allows_is_refused(server):
    deep = "[" * 33 + "]" * 33
    body = post(server, CREATE_SET, {"i": {"accountId": "acc-1", "dataSourceVersionId": "v-1", "buildContext": deep}})
    assert error(body)["errorType"] == "DynamoDB:DynamoDbException" and "Nesting" in error(body)["message"]
    made = make_data_set(server, buildContext="[" * 32 + "]" * 32)
    assert json.loads(made["buildContext"])
