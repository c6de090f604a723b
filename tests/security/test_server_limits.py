"""The stand-in server holds under hostile requests (issue 12, items 5-7 and the server's half of 8).

Every test runs the real server on 127.0.0.1 (uvicorn in a thread over a real SQLite
file, or ``plexus-datasets serve`` in a process stopped by its PID) and counts the
store calls it made; none asserts a duration.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.server import Limits, create_app
from tests.conftest import API_KEY
from tests.servers import ServeProcess, ThreadedServer, free_port, wait_http

NOW = "2025-01-01T00:00:00.000Z"
READS = ("get", "get_many", "list", "page", "page_many", "summaries")


class CountingStore(SQLBackend):
    """A real SQLite store that counts the reads the server asks of it."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.reads: list[str] = []

    def __getattribute__(self, name: str):  # type: ignore[no-untyped-def]
        if name in READS:
            object.__getattribute__(self, "reads").append(name)
        return object.__getattribute__(self, name)


@pytest.fixture
def store(tmp_path):
    backend = CountingStore(str(tmp_path / "served.db"))
    yield backend
    backend.close()


@pytest.fixture
def server(store):
    with ThreadedServer(create_app(store, API_KEY)) as running:
        yield running


def post(server, query, variables=None, headers=None, **kwargs):
    response = requests.post(server.url, json={"query": query, "variables": variables or {}},
                             headers={"x-api-key": API_KEY, **(headers or {})}, timeout=60, **kwargs)
    return response.status_code, response.json()


def seed_scorecard(store, datasets: int = 30, versions: int = 0) -> None:
    store.create("Scorecard", {"id": "sc1", "name": "QA", "key": "qa", "accountId": "acct", "createdAt": NOW,
                               "updatedAt": NOW})
    for d in range(datasets):
        store.create("Dataset", {"id": f"ds{d:02d}", "name": f"calls-{d:02d}", "scorecardId": "sc1",
                                 "createdAt": NOW, "updatedAt": NOW})
        for v in range(versions):
            store.create("DatasetVersion", {"id": f"ds{d:02d}-v{v}", "datasetId": f"ds{d:02d}", "versionNumber": v + 1,
                                            "configuration": {"v": v}, "createdAt": NOW, "updatedAt": NOW})
    store.reads.clear()


def nesting(levels: int) -> str:
    """The issue's query: ``datasets`` nested ``levels`` deep through ``scorecard``."""
    inner = "datasets { items { id name } }"
    for _ in range(levels - 1):
        inner = f"datasets {{ items {{ scorecard {{ {inner} }} }} }}"
    return f"query Q3 {{ listScorecards {{ items {{ {inner} }} }} }}"


# --- item 5: one request can't freeze the server -------------------------------------------


def test_the_issues_three_level_query_is_answered_in_full_with_a_few_store_calls(server, store):
    seed_scorecard(store, datasets=30)
    query = nesting(3)
    assert len(query.encode()) == 146
    status, body = post(server, query)
    assert status == 200 and "errors" not in body
    level1 = body["data"]["listScorecards"]["items"][0]["datasets"]["items"]
    level2 = [d for one in level1 for d in one["scorecard"]["datasets"]["items"]]
    level3 = [d for two in level2 for d in two["scorecard"]["datasets"]["items"]]
    assert (len(level1), len(level2), len(level3)) == (30, 900, 27_000)
    assert {d["name"] for d in level3} == {f"calls-{d:02d}" for d in range(30)}
    # One page of scorecards, one page of its datasets; the rest is answered from the request's reads.
    assert store.reads == ["page_many", "page_many"]


def test_nested_lists_and_belongs_to_fields_cost_one_store_call_per_level(server, store):
    seed_scorecard(store, datasets=30, versions=2)
    status, body = post(server, "{ listDatasets { items { id versions { items { id datasetId } } } } }")
    datasets = body["data"]["listDatasets"]["items"]
    assert status == 200 and len(datasets) == 30
    assert all({v["datasetId"] for v in d["versions"]["items"]} == {d["id"]} and len(d["versions"]["items"]) == 2
               for d in datasets)
    assert store.reads == ["page_many", "page_many"]  # 30 parents, one read for all their versions
    store.reads.clear()
    status, body = post(server, "{ listDatasetVersions { items { id dataset { name scorecard { key } } } } }")
    versions = body["data"]["listDatasetVersions"]["items"]
    assert status == 200 and len(versions) == 60
    assert all(v["dataset"]["name"] == f"calls-{v['id'][2:4]}" and v["dataset"]["scorecard"]["key"] == "qa"
               for v in versions)
    assert store.reads == ["page_many", "get_many", "get_many"]  # 30 datasets in one read, then their scorecard


def test_a_hundred_aliased_gets_are_one_store_call(server, store):
    seed_scorecard(store, datasets=30)
    query = "{ " + " ".join(f'g{i}: getDataset(id: "ds{i % 40:02d}") {{ id }}' for i in range(100)) + " }"
    status, body = post(server, query)
    assert status == 200 and sum(v is not None for v in body["data"].values()) == 80
    assert store.reads == ["get_many"]


def test_four_levels_are_refused_by_the_depth_limit_before_any_read(server, store):
    seed_scorecard(store, datasets=30)
    status, body = post(server, nesting(4))
    assert status == 200 and body.get("data") is None
    error = body["errors"][0]
    assert error["errorType"] == "ValidationError" and "depth limit of 12" in error["message"]
    assert set(error) == {"path", "data", "errorType", "errorInfo", "locations", "message"}
    assert store.reads == []


def test_deeply_nested_text_and_fragment_bombs_are_refused_not_crashed(server, store):
    deep = "{ getDataset(id: \"x\") " + "{ scorecard " * 3000 + "{ id" + " }" * 3002
    status, body = post(server, deep)
    assert status == 200 and body["errors"][0]["errorType"] == "ValidationError"
    fragments = " ".join(f"fragment F{i} on Dataset {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    bomb = f'{{ getDataset(id: "x") {{ ...F0 }} }} {fragments} fragment F40 on Dataset {{ id name }}'
    status, body = post(server, bomb)
    assert status == 200 and body["errors"][0]["errorType"] == "ValidationError"
    assert "fields" in body["errors"][0]["message"]
    assert store.reads == []


def test_five_hundred_aliases_are_refused(server, store):
    query = "{ " + " ".join(f"a{i}: listDatasets(limit: 2147483647) {{ items {{ id }} }}" for i in range(500)) + " }"
    status, body = post(server, query)
    assert status == 200 and body.get("data") is None
    assert body["errors"][0]["errorType"] == "ValidationError" and "200" in body["errors"][0]["message"]
    assert store.reads == []


def test_a_huge_limit_gets_a_clamped_page_with_a_token(server, store):
    store.create("Scorecard", {"id": "sc1", "name": "QA", "key": "qa", "accountId": "a", "createdAt": NOW,
                               "updatedAt": NOW})
    with store.transaction():
        for d in range(1_050):
            store.create("Dataset", {"id": f"ds{d:04d}", "name": "n", "scorecardId": "sc1", "createdAt": NOW,
                                     "updatedAt": NOW})
    query = "query L($t: String) { listDatasets(limit: 2147483647, nextToken: $t) { items { id } nextToken } }"
    pages, token = [], None
    while True:
        status, body = post(server, query, {"t": token})
        assert status == 200
        page = body["data"]["listDatasets"]
        pages.append([item["id"] for item in page["items"]])
        token = page["nextToken"]
        if not token:
            break
    assert [len(p) for p in pages] == [1_000, 50]
    assert sorted(i for p in pages for i in p) == [f"ds{d:04d}" for d in range(1_050)]


def test_a_page_ends_at_one_megabyte_as_dynamodb_ends_it(server, store):
    big = "x" * 300_000
    for v in range(5):
        store.create("DatasetVersion", {"id": f"v{v}", "datasetId": "ds", "versionNumber": v + 1,
                                        "configuration": {"text": big}, "createdAt": NOW, "updatedAt": NOW})
    by_index = ('query L($t: String) { listDatasetVersionByDatasetId(datasetId: "ds", limit: 100, nextToken: $t)'
                " { items { id } nextToken } }")
    for query, field in (
        ("query L($t: String) { listDatasetVersions(limit: 2147483647, nextToken: $t) { items { id } nextToken } }",
         "listDatasetVersions"),
        (by_index, "listDatasetVersionByDatasetId"),
    ):
        sizes, seen, token = [], [], None
        while True:
            page = post(server, query, {"t": token})[1]["data"][field]
            sizes.append(len(page["items"]))
            seen += [item["id"] for item in page["items"]]
            token = page["nextToken"]
            if not token:
                break
        assert sizes == [3, 2] and seen == [f"v{v}" for v in range(5)]


def test_runtime_budgets_answer_resolver_execution_limit_reached(store):
    seed_scorecard(store, datasets=30)
    with ThreadedServer(create_app(store, API_KEY, limits=Limits(max_resolver_calls=40))) as small:
        status, body = post(small, nesting(2))
        assert status == 200
        assert {e["errorType"] for e in body["errors"]} == {"ResolverExecutionLimitReached"}
        assert "invocation limit of 40" in body["errors"][0]["message"]
    with ThreadedServer(create_app(store, API_KEY, limits=Limits(max_items=500, max_errors=5))) as small:
        status, body = post(small, nesting(2))
        assert len(body["errors"]) == 5 and body["errors"][0]["errorType"] == "ResolverExecutionLimitReached"
        assert "more than 500 records" in body["errors"][0]["message"]
    with ThreadedServer(create_app(store, API_KEY, limits=Limits(max_response_bytes=10_000))) as small:
        status, body = post(small, nesting(2))
        assert body["data"] is None and body["errors"][0]["errorType"] == "ResponseSizeLimitExceeded"
        assert post(small, "{ listDatasets(limit: 2) { items { id } } }")[1]["data"]["listDatasets"]["items"]


# --- item 7: size limits --------------------------------------------------------------------


def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send an HTTP/1.1 request as given and read the status and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data:
                header, _, rest = data.partition(b"\r\n\r\n")
                length = int(next((line.split(b":")[1] for line in header.split(b"\r\n")
                                   if line.lower().startswith(b"content-length")), b"0"))
                if len(rest) >= length:
                    return int(header.split()[1]), rest[:length]
    raise AssertionError(f"no complete answer: {data[:200]!r}")


def test_an_oversized_body_is_413_before_it_is_read(server, store):
    head = (f"POST /graphql HTTP/1.1\nHost: 127.0.0.1:{server.port}\nContent-Type: application/json\n"
            f"x-api-key: {API_KEY}\nContent-Length: {200 * 1024 * 1024}\n")
    status, body = raw_request(server.port, head)
    assert status == 413 and json.loads(body)["errors"][0]["errorType"] == "PayloadTooLargeException"
    with ThreadedServer(create_app(store, API_KEY, limits=Limits(max_body_bytes=1_000))) as small:
        payload = json.dumps({"query": "{ listDatasets { items { id } } }", "pad": "x" * 5_000}).encode()
        chunked = f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"
        head = (f"POST /graphql HTTP/1.1\nHost: 127.0.0.1:{small.port}\nContent-Type: application/json\n"
                f"x-api-key: {API_KEY}\nTransfer-Encoding: chunked\n")
        assert raw_request(small.port, head, chunked)[0] == 413
    assert store.reads == []
    assert post(server, "{ listDatasets { items { id } } }")[0] == 200  # still serving


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_only_json_bodies_are_accepted(server, store, content_type):
    mutation = '{"query": "mutation { createDataset(input: {name: \\"x\\", scorecardId: \\"s\\"}) { id } }"}'
    if content_type == "multipart/form-data":
        response = requests.post(server.url, files={"operations": (None, mutation)}, headers={"x-api-key": API_KEY},
                                 timeout=10)
    else:
        response = requests.post(server.url, data=mutation, timeout=10,
                                 headers={"x-api-key": API_KEY, "Content-Type": content_type})
    assert response.status_code == 415
    assert response.json()["errors"][0]["errorType"] == "UnsupportedMediaTypeException"
    assert store.list("Dataset") == []


def test_a_500_kb_configuration_is_a_validation_exception_and_nothing_is_stored(server, store):
    mutation = ("mutation C($i: CreateDatasetVersionInput!) { createDatasetVersion(input: $i) { id } }")
    config = json.dumps({"class": "InlineItems", "text": "x" * 500_000})
    status, body = post(server, mutation, {"i": {"id": "v1", "datasetId": "d1", "versionNumber": 1,
                                                 "configuration": config}})
    assert status == 200 and body["data"] == {"createDatasetVersion": None}
    error = body["errors"][0]
    assert error["errorType"] == "DynamoDB:DynamoDbException"
    assert "Item size has exceeded the maximum allowed size" in error["message"]
    assert "ValidationException" in error["message"]
    assert store.list("DatasetVersion") == []
    # An update that would grow a stored item past 400 KB is refused the same way.
    post(server, mutation, {"i": {"id": "v1", "datasetId": "d1", "versionNumber": 1, "configuration": "{}"}})
    update = "mutation U($i: UpdateDatasetVersionInput!) { updateDatasetVersion(input: $i) { id } }"
    status, body = post(server, update, {"i": {"id": "v1", "configuration": config}})
    assert body["errors"][0]["errorType"] == "DynamoDB:DynamoDbException"
    assert store.get("DatasetVersion", "v1")["configuration"] == {}


def test_writes_dynamodb_would_refuse_are_refused(server, store):
    create = "mutation C($i: CreateDatasetInput!) { createDataset(input: $i) { id } }"
    for fields in ({"scorecardId": ""}, {"id": ""}, {"scorecardId": "s" * 3000}, {"name": "bad \ud800 text"}):
        status, body = post(server, create, {"i": {"name": "calls", "scorecardId": "sc1", **fields}})
        assert status == 200 and body["errors"][0]["errorType"] == "DynamoDB:DynamoDbException", fields
    create_version = "mutation C($i: CreateDatasetVersionInput!) { createDatasetVersion(input: $i) { id } }"
    for config in ("NaN", '{"a": Infinity}', "[" * 100_000 + "]" * 100_000):
        status, body = post(server, create_version, {"i": {"datasetId": "d", "versionNumber": 1,
                                                           "configuration": config}})
        assert status == 200 and body["errors"][0]["errorType"] == "ValidationError"
    for version in (2**31, "1", None):  # the schema's Int! (32-bit) and required fields
        _, body = post(server, create_version, {"i": {"datasetId": "d", "versionNumber": version,
                                                           "configuration": "{}"}})
        assert body["data"] is None and body["errors"][0]["errorType"] == "ValidationError"
    assert store.list("Dataset") == [] and store.list("DatasetVersion") == []


def test_a_body_that_is_not_a_json_object_is_a_400(server):
    for body in (b"{nope", b"[1, 2]", b"[" * 100_000):
        response = requests.post(server.url, data=body, timeout=10,
                                 headers={"x-api-key": API_KEY, "Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["errors"][0]["errorType"] == "BadRequestException"


# --- item 6: browsers and DNS rebinding -------------------------------------------------------


def test_a_foreign_host_header_is_refused(server, store):
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example"):
        response = requests.post(server.url, json={"query": "{ listDatasets { items { id } } }"}, timeout=10,
                                 headers={"x-api-key": API_KEY, "Host": host})
        assert response.status_code == 421 and "--allowed-host" in response.json()["message"]
        assert requests.get(server.url.replace("/graphql", "/health"), headers={"Host": host}, timeout=10
                            ).status_code == 421
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "localhost"):
        assert post(server, "{ listDatasets { items { id } } }", headers={"Host": host})[0] == 200
    assert store.reads == ["page_many"] * 3  # one per allowed request; the refused ones read nothing


def test_named_hosts_are_allowed_only_when_given(store):
    app = create_app(store, API_KEY, host="0.0.0.0", allowed_hosts=["registry.example"])
    with ThreadedServer(app) as running:
        for host, expected in (("registry.example", 200), ("10.1.2.3:8765", 200), ("[::1]:8765", 200),
                               ("evil.example", 421)):
            assert post(running, "{ listDatasets { items { id } } }", headers={"Host": host})[0] == expected, host


def test_cors_only_for_origins_given_to_serve(tmp_path):
    query = {"query": "{ listDatasets { items { id } } }"}
    with ServeProcess(str(tmp_path / "cors.db"), api_key=None) as served:  # --insecure-no-auth: still no CORS
        preflight = requests.options(served.url, headers={"Origin": "http://localhost:3000",
                                                          "Access-Control-Request-Method": "POST"}, timeout=10)
        assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers
        cross = requests.post(served.url, json=query, headers={"Origin": "http://localhost:3000"}, timeout=10)
        assert cross.status_code == 403 and "access-control-allow-origin" not in cross.headers
        plain = requests.post(served.url, json=query, timeout=10)  # no browser, no Origin
        assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers
    with ServeProcess(str(tmp_path / "cors.db"), api_key="k", extra=["--cors-origin", "http://localhost:3000"]) as served:
        preflight = requests.options(served.url, headers={"Origin": "http://localhost:3000",
                                                          "Access-Control-Request-Method": "POST"}, timeout=10)
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "x-api-key" in preflight.headers["access-control-allow-headers"]
        allowed = requests.post(served.url, json=query, timeout=10,
                                headers={"Origin": "http://localhost:3000", "x-api-key": "k"})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
        for origin in ("http://localhost:3001", "https://evil.example", "null"):
            other = requests.post(served.url, json=query, timeout=10, headers={"Origin": origin, "x-api-key": "k"})
            assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
        unauthorized = requests.post(served.url, json=query, headers={"Origin": "http://localhost:3000"}, timeout=10)
        assert unauthorized.status_code == 401
        assert unauthorized.json()["errors"][0]["errorType"] == "UnauthorizedException"


# --- low: the banner never shows a database password -------------------------------------------


def test_serve_banner_hides_the_database_password(postgres):
    url = postgres.fresh_schema_url().replace("postgres@", "postgres:S3cret-pw-83@")  # trust auth ignores it
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "plexus_datasets.cli", "serve", "--db", url, "--api-key", "k",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc=proc)
        response = requests.post(f"http://127.0.0.1:{port}/graphql", headers={"x-api-key": "k"}, timeout=10,
                                 json={"query": "{ listDatasets { items { id } } }"})
        assert response.status_code == 200 and response.json()["data"]["listDatasets"]["items"] == []
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert "postgres:***@127.0.0.1" in err and "S3cret-pw-83" not in out + err


def test_serve_never_prints_the_password_when_the_database_is_down():
    url = f"postgresql+psycopg://analyst:S3cret-pw-83@127.0.0.1:{free_port()}/registry"
    result = subprocess.run([sys.executable, "-m", "plexus_datasets.cli", "serve", "--db", url, "--api-key", "k",
                             "--port", str(free_port())], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "analyst:***@127.0.0.1" in result.stderr
    assert "S3cret-pw-83" not in result.stdout + result.stderr
