"""The stand-in server's AppSync behaviour, checked with raw HTTP."""

import json
import random
import subprocess
import sys

import pytest
import requests

from plexus_datasets.backends.base import Backend
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server import create_app
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ItemStore
from tests.conftest import API_KEY
from tests.servers import ServeProcess, ThreadedServer

CREATE_DATASET = "mutation C($i: CreateDatasetInput!, $c: ModelDatasetConditionInput) { createDataset(input: $i, condition: $c) { id name description createdAt updatedAt currentVersionId } }"
UPDATE_DATASET = "mutation U($i: UpdateDatasetInput!, $c: ModelDatasetConditionInput) { updateDataset(input: $i, condition: $c) { id name description currentVersionId updatedAt } }"
DELETE_DATASET = "mutation D($i: DeleteDatasetInput!, $c: ModelDatasetConditionInput) { deleteDataset(input: $i, condition: $c) { id } }"


@pytest.fixture(params=["sql-backend", "item-store"])
def server(request, tmp_path):
    """The plan schema over the two stores its resolvers serve: a SQLBackend (as tests seed it) and the item
    store ``serve --schema plan`` uses."""
    path = str(tmp_path / "served.db")
    store = SQLBackend(path) if request.param == "sql-backend" else ItemStore(path, load_contract("plan"))
    with ThreadedServer(create_app(store, API_KEY)) as running:
        running.kind = request.param
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
    if server.kind == "item-store":  # kept as sent, as AppSync keeps it
        assert body["data"]["createDataset"]["createdAt"] == "2025-01-01T02:00:00+02:00"
    else:  # a Backend takes AWSDateTime values as UTC text (backends.base)
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


def test_sort_direction_is_refused_on_indexes_and_accepted_on_has_many_fields(server):
    create(server, id="d1")
    _, body = post(server, '{ listDatasetByScoreId(scoreId: "s", sortDirection: DESC) { items { id } } }')
    assert error_type(body) == "InvalidArgumentsError"  # no plan index has a sort key
    # hasMany fields query their relation GSIs, which take it (the order is unspecified), as on AppSync
    _, body = post(server, '{ getDataset(id: "d1") { versions(sortDirection: DESC) { items { id } } } }')
    assert body == {"data": {"getDataset": {"versions": {"items": []}}}}


def test_the_reverse_of_current_version_lists_the_datasets_pointing_at_a_version(server):
    version = ("mutation C($i: CreateDatasetVersionInput!) { createDatasetVersion(input: $i) { id } }")
    post(server, version, {"i": {"id": "v1", "datasetId": "d1", "versionNumber": 1, "configuration": "{}"}})
    for n in range(7):
        create(server, id=f"d{n}", currentVersionId="v1" if n in (2, 5) else f"other-{n}")
    query = ('query R($t: String) { getDatasetVersion(id: "v1") { datasetsAsCurrentVersion(limit: 3, nextToken: $t) '
             "{ items { id } nextToken } } }")
    seen, token = [], None
    while True:
        page = post(server, query, {"t": token})[1]["data"]["getDatasetVersion"]["datasetsAsCurrentVersion"]
        seen += [item["id"] for item in page["items"]]
        token = page["nextToken"]
        if not token:
            break
    assert sorted(seen) == ["d2", "d5"]


def test_graphql_errors_are_http_200(server):
    response = post(server, "{ noSuchField }", raw=True)
    assert response.status_code == 200 and response.json()["errors"][0]["errorType"] == "ValidationError"


def test_cors_preflight_only_for_configured_origins(tmp_path):
    store = SQLBackend(str(tmp_path / "cors.db"))
    with ThreadedServer(create_app(store, API_KEY, cors_origins=["http://localhost:3000/"])) as server:
        allowed = requests.options(server.url, headers={"Origin": "http://localhost:3000"}, timeout=5)
        assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "x-api-key" in allowed.headers["access-control-allow-headers"]
        other = requests.options(server.url, headers={"Origin": "http://localhost:3001"}, timeout=5)
        assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    store.close()


def test_cors_origins_must_be_origins(tmp_path):
    store = SQLBackend(str(tmp_path / "cors.db"))
    for bad in ("*", "localhost:3000", "http://localhost:3000/app", "ftp://x"):
        with pytest.raises(ValueError, match="not an origin"):
            create_app(store, API_KEY, cors_origins=[bad])
    result = subprocess.run([sys.executable, "-m", "plexus_datasets.cli", "serve", "--insecure-no-auth", "--db",
                             str(tmp_path / "x.db"), "--cors-origin", "*"], check=False, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "not an origin" in result.stderr
    store.close()


def test_health(server):
    response = requests.get(server.url.replace("/graphql", "/health"), timeout=5)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_serve_refuses_to_start_without_a_key(tmp_path):
    result = subprocess.run([sys.executable, "-m", "plexus_datasets.cli", "serve", "--db", str(tmp_path / "x.db")],
                            check=False, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "--insecure-no-auth" in result.stderr


def test_connect_uses_the_served_store_from_the_environment(tmp_path, monkeypatch):
    from plexus_datasets import AuthError, connect

    with ServeProcess(str(tmp_path / "team.db"), api_key="team-secret") as served:
        monkeypatch.setenv("PLEXUS_API_URL", served.url)
        monkeypatch.setenv("PLEXUS_API_KEY", "team-secret")
        svc = connect()
        assert "DetectedBackend" in type(svc.backend).__name__
        card = svc.create_scorecard("Team QA", key="team")
        svc.create_dataset(card, "shared", configuration={"class": "InlineItems", "items": [{"a": 1}]}, note="hello")
        assert svc.resolve("shared").note == "hello"
        svc.close()
        monkeypatch.setenv("PLEXUS_API_KEY", "wrong")
        with pytest.raises(AuthError, match="PLEXUS_API_KEY") as info:
            connect().list_datasets()
        assert "wrong" not in str(info.value)
    # what the server stored is in its SQLite file, as items (the embedded store's tables there are its own)
    items = ItemStore(str(tmp_path / "team.db"), load_contract("plan"))
    assert [item["name"] for item in items.scan("Dataset").items] == ["shared"]
    items.close()
    direct = connect(str(tmp_path / "team.db"))
    assert direct.list_datasets() == []
    direct.close()


class _PerKey(SQLBackend):
    """The same store through the Backend defaults: get/page once per key, sizes by ``item_size``."""

    get_many = Backend.get_many
    page_many = Backend.page_many


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_batched_reads_agree_with_one_read_per_key(kind, tmp_path, request):
    url = str(tmp_path / "batch.db") if kind == "sqlite" else request.getfixturevalue("postgres").fresh_schema_url()
    store, per_key = SQLBackend(url), _PerKey(url)
    rng = random.Random(7)
    with store.transaction():
        for d in range(6):
            for v in range(rng.randint(0, 9)):
                store.create("DatasetVersion", {
                    "id": f"d{d}-v{v}", "datasetId": f"d{d}", "versionNumber": v + 1, "createdAt": "2025-01-01T00:00:00Z",
                    "updatedAt": "2025-01-01T00:00:00Z", "configuration": {"text": "x" * rng.choice((900, 1900, 2900))}})
    values = [f"d{d}" for d in range(7)]  # d6 has no versions
    for limit in (1, 2, 4, 100):
        # Both count a record at about its configuration + 150 bytes; cut points stay clear of the difference.
        for max_bytes in (None, 1, 2_500, 6_500):
            for field, keys in (("datasetId", values), ("datasetId", ["d2"]), (None, [])):
                token = None
                for _ in range(4):
                    batched = store.page_many("DatasetVersion", field, keys, limit=limit, next_token=token,
                                              max_bytes=max_bytes)
                    one_by_one = per_key.page_many("DatasetVersion", field, keys, limit=limit, next_token=token,
                                                   max_bytes=max_bytes)
                    assert {k: ([i["id"] for i in p.items], p.next_token) for k, p in batched.items()} == {
                        k: ([i["id"] for i in p.items], p.next_token) for k, p in one_by_one.items()}
                    token = next((p.next_token for p in batched.values() if p.next_token), None)
                    if token is None:
                        break
    ids = ["d1-v0", "nope", "d3-v1", "d1-v0"]
    assert store.get_many("DatasetVersion", ids) == per_key.get_many("DatasetVersion", ids)
    store.close()
    per_key.close()


def test_standard_introspection_fits_the_limits(server):
    from graphql import get_introspection_query

    status, body = post(server, get_introspection_query(descriptions=True))
    assert status == 200 and "errors" not in body
    assert "listDatasets" in {f["name"] for t in body["data"]["__schema"]["types"] if t["name"] == "Query"
                              for f in t["fields"]}
