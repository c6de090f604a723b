"""The contract's executable schema, resolved over a Backend with AppSync's semantics.

- create: ``id``/``createdAt``/``updatedAt`` are generated when absent; an existing id
  fails with ``DynamoDB:ConditionalCheckFailedException`` and the field comes back null;
- update/delete: need an existing id, honour ``condition``; an explicit null in an
  update removes the attribute; ``updatedAt`` is set to now;
- writes DynamoDB would refuse (an item over 400 KB, an empty or oversized key
  attribute, text that is not valid Unicode) fail with its ValidationException
  (``DynamoDB:DynamoDbException``) and write nothing;
- get on a missing id returns null;
- lists: ``limit`` defaults to 100, a page ends at 1 MB (and 1,000 items) with a
  ``nextToken``, ``filter`` is applied after ``limit`` (short or empty pages still carry
  a ``nextToken``), tokens are opaque, a bad token is
  ``DynamoDB:UserIllegalArgumentException``, ``sortDirection`` on an index without a
  sort key is ``InvalidArgumentsError``;
- relationship fields read through the request's loaders: one store call per level;
- AWSJSON goes in and out as JSON strings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, ScalarType, make_executable_schema
from graphql import GraphQLResolveInfo, GraphQLSchema

from ..backends.contract import RELATIONS, Relation, index_query, list_query, schema_text
from ..backends.filters import matches
from ..backends.specs import MODEL_SPECS
from ..errors import ConflictError, NotFoundError, ValidationError
from ..formats import format_datetime, utcnow
from .appsync import (
    DYNAMODB_ERROR,
    ILLEGAL_ARGUMENT,
    INVALID_ARGUMENTS,
    AppSyncError,
    conditional_failed,
)
from .batching import RequestContext
from .limits import check_item

__all__ = ["build_schema"]

NO_SORT_KEY = "sortDirection is not supported for List operations without a Sort key defined."

# --- scalars ---------------------------------------------------------------------------

aws_json = ScalarType("AWSJSON")


@aws_json.serializer
def _serialize_json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@aws_json.value_parser
def _parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("AWSJSON values must be JSON strings")
    try:
        return json.loads(value, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("Unable to parse AWSJSON: nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"Unable to parse AWSJSON: {exc}") from None


aws_datetime = ScalarType("AWSDateTime")


@aws_datetime.serializer
def _serialize_datetime(value: Any) -> str:
    return value


@aws_datetime.value_parser
def _parse_datetime(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("AWSDateTime values must be strings")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Invalid AWSDateTime {value!r}: use ISO 8601 with a UTC offset") from None
    if parsed.tzinfo is None:
        raise ValueError(f"Invalid AWSDateTime {value!r}: an offset (Z or +hh:mm) is required")
    return format_datetime(parsed)


# --- resolvers -------------------------------------------------------------------------


def _context(info: GraphQLResolveInfo) -> RequestContext:
    return info.context


async def get(info: GraphQLResolveInfo, model: str, id: str | None) -> dict | None:
    ctx = _context(info)
    ctx.budget.call()
    if not id:
        return None
    record = await ctx.gets.load((model, id))
    if record is not None:
        ctx.budget.returned(1)
    return record


async def list_page(
    info: GraphQLResolveInfo,
    model: str,
    index: tuple[str, str] | None,
    args: Mapping[str, Any],
    implicit: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    ctx = _context(info)
    ctx.budget.call()
    if args.get("sortDirection") is not None:
        raise AppSyncError(INVALID_ARGUMENTS, NO_SORT_KEY)
    limit = args.get("limit")
    limit = 100 if limit is None else limit
    if limit < 1:
        raise AppSyncError(DYNAMODB_ERROR, "Limit must be greater than or equal to 1")
    field, value = index or (None, None)
    key = (model, field, value, min(limit, ctx.limits.max_page_items), args.get("nextToken"))
    try:
        page = await ctx.pages.load(key)
    except ValidationError as exc:
        raise AppSyncError(ILLEGAL_ARGUMENT, f"Invalid nextToken: {exc}") from exc
    condition = {"and": [f for f in (args.get("filter"), implicit) if f]}
    items = [r for r in page.items if matches(r, condition)]
    ctx.budget.returned(len(items))
    return {"items": items, "nextToken": page.next_token}


def create(info: GraphQLResolveInfo, model: str, data: Mapping[str, Any], condition: Mapping[str, Any] | None) -> dict:
    ctx = _context(info)
    ctx.budget.call()
    now = format_datetime(utcnow())
    record = {k: v for k, v in data.items() if v is not None}
    record.setdefault("id", str(uuid.uuid4()))
    record.setdefault("createdAt", now)
    record.setdefault("updatedAt", now)  # AppSync keeps a given createdAt, not as updatedAt
    check_item(model, record, ctx.limits)
    if condition and not matches({}, condition):
        raise conditional_failed()
    ctx.forget()
    try:
        return ctx.backend.create(model, record)
    except ConflictError as exc:
        raise conditional_failed() from exc


def update(info: GraphQLResolveInfo, model: str, data: Mapping[str, Any], condition: Mapping[str, Any] | None) -> dict:
    ctx = _context(info)
    ctx.budget.call()
    changes = {k: v for k, v in data.items() if k != "id"}
    changes.setdefault("updatedAt", format_datetime(utcnow()))
    check_item(model, {"id": data["id"], **{k: v for k, v in changes.items() if v is not None}}, ctx.limits)
    current = ctx.backend.get(model, data["id"])
    if current is None:
        raise conditional_failed()
    check_item(model, {k: v for k, v in {**current, **changes}.items() if v is not None}, ctx.limits)
    ctx.forget()
    try:
        return ctx.backend.update(model, data["id"], changes, condition)
    except (ConflictError, NotFoundError) as exc:
        raise conditional_failed() from exc
    except ValidationError as exc:
        raise AppSyncError(DYNAMODB_ERROR, str(exc)) from exc


def delete(info: GraphQLResolveInfo, model: str, data: Mapping[str, Any], condition: Mapping[str, Any] | None) -> dict:
    ctx = _context(info)
    ctx.budget.call()
    ctx.forget()
    try:
        return ctx.backend.delete(model, data["id"], condition)
    except (ConflictError, NotFoundError) as exc:
        raise conditional_failed() from exc


def build_schema() -> GraphQLSchema:
    """The executable schema of the contract; resolvers read ``info.context``, a
    ``RequestContext``."""
    query, mutation = QueryType(), MutationType()
    objects = []
    for model, spec in MODEL_SPECS.items():
        query.set_field(f"get{model}", lambda _o, info, id, m=model: get(info, m, id))
        query.set_field(list_query(model), lambda _o, info, m=model, **a: list_page(info, m, None, a))
        for field in spec.indexes:
            query.set_field(
                index_query(model, field),
                lambda _o, info, m=model, f=field, **a: list_page(info, m, (f, a.pop(f)), a),
            )
        for verb, resolve in (("create", create), ("update", update), ("delete", delete)):
            mutation.set_field(f"{verb}{model}",
                               lambda _o, info, input, condition=None, m=model, r=resolve: r(info, m, input, condition))
        obj = ObjectType(model)
        for name, rel in RELATIONS[model].items():
            obj.set_field(name, _relation_resolver(rel))
        objects.append(obj)
    return make_executable_schema(schema_text(), query, mutation, aws_json, aws_datetime, *objects)


def _relation_resolver(rel: Relation) -> Callable[..., Any]:
    if rel.kind == "belongsTo":
        return lambda parent, info: get(info, rel.target, parent.get(rel.key))
    if rel.key in MODEL_SPECS[rel.target].indexes:
        return lambda parent, info, **args: list_page(info, rel.target, (rel.key, parent["id"]), args)
    # No index on the back-pointer (Dataset.currentVersionId): a filtered scan.
    return lambda parent, info, **args: list_page(info, rel.target, None, args, {rel.key: {"eq": parent["id"]}})
