"""Dialect detection against real servers: both stand-ins, and small graphql-core APIs speaking
neither schema, both, or refusing introspection."""

from __future__ import annotations

import json

import pytest
from graphql import build_schema, graphql_sync

from plexus_datasets.backends._appsync import AppSyncTransport, RetryPolicy
from plexus_datasets.backends.contract import schema_text
from plexus_datasets.backends.dialects import detect_dialect, parse_dialect
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.errors import DialectError, ValidationError
from plexus_datasets.server import create_app
from tests.conftest import API_KEY
from tests.servers import ThreadedServer, json_asgi

CONNECTION = "type Model{0}Connection {{ items: [{0}] nextToken: String }}"


def sdl(*types: str, lists: tuple[str, ...] = ()) -> str:
    """An SDL with object ``types`` (each with an id) and ``list<Name>s(limit)`` queries for ``lists``."""
    parts = ["scalar AWSJSON", "type AWSDetails { id: ID }"]
    parts += [f"type {name} {{ id: ID! }}" for name in types]
    parts += [CONNECTION.format(name) for name in lists]
    fields = [f"get{name}(id: ID!): {name}" for name in types] or ["ping: String"]
    fields += [f"list{name}s(limit: Int): Model{name}Connection" for name in lists]
    return "\n".join([*parts, "type Query { " + " ".join(fields) + " }"])


def graphql_api(schema_sdl: str, *, introspection: bool = True):
    """A minimal ASGI GraphQL API over ``schema_sdl`` whose lists are empty; without ``introspection``
    it refuses any document that asks for ``__schema``/``__type``, as AppSync can be set to."""
    schema = build_schema(schema_sdl)
    root = {name: (lambda *_a, **_k: {"items": [], "nextToken": None})
            for name in schema.query_type.fields if name.startswith("list")}
    received: list[str] = []

    def run(body: bytes) -> dict:
        request = json.loads(body)
        received.append(request["query"])
        if not introspection and ("__schema" in request["query"] or "__type" in request["query"]):
            return {"errors": [{"errorType": "ValidationError", "message": "GraphQL introspection is not allowed."}]}
        result = graphql_sync(schema, request["query"], root_value=root, variable_values=request.get("variables"))
        return result.formatted

    app = json_asgi(lambda _method, _target, _headers, body: (200, [], run(body)))
    app.received = received
    return app


def transport(url: str, api_key: str | None = None) -> AppSyncTransport:
    return AppSyncTransport(url, schema_sdl=schema_text(), api_key=api_key,
                            retry=RetryPolicy(max_attempts=2, max_elapsed=2, base_delay=0.01))


def detect(app, query: str = "") -> tuple[str | DialectError, list[str]]:
    """What detection says about ``app`` (its answer or its DialectError) and the documents it was sent."""
    with ThreadedServer(app) as server:
        client = transport(server.url + query)
        try:
            return detect_dialect(client), app.received
        except DialectError as exc:
            return exc, app.received
        finally:
            client.close()


# --- the two stand-ins ---------------------------------------------------------------------------------------------

def test_the_plan_stand_in_speaks_plan_in_one_request(tmp_path):
    store = SQLBackend(str(tmp_path / "served.db"))
    with ThreadedServer(create_app(store, API_KEY)) as server:
        client = transport(server.url, API_KEY)
        assert detect_dialect(client) == "plan"
        assert client.requests_sent == 1
        assert client.execute("query { listDatasets(limit: 1) { nextToken } }") == {"listDatasets": {"nextToken": None}}
        client.close()
    store.close()


def test_the_plexus_stand_in_speaks_plexus(tmp_path):
    from plexus_datasets.server.contract import load_contract
    from plexus_datasets.server.items import ItemStore

    store = ItemStore(str(tmp_path / "plexus.db"), load_contract("plexus"))
    with ThreadedServer(create_app(store, API_KEY)) as server:
        client = transport(server.url, API_KEY)  # validates against the plan's SDL: the probe must not be
        assert detect_dialect(client) == "plexus"
        assert client.requests_sent == 1
        with pytest.raises(ValidationError, match="does not fit the schema"):
            client.execute("{ listDataSources(limit: 1) { nextToken } }")  # ordinary documents still are
        client.close()
    store.close()


# --- neither, both, no introspection -------------------------------------------------------------------------------

def test_an_api_of_neither_schema_is_named_with_the_types_it_has():
    answer, sent = detect(graphql_api(sdl("Foo", "Bar", lists=("Foo",))), "?token=S3CRET")
    assert isinstance(answer, DialectError)
    message = str(answer)
    assert "speaks neither the dataset plan's schema" in message and "it has: Foo, Bar." in message
    assert "Set PLEXUS_API_URL (or api_url=) to a Plexus or plexus-datasets API." in message
    assert "/graphql?***" in message and "S3CRET" not in message
    for hidden in ("Query", "ModelFooConnection", "AWSDetails", "__Schema"):
        assert f" {hidden}," not in message and f" {hidden}." not in message
    assert len(sent) == 2  # the probe, then the list of types for the message


def test_only_ten_type_names_are_listed():
    names = [f"Thing{i:02}" for i in range(13)]
    answer, _ = detect(graphql_api(sdl(*names)))
    assert isinstance(answer, DialectError)
    assert f"it has: {', '.join(names[:10])} (and 3 more)." in str(answer)


def test_an_api_with_both_schemas_asks_which_to_use():
    answer, sent = detect(graphql_api(sdl("DataSource", "DatasetVersion")))
    assert isinstance(answer, DialectError) and len(sent) == 1
    assert "PLEXUS_DATASETS_DIALECT=plan or PLEXUS_DATASETS_DIALECT=plexus" in str(answer)


@pytest.mark.parametrize(("lists", "expected"), [
    (("DataSource",), "plexus"),
    (("Dataset",), "plan"),
])
def test_without_introspection_the_list_queries_decide(lists, expected):
    answer, sent = detect(graphql_api(sdl(*lists, lists=lists), introspection=False))
    assert answer == expected
    assert "p: __type" in sent[0] and len(sent) == 3


def test_without_introspection_neither_and_both_are_errors():
    neither, _ = detect(graphql_api(sdl("Foo", lists=("Foo",)), introspection=False))
    assert isinstance(neither, DialectError) and "speaks neither" in str(neither)
    assert "it has" not in str(neither)  # it would not say
    both, _ = detect(graphql_api(sdl("DataSource", "Dataset", lists=("DataSource", "Dataset")), introspection=False))
    assert isinstance(both, DialectError) and "PLEXUS_DATASETS_DIALECT" in str(both)


# --- the setting ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (None, "auto"), ("", "auto"), ("  ", "auto"), ("auto", "auto"), ("plan", "plan"), (" Plexus ", "plexus"),
    ("PLAN", "plan"),
])
def test_parse_dialect(value, expected):
    assert parse_dialect(value) == expected


@pytest.mark.parametrize("value", ["sql", "plexus-datasets", "amplify"])
def test_an_unknown_dialect_names_the_variable(value):
    with pytest.raises(ValidationError, match=rf"PLEXUS_DATASETS_DIALECT \(or dialect=\) must be auto, plan or "
                                              rf"plexus, got '{value}'"):
        parse_dialect(value)
