"""The storage schema is written once: the model classes. Everything else must agree.

Models (``backends.specs``), the contract SDL (``server/contracts/plan/amplify_datasets.graphql``), the
relations of ``backends.contract.RELATIONS``, the stand-in's plan contract (SDL + model
introspection, ``server.contract.load_contract("plan")``: what the server's resolvers are
generated from), and the SQL tables the frozen migrations create.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType, build_schema

from plexus_datasets.backends.contract import RELATIONS, Relation, index_query, schema_text
from plexus_datasets.backends.specs import MODEL_SPECS
from plexus_datasets.backends.sql import SCHEMA_VERSION, TABLES, SQLBackend
from plexus_datasets.server.contract import load_contract

SCALARS = {"string": {"String", "ID"}, "int": {"Int"}, "datetime": {"AWSDateTime"}, "json": {"AWSJSON"},
           "strings": {"[String]"}}
SYSTEM = {"id", "createdAt", "updatedAt"}


@pytest.fixture(scope="module")
def sdl():
    return build_schema(schema_text())


def _unwrap(field_type):
    required = isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if required else field_type
    if isinstance(inner, GraphQLList):
        element = inner.of_type.of_type if isinstance(inner.of_type, GraphQLNonNull) else inner.of_type
        return f"[{element.name}]", required
    return inner.name, required


def _scalar_fields(sdl, model):
    fields = {}
    for name, field in sdl.type_map[model].fields.items():
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        inner = inner.of_type if isinstance(inner, GraphQLList) else inner
        inner = inner.of_type if isinstance(inner, GraphQLNonNull) else inner
        if isinstance(inner, GraphQLScalarType):
            fields[name] = _unwrap(field.type)
    return fields


@pytest.mark.parametrize("model", sorted(MODEL_SPECS))
def test_models_and_sdl_have_the_same_fields_kinds_and_requiredness(sdl, model):
    spec = MODEL_SPECS[model]
    fields = _scalar_fields(sdl, model)
    assert set(fields) == set(spec.fields)
    for name, kind in spec.fields.items():
        type_name, required = fields[name]
        assert type_name in SCALARS[kind], (model, name, type_name, kind)
        assert required == (name in spec.required or name in SYSTEM), (model, name)


@pytest.mark.parametrize("model", sorted(MODEL_SPECS))
def test_indexes_are_the_sdl_index_queries(sdl, model):
    queries = {name for name in sdl.query_type.fields if name.startswith(f"list{model}By")}
    assert queries == {index_query(model, field) for field in MODEL_SPECS[model].indexes}


@pytest.mark.parametrize("model", sorted(MODEL_SPECS))
def test_relations_are_the_sdl_object_fields(sdl, model):
    found = {}
    for name, field in sdl.type_map[model].fields.items():
        type_name, _ = _unwrap(field.type)
        target = sdl.type_map.get(type_name)
        if isinstance(target, GraphQLObjectType) and type_name in MODEL_SPECS:
            found[name] = ("belongsTo", type_name)
        elif type_name.startswith("Model") and type_name.endswith("Connection"):
            found[name] = ("hasMany", type_name[len("Model"):-len("Connection")])
    assert found == {name: (r.kind, r.target) for name, r in RELATIONS[model].items()}
    for relation in RELATIONS[model].values():
        holder = model if relation.kind == "belongsTo" else relation.target
        assert relation.key in MODEL_SPECS[holder].fields


KINDS = {"String": "string", "ID": "string", "Int": "int", "AWSDateTime": "datetime", "AWSJSON": "json"}


@pytest.mark.parametrize("model", sorted(MODEL_SPECS))
def test_the_served_plan_contract_has_the_models_fields_and_indexes(model):
    contract = load_contract("plan").models[model]
    spec = MODEL_SPECS[model]
    kinds = {name: "strings" if field.is_list else KINDS[field.type] for name, field in contract.fields.items()}
    assert kinds == spec.fields
    assert {name for name, field in contract.fields.items() if field.required} - SYSTEM == spec.required
    assert contract.create_required == spec.required
    assert sorted(index.partition_key for index in contract.indexes) == sorted(spec.indexes)
    assert all(not index.sort_keys and index.query_field == index_query(model, index.partition_key)
               for index in contract.indexes)


@pytest.mark.parametrize("model", sorted(MODEL_SPECS))
def test_the_served_plan_contract_has_the_relations(model):
    contract = load_contract("plan").models[model]
    found = {}
    for name, relation in contract.relations.items():
        if relation.kind == "BELONGS_TO":
            found[name] = Relation("belongsTo", relation.target, relation.target_names[0])
        else:
            found[name] = Relation("hasMany", relation.target, relation.associated_with[0])
    assert found == RELATIONS[model]


def test_migrations_create_exactly_todays_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    SQLBackend(url).close()
    inspector = sa.inspect(sa.create_engine(url))
    for model, table in TABLES.items():
        spec = MODEL_SPECS[model]
        reflected = inspector.get_columns(table.name)
        columns = {c["name"]: c["nullable"] for c in reflected}
        assert columns == {c.name: c.nullable for c in table.columns}, model
        assert set(columns) == set(spec.fields)
        for column in reflected:  # ints are INTEGER, everything else (text, JSON, datetimes) is text
            is_int = isinstance(column["type"], sa.Integer)
            assert is_int == (spec.fields[column["name"]] == "int"), (model, column["name"], column["type"])
            assert is_int == isinstance(table.c[column["name"]].type, sa.Integer)
        indexed = {tuple(i["column_names"]) for i in inspector.get_indexes(table.name)}
        for field in spec.indexes:
            assert (field,) in indexed, (model, field)
    # Name lookups (resolve("calls:v2"), get_scorecard("QA")) are indexed, not scans.
    for table in ("datasets", "scorecards", "scores"):
        assert ("name",) in {tuple(i["column_names"]) for i in inspector.get_indexes(table)}
    assert sa.create_engine(url).connect().execute(sa.text("select version from plexus_datasets_schema")
                                                   ).scalar() == SCHEMA_VERSION


def test_a_version_1_store_is_migrated_in_place(tmp_path):
    """A store written by 0.1.0 (schema 1) gains the name indexes and keeps its rows."""
    from plexus_datasets.backends._migrations import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        MIGRATIONS[0](conn)
        conn.execute(sa.text("create table plexus_datasets_schema (version integer not null)"))
        conn.execute(sa.text("insert into plexus_datasets_schema values (1)"))
        conn.execute(sa.text("insert into scorecards (id, name, key, accountId, createdAt, updatedAt) "
                             "values ('c1', 'QA', 'qa', 'a', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')"))
    backend = SQLBackend(url)
    try:
        assert backend.schema_version() == SCHEMA_VERSION
        assert [r["name"] for r in backend.list("Scorecard", filter={"name": {"eq": "QA"}})] == ["QA"]
    finally:
        backend.close()
    assert ("name",) in {tuple(i["column_names"]) for i in sa.inspect(engine).get_indexes("scorecards")}
