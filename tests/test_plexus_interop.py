"""Interoperability with Plexus's own code, both ways, through ``connect()``.

Plexus's side is played by its own GraphQL documents (``tests/data/plexus_documents``, quoted from
Plexus 1.50.1 with their source lines), sent over plain HTTP with ``x-api-key`` and the variables its
CLI sends: ``datetime.now(timezone.utc).isoformat()`` timestamps, YAML in the "dataset format"
(top-level ``class:`` and its parameters), Parquet files uploaded to
``datasets/{accountId}/{dataSetId}/dataset.parquet`` after the DataSet is created. Our side is
``connect(api_url=..., api_key=..., dialect=...)`` configured by the variables Plexus users already
have (``PLEXUS_ACCOUNT_KEY``, ``AMPLIFY_STORAGE_DATASETS_BUCKET_NAME``). Everything is real: the
stand-in ``serve --schema plexus`` (in a thread; as the CLI for the concurrency test) and moto's S3
server.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing as mp
import threading
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
import yaml

from plexus_datasets import connect
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.errors import (
    AccountNotFoundError,
    ConflictError,
    PlexusDatasetsWarning,
    SnapshotMismatchError,
    StaleDataWarning,
)
from plexus_datasets.facts import ProfileFacts
from plexus_datasets.refs import version_id
from plexus_datasets.server import create_app
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ItemStore
from tests.conftest import API_KEY
from tests.servers import ServeProcess, ThreadedServer

ACCOUNT_KEY = "acme-qa"
DOCUMENTS = {d["number"]: d for d in json.loads(
    (Path(__file__).parent / "data" / "plexus_documents" / "documents.json").read_text("utf-8"))}
#: What the data root's calls.csv holds: what our loader builds from ``class: FileItems``.
CSV_ROWS = [{"id": 1, "text": "hello, thanks for calling", "Greeting": "Yes"},
            {"id": 2, "text": "what do you want", "Greeting": "No"},
            {"id": 3, "text": "good morning", "Greeting": "Yes"}]
#: A configuration in Plexus's "dataset format", as its CLI and dashboard store it.
FILE_CONFIG = "class: FileItems\npath: calls.csv\n"


# --- Plexus's side ------------------------------------------------------------------------------


def plexus_now() -> str:
    """A timestamp as Plexus's CLI writes it: ``datetime.now(timezone.utc).isoformat()`` (microseconds, ``+00:00``)."""
    return datetime.now(UTC).isoformat()


class PlexusClient:
    """What Plexus's ``PlexusDashboardClient`` sends: a POST with ``x-api-key``; ``run`` sends one of
    Plexus's own documents by number, ``execute`` any other (its dashboard's, an account's)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.post(self.url, json={"query": document, "variables": variables or {}},
                                     headers={"x-api-key": API_KEY}, timeout=20)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def run(self, number: int, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        document = DOCUMENTS[number]
        assert document["valid"], document["where"]
        return self.execute(document["document"], variables)

    def close(self) -> None:
        self.session.close()


CREATE_ACCOUNT = "mutation A($input: CreateAccountInput!) { createAccount(input: $input) { id } }"
CREATE_SCORECARD = "mutation C($input: CreateScorecardInput!) { createScorecard(input: $input) { id } }"
CREATE_SECTION = "mutation C($input: CreateScorecardSectionInput!) { createScorecardSection(input: $input) { id } }"
CREATE_SCORE = "mutation C($input: CreateScoreInput!) { createScore(input: $input) { id } }"
#: What the dashboard reads of a version and of a DataSet (no Plexus Python document selects these).
VERSION_STAMP = "query V($id: ID!) { getDataSourceVersion(id: $id) { id createdAt } }"
BUILD_CONTEXT = "query B($id: ID!) { getDataSet(id: $id) { id buildContext } }"


def counting(app, received: list[str]):
    """``app``, noting the GraphQL document of every POST it is sent."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            received.append(str(json.loads(body).get("query", "")))
        except (ValueError, AttributeError):
            received.append("")
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await app(scope, replay, send)

    return wrapped


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A Parquet file made as Plexus's ``dataset load`` makes it (pyarrow, in memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame), buffer)
    return buffer.getvalue()


def plexus_dataset_load(plexus: PlexusClient, s3, bucket: str, source: dict[str, Any], frame: pd.DataFrame,
                        file_name: str = "dataset.parquet", payload: bytes | None = None) -> str:
    """What ``plexus dataset load`` does with a DataFrame its data cache built: create the DataSet
    against the current version (#6), upload the file, then point the DataSet at it (#9); its id."""
    created = plexus.run(6, {"input": {
        "name": f"{source['name']} - {datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S')}",
        "accountId": source["accountId"], "dataSourceVersionId": source["currentVersionId"],
        "scorecardId": source["scorecardId"], "scoreId": source["scoreId"]}})["createDataSet"]
    key = f"datasets/{source['accountId']}/{created['id']}/{file_name}"
    body = payload if payload is not None else (
        parquet_bytes(frame) if file_name.endswith(".parquet") else frame.to_csv(index=False).encode())
    s3.upload_fileobj(io.BytesIO(body), bucket, key)
    assert plexus.run(9, {"input": {"id": created["id"], "file": key}})["updateDataSet"]["file"] == key
    return created["id"]


def plexus_data_source(plexus: PlexusClient, account: str, catalog: dict[str, str], name: str,
                       text: str = FILE_CONFIG) -> dict[str, Any]:
    """A DataSource as ``plexus dataset`` makes one: #10 createDataSource, #11 its first version
    (featured, Plexus's note), #12 the version made current; then read back with #28."""
    now = plexus_now()
    made = plexus.run(10, {"input": {
        "name": name, "key": name.lower().replace(" ", "-"), "description": "Calls for the greeting score",
        "accountId": account, "scorecardId": catalog["scorecard"], "scoreId": catalog["score"],
        "yamlConfiguration": text, "createdAt": now, "updatedAt": now}})["createDataSource"]
    first = plexus.run(11, {"input": {
        "dataSourceId": made["id"], "yamlConfiguration": text, "isFeatured": True,
        "note": "Initial version created automatically", "createdAt": plexus_now(),
        "updatedAt": plexus_now()}})["createDataSourceVersion"]
    plexus.run(12, {"input": {"id": made["id"], "currentVersionId": first["id"]}})
    return plexus.run(28, {"id": made["id"]})["getDataSource"]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def plexus_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a Plexus user has set; nothing that would choose the dialect or auth for us."""
    monkeypatch.setenv("PLEXUS_ACCOUNT_KEY", ACCOUNT_KEY)
    for name in ("PLEXUS_DATASETS_DIALECT", "PLEXUS_GRAPHQL_AUTH_MODE", "PLEXUS_API_REGION",
                 "NEXT_PUBLIC_PLEXUS_API_REGION", "AMPLIFY_STORAGE_DATASETS_BUCKET_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """``serve --schema plexus`` in a thread: its URL, and the documents it was sent."""
    store = ItemStore(str(tmp_path / "plexus.db"), load_contract("plexus"))
    received: list[str] = []
    try:
        with ThreadedServer(counting(create_app(store, API_KEY), received)) as server:
            yield server.url, received
    finally:
        store.close()


@pytest.fixture
def url(served) -> str:
    return served[0]


@pytest.fixture
def plexus(url: str) -> Iterator[PlexusClient]:
    client = PlexusClient(url)
    yield client
    client.close()


@pytest.fixture
def account(plexus: PlexusClient) -> str:
    """The account, made as an admin would, and found the way Plexus's client finds it (#29)."""
    plexus.execute(CREATE_ACCOUNT, {"input": {"name": "Acme QA", "key": ACCOUNT_KEY}})
    items = plexus.run(29, {"key": ACCOUNT_KEY})["listAccountByKey"]["items"]
    assert [a["key"] for a in items] == [ACCOUNT_KEY]
    return items[0]["id"]


@pytest.fixture
def catalog(plexus: PlexusClient, account: str) -> dict[str, str]:
    """A scorecard, section and score made in Plexus's dashboard."""
    card = plexus.execute(CREATE_SCORECARD, {"input": {"name": "Call Center QA", "key": "cc-qa",
                                                       "accountId": account}})["createScorecard"]["id"]
    section = plexus.execute(CREATE_SECTION, {"input": {"name": "Compliance", "order": 1,
                                                        "scorecardId": card}})["createScorecardSection"]["id"]
    score = plexus.execute(CREATE_SCORE, {"input": {"name": "Greeting", "key": "greeting", "order": 1,
                                                    "type": "LangGraphScore", "sectionId": section,
                                                    "scorecardId": card, "externalId": "1001"}})["createScore"]["id"]
    return {"scorecard": card, "section": section, "score": score}


@pytest.fixture
def bucket(s3, monkeypatch: pytest.MonkeyPatch) -> str:
    """A datasets bucket of our own in moto's S3, named by the variable Plexus reads."""
    name = f"plexus-datasets-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    monkeypatch.setenv("AMPLIFY_STORAGE_DATASETS_BUCKET_NAME", name)
    return name


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    pd.DataFrame(CSV_ROWS).to_csv(root / "calls.csv", index=False)
    return root


def ours(url: str, data_root: Path, **kwargs: Any):
    """Our service, as a Plexus user connects it (account and bucket from the environment)."""
    return connect(api_url=url, api_key=API_KEY, data_roots=[data_root], **{"dialect": "plexus", **kwargs})


@pytest.fixture
def svc(url: str, account: str, data_root: Path, bucket: str):
    service = ours(url, data_root)
    yield service
    service.close()


def teammate(url: str, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str):
    """Another machine: its own (empty) cache, its own connection."""
    monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(tmp_path / f"cache-{name}"))
    return ours(url, data_root)


def s3_sha256(s3, bucket: str, key: str) -> str:
    return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


# --- 1. Plexus -> us ----------------------------------------------------------------------------


def test_a_data_source_plexus_made_is_listed_and_its_versions_numbered_with_ours_by_creation(
        svc, plexus, account, catalog):
    source = plexus_data_source(plexus, account, catalog, "Calls")
    assert [d.id for d in svc.list_datasets()] == [source["id"]]
    listed = svc.list_datasets()[0]
    assert (listed.name, listed.scorecard_id, listed.score_id) == ("Calls", catalog["scorecard"], catalog["score"])
    v1 = source["currentVersionId"]

    # ours: AppSync's millisecond "Z" stamps; Plexus's: microseconds with "+00:00"
    mine = svc.create_version("Calls", "# with the label column\nclass: FileItems\npath: calls.csv\n"
                                       "label_column: Greeting\n")
    ours_stamp = plexus.execute(VERSION_STAMP, {"id": mine.id})["getDataSourceVersion"]["createdAt"]
    # Plexus's next version, 456 µs after ours by its clock: as text it sorts before ours
    # ("...123456+00:00" < "...123Z"), as an instant it is later
    later = datetime.fromisoformat(ours_stamp) + timedelta(microseconds=456)
    assert later.isoformat() < ours_stamp
    third = plexus.run(11, {"input": {
        "dataSourceId": source["id"], "yamlConfiguration": "class: FileItems\npath: calls.csv\nbalance: true\n",
        "isFeatured": False, "createdAt": later.isoformat(), "updatedAt": later.isoformat()}})
    v3 = third["createDataSourceVersion"]["id"]
    fourth = svc.create_version("Calls", {"class": "FileItems", "path": "calls.csv", "random_seed": 7})

    assert svc.resolve("Calls").id == v1  # the current one, as Plexus set it (#12)
    assert [svc.resolve(f"Calls:v{n}").id for n in (1, 2, 3, 4)] == [v1, mine.id, v3, fourth.id]
    assert svc.resolve("Calls:latest").id == fourth.id
    assert (mine.version_number, fourth.version_number) == (2, 4)
    assert fourth.id == version_id(source["id"], 4) and mine.id == version_id(source["id"], 2)
    versions = svc.list_versions("Calls")
    assert [(v.version_number, v.id) for v in versions] == [(1, v1), (2, mine.id), (3, v3), (4, fourth.id)]
    assert versions[0].note == "Initial version created automatically" and versions[0].featured
    assert versions[0].configuration == {"class": "FileItems", "path": "calls.csv"}
    assert mine.parent_version_id == v1  # made from the current version

    plexus.run(12, {"input": {"id": source["id"], "currentVersionId": v3}})  # `plexus dataset` moves current
    assert svc.current_version("Calls").version_number == 3
    summary, = svc.dataset_summaries()
    assert summary.dataset.id == source["id"] and summary.version_numbers == (1, 2, 3, 4)
    assert summary.current_version.id == v3 and summary.latest_profile is None


def test_load_prefers_the_file_plexus_uploaded_which_is_not_profiled_until_we_profile_it(
        svc, plexus, account, catalog, s3, bucket, data_root):
    source = plexus_data_source(plexus, account, catalog, "Calls")
    # Plexus's data cache built other rows than our loader would (its own ids, one more call)
    plexus_rows = pd.DataFrame({"content_id": [11, 12, 13, 14], "text": ["a", "b", "c", "d"],
                                "Greeting": ["Yes", "No", "No", "Yes"]})
    set_id = plexus_dataset_load(plexus, s3, bucket, source, plexus_rows)

    profiles = svc.list_profiles("Calls")
    assert [p.id for p in profiles] == [set_id]
    facts = ProfileFacts.of(profiles[0])
    assert facts.subject.kind == "unprofiled" and facts.subject.is_unprofiled and not facts.subject.is_full
    assert facts.subject.file == f"datasets/{account}/{set_id}/dataset.parquet"
    assert svc.latest_profile("Calls") is None  # a file nobody profiled is never "the profile"
    assert svc.dataset_summaries()[0].latest_profile is None

    built_by_our_loader = svc.load_configuration(yaml.safe_load(FILE_CONFIG))
    assert len(built_by_our_loader) == 3 and "content_id" not in built_by_our_loader.columns
    frame = svc.load("Calls")
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), plexus_rows)
    assert [p.id for p in svc.list_profiles("Calls")] == [set_id]  # the file was used: nothing rebuilt or recorded

    profile = svc.profile("Calls")  # profiles what load serves: Plexus's file
    assert ProfileFacts.of(profile).rows == 4 and ProfileFacts.of(profile).subject.is_full
    assert profile.column_list == ["content_id", "text", "Greeting"]
    assert svc.latest_profile("Calls").id == profile.id
    assert svc.dataset_summaries()[0].latest_profile.id == profile.id
    # Plexus recorded no sha256 for its file, so the profile is a DataSet of its own (or Plexus's,
    # filled); either way no record is left that claims to be the profile without being one
    kinds = {p.id: ProfileFacts.of(p).subject.kind for p in svc.list_profiles("Calls")}
    assert kinds[profile.id] == "full" and kinds.get(set_id, "full") in ("unprofiled", "full")
    # and Plexus finds the profile's file where it looks for DataSet files (#14)
    file = plexus.run(14, {"id": profile.id})["getDataSet"]["file"]
    assert file == f"datasets/{account}/{profile.id}/dataset.parquet"
    assert s3_sha256(s3, bucket, file) == s3_sha256(s3, bucket, f"datasets/{account}/{set_id}/dataset.parquet")


def plexus_csv_data_set(plexus, account, catalog, s3, bucket) -> str:
    source = plexus_data_source(plexus, account, catalog, "Calls")
    return plexus_dataset_load(plexus, s3, bucket, source, pd.DataFrame({"content_id": [9], "Greeting": ["No"]}),
                               file_name="dataset.csv")  # Plexus's evaluations accept .csv files too


def test_a_data_set_with_a_csv_file_falls_back_to_the_loader(svc, plexus, account, catalog, s3, bucket):
    set_id = plexus_csv_data_set(plexus, account, catalog, s3, bucket)
    frame = svc.load("Calls")
    assert list(frame["id"]) == [1, 2, 3]  # the loader's rows, not the CSV's
    kept = [p for p in svc.list_profiles("Calls") if p.id != set_id]
    assert len(kept) == 1 and ProfileFacts.of(kept[0]).subject.file.endswith(f"/{kept[0].id}/dataset.parquet")


def test_a_data_set_with_a_csv_file_is_passed_over_with_a_warning(svc, plexus, account, catalog, s3, bucket):
    set_id = plexus_csv_data_set(plexus, account, catalog, s3, bucket)
    with pytest.warns(UserWarning, match=rf"(?s){set_id}.*(CSV|csv)"):
        svc.load("Calls")


def test_a_data_set_whose_file_is_missing_falls_back_to_the_loader_with_a_warning(
        svc, plexus, account, catalog, s3, bucket):
    source = plexus_data_source(plexus, account, catalog, "Calls")
    set_id = plexus_dataset_load(plexus, s3, bucket, source, pd.DataFrame({"content_id": [9], "Greeting": ["No"]}))
    s3.delete_object(Bucket=bucket, Key=f"datasets/{account}/{set_id}/dataset.parquet")
    with pytest.warns(StaleDataWarning, match=f"The data file of DataSet '{set_id}' is gone from S3"):
        frame = svc.load("Calls")
    assert list(frame["id"]) == [1, 2, 3]
    # the build was kept as a new DataSet with its file, as `plexus dataset load` would have
    kept = [p for p in svc.list_profiles("Calls") if p.id != set_id]
    assert len(kept) == 1 and ProfileFacts.of(kept[0]).subject.is_unprofiled
    key = f"datasets/{account}/{kept[0].id}/dataset.parquet"
    assert plexus.run(14, {"id": kept[0].id})["getDataSet"]["file"] == key
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


def test_with_only_the_three_plexus_variables_loads_build_and_profiles_are_data_sets_without_files(
        url, plexus, account, catalog, s3, bucket, data_root, monkeypatch):
    """PLEXUS_API_URL/KEY/ACCOUNT_KEY and no datasets bucket: no file is fetched or kept, nothing warns,
    and a profile is still a DataSet Plexus lists (with no file)."""
    source = plexus_data_source(plexus, account, catalog, "Calls")
    set_id = plexus_dataset_load(plexus, s3, bucket, source, pd.DataFrame({"content_id": [9], "Greeting": ["No"]}))
    monkeypatch.delenv("AMPLIFY_STORAGE_DATASETS_BUCKET_NAME")
    objects = s3.list_objects_v2(Bucket=bucket)["KeyCount"]
    service = ours(url, data_root)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlexusDatasetsWarning)
        frame = service.load("Calls")
        profile = service.profile("Calls")
    assert not service.backend.keeps_snapshots
    assert list(frame["id"]) == [1, 2, 3]  # the loader built it: Plexus's stored file was not fetched
    assert ProfileFacts.of(profile).rows == 3 and ProfileFacts.of(profile).subject.is_full
    assert plexus.run(14, {"id": profile.id})["getDataSet"]["file"] is None
    assert sorted(p.id for p in service.list_profiles("Calls")) == sorted([set_id, profile.id])  # the load kept none
    assert service.latest_profile("Calls").id == profile.id
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == objects  # nothing uploaded
    service.close()


def test_an_altered_file_is_refused_and_a_fresh_load_builds_from_the_configuration(
        svc, url, plexus, account, catalog, s3, bucket, data_root, tmp_path, monkeypatch):
    plexus_data_source(plexus, account, catalog, "Calls")
    profile = svc.profile("Calls")  # uploads the file and records its sha256
    key = f"datasets/{account}/{profile.id}/dataset.parquet"
    recorded = json.loads(plexus.execute(BUILD_CONTEXT, {"id": profile.id})["getDataSet"]["buildContext"])
    assert recorded["plexusDatasets"]["snapshot"]["sha256"] == s3_sha256(s3, bucket, key)
    # someone overwrites the object (another build uploaded to the same key)
    s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(pd.DataFrame({"id": [99], "Greeting": ["No"]})))

    other = teammate(url, data_root, tmp_path, monkeypatch, "bob")
    with pytest.raises(SnapshotMismatchError, match=rf"{profile.id}.*fresh=True"):
        other.load("Calls")
    frame = other.load("Calls", fresh=True)
    assert list(frame["id"]) == [1, 2, 3]
    other.close()


# --- 2. us -> Plexus ----------------------------------------------------------------------------

COMMENTED = ("# Calls of the last month, labelled\n"
             "class: FileItems   # built in\n"
             "path: calls.csv\n"
             "label_column: Greeting  # the score's answers\n")


def test_records_we_write_are_what_plexus_reads(svc, plexus, account, s3, bucket):
    card = svc.create_scorecard("Call Center QA", key="cc-qa")
    score = svc.create_score(svc.create_section(card, "Compliance"), "Greeting", key="greeting")
    ds = svc.create_dataset(card, "calls", score=score, description="Calls for the greeting score",
                            configuration={"class": "FileItems", "path": "calls.csv"})
    v1 = svc.current_version(ds)
    v2 = svc.create_version(ds, COMMENTED, note="labelled", featured=True)
    svc.set_current_version(ds, v2, expected_current=v1)
    profile = svc.profile("calls")

    # the version as Plexus's MCP runtime reads it (#1): our text, comments and all
    assert plexus.run(1, {"id": v2.id})["getDataSourceVersion"] == {"id": v2.id, "yamlConfiguration": COMMENTED}
    # the DataSource as evaluations (#16), reports (#26) and the API models (#28) read it
    for number in (16, 26, 28):
        got = plexus.run(number, {"id": ds.id})["getDataSource"]
        assert (got["id"], got["name"], got["currentVersionId"]) == (ds.id, "calls", v2.id)
        assert got["yamlConfiguration"] == COMMENTED  # the head copy, byte for byte
    full = plexus.run(28, {"id": ds.id})["getDataSource"]
    assert (full["accountId"], full["scorecardId"], full["scoreId"]) == (account, card.id, score.id)
    assert full["description"] == "Calls for the greeting score"
    # `plexus dataset load` parses the head copy: the dataset format, our configuration
    config = yaml.safe_load(full["yamlConfiguration"])
    assert isinstance(config, dict) and "data" not in config and config["class"] == "FileItems"
    assert config == v2.configuration == svc.current_version("calls").configuration

    # the profile's DataSet: its file where Plexus's CLI looks (#14), the object there, its sha256 ours
    key = f"datasets/{account}/{profile.id}/dataset.parquet"
    assert plexus.run(14, {"id": profile.id})["getDataSet"] == {"id": profile.id, "file": key,
                                                                 "attachedFiles": None}
    context = json.loads(plexus.execute(BUILD_CONTEXT, {"id": profile.id})["getDataSet"]["buildContext"])
    assert context["plexusDatasets"]["snapshot"]["sha256"] == s3_sha256(s3, bucket, key)
    assert context["plexusDatasets"]["snapshot"]["rows"] == 3
    evaluated = plexus.run(20, {"id": profile.id})["getDataSet"]
    assert (evaluated["accountId"], evaluated["dataSourceVersionId"], evaluated["file"]) == (account, v2.id, key)
    assert evaluated["name"].startswith("calls - v2 - ")
    # the DataSets of a score (#21, unpaged, as evaluations list them) and of a version (#27)
    by_score = plexus.run(21, {"scoreId": score.id, "limit": 100})["listDataSets"]["items"]
    assert [(d["id"], d["scoreId"], d["file"]) for d in by_score] == [(profile.id, score.id, key)]
    by_version = plexus.run(27, {"filter": {"dataSourceVersionId": {"eq": v2.id}}})["listDataSets"]["items"]
    assert [d["id"] for d in by_version] == [profile.id]
    assert plexus.run(27, {"filter": {"dataSourceVersionId": {"eq": v1.id}}})["listDataSets"]["items"] == []

    # the DataSource in Plexus's listings: all (#22, paged to the end), by name (#24)
    sources, token = [], None
    while True:
        page = plexus.run(22, {"filter": {"accountId": {"eq": account}}, "limit": 1, "nextToken": token})
        sources += page["listDataSources"]["items"]
        token = page["listDataSources"]["nextToken"]
        if token is None:
            break
    assert [(s["id"], s["currentVersionId"], s["yamlConfiguration"]) for s in sources] == [(ds.id, v2.id, COMMENTED)]
    named = plexus.run(24, {"accountId": account, "name": {"eq": "calls"}})["listDataSourceByAccountIdAndName"]
    assert [s["id"] for s in named["items"]] == [ds.id]
    # our datasets have no key, so Plexus's key lookup (#23) finds none of them (the index is sparse)
    keyed = plexus.run(23, {"accountId": account})["listDataSourceByAccountIdAndKey"]
    assert keyed["items"] == []
    # and the account Plexus's client resolves is the one we wrote into (#29)
    assert [a["id"] for a in plexus.run(29, {"key": ACCOUNT_KEY})["listAccountByKey"]["items"]] == [account]


def test_a_dataset_created_from_yaml_text_keeps_it_as_its_head_copy(svc, plexus, account):
    card = svc.create_scorecard("Call Center QA", key="cc-qa")
    ds = svc.create_dataset(card, "calls", configuration=COMMENTED)
    assert ds.current_version_id is not None
    head = plexus.run(16, {"id": ds.id})["getDataSource"]
    assert (head["currentVersionId"], head["yamlConfiguration"]) == (ds.current_version_id, COMMENTED)
    assert plexus.run(1, {"id": ds.current_version_id})["getDataSourceVersion"]["yamlConfiguration"] == COMMENTED
    assert yaml.safe_load(head["yamlConfiguration"]) == svc.current_version("calls").configuration


@pytest.mark.xfail(strict=True, reason="a dataset belongs to a scorecard here (models.Dataset.scorecard_id is "
                                       "required), so a DataSource without one (optional in Plexus's schema, and in "
                                       "#10) is left out with a warning saying so; listing it needs datasets without "
                                       "a scorecard throughout (a #14 leftover)")
def test_a_data_source_without_a_scorecard_is_listed(svc, plexus, account):
    now = plexus_now()
    made = plexus.run(10, {"input": {"name": "Loose calls", "accountId": account, "yamlConfiguration": FILE_CONFIG,
                                     "createdAt": now, "updatedAt": now}})["createDataSource"]
    first = plexus.run(11, {"input": {"dataSourceId": made["id"], "yamlConfiguration": FILE_CONFIG,
                                      "isFeatured": True, "createdAt": plexus_now(), "updatedAt": plexus_now()}})
    plexus.run(12, {"input": {"id": made["id"], "currentVersionId": first["createDataSourceVersion"]["id"]}})
    assert [d.name for d in svc.list_datasets()] == ["Loose calls"]
    assert svc.resolve("Loose calls").id == first["createDataSourceVersion"]["id"]


def test_a_data_source_is_found_by_its_plexus_key(svc, plexus, account, catalog):
    source = plexus_data_source(plexus, account, catalog, "Calls")
    assert source["key"] == "calls"
    assert svc.resolve("calls:v1").id == source["currentVersionId"]


# --- 3. concurrency -----------------------------------------------------------------------------

WRITERS, PER_WRITER = 8, 25


def _config(writer: int, i: int) -> dict:
    return {"class": "InlineItems", "items": [{"writer": writer, "i": i}]}


def _write_versions(url: str, dataset_id: str, writer: int, start) -> list[tuple[int, str]]:  # in a child process
    svc = connect(api_url=url, api_key=API_KEY, dialect="plexus", account_key=ACCOUNT_KEY)
    try:
        start.wait()
        made = [svc.create_version(dataset_id, _config(writer, i), force=True, check=False)
                for i in range(PER_WRITER)]
    finally:
        svc.close()
    return [(v.version_number, v.id) for v in made]


@pytest.mark.slow
def test_eight_processes_create_200_contiguous_versions_through_the_stand_in(tmp_path):
    with ServeProcess(str(tmp_path / "plexus.db"), api_key=API_KEY,
                      extra=["--schema", "plexus", "--account-key", ACCOUNT_KEY]) as server:
        svc = connect(api_url=server.url, api_key=API_KEY, dialect="plexus")
        card = svc.create_scorecard("QA", key="qa")
        ds = svc.create_dataset(card, "calls")
        ctx = mp.get_context("spawn")
        with ctx.Manager() as manager:
            start = manager.Barrier(WRITERS)
            with ctx.Pool(WRITERS) as pool:
                results = pool.starmap(_write_versions, [(server.url, ds.id, w, start) for w in range(WRITERS)])
        versions = svc.list_versions(ds)
        svc.close()
    numbers = sorted(n for made in results for n, _ in made)
    assert numbers == list(range(1, WRITERS * PER_WRITER + 1))  # distinct and contiguous
    assert all(id == version_id(ds.id, n) for made in results for n, id in made)
    assert all([n for n, _ in made] == sorted(n for n, _ in made) for made in results)  # each writer's increase
    assert [(v.version_number, v.id) for v in versions] == [(n, version_id(ds.id, n)) for n in numbers]
    written = sorted((v.configuration["items"][0]["writer"], v.configuration["items"][0]["i"]) for v in versions)
    assert written == [(w, i) for w in range(WRITERS) for i in range(PER_WRITER)]  # none lost or duplicated


# --- 4. the compare-and-set loser ---------------------------------------------------------------


def test_two_services_race_the_current_version_and_exactly_one_wins(svc, url, plexus, data_root):
    card = svc.create_scorecard("QA", key="qa")
    ds = svc.create_dataset(card, "calls", configuration={"class": "FileItems", "path": "calls.csv"})
    v1 = svc.current_version(ds)
    v2 = svc.create_version(ds, "class: FileItems\npath: calls.csv\nbalance: true\n")
    v3 = svc.create_version(ds, "class: FileItems\npath: calls.csv\nrandom_seed: 3\n")
    alice, bob = ours(url, data_root), ours(url, data_root)
    barrier = threading.Barrier(2)
    outcome: dict[str, Any] = {}

    def move(name: str, service, target) -> None:
        barrier.wait()
        try:
            outcome[name] = service.set_current_version("calls", target, expected_current=v1)
        except ConflictError as exc:
            outcome[name] = exc

    threads = [threading.Thread(target=move, args=("alice", alice, v2)),
               threading.Thread(target=move, args=("bob", bob, v3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    lost = [name for name, got in outcome.items() if isinstance(got, ConflictError)]
    assert len(outcome) == 2 and len(lost) == 1
    winner = v3 if lost == ["alice"] else v2
    assert str(outcome[lost[0]]) == (f"Dataset 'calls': expected current version v1, but it is now {winner.label}. "
                                     "Re-read the dataset and try again.")
    head = plexus.run(16, {"id": ds.id})["getDataSource"]
    assert (head["currentVersionId"], head["yamlConfiguration"]) == (winner.id, winner.text)

    # Plexus's CLI moves the pointer unconditionally (#12) between our read and our write
    seen = alice.current_version("calls")
    plexus.run(12, {"input": {"id": ds.id, "currentVersionId": v1.id}})
    with pytest.raises(ConflictError, match=f"expected current version {seen.label}, but it is now v1"):
        alice.set_current_version("calls", v2 if seen.id == v3.id else v3, expected_current=seen)
    after = plexus.run(16, {"id": ds.id})["getDataSource"]
    assert after["currentVersionId"] == v1.id  # Plexus's move stands; ours changed nothing
    assert after["yamlConfiguration"] == winner.text  # (#12 leaves the head copy as it was)
    assert svc.current_version("calls").id == v1.id
    alice.close()
    bob.close()


# --- 5. the account, through connect() ----------------------------------------------------------


def secrets_absent(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text


@pytest.mark.parametrize("dialect", ["plexus", "auto"])
def test_a_missing_or_unknown_account_key_is_named_on_first_use(served, account, data_root, monkeypatch, dialect):
    url, received = served
    monkeypatch.delenv("PLEXUS_ACCOUNT_KEY")
    before = len(received)
    unset = ours(url, data_root, dialect=dialect)
    assert len(received) == before  # connecting sends nothing
    with pytest.raises(AccountNotFoundError, match="set PLEXUS_ACCOUNT_KEY") as missing:
        unset.list_datasets()
    secrets_absent(str(missing.value), repr(missing.value), repr(unset), unset.describe(), repr(unset.backend))
    unset.close()

    monkeypatch.setenv("PLEXUS_ACCOUNT_KEY", "acme-qa-typo")
    before = len(received)
    unknown = ours(url, data_root, dialect=dialect)
    assert len(received) == before
    with pytest.raises(AccountNotFoundError, match=r"No Plexus account with key .* set PLEXUS_ACCOUNT_KEY") as info:
        unknown.list_datasets()
    secrets_absent(str(info.value), repr(info.value), repr(unknown), unknown.describe(), repr(unknown.backend),
                   str(info.value.__cause__ or ""))
    for text in (repr(unknown), unknown.describe(), repr(unknown.backend)):
        assert "acme-qa-typo" not in text
    unknown.close()

    monkeypatch.setenv("PLEXUS_ACCOUNT_KEY", ACCOUNT_KEY)
    with ours(url, data_root, dialect=dialect) as found:
        assert found.list_datasets() == []


# --- 6. the dialect, detected through connect() -------------------------------------------------


def probes(received: list[str]) -> list[str]:
    return [q for q in received if "__type" in q or "__schema" in q]


def test_connect_detects_the_plan_stand_in_with_one_probe(tmp_path, data_root):
    store = SQLBackend(str(tmp_path / "plan.db"))
    received: list[str] = []
    try:
        with ThreadedServer(counting(create_app(store, API_KEY), received)) as server:
            svc = connect(api_url=server.url, api_key=API_KEY, data_roots=[data_root])
            assert received == []
            card = svc.create_scorecard("QA", key="qa")
            svc.create_dataset(card, "calls", configuration={"class": "FileItems", "path": "calls.csv"})
            assert [d.name for d in svc.list_datasets()] == ["calls"]
            assert svc.backend.dialect == "plan"
            assert len(probes(received)) == 1 and probes(received) == received[:1]
            svc.close()
    finally:
        store.close()


def test_connect_detects_the_plexus_stand_in_with_one_probe(served, account, catalog, plexus, data_root):
    url, received = served
    source = plexus_data_source(plexus, account, catalog, "Calls")
    before = len(received)
    svc = connect(api_url=url, api_key=API_KEY, data_roots=[data_root])
    assert len(received) == before
    assert svc.resolve("Calls").id == source["currentVersionId"]
    assert svc.create_version("Calls", {"class": "FileItems", "path": "calls.csv", "balance": True}).version_number == 2
    assert svc.backend.dialect == "plexus"
    mine = received[before:]
    assert len(probes(mine)) == 1 and probes(mine) == mine[:1]
    svc.close()
