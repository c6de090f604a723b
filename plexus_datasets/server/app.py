"""An Amplify/AppSync-compatible GraphQL server over a Backend (ariadne + ASGI).

It serves ``backends/schema.graphql`` with the behaviour of Amplify's generated
AppSync resolvers, so the GraphQL backend, Amplify's JavaScript data client and
plain HTTP clients can use it as they would use AppSync:

- create: ``id``/``createdAt``/``updatedAt`` are generated when absent; an
  existing id fails with ``DynamoDB:ConditionalCheckFailedException`` and the
  field comes back null;
- update/delete: need an existing id, honour ``condition``; an explicit null in
  an update removes the attribute; ``updatedAt`` is set to now;
- get on a missing id returns null;
- lists: ``limit`` defaults to 100, ``filter`` is applied after ``limit`` (short
  or empty pages still carry a ``nextToken``), tokens are opaque, a bad token is
  ``DynamoDB:UserIllegalArgumentException``, ``sortDirection`` on an index
  without a sort key is ``InvalidArgumentsError``;
- AWSJSON goes in and out as JSON strings;
- a missing or wrong ``x-api-key`` is HTTP 401 ``UnauthorizedException`` (body and
  ``x-amzn-ErrorType`` header); every other error is HTTP 200 with ``errors``.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, ScalarType, make_executable_schema
from ariadne.asgi import GraphQL
from graphql import GraphQLError

from ..backends.base import Backend
from ..backends.contract import RELATIONS, index_query, list_query, schema_text
from ..backends.filters import matches
from ..backends.specs import MODEL_SPECS
from ..errors import ConflictError, NotFoundError, ValidationError
from ..formats import format_datetime, utcnow

__all__ = ["AppSyncError", "create_app"]

log = logging.getLogger("plexus_datasets.server")

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]

CONDITIONAL_FAILED = "DynamoDB:ConditionalCheckFailedException"
ILLEGAL_ARGUMENT = "DynamoDB:UserIllegalArgumentException"
NO_SORT_KEY = "sortDirection is not supported for List operations without a Sort key defined."


class AppSyncError(Exception):
    """An error with AppSync's ``errorType``."""

    def __init__(self, error_type: str, message: str) -> None:
        self.error_type = error_type
        super().__init__(message)


def _conditional_failed() -> AppSyncError:
    return AppSyncError(CONDITIONAL_FAILED, "The conditional request failed (Service: DynamoDb, Status Code: 400)")


# --- scalars ---------------------------------------------------------------------------

aws_json = ScalarType("AWSJSON")


@aws_json.serializer
def _serialize_json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@aws_json.value_parser
def _parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("AWSJSON values must be JSON strings")
    try:
        return json.loads(value)
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


class Resolvers:
    """Query, mutation and relationship resolvers over one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def get(self, model: str, id: str | None) -> dict | None:
        return self.backend.get(model, id) if id else None

    def list(
        self,
        model: str,
        index: tuple[str, str] | None,
        args: Mapping[str, Any],
        implicit: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        if args.get("sortDirection") is not None:
            raise AppSyncError("InvalidArgumentsError", NO_SORT_KEY)
        limit = args.get("limit")
        limit = 100 if limit is None else limit
        if limit < 1:
            raise AppSyncError("DynamoDB:DynamoDbException", "Limit must be greater than or equal to 1")
        try:
            page = self.backend.page(model, index=index, limit=limit, next_token=args.get("nextToken"))
        except ValidationError as exc:
            raise AppSyncError(ILLEGAL_ARGUMENT, f"Invalid nextToken: {exc}") from exc
        condition = {"and": [f for f in (args.get("filter"), implicit) if f]}
        return {"items": [r for r in page.items if matches(r, condition)], "nextToken": page.next_token}

    def create(self, model: str, data: Mapping[str, Any], condition: Mapping[str, Any] | None) -> dict:
        now = format_datetime(utcnow())
        record = {k: v for k, v in data.items() if v is not None}
        record.setdefault("id", str(uuid.uuid4()))
        record.setdefault("createdAt", now)
        record.setdefault("updatedAt", record["createdAt"])
        if condition and not matches({}, condition):
            raise _conditional_failed()
        try:
            return self.backend.create(model, record)
        except ConflictError as exc:
            raise _conditional_failed() from exc

    def update(self, model: str, data: Mapping[str, Any], condition: Mapping[str, Any] | None) -> dict:
        changes = {k: v for k, v in data.items() if k != "id"}
        changes.setdefault("updatedAt", format_datetime(utcnow()))
        try:
            return self.backend.update(model, data["id"], changes, condition)
        except (ConflictError, NotFoundError) as exc:
            raise _conditional_failed() from exc
        except ValidationError as exc:
            raise AppSyncError("DynamoDB:DynamoDbException", str(exc)) from exc

    def delete(self, model: str, data: Mapping[str, Any], condition: Mapping[str, Any] | None) -> dict:
        try:
            return self.backend.delete(model, data["id"], condition)
        except (ConflictError, NotFoundError) as exc:
            raise _conditional_failed() from exc


def build_schema(backend: Backend):  # type: ignore[no-untyped-def]
    """The executable ariadne schema of the contract, resolved over ``backend``."""
    r = Resolvers(backend)
    query, mutation = QueryType(), MutationType()
    objects = []
    for model, spec in MODEL_SPECS.items():
        query.set_field(f"get{model}", lambda _o, _i, id, m=model: r.get(m, id))
        query.set_field(list_query(model), lambda _o, _i, m=model, **a: r.list(m, None, a))
        for field in spec.indexes:
            query.set_field(
                index_query(model, field),
                lambda _o, _i, m=model, f=field, **a: r.list(m, (f, a.pop(f)), a),
            )
        mutation.set_field(f"create{model}", lambda _o, _i, input, condition=None, m=model: r.create(m, input, condition))
        mutation.set_field(f"update{model}", lambda _o, _i, input, condition=None, m=model: r.update(m, input, condition))
        mutation.set_field(f"delete{model}", lambda _o, _i, input, condition=None, m=model: r.delete(m, input, condition))
        obj = ObjectType(model)
        for name, rel in RELATIONS[model].items():
            obj.set_field(name, _relation_resolver(r, rel))
        objects.append(obj)
    return make_executable_schema(schema_text(), query, mutation, aws_json, aws_datetime, *objects)


def _relation_resolver(r: Resolvers, rel: Any) -> Callable[..., Any]:
    if rel.kind == "belongsTo":
        return lambda parent, _info: r.get(rel.target, parent.get(rel.key))
    if rel.key in MODEL_SPECS[rel.target].indexes:
        return lambda parent, _info, **args: r.list(rel.target, (rel.key, parent["id"]), args)
    # No index on the back-pointer (Dataset.currentVersionId): a filtered scan.
    return lambda parent, _info, **args: r.list(rel.target, None, args, {rel.key: {"eq": parent["id"]}})


def _format_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    original = error.original_error
    formatted: dict[str, Any] = {
        "path": error.path,
        "data": None,
        "errorType": None,
        "errorInfo": None,
        "locations": [{"line": loc.line, "column": loc.column, "sourceName": None} for loc in error.locations or []],
        "message": error.message,
    }
    if isinstance(original, AppSyncError):
        formatted["errorType"] = original.error_type
    elif original is None:
        formatted["errorType"] = "ValidationError" if error.locations else "BadRequestException"
    elif isinstance(original, ValueError | GraphQLError):
        formatted["errorType"] = "ValidationError"
    else:
        log.error("Unhandled error in resolver %s: %r", error.path, original)
        formatted["errorType"] = "InternalFailure"
        formatted["message"] = "An internal failure occurred."
    return formatted


# --- HTTP ----------------------------------------------------------------------------------

_CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-headers", b"content-type, x-api-key, authorization, x-amz-date, x-amz-user-agent"),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-expose-headers", b"x-amzn-errortype, x-amzn-requestid"),
]


class AppSyncHTTP:
    """ASGI wrapper giving the GraphQL app AppSync's HTTP surface.

    ``POST /graphql`` with ``x-api-key`` (401 ``UnauthorizedException`` otherwise),
    CORS for browser clients, ``GET /health`` for readiness checks, HTTP 200 for
    every GraphQL-level error.
    """

    def __init__(self, graphql_app: ASGIApp, api_key: str | None) -> None:
        self.graphql_app = graphql_app
        self._api_key = api_key.encode() if api_key else None

    def __repr__(self) -> str:
        return f"AppSyncHTTP(auth={'api-key' if self._api_key else 'none'})"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"].rstrip("/")
        if path == "/health" and method == "GET":
            return await _respond(send, 200, b'{"status":"ok"}')
        if path != "/graphql":
            return await _respond(send, 404, b'{"message":"Not found: POST /graphql"}')
        if method == "OPTIONS":
            return await _respond(send, 204, b"")
        if method != "POST":
            return await _respond(send, 405, b'{"message":"Use POST /graphql"}')
        if self._api_key is not None:
            given = dict(scope["headers"]).get(b"x-api-key", b"")
            if not hmac.compare_digest(given, self._api_key):
                body = json.dumps({"errors": [{"errorType": "UnauthorizedException",
                                               "message": "You are not authorized to make this call."}]})
                return await _respond(send, 401, body.encode(), [(b"x-amzn-errortype", b"UnauthorizedException")])

        async def send_200(message: dict) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 400:  # AppSync answers GraphQL errors with 200
                    message = {**message, "status": 200}
                message = {**message, "headers": [*message.get("headers", []), *_CORS]}
            await send(message)

        await self.graphql_app(scope, receive, send_200)


async def _respond(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), *headers, *_CORS],
    })
    await send({"type": "http.response.body", "body": body})


class _ExpectedErrors(logging.Filter):
    """Keep errors the client caused (AppSync errorTypes, bad queries) out of the error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, GraphQLError):
            original = error.original_error
            return not (original is None or isinstance(original, AppSyncError | ValueError | GraphQLError))
        return True


_graphql_log = logging.getLogger("plexus_datasets.server.graphql")
_graphql_log.addFilter(_ExpectedErrors())


def create_app(backend: Backend, api_key: str | None) -> AppSyncHTTP:
    """The ASGI app serving ``backend``; ``api_key=None`` disables authentication."""
    graphql = GraphQL(build_schema(backend), error_formatter=_format_error, introspection=True, debug=False,
                      logger=_graphql_log)
    return AppSyncHTTP(graphql, api_key)
