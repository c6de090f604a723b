"""The stand-in server's AppSync behaviour, checked with raw HTTP."""

import json
import subprocess
import sys

import pytest
import requests

from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server import create_app
from tests.conftest import API_KEY
from tests.servers import ServeProcess, ThreadedServer

CREATE_DATASET = "mutation C($i: CreateDatasetInput!, $c: ModelDatasetConditionInput) { createDataset(input: $i, condition: $c) { id name description createdAt updatedAt currentVersionId } }"
UPDATE_DATASET = "mutation U($i: UpdateDatasetInput!, $c: ModelDatasetConditionInput) { updateDataset(input: $i, condition: $c) { id name description currentVersionId updatedAt } }"
DELETE_DATASET = "mutation D($i: DeleteDatasetInput!, $c: ModelDatasetConditionInput) { deleteDataset(input: $i, condition: $c) { id } }"


@pytest.fixture
def server(tmp_path):
    store = SQLBackend(str(tmp_path / "served.db"))
    with ThreadedServer(create_app(store, API_KEY)) as running:
        yield running
    store.close()


def post(server, query, variables=None, key=API_KEY, raw=False):
    headers = {"x-api-key": key} if key is not None else {}
    response = requests.post(server.url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=10)
    return response if raw else (response.status_code, response.json())


def create(server, **fields):
    return post(server, CREATE_DATASET, {"i": {"name": "calls", "scorecardId": "sc1", **fields}})


def error_type(body):
    return body["errors"][0]["errorType"]


def test_create_generates_id_and_timestamps(server):
    status, body = create(server)
    made = body["data"]["createDataset"]
    assert status == 200 and len(made["id"]) == 36
    assert made["createdAt"].endswith("Z") and made["createdAt"] == made["updatedAt"]


def test_duplicate_create_is_a_conditional_check_failure_with_null_data(server):
    create(server, id="d1")
    status, body = create(server, id="d1", name="again")
    assert status == 200
    assert body["data"] == {"createDataset": None}
    assert error_type(body) == "DynamoDB:ConditionalCheckFailedException"
    assert post(server, "{ getDataset(id: \"d1\") { name } }")[1]["data"]["getDataset"]["name"] == "calls"


def test_update_needs_existing_id_and_honours_condition(server):
    create(server, id="d1", currentVersionId="v1", description="keep")
    _, body = post(server, UPDATE_DATASET, {"i": {"id": "d1", "currentVersionId": "v2"},
                                            "c": {"currentVersionId": {"eq": "v1"}}})
    updated = body["data"]["updateDataset"]
    assert updated["currentVersionId"] == "v2" and updated["description"] == "keep"
    _, stale = post(server, UPDATE_DATASET, {"i": {"id": "d1", "currentVersionId": "v3"},
                                             "c": {"currentVersionId": {"eq": "v1"}}})
    assert error_type(stale) == "DynamoDB:ConditionalCheckFailedException" and stale["data"]["updateDataset"] is None
    _, missing = post(server, UPDATE_DATASET, {"i": {"id": "nope", "name": "x"}})
    assert error_type(missing) == "DynamoDB:ConditionalCheckFailedException"
    _, nulled = post(server, UPDATE_DATASET, {"i": {"id": "d1", "description": None}})
    assert nulled["data"]["updateDataset"]["description"] is None
    assert nulled["data"]["updateDataset"]["currentVersionId"] == "v2"


def test_delete_needs_existing_id_and_honours_condition(server):
    create(server, id="d1")
    _, refused = post(server, DELETE_DATASET, {"i": {"id": "d1"}, "c": {"name": {"eq": "other"}}})
    assert error_type(refused) == "DynamoDB:ConditionalCheckFailedException"
    assert post(server, DELETE_DATASET, {"i": {"id": "d1"}})[1]["data"]["deleteDataset"]["id"] == "d1"
    _, again = post(server, DELETE_DATASET, {"i": {"id": "d1"}})
    assert error_type(again) == "DynamoDB:ConditionalCheckFailedException"


def test_get_missing_is_null(server):
    assert post(server, "{ getDataset(id: \"nope\") { id } }") == (200, {"data": {"getDataset": None}})


def test_limit_defaults_to_100(server):
    for i in range(105):
        create(server, id=f"d{i:03d}")
    _, body = post(server, "{ listDatasets { items { id } nextToken } }")
    assert len(body["data"]["listDatasets"]["items"]) == 100 and body["data"]["listDatasets"]["nextToken"]


def test_filter_applies_after_limit_and_pages_stay_exact(server):
    for i in range(20):
        create(server, id=f"d{i:02d}", name="wanted" if i % 7 == 6 else "other")
    query = ("query L($t: String) { listDatasets(filter: {name: {eq: \"wanted\"}}, limit: 3, nextToken: $t)"
             " { items { id } nextToken } }")
    pages, token = [], None
    while True:
        page = post(server, query, {"t": token})[1]["data"]["listDatasets"]
        pages.append([item["id"] for item in page["items"]])
        token = page["nextToken"]
        if not token:
            break
    assert any(p == [] for p in pages[:-1])  # an empty page that still carries a token
    assert [i for p in pages for i in p] == ["d06", "d13"]
    assert len(pages) == 7


def test_bad_token_and_sort_direction(server):
    _, body = post(server, "{ listDatasets(nextToken: \"garbage\") { items { id } } }")
    assert error_type(body) == "DynamoDB:UserIllegalArgumentException"
    _, body = post(server, "{ listDatasetByScorecardId(scorecardId: \"s\", sortDirection: ASC) { items { id } } }")
    assert error_type(body) == "InvalidArgumentsError"
    assert "without a Sort key" in body["errors"][0]["message"]


@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_missing_or_wrong_key_is_401(server, key):
    response = post(server, "{ listDatasets { items { id } } }", key=key, raw=True)
    assert response.status_code == 401
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert response.json()["errors"][0]["errorType"] == "UnauthorizedException"


def test_awsjson_is_json_text_both_ways(server):
    config = {"class": "FeedbackItems", "days": 30}
    mutation = ("mutation C($i: CreateDatasetVersionInput!) { createDatasetVersion(input: $i)"
                " { id configuration dataset { id } } }")
    _, body = post(server, mutation, {"i": {"datasetId": "d1", "versionNumber": 1, "configuration": json.dumps(config)}})
    returned = body["data"]["createDatasetVersion"]["configuration"]
    assert isinstance(returned, str) and json.loads(returned) == config
    _, body = post(server, mutation, {"i": {"datasetId": "d1", "versionNumber": 2, "configuration": config}})
    assert body["data"] is None and "AWSJSON" in body["errors"][0]["message"]
    _, body = post(server, mutation, {"i": {"datasetId": "d1", "versionNumber": 2, "configuration": "{nope"}})
    assert body["errors"][0]["errorType"] == "ValidationError"


def test_awsdatetime_needs_an_offset(server):
    _, body = create(server, createdAt="2025-01-01T00:00:00")
    assert body["errors"][0]["errorType"] == "ValidationError"
    _, body = create(server, id="d2", createdAt="2025-01-01T02:00:00+02:00")
    assert body["data"]["createDataset"]["createdAt"] == "2025-01-01T00:00:00.000000Z"


def test_nested_has_many_pages_and_amplify_style_filtered_scans(server):
    create(server, id="d1")
    create(server, id="d2", name="other")
    mutation = "mutation C($i: CreateDatasetVersionInput!) { createDatasetVersion(input: $i) { id } }"
    for n in range(1, 12):
        for ds in ("d1", "d2"):
            post(server, mutation, {"i": {"id": f"{ds}-v{n:02d}", "datasetId": ds, "versionNumber": n,
                                          "configuration": "{}"}})
    nested = ("query N($t: String) { getDataset(id: \"d1\") { versions(limit: 4, nextToken: $t)"
              " { items { versionNumber } nextToken } } }")
    scan = ("query S($t: String) { listDatasetVersions(filter: {datasetId: {eq: \"d1\"}}, limit: 5, nextToken: $t)"
            " { items { versionNumber } nextToken } }")
    for query, path in ((nested, ("getDataset", "versions")), (scan, ("listDatasetVersions",))):
        seen, token = [], None
        while True:
            data = post(server, query, {"t": token})[1]["data"]
            for key in path:
                data = data[key]
            seen += [item["versionNumber"] for item in data["items"]]
            token = data["nextToken"]
            if not token:
                break
        assert sorted(seen) == list(range(1, 12)) and len(seen) == 11  # no duplicates, no gaps


def test_graphql_errors_are_http_200(server):
    response = post(server, "{ noSuchField }", raw=True)
    assert response.status_code == 200 and response.json()["errors"][0]["errorType"] == "ValidationError"


def test_cors_preflight_for_browser_clients(server):
    response = requests.options(server.url, headers={"Origin": "http://localhost:3000"}, timeout=5)
    assert response.status_code == 204
    assert "x-api-key" in response.headers["access-control-allow-headers"]


def test_serve_refuses_to_start_without_a_key(tmp_path):
    result = subprocess.run([sys.executable, "-m", "plexus_datasets.cli", "serve", "--db", str(tmp_path / "x.db")],
                            capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "--insecure-no-auth" in result.stderr


def test_connect_uses_the_served_store_from_the_environment(tmp_path, monkeypatch):
    from plexus_datasets import AuthError, connect

    with ServeProcess(str(tmp_path / "team.db"), api_key="team-secret") as served:
        monkeypatch.setenv("PLEXUS_API_URL", served.url)
        monkeypatch.setenv("PLEXUS_API_KEY", "team-secret")
        svc = connect()
        assert "GraphQLBackend" in type(svc.backend).__name__
        card = svc.create_scorecard("Team QA", key="team")
        svc.create_dataset(card, "shared", configuration={"class": "InlineItems", "items": []}, note="hello")
        assert svc.resolve("shared").note == "hello"
        svc.close()
        monkeypatch.setenv("PLEXUS_API_KEY", "wrong")
        with pytest.raises(AuthError, match="PLEXUS_API_KEY") as info:
            connect().list_datasets()
        assert "wrong" not in str(info.value)
    # what the server stored is readable directly from its SQLite file
    direct = connect(str(tmp_path / "team.db"))
    assert [d.name for d in direct.list_datasets()] == ["shared"] and direct.resolve("shared").note == "hello"
