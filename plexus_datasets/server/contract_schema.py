"""A contract's executable schema, resolved over an item source with AppSync's semantics.

The one set of resolvers the stand-in has, for every schema it serves (the dataset plan's and Plexus's). They
read and write an ``items.ItemSource``: an ``ItemStore``, or a ``Backend`` through ``BackendItems``.
Everything model-specific comes from the ``Contract`` (``server/contract.py``): which models exist, their
fields, key attributes, secondary indexes with sort keys, and relations; no resolver knows a model by name
(the plan's indexes have no sort key, so ``sortDirection`` is refused on each of them; its
``datasetsAsCurrentVersion`` is a relation GSI like any hasMany). The SDL names the root fields:
``get<M>``, the scan ``list<M>s`` (the Query field returning ``Model<M>Connection`` with no required
argument), each index's query field, ``create|update|delete<M>``. The rules are those of the resolvers Amplify
generates (contract README §5):

- **create**: ``id`` (a uuid4), ``createdAt`` and ``updatedAt`` (one server now, ``...mmmZ``) are defaults
  that a given value replaces, each on its own; an explicit null is stored as a null (the attribute exists),
  except on an index's partition-key field (Amplify's ``nullIndexFields``, relation GSIs included), where it
  is dropped, so the item is left out of that index; an explicit null on a sort-key field is DynamoDB's key
  type mismatch (``DynamoDB:DynamoDbException``); ``__typename`` is stored; an existing id fails with
  ``DynamoDB:ConditionalCheckFailedException`` and a null field;
- **update**: ``updatedAt`` is now unless given; an explicit null removes the attribute; a missing id or a
  false ``condition`` is ``ConditionalCheckFailedException``. Create and update both refuse a write that
  gives part of a composite sort key (ScoreVersion's ``isFeatured`` + ``createdAt``) but not all of it,
  counting the defaults, as the index transformer's ``validateIndexArgumentSnippet`` does;
- writes DynamoDB would refuse (an item over 400 KB, an empty or oversized key attribute, text that is not
  valid Unicode, values nested deeper than 32 levels: ``limits.check_item``) fail with its ValidationException
  (``DynamoDB:DynamoDbException``) and write nothing; an update checks the new item inside the store's write
  transaction;
- **delete**: returns the old item;
- **get** of a missing id is null;
- **lists and index queries**: ``limit`` defaults to 100, a page ends at 1 MB (``Limits.max_page_bytes``)
  and 1,000 items with a ``nextToken``, ``filter`` applies after the limit (short or empty pages
  still carry a ``nextToken``), a bad token (or one passed with another sort-key condition) is
  ``DynamoDB:UserIllegalArgumentException``; an empty partition value or ``eq: ""`` on a sort key is
  DynamoDB's ValidationException (``DynamoDB:DynamoDbException``); a sort-key condition
  takes one operator (more is DynamoDB's ValidationException, ``DynamoDB:DynamoDbException``), a composite one
  joins the given fields with ``#`` in sort-key order (a prefix for partial inputs); ``sortDirection`` on an
  index without a sort key is ``InvalidArgumentsError``;
- **relations**: belongsTo reads the foreign key's item (a null key is null, without a read); hasMany queries
  the relation's GSI (``gsi-Parent.field``) and pages like a list (a null parent id is ``{items: []}``); both
  go through the request's loaders, so a nested level costs one store call;
- AWSJSON goes in and out as JSON strings; AWSDateTime is checked and kept as sent (AppSync stores the text,
  so ``+00:00`` and ``Z`` values coexist and compare as strings in sort keys); see ``scalars``. A ``Backend``
  behind ``BackendItems`` keeps AWSDateTime values as UTC text instead, as the Backend contract says.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ariadne import make_executable_schema
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, get_named_type

from ..backends.filters import matches
from ..errors import ValidationError
from ..formats import utcnow
from .appsync import (
    DYNAMODB_ERROR,
    ILLEGAL_ARGUMENT,
    INVALID_ARGUMENTS,
    NO_SORT_KEY,
    AppSyncError,
    conditional_failed,
    dynamodb_validation,
)
from .batching import ItemRequestContext
from .contract import Contract, ContractModel, Index, Relation
from .items import ConditionFailed, KeyCondition, Page, relation_index_name, secondary_indexes
from .limits import check_item, key_fields
from .scalars import aws_datetime, aws_json

__all__ = ["build_contract_schema", "now_iso8601"]

_TIMESTAMPS = ("createdAt", "updatedAt")
_ONE_KEY_CONDITION = "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"

def now_iso8601() -> str:
    """AppSync's ``$util.time.nowISO8601()``: UTC, milliseconds, ``Z``."""
    return utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- reads -----------------------------------------------------------------------------------


def _context(info: GraphQLResolveInfo) -> ItemRequestContext:
    return info.context


def _limit(ctx: ItemRequestContext, args: Mapping[str, Any]) -> int:
    limit = args.get("limit")
    limit = 100 if limit is None else limit
    if limit < 1:
        raise AppSyncError(DYNAMODB_ERROR, "Limit must be greater than or equal to 1")
    return min(limit, ctx.limits.max_page_items)


def _read(ctx: ItemRequestContext, model: str, token: str | None, read: Callable[[], Page]) -> Page:
    """One page read straight from the store (counted, remembered); the store's ValidationError is the
    token's when one was given."""
    ctx.budget.check_read()
    try:
        page = read()
    except ValidationError as exc:
        if token is not None:
            raise AppSyncError(ILLEGAL_ARGUMENT, str(exc)) from exc
        raise dynamodb_validation(str(exc)) from exc
    ctx.remember(model, page.items)
    return page


def _connection(ctx: ItemRequestContext, page: Page, *filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The page as a ``Model<M>Connection``, its items filtered after the limit."""
    condition = {"and": [f for f in filters if f]}
    items = [item for item in page.items if matches(item, condition, stored_nulls=ctx.store.stores_nulls)]
    ctx.budget.returned(len(items))
    return {"items": items, "nextToken": page.next_token}


async def get(info: GraphQLResolveInfo, model: str, id: str | None) -> dict | None:
    ctx = _context(info)
    ctx.budget.call()
    if not id:
        return None
    item = await ctx.gets.load((model, id))
    if item is not None:
        ctx.budget.returned(1)
    return item


def scan(info: GraphQLResolveInfo, model: str, args: Mapping[str, Any]) -> dict[str, Any]:
    ctx = _context(info)
    ctx.budget.call()
    limit, token = _limit(ctx, args), args.get("nextToken")
    page = _read(ctx, model, token, lambda: ctx.store.scan(model, limit=limit, next_token=token,
                                                           max_bytes=ctx.limits.max_page_bytes))
    return _connection(ctx, page, args.get("filter"))


def index_query(info: GraphQLResolveInfo, model: str, index: Index, sk_argument: str | None,
                args: Mapping[str, Any]) -> dict[str, Any]:
    ctx = _context(info)
    ctx.budget.call()
    direction = args.get("sortDirection")
    if direction is not None and not index.sort_keys:
        raise AppSyncError(INVALID_ARGUMENTS, NO_SORT_KEY)
    sk = key_condition(index, sk_argument, args.get(sk_argument) if sk_argument else None)
    limit, token = _limit(ctx, args), args.get("nextToken")
    pk = args[index.partition_key]
    if pk == "":
        raise dynamodb_validation(_empty_key(index, index.partition_key))
    page = _read(ctx, model, token, lambda: ctx.store.query(
        model, index.name, pk, sk=sk, descending=direction == "DESC", limit=limit,  # type: ignore[arg-type]
        next_token=token, max_bytes=ctx.limits.max_page_bytes))
    return _connection(ctx, page, args.get("filter"))


def key_condition(index: Index, argument: str | None, condition: Mapping[str, Any] | None) -> KeyCondition | None:
    """The store's sort-key condition for a ``Model...KeyConditionInput`` argument (None for none).

    One operator at most (DynamoDB refuses two conditions on one key). A composite sort key's input is an
    object per operand, whose given fields are joined with ``#`` in sort-key order, as Amplify's
    ``applyCompositeKeyConditionExpression`` does: ``{isFeatured: "true"}`` is the prefix ``"true"``."""
    given = [(op, value) for op, value in (condition or {}).items() if value is not None]
    if not given:
        return None
    if len(given) > 1:
        raise dynamodb_validation(_ONE_KEY_CONDITION)
    op, value = given[0]
    if op != "between":
        value = _sort_value(index, value)
        if op == "eq" and value == "":
            raise dynamodb_validation(_empty_key(index, "#".join(index.sort_keys)))
        return op, value
    if len(value) != 2:
        raise AppSyncError(INVALID_ARGUMENTS, f"Argument '{argument}.between' expects exactly two elements.")
    low, high = (_sort_value(index, v) for v in value)
    if low is None or high is None or low > high:
        raise dynamodb_validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
                                  "greater than or equal to lower bound")
    return op, [low, high]


def _empty_key(index: Index, field: str) -> str:
    return ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
            f"empty string value. IndexName: {index.name}, IndexKey: {field}")


def _sort_value(index: Index, value: Any) -> Any:
    if len(index.sort_keys) < 2 or value is None:
        return value
    return "#".join(str(value[f]) for f in index.sort_keys if value.get(f) is not None)


# --- relations -------------------------------------------------------------------------------


def _belongs_to(relation: Relation) -> Callable[..., Any]:
    foreign_key = relation.target_names[0]

    async def resolve(parent: Mapping[str, Any], info: GraphQLResolveInfo) -> dict | None:
        return await get(info, relation.target, parent.get(foreign_key))

    return resolve


def _has_many(parent_model: str, field: str, relation: Relation) -> Callable[..., Any]:
    """A hasMany field: a query of the relation's GSI (no sort key) by the parent's id; first pages go through
    the request's ``firsts`` loader (one store call per level)."""
    index = relation_index_name(parent_model, field)
    target = relation.target

    async def resolve(parent: Mapping[str, Any], info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        ctx = _context(info)
        ctx.budget.call()
        limit, token = _limit(ctx, args), args.get("nextToken")
        parent_id = parent.get("id")
        if parent_id is None:
            return {"items": [], "nextToken": None}
        if token is None:
            ctx.budget.check_read()
            page = await ctx.firsts.load((target, index, parent_id, limit))
        else:
            page = _read(ctx, target, token, lambda: ctx.store.query(
                target, index, parent_id, limit=limit, next_token=token, max_bytes=ctx.limits.max_page_bytes))
        return _connection(ctx, page, args.get("filter"))

    return resolve


# --- writes ----------------------------------------------------------------------------------


def _check_composite_keys(model: ContractModel, merged: Mapping[str, Any], verb: str) -> None:
    """A write that gives part of a composite sort key must give all of it (``merged``: defaults + input)."""
    for index in model.indexes:
        if len(index.sort_keys) < 2 or not any(f in merged for f in index.sort_keys):
            continue
        for field in index.sort_keys:
            if field not in merged:
                # $util.error(message) without a type: AppSync reports errorType null
                raise AppSyncError(None, f"When {verb} any part of the composite sort key for @index "  # type: ignore[arg-type]
                                         f"'{index.name}', you must provide all fields for the key. "
                                         f"Missing key: '{field}'.")


def _null_index_fields(contract: Contract, model: ContractModel) -> set[str]:
    """The fields whose explicit null a create drops: each secondary index's partition key (Amplify's
    ``nullIndexFields``), relation GSIs included."""
    return {index.partition_key for index in secondary_indexes(contract)[model.name].values()}


def _check_null_sort_keys(model: ContractModel, item: Mapping[str, Any]) -> None:
    """DynamoDB refuses a NULL in an index key attribute (a sort key: partition-key nulls are dropped)."""
    for index in model.indexes:
        for field in index.sort_keys:
            if field in item and item[field] is None:
                raise dynamodb_validation(f"One or more parameter values were invalid: Type mismatch for Index Key "
                                          f"{field} Expected: S Actual: NULL IndexName: {index.name}")


def create(info: GraphQLResolveInfo, model: ContractModel, data: Mapping[str, Any],
           condition: Mapping[str, Any] | None) -> dict:
    ctx = _context(info)
    ctx.budget.call()
    now = now_iso8601()
    defaults = {"id": str(uuid.uuid4()), **{f: now for f in _TIMESTAMPS if f in model.fields}}
    _check_composite_keys(model, {**defaults, **data}, "creating")
    stripped = _null_index_fields(ctx.store.contract, model)
    given = {k: v for k, v in data.items() if v is not None or (k not in stripped and k not in defaults)}
    item = {**defaults, **given, "__typename": model.name}
    _check_null_sort_keys(model, item)
    check_item(model.name, item, ctx.limits, key_fields(model))
    ctx.forget()
    with _as_appsync_errors():
        return ctx.store.put(model.name, item, condition)


def update(info: GraphQLResolveInfo, model: ContractModel, data: Mapping[str, Any],
           condition: Mapping[str, Any] | None) -> dict:
    ctx = _context(info)
    ctx.budget.call()
    id = data["id"]
    changes = {k: v for k, v in data.items() if k != "id"}
    defaults = {"updatedAt": now_iso8601()} if "updatedAt" in model.fields else {}
    _check_composite_keys(model, {**defaults, **changes}, "updating")
    changes = {**defaults, **{k: v for k, v in changes.items() if v is not None or k not in defaults}}
    to_set = {k: v for k, v in changes.items() if v is not None}
    to_remove = [k for k, v in changes.items() if v is None]
    keys = key_fields(model)
    check_item(model.name, {"id": id, **to_set}, ctx.limits, keys)
    ctx.forget()
    with _as_appsync_errors():
        return ctx.store.update(model.name, id, to_set, to_remove, condition,
                                check=lambda after: check_item(model.name, after, ctx.limits, keys))


def delete(info: GraphQLResolveInfo, model: ContractModel, data: Mapping[str, Any],
           condition: Mapping[str, Any] | None) -> dict:
    ctx = _context(info)
    ctx.budget.call()
    ctx.forget()
    with _as_appsync_errors():
        return ctx.store.delete(model.name, data["id"], condition)


@contextlib.contextmanager
def _as_appsync_errors() -> Iterator[None]:
    """A write's store errors as AppSync answers them: a false condition (or a missing or
    existing id) is ConditionalCheckFailed, an item DynamoDB would refuse its ValidationException."""
    try:
        yield
    except ConditionFailed as exc:
        raise conditional_failed() from exc
    except ValidationError as exc:
        raise dynamodb_validation(str(exc)) from exc


# --- the schema ------------------------------------------------------------------------------


def build_contract_schema(contract: Contract, sdl_text: str) -> GraphQLSchema:
    """The executable schema of ``sdl_text`` with resolvers for ``contract``'s models; resolvers read
    ``info.context``, an ``ItemRequestContext``. Raises ``ValueError`` when the SDL lacks a root field the
    contract needs."""
    schema = make_executable_schema(sdl_text, aws_json, aws_datetime)
    query, mutation = schema.query_type, schema.mutation_type
    if query is None or mutation is None:
        raise ValueError("the SDL has no Query or no Mutation type")
    for model in contract.models.values():
        name = model.name
        _resolve(query, f"get{name}", lambda _o, info, id, m=name: get(info, m, id))
        _resolve(query, _list_field(query, model), lambda _o, info, m=name, **a: scan(info, m, a))
        for index in model.indexes:
            if index.query_field is not None:
                sk_argument = _sort_key_argument(query, index)
                _resolve(query, index.query_field,
                         lambda _o, info, m=name, i=index, s=sk_argument, **a: index_query(info, m, i, s, a))
        for verb, write in (("create", create), ("update", update), ("delete", delete)):
            _resolve(mutation, f"{verb}{name}",
                     lambda _o, info, input, condition=None, m=model, w=write: w(info, m, input, condition))
        model_type = schema.type_map[name]
        assert isinstance(model_type, GraphQLObjectType)
        for field, relation in model.relations.items():
            if relation.kind == "HAS_MANY" and len(relation.associated_with) == 1:
                _resolve(model_type, field, _has_many(name, field, relation))
            elif relation.kind == "BELONGS_TO" and len(relation.target_names) == 1:
                _resolve(model_type, field, _belongs_to(relation))
    return schema


def _resolve(owner: GraphQLObjectType, field: str, resolver: Callable[..., Any]) -> None:
    if field not in owner.fields:
        raise ValueError(f"the SDL has no field {owner.name}.{field}")
    owner.fields[field].resolve = resolver


def _list_field(query: GraphQLObjectType, model: ContractModel) -> str:
    """The scan query of ``model``: the Query field returning ``Model<M>Connection`` with no required argument
    (index queries require their partition key)."""
    connection = f"Model{model.name}Connection"
    for name, field in query.fields.items():
        if get_named_type(field.type).name == connection and \
                not any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            return name
    raise ValueError(f"the SDL has no list query returning {connection}")


def _sort_key_argument(query: GraphQLObjectType, index: Index) -> str | None:
    """The index query's sort-key argument: the one whose type is a ``...KeyConditionInput``."""
    if not index.sort_keys:
        return None
    for name, arg in query.fields[index.query_field].args.items():  # type: ignore[index]
        if get_named_type(arg.type).name.endswith("KeyConditionInput"):
            return name
    raise ValueError(f"the SDL's {index.query_field} has no sort-key condition argument")
