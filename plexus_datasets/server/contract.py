"""The Amplify contracts as data: the models, fields, create inputs, indexes and relations of a schema.

A contract is a pair of files that the real Amplify toolchain generated. One is the AppSync SDL with its
directives stripped. The other is the model introspection that Amplify's JS data client is configured with.
``load_contract("plan")`` (the dataset plan's schema) and ``load_contract("plexus")`` (Plexus's deployed
one) read the copies packaged under ``server/contracts/<name>/`` (see the PROVENANCE.md in each). ``Contract.from_files(sdl_text, introspection)`` parses any such pair.

Where each fact comes from:

- **fields**: from the SDL's model type. These are the stored attributes only: scalars, enums and lists of
  them. Relationship and connection fields are left out; they are in ``relations``.
- **create_required**: the non-null fields of the SDL's ``Create<Model>Input``.
- **timestamps_in_input**: True when that input accepts both ``createdAt`` and ``updatedAt``.
- **primary_key**: from the introspection's ``primaryKeyInfo``.
- **indexes**: the secondary indexes, from the introspection's ``key`` attributes, in the file's order.
  A relation-only GSI (e.g. ``gsi-DataSourceVersion.dataSourcesAsCurrentVersion``) has a name but no query field.
- **relations**: from the introspection's ``association``.

The two files must agree. If they don't, parsing raises a ``ValueError`` naming what disagrees. The files are
our own shipped data, so a mismatch is a packaging bug and never a user error.

This module does no I/O beyond reading the packaged files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
)

__all__ = ["CONTRACT_FILES", "Contract", "ContractModel", "Field", "Index", "Relation", "load_contract"]

#: The packaged contracts, by name: (SDL file, model introspection file) under ``contracts/<name>/``.
CONTRACT_FILES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "plan": ("amplify_datasets.graphql", "model_introspection.json"),
    "plexus": ("plexus_datasources.graphql", "model_introspection.json"),
})

RelationKind = Literal["BELONGS_TO", "HAS_MANY", "HAS_ONE"]
_TIMESTAMPS = frozenset({"createdAt", "updatedAt"})


@dataclass(frozen=True)
class Field:
    """A stored field. ``type`` is the named type: a scalar (``ID``, ``String``, ``Int``, ``Float``,
    ``Boolean``, ``AWSJSON``, ``AWSDateTime``...) or, when ``is_enum``, an enum's name. ``is_list`` marks
    ``[T]``. ``required`` means the model type declares the field non-null."""

    type: str
    required: bool
    is_list: bool = False
    is_enum: bool = False


@dataclass(frozen=True)
class Index:
    """A key: ``partition_key`` plus zero or more ``sort_keys`` (more than one makes a composite sort key).
    The primary key has neither ``name`` nor ``query_field``. A relation-only GSI has a name but no
    query field."""

    name: str | None
    query_field: str | None
    partition_key: str
    sort_keys: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """The key's fields: the partition key, then the sort keys."""
        return (self.partition_key, *self.sort_keys)


@dataclass(frozen=True)
class Relation:
    """A relationship field. For ``BELONGS_TO``, ``target_names`` are our fields that hold the target's key.
    For ``HAS_MANY`` and ``HAS_ONE``, ``associated_with`` are the target's fields that hold our key."""

    kind: RelationKind
    target: str
    target_names: tuple[str, ...] = ()
    associated_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContractModel:
    """One model of a contract (see the module docstring for where each part comes from)."""

    name: str
    fields: Mapping[str, Field]
    create_required: frozenset[str]
    timestamps_in_input: bool
    primary_key: Index
    indexes: tuple[Index, ...]
    relations: Mapping[str, Relation]

    def index(self, query_field: str) -> Index:
        """The secondary index that ``query_field`` queries. Raises ``KeyError`` if there is none."""
        for index in self.indexes:
            if index.query_field == query_field:
                return index
        raise KeyError(f"{self.name} has no index queried by {query_field!r}")


@dataclass(frozen=True)
class Contract:
    """The models of one schema, by name, in the introspection's order. ``sdl`` is the SDL text that was
    parsed; a server builds its executable schema from it."""

    models: Mapping[str, ContractModel]
    sdl: str = field(repr=False, compare=False)

    @classmethod
    def from_files(cls, sdl_text: str, introspection: dict[str, Any]) -> Contract:
        """Parse an SDL and its model introspection. Raises ``ValueError`` when they disagree (see
        ``_check``) or when the SDL lacks a model type or a ``Create<Model>Input``."""
        schema = build_schema(sdl_text)
        models = {name: _model(schema, name, spec) for name, spec in introspection["models"].items()}
        _check(schema, models)
        return cls(models=MappingProxyType(models), sdl=sdl_text)


@cache
def load_contract(name: str) -> Contract:
    """The packaged contract ``name`` (see ``CONTRACT_FILES``), parsed once per process."""
    if name not in CONTRACT_FILES:
        raise ValueError(f"no contract named {name!r}; known: {', '.join(sorted(CONTRACT_FILES))}")
    sdl_file, introspection_file = CONTRACT_FILES[name]
    folder = resources.files(__package__).joinpath("contracts").joinpath(name)
    sdl_text = folder.joinpath(sdl_file).read_text(encoding="utf-8")
    introspection = json.loads(folder.joinpath(introspection_file).read_text(encoding="utf-8"))
    return Contract.from_files(sdl_text, introspection)


def _model(schema: GraphQLSchema, name: str, spec: dict[str, Any]) -> ContractModel:
    """One model: stored fields and create inputs from the SDL, keys and relations from the introspection."""
    model_type = _named(schema, name, GraphQLObjectType, f"model {name} of the introspection")
    create_input = _named(schema, f"Create{name}Input", GraphQLInputObjectType, f"the create input of {name}")
    primary_key, indexes = _keys(name, spec)
    return ContractModel(
        name=name,
        fields=MappingProxyType(_stored_fields(model_type)),
        create_required=frozenset(f for f, arg in create_input.fields.items() if isinstance(arg.type, GraphQLNonNull)),
        timestamps_in_input=_TIMESTAMPS <= create_input.fields.keys(),
        primary_key=primary_key,
        indexes=indexes,
        relations=MappingProxyType(_relations(spec)),
    )


def _named(schema: GraphQLSchema, name: str, kind: type, what: str) -> Any:
    """The SDL's type ``name``, which must be a ``kind``."""
    found = schema.type_map.get(name)
    if isinstance(found, kind):
        return found
    label = "input type" if kind is GraphQLInputObjectType else "type"
    raise ValueError(f"the SDL has no {label} {name!r} ({what})")


def _stored_fields(model_type: GraphQLObjectType) -> dict[str, Field]:
    """The model type's scalar, enum and list-of-scalar fields, in SDL order."""
    fields = {}
    for name, gql_field in model_type.fields.items():
        required = isinstance(gql_field.type, GraphQLNonNull)
        inner = gql_field.type.of_type if required else gql_field.type
        is_list = isinstance(inner, GraphQLList)
        if is_list:
            inner = inner.of_type.of_type if isinstance(inner.of_type, GraphQLNonNull) else inner.of_type
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            fields[name] = Field(inner.name, required, is_list, isinstance(inner, GraphQLEnumType))
    return fields


def _keys(name: str, spec: dict[str, Any]) -> tuple[Index, tuple[Index, ...]]:
    """The primary key (``primaryKeyInfo``) and the secondary indexes (the named ``key`` attributes).

    A nameless ``key`` attribute declares the primary key, so it must match ``primaryKeyInfo``."""
    info = spec["primaryKeyInfo"]
    primary = Index(None, None, info["primaryKeyFieldName"], tuple(info["sortKeyFieldNames"]))
    secondary = []
    for attribute in spec.get("attributes", ()):
        if attribute.get("type") != "key":
            continue
        props = attribute["properties"]
        partition_key, *sort_keys = props["fields"]
        index = Index(props.get("name"), props.get("queryField"), partition_key, tuple(sort_keys))
        if index.name is None:
            if index.fields != primary.fields:
                raise ValueError(f"{name}: the nameless key {index.fields} is not primaryKeyInfo's {primary.fields}")
            continue
        secondary.append(index)
    return primary, tuple(secondary)


def _relations(spec: dict[str, Any]) -> dict[str, Relation]:
    """The fields that carry an ``association``, in the introspection's order."""
    relations = {}
    for name, field_spec in spec["fields"].items():
        association = field_spec.get("association")
        if association is None:
            continue
        relations[name] = Relation(
            kind=association["connectionType"],
            target=field_spec["type"]["model"],
            target_names=tuple(association.get("targetNames", ())),
            associated_with=tuple(association.get("associatedWith", ())),
        )
    return relations


def _check(schema: GraphQLSchema, models: dict[str, ContractModel]) -> None:
    """The introspection must agree with the SDL. Every index query field must be a Query field. Every key
    field must be a stored field of its model. Every relation must be a field of the model type, and its
    target must be a model."""
    query_fields = schema.query_type.fields if schema.query_type else {}
    for model in models.values():
        for index in (model.primary_key, *model.indexes):
            if index.query_field is not None and index.query_field not in query_fields:
                raise ValueError(f"{model.name}: index {index.name!r} is queried by {index.query_field!r}, "
                                 "which is not a Query field of the SDL")
            missing = [f for f in index.fields if f not in model.fields]
            if missing:
                raise ValueError(f"{model.name}: index {index.name!r} uses {missing}, not stored fields in the SDL")
        model_type = schema.type_map[model.name]
        for name, relation in model.relations.items():
            if name not in model_type.fields:  # type: ignore[union-attr]
                raise ValueError(f"{model.name}: relation {name!r} is not a field of the SDL type")
            if relation.target not in models:
                raise ValueError(f"{model.name}.{name}: relation target {relation.target!r} is not a model")
