"""Issue 12, part C: nothing read from a store or typed by a person is trusted.

A hostile teammate writes records straight into the shared store (a SQLite file, or
the store behind the stand-in GraphQL server on loopback); the victim's service and
CLI refuse them with typed one-line errors, or skip them with a warning, and never
let an id hijack a reference. Property tests feed arbitrary text and bytes to the
parsers and record validation: only PlexusDatasetsError may come out.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexus_datasets import connect
from plexus_datasets.backends.graphql import GraphQLBackend, RetryPolicy
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.cli import cli
from plexus_datasets.configs import parse_configuration
from plexus_datasets.errors import (
    AmbiguousReferenceError,
    BackendError,
    CorruptRecordError,
    NotFoundError,
    PlexusDatasetsError,
    ValidationError,
)
from plexus_datasets.formats import decode_text, parse_yaml
from plexus_datasets.models import (
    MAX_VERSION_NUMBER,
    MODELS,
    Dataset,
    DatasetProfile,
    DatasetVersion,
    Score,
    Scorecard,
    ScorecardSection,
    read_record,
)
from plexus_datasets.refs import parse_ref, parse_version
from plexus_datasets.server import create_app
from plexus_datasets.service import DatasetService, version_id
from tests.servers import ThreadedServer

KEY = "victim-key-Zq81x"
NOW = "2025-02-01T00:00:00.000000Z"
ITEMS = [{"text": "hello there", "Greeting": "Yes"}, {"text": "bye", "Greeting": "No"}]
V1 = {"class": "InlineItems", "items": ITEMS}
V2 = {"class": "InlineItems", "items": ITEMS[:1]}
RLO = "\u202e"


@dataclass
class Registry:
    """The victim's service over a shared store, and the attacker's two ways in:
    ``raw`` writes straight into the store, ``api`` through the same API the victim uses."""

    kind: str
    svc: DatasetService
    raw: SQLBackend
    api: SQLBackend | GraphQLBackend
    card: Scorecard
    ds: Dataset
    v2: DatasetVersion


def _seed(kind: str, svc: DatasetService, raw: SQLBackend, api) -> Registry:
    card = svc.create_scorecard("Call Center QA", key="cc-qa")
    ds = svc.create_dataset(card, "greeting-calls", configuration=V1)
    v2 = svc.create_version(ds, V2, note="one row")
    svc.set_current_version(ds, v2)
    return Registry(kind, svc, raw, api, card, svc.get_dataset(ds.id), v2)


@pytest.fixture(params=["sql", "graphql"])
def registry(request, tmp_path):
    raw = SQLBackend(str(tmp_path / "team.db"))
    if request.param == "sql":
        svc = DatasetService(SQLBackend(str(tmp_path / "team.db")))
        yield _seed("sql", svc, raw, raw)
        svc.close()
    else:
        with ThreadedServer(create_app(raw, KEY)) as server:
            retry = RetryPolicy(max_attempts=2, max_elapsed=5)
            svc = DatasetService(GraphQLBackend(server.url, KEY, retry=retry))
            api = GraphQLBackend(server.url, KEY, retry=retry)
            yield _seed("graphql", svc, raw, api)
            api.close()
            svc.close()
    raw.close()


def version_record(dataset_id: str, number, *, id: str | None = None, configuration=None) -> dict:
    return {"id": id or str(uuid.uuid4()), "datasetId": dataset_id, "versionNumber": number,
            "configuration": V1 if configuration is None else configuration, "createdAt": NOW, "updatedAt": NOW}


def dataset_record(scorecard_id: str, name: str, *, id: str | None = None) -> dict:
    return {"id": id or str(uuid.uuid4()), "name": name, "scorecardId": scorecard_id, "createdAt": NOW,
            "updatedAt": NOW}


# --- records that break the rules --------------------------------------------------------------------------------


def test_records_breaking_the_rules_are_skipped_in_listings_with_a_warning(registry, caplog):
    reg, raw = registry, registry.raw
    hostile = [
        version_record(reg.ds.id, 7, id="../../.jupyter/jupyter_server_config."),
        version_record(reg.ds.id, 8, id="greeting-calls:v2", configuration={"class": "InlineItems", "items": [{"a": 1}]}),
        version_record(reg.ds.id, 0),
        version_record(reg.ds.id, -5),
        version_record(reg.ds.id, 2**31 - 1),
        version_record(reg.ds.id, 9, configuration=[1, 2]),
    ]
    for record in hostile:
        raw.create("DatasetVersion", record)
    raw.create("Dataset", dataset_record(reg.card.id, RLO + "x" * 100_000))
    raw.create("Dataset", dataset_record(reg.card.id, f"calls{RLO}gpj.exe"))
    raw.create("Dataset", dataset_record(reg.card.id, "../../escape", id="../../escape"))

    with caplog.at_level(logging.WARNING, logger="plexus_datasets.records"):
        versions = reg.svc.list_versions("greeting-calls")
        datasets = reg.svc.list_datasets()
        summaries = reg.svc.dataset_summaries()

    assert [v.label for v in versions] == ["v1", "v2"] and versions.skipped == len(hostile)
    assert [d.name for d in datasets] == ["greeting-calls"] and datasets.skipped == 3
    assert [s.dataset.name for s in summaries] == ["greeting-calls"] and summaries.skipped >= 3
    assert summaries[0].current_version.id == reg.v2.id
    assert {1, 2} <= set(summaries[0].version_numbers) and not {0, -5, 2**31 - 1} & set(summaries[0].version_numbers)
    assert "6 corrupt record(s) skipped" in repr(versions) and "skipped" in versions._repr_html_()
    warnings = [r.getMessage() for r in caplog.records]
    assert any("'../../.jupyter/jupyter_server_config.' is not a valid id" in w for w in warnings)
    assert any("'greeting-calls:v2' is not a valid id" in w for w in warnings)
    assert sum("versionNumber" in w for w in warnings) == 3
    assert any("configuration" in w and "dictionary" in w for w in warnings)
    assert any("U+202E" in w for w in warnings) and any("100,001 characters" in w for w in warnings)
    assert all(len(w) < 600 and RLO not in w for w in warnings)  # never the hostile text itself

    # The victim's references still mean the victim's records, and numbering goes on.
    assert reg.svc.resolve("greeting-calls:v2").configuration == V2
    assert reg.svc.create_version("greeting-calls", {"class": "InlineItems", "items": ITEMS * 2}).label == "v3"
    with pytest.raises(NotFoundError):
        reg.svc.get_version("../../.jupyter/jupyter_server_config.")  # never asked of the store as an id
    zero = hostile[2]["id"]
    with pytest.raises(CorruptRecordError, match=f"corrupt DatasetVersion record \\(id '{zero}'\\): versionNumber"):
        reg.svc.get_version(zero)
    with pytest.raises(CorruptRecordError, match="configuration"):
        reg.svc.get_version(hostile[5]["id"])


def test_a_dataset_at_the_highest_version_number_says_so(registry):
    reg = registry
    reg.raw.create("DatasetVersion", version_record(reg.ds.id, MAX_VERSION_NUMBER,
                                                    id=version_id(reg.ds.id, MAX_VERSION_NUMBER)))
    assert reg.svc.latest_version(reg.ds).version_number == MAX_VERSION_NUMBER
    with pytest.raises(ValidationError, match="reached v1,000,000, the highest version number"):
        reg.svc.create_version(reg.ds, {"class": "InlineItems", "items": [{"a": 1}]})
    assert [v.label for v in reg.svc.list_versions(reg.ds)] == ["v1", "v2", "v1000000"]


def test_a_version_edited_in_place_is_reported_as_tampering(registry):
    reg = registry
    stored = reg.raw.get("DatasetVersion", reg.v2.id)["configuration"]
    assert stored["_plexus_datasets"]["digest"] == reg.v2.digest  # recorded at creation
    forged = {**stored, "items": [{"text": "forged", "Greeting": "Yes"}]}  # the metadata copied along
    reg.api.update("DatasetVersion", reg.v2.id, {"configuration": forged})  # AppSync allows this

    for attempt in (lambda: reg.svc.get_version("greeting-calls:v2"), lambda: reg.svc.resolve("greeting-calls"),
                    lambda: reg.svc.load("greeting-calls:v2")):
        with pytest.raises(CorruptRecordError, match="edited in place \\(tampering\\?\\)"):
            attempt()
    versions = reg.svc.list_versions(reg.ds)
    assert [v.label for v in versions] == ["v1"] and versions.skipped == 1
    # The tampered number is stepped over, never reused.
    assert reg.svc.create_version(reg.ds, V2).label == "v3"
    # A version written by an older release (no digest recorded) is read as it is.
    reg.raw.create("DatasetVersion", version_record(reg.ds.id, 4, id=version_id(reg.ds.id, 4), configuration=V1))
    assert reg.svc.get_version("greeting-calls:v4").configuration == V1


def test_names_are_nfc_normalized_and_refuse_control_and_bidi_characters(registry):
    svc, card = registry.svc, registry.card
    for bad in (f"calls{RLO}gpj.exe", "calls\u2066x", "two\nlines", "bell\x07", "x" * 256):
        with pytest.raises(ValidationError):
            svc.create_dataset(card, bad)
    made = svc.create_dataset(card, "Cafe\u0301 calls")  # decomposed é
    assert made.name == "Caf\u00e9 calls"
    assert svc.get_dataset("Cafe\u0301 calls").id == made.id == svc.get_dataset("Caf\u00e9 calls").id
    with pytest.raises(ValidationError, match="not a valid scorecard id"):
        svc.create_scorecard("Other", key="other", id="../../x")
    assert [d.name for d in svc.list_datasets()] == ["Caf\u00e9 calls", "greeting-calls"]


# --- references --------------------------------------------------------------------------------------------------


def test_a_dataset_id_that_is_another_datasets_name_is_ambiguous(registry):
    reg = registry
    reg.api.create("Dataset", dataset_record(reg.card.id, "evil", id="greeting-calls"))
    reg.raw.create("DatasetVersion", version_record("greeting-calls", 1, id=version_id("greeting-calls", 1),
                                                    configuration={"class": "InlineItems", "items": [{"a": 1}]}))
    for ref in ("greeting-calls", "greeting-calls:v2", "greeting-calls:v1"):
        with pytest.raises(AmbiguousReferenceError) as info:
            reg.svc.resolve(ref)
        assert "is the id of one dataset and the name of another" in str(info.value)
        assert any(reg.ds.id in c for c in info.value.candidates)
        assert any("(id greeting-calls)" in c for c in info.value.candidates)
    with pytest.raises(AmbiguousReferenceError):
        reg.svc.load("greeting-calls:v2")
    # The victim says which: by id, or SCORECARD/NAME.
    assert reg.svc.resolve(f"{reg.ds.id}:v2").id == reg.v2.id
    assert reg.svc.resolve("cc-qa/greeting-calls:v2").id == reg.v2.id


def test_a_version_id_that_names_a_dataset_is_ambiguous(registry):
    reg = registry
    other = reg.svc.create_dataset(reg.card, "other", configuration={"class": "InlineItems", "items": [{"a": 1}]})
    reg.api.create("DatasetVersion", version_record(other.id, 2, id="greeting-calls"))
    with pytest.raises(AmbiguousReferenceError, match="is the id of a version .* and also names a dataset"):
        reg.svc.resolve("greeting-calls")
    assert reg.svc.resolve("greeting-calls:current").id == reg.v2.id  # a named version is never a bare id


def test_a_scorecard_id_that_is_another_scorecards_key_is_ambiguous(registry):
    reg = registry
    reg.api.create("Scorecard", {"id": "cc-qa", "name": "Evil", "key": "evil", "accountId": "default",
                                 "createdAt": NOW, "updatedAt": NOW})
    with pytest.raises(AmbiguousReferenceError, match="'cc-qa' is the id of one scorecard and the key"):
        reg.svc.get_scorecard("cc-qa")
    with pytest.raises(AmbiguousReferenceError):
        reg.svc.list_datasets(scorecard="cc-qa")
    assert reg.svc.get_scorecard(reg.card.id).key == "cc-qa"


def test_dangling_and_foreign_current_pointers_are_typed_errors(registry):
    reg = registry
    other = reg.svc.create_dataset(reg.card, "other", configuration={"class": "InlineItems", "items": [{"a": 1}]})
    foreign = reg.svc.current_version(other)
    reg.api.update("Dataset", reg.ds.id, {"currentVersionId": foreign.id})
    with pytest.raises(CorruptRecordError, match="points at a version of another dataset"):
        reg.svc.resolve("greeting-calls")
    summary = next(s for s in reg.svc.dataset_summaries() if s.dataset.id == reg.ds.id)
    assert summary.current_version is None and summary.version_numbers == (1, 2)

    missing = str(uuid.uuid4())
    reg.api.update("Dataset", reg.ds.id, {"currentVersionId": missing})
    with pytest.raises(NotFoundError, match=f"points at a current version that does not exist \\({missing}\\)"):
        reg.svc.resolve("greeting-calls")
    assert reg.svc.current_version(reg.ds) is None
    assert reg.svc.resolve("greeting-calls:latest").id == reg.v2.id


def test_a_cascade_delete_removes_corrupt_records_too(registry):
    reg = registry
    bad = version_record(reg.ds.id, 0)
    reg.raw.create("DatasetVersion", bad)
    reg.svc.delete_dataset("greeting-calls", cascade=True)
    assert reg.raw.get("DatasetVersion", bad["id"]) is None
    assert reg.raw.list("DatasetVersion", index=("datasetId", reg.ds.id)) == []


# --- the victim's command line -----------------------------------------------------------------------------------


def _cli(db: Path, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXUS_")}
    env.update(PLEXUS_DATASETS_CACHE_DIR=str(tmp_path / "cache"), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "plexus_datasets.cli", "--db", str(db), *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)


def test_the_cli_skips_corrupt_records_with_a_warning_and_refuses_tampering_in_one_line(tmp_path):
    db = tmp_path / "team.db"
    svc = connect(str(db))
    reg = _seed("sql", svc, svc.backend, svc.backend)
    raw = reg.raw
    raw.create("DatasetVersion", version_record(reg.ds.id, 7, id="../../.jupyter/jupyter_server_config."))
    raw.create("DatasetVersion", version_record(reg.ds.id, 2**31 - 1))
    raw.create("Dataset", dataset_record(reg.card.id, RLO + "x" * 100_000))
    stored = raw.get("DatasetVersion", reg.v2.id)["configuration"]
    raw.update("DatasetVersion", reg.v2.id, {"configuration": {**stored, "items": []}})
    svc.close()

    listed = _cli(db, "versions", "list", "greeting-calls", tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "v1" in listed.stdout and "v2" not in listed.stdout and "jupyter" not in listed.stdout
    assert "Traceback" not in listed.stderr
    assert "'../../.jupyter/jupyter_server_config.' is not a valid id" in listed.stderr
    assert "edited in place" in listed.stderr and "versionNumber" in listed.stderr

    datasets = _cli(db, "datasets", "list", tmp_path=tmp_path)
    assert datasets.returncode == 0 and "greeting-calls" in datasets.stdout, datasets.stderr
    assert "Skipped: The store holds a corrupt Dataset record" in datasets.stderr and RLO not in datasets.stderr

    loaded = _cli(db, "load", "greeting-calls:v2", "--out", str(tmp_path / "out.parquet"), tmp_path=tmp_path)
    assert loaded.returncode == 1 and "Traceback" not in loaded.stderr
    errors = [line for line in loaded.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "edited in place (tampering?)" in errors[0]
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize(("content", "expected"), [
    ("class: InlineItems\nnote: caf\u00e9\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9"),
    ("class: InlineItems\n".encode("utf-16"), "is UTF-16 or UTF-32 text; save it as UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "holds NUL bytes: a binary file"),
    (b"class: InlineItems\nn: " + b"9" * 5000 + b"\n", "has more than 38 digits"),
    (b"class: InlineItems\nx: " + b"[" * 5000, "nested more than 64 levels deep"),
    (b'{"class": "InlineItems", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested more than 64 levels deep"),
    (b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        b"%c: &%c [%s]\n" % (c + 1, c + 1, b", ".join([b"*%c" % c] * 9)) for c in range(ord("a"), ord("a") + 8)),
     "aliases expand to more than 1,000,000 values"),
])
def test_config_files_that_are_not_sane_text_are_one_typed_line(tmp_path, content, expected):
    db = tmp_path / "cli.db"
    svc = connect(str(db))
    _seed("sql", svc, svc.backend, svc.backend)
    svc.close()
    config = tmp_path / "data.yaml"
    config.write_bytes(content)
    result = CliRunner().invoke(cli, ["--db", str(db), "versions", "create", "greeting-calls", "--config",
                                      str(config)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], lines
    with connect(str(db)) as after:
        assert [v.label for v in after.list_versions("greeting-calls")] == ["v1", "v2"]  # nothing written


def test_a_directory_given_as_config_is_one_typed_line(tmp_path):
    svc = connect(str(tmp_path / "cli.db"))
    _seed("sql", svc, svc.backend, svc.backend)
    svc.close()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "cli.db"), "versions", "create", "greeting-calls",
                                      "--config", str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: Can't read the configuration file")


# --- the GraphQL client ------------------------------------------------------------------------------------------


class LoopbackHTTP:
    """A tiny HTTP server on 127.0.0.1 that records each request's headers and answers
    with ``answer(handler) -> (status, headers, body)``; stopped by whoever starts it."""

    def __init__(self, answer) -> None:
        self.requests: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.requests.append({k.lower(): v for k, v in self.headers.items()})
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, body = answer(self)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/graphql"

    def __enter__(self) -> LoopbackHTTP:  # noqa: PYI034
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _json(body) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_graphql_client_follows_no_redirect_and_the_key_stays_home(status):
    empty = {"data": {"listDatasets": {"items": [], "nextToken": None}}}
    with LoopbackHTTP(lambda _h: _json(empty)) as elsewhere, \
            LoopbackHTTP(lambda _h: (status, {"Location": elsewhere.url}, b"")) as home:
        svc = connect(api_url=home.url, api_key=KEY)
        with pytest.raises(BackendError) as info:
            svc.list_datasets()
        svc.close()
    message = str(info.value)
    assert f"answered HTTP {status}, redirecting to {elsewhere.url}" in message and KEY not in message
    assert len(home.requests) == 1 and home.requests[0]["x-api-key"] == KEY
    assert elsewhere.requests == []  # the key never travelled


def test_a_server_repeating_a_next_token_is_an_error_not_a_loop():
    page = {"data": {"listDatasets": {"items": [], "nextToken": "again"}}}
    with LoopbackHTTP(lambda _h: _json(page)) as server:
        backend = GraphQLBackend(server.url, KEY)
        with pytest.raises(BackendError, match="returned the same nextToken twice while listing Dataset"):
            backend.list("Dataset")
        assert len(server.requests) == 2
        with pytest.raises(BackendError, match="same nextToken twice"):
            DatasetService(backend).dataset_summaries()
        backend.close()
    assert len(server.requests) == 4


@pytest.mark.parametrize(("body", "error"), [
    ({"data": {"listDatasets": {"items": "nope", "nextToken": None}}}, CorruptRecordError),
    ({"data": {"listDatasets": {"items": [], "nextToken": 7}}}, CorruptRecordError),
    ({"data": {"listDatasets": {"items": [[1]], "nextToken": None}}}, CorruptRecordError),
    ({"data": [1, 2]}, CorruptRecordError),
    ("data", BackendError),
    ({"data": {"listDatasets": {"items": [{"id": "x", "name": "n", "scorecardId": "s", "createdAt": NOW,
                                           "updatedAt": NOW, "description": None, "scoreId": None,
                                           "currentVersionId": "../../x"}], "nextToken": None}}}, None),
])
def test_malformed_answers_from_a_server_are_typed_errors(body, error):
    with LoopbackHTTP(lambda _h: _json(body)) as server:
        svc = connect(api_url=server.url, api_key=KEY, dialect="plan")  # this fake answers every request alike
        if error is None:  # a well-formed answer holding a corrupt record: skipped
            assert svc.list_datasets() == [] and svc.list_datasets().skipped == 1
        else:
            with pytest.raises(error):
                svc.list_datasets()
        svc.close()


def test_undecodable_awsjson_from_a_server_is_a_corrupt_record():
    version = {"id": "v1", "datasetId": "d1", "versionNumber": 1, "configuration": '{"class": ' + "[" * 5000,
               "createdAt": NOW, "updatedAt": NOW}
    with LoopbackHTTP(lambda _h: _json({"data": {"getDatasetVersion": version}})) as server:
        backend = GraphQLBackend(server.url, KEY)
        with pytest.raises(CorruptRecordError, match="corrupt DatasetVersion record \\(id 'v1'\\): configuration"):
            backend.get("DatasetVersion", "v1")
        backend.close()


# --- property tests: only PlexusDatasetsError comes out ----------------------------------------------------------

YAMLISH = st.text(alphabet="{}[]:,-&*!?|>'\"\n #0123456789abcxyz_%.\t<=\u202e\u00e9", max_size=200)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def only_our_errors(fn, *args) -> None:
    try:
        fn(*args)
    except PlexusDatasetsError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), YAMLISH, st.binary()))
def test_parsing_configurations_raises_only_our_errors(source):
    only_our_errors(parse_configuration, source)
    only_our_errors(parse_yaml, source)
    if isinstance(source, bytes):
        only_our_errors(decode_text, source, "data")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="vV:0123456789\u0661\uff11 /-_ab", max_size=30), st.integers(),
                 st.binary(), st.none()))
def test_the_reference_grammar_raises_only_our_errors(text):
    only_our_errors(parse_ref, text)
    only_our_errors(parse_version, text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MODELS), st.data())
def test_record_validation_raises_only_corrupt_record_errors(cls, data):
    fields = {f.alias or name: JSON_VALUES | st.text(max_size=300) for name, f in cls.model_fields.items()}
    wire = data.draw(st.fixed_dictionaries({}, optional=fields) | JSON_VALUES)
    try:
        read_record(cls, wire)
    except CorruptRecordError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({
    "id": st.one_of(st.uuids().map(str), st.text(max_size=10)),
    "versionNumber": st.integers(-(2**62), 2**62),
    "configuration": JSON_VALUES,
}), max_size=5))
def test_stored_versions_of_any_shape_are_read_or_skipped(versions):
    store = SQLBackend("sqlite:///:memory:")
    svc = DatasetService(store)
    card = svc.create_scorecard("QA", key="qa")
    ds = svc.create_dataset(card, "calls", configuration={"class": "InlineItems", "items": [{"a": 1}]})
    for record in versions:
        wire = {**record, "datasetId": ds.id, "createdAt": NOW, "updatedAt": NOW}
        try:
            store.create("DatasetVersion", wire)
        except (PlexusDatasetsError, ValueError):
            continue  # the store itself refused it (a duplicate id or number, NaN); not what is tested
    listed = svc.list_versions(ds)
    assert listed[0].version_number == 1
    for record in versions:
        only_our_errors(svc.get_version, record["id"])
    svc.close()


def test_every_model_keeps_the_id_rule():
    for cls in (Scorecard, ScorecardSection, Score, Dataset, DatasetVersion, DatasetProfile):
        with pytest.raises(CorruptRecordError, match="is not a valid id"):
            read_record(cls, {"id": "a/b", "createdAt": NOW, "updatedAt": NOW})
