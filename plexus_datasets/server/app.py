"""The stand-in's HTTP surface: AppSync's, for trusted callers only.

``POST /graphql`` runs a GraphQL request and answers HTTP 200 with ``data`` and
AppSync-shaped ``errors``; ``GET /health`` answers ``{"status":"ok"}``. Before any
GraphQL work, every request must:

- name this server in its ``Host`` header (the bound host, a loopback name, or one
  given with ``allowed_hosts``; an IP address too when bound to every interface),
  so a web page can't reach it through DNS rebinding: HTTP 421 otherwise;
- come from no browser origin, or from one given with ``cors_origins`` (the only
  origins that get CORS headers): HTTP 403 otherwise;
- carry the API key in ``x-api-key`` when one is set, or (when IAM credentials are
  given) an ``Authorization: AWS4-HMAC-SHA256 ...`` signature: HTTP 401
  ``UnauthorizedException`` (body and ``x-amzn-ErrorType`` header) when it carries
  neither; a signature's header is checked (``sigv4.check_sigv4_header``: its form,
  the access key, the date, the credential scope) before the body is read, the
  signature itself by ``sigv4.verify_sigv4`` once it is, each refused with the status
  and errorType those functions give;
- send ``application/json`` (HTTP 415 otherwise) of at most ``Limits.max_body_bytes``
  (HTTP 413 otherwise).

It serves a contract's schema with the resolvers generated from the contract
(``contract_schema``), over an ``ItemStore`` (its contract's items) or over a
``Backend`` (the dataset plan's models, presented as items by ``BackendItems``).

GraphQL requests run on a few worker threads, each in an event loop of its own, so
the server's loop (and ``/health``) never waits for the store; the query checks of
``limits`` run before graphql-core validates the document.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
import ipaddress
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ariadne import graphql as run_graphql
from graphql import DocumentNode, GraphQLError, GraphQLSchema, get_named_type, parse

from ..backends.base import Backend
from .appsync import RESPONSE_LIMIT, VALIDATION, AppSyncError
from .backend_items import BackendItems
from .batching import ItemRequestContext
from .contract import Contract, load_contract
from .limits import Limits, check_document, relation_fields

if TYPE_CHECKING:
    from .items import ItemSource

__all__ = ["AppSyncHTTP", "GraphQLRunner", "create_app", "normalize_origin"]

log = logging.getLogger("plexus_datasets.server")

Scope = dict[str, Any]
Send = Callable[[dict], Awaitable[None]]
Receive = Callable[[], Awaitable[dict]]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
_CORS_ALLOW_HEADERS = b"content-type, x-api-key, authorization, x-amz-date, x-amz-user-agent"
#: With ``manage_gc``: how often to look for a quiet moment for a full collection, and
#: the longest a full collection waits for one.
GC_CHECK_SECONDS, GC_MAX_WAIT_SECONDS = 5.0, 60.0


# --- GraphQL ---------------------------------------------------------------------------


class GraphQLRunner:
    """Runs one JSON request body to a JSON response, synchronously (on a worker thread).

    ``new_context()`` makes each request's context (its store, loaders and budget);
    ``resolver_fields`` names the fields below the root that run a resolver, for the
    query checks of ``limits``."""

    def __init__(self, schema: GraphQLSchema, new_context: Callable[[], Any], limits: Limits,
                 resolver_fields: Collection[str]) -> None:
        self.schema = schema
        self.new_context = new_context
        self.limits = limits
        self.resolver_fields = resolver_fields
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []

    def close(self) -> None:
        """Close the worker threads' event loops (once no request runs)."""
        for loop in self._loops:
            loop.close()
        self._loops.clear()

    def _loop(self) -> asyncio.AbstractEventLoop:
        """This worker thread's own event loop, where its requests' resolvers batch."""
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            self._loops.append(loop)
        return loop

    def run(self, body: bytes) -> tuple[int, bytes]:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return 400, _error_body("BadRequestException", "The request body is not valid JSON.")
        if not isinstance(data, dict):
            return 400, _error_body("BadRequestException", "The request body must be one JSON object.")
        context = self.new_context()
        _, result = self._loop().run_until_complete(run_graphql(
            self.schema, data, context_value=context, query_parser=self._parse, error_formatter=self._format_error,
            introspection=True, debug=False, logger=_graphql_log.name,
        ))
        errors = result.get("errors")
        if errors and len(errors) > self.limits.max_errors:
            result["errors"] = errors[:self.limits.max_errors]
        text = _json_text(result, self.limits.max_response_bytes)
        if text is None:
            message = (f"The response is larger than {self.limits.max_response_bytes // 2**20} MiB: "
                       "ask for fewer records or fields, or page.")
            text = _json_text({"data": None, "errors": [_error(RESPONSE_LIMIT, message)]}, 2**20)
        return 200, _utf8(text)  # type: ignore[arg-type]

    def _format_error(self, error: GraphQLError, debug: bool = False) -> dict[str, Any]:
        return format_error(error, debug, schema=self.schema)

    def _parse(self, _context: Any, data: dict) -> DocumentNode:
        query = data["query"]
        if len(query) > self.limits.max_query_chars:
            raise AppSyncError(VALIDATION, f"The query is longer than {self.limits.max_query_chars} characters.")
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except RecursionError:
            raise AppSyncError(VALIDATION, f"Query depth limit of {self.limits.max_depth} exceeded.") from None
        check_document(document, self.limits, self.resolver_fields)
        return document


def _json_text(value: Any, cap: int) -> str | None:
    """``value`` as compact JSON, or None once it passes ``cap`` characters.

    Encoded piece by piece (a record at a time) rather than in one C call, so the
    thread that answers ``/health`` gets the interpreter between pieces; a record
    repeated many times is encoded (and counted) each time.
    """
    pieces: list[str] = []
    size = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            piece = item.text
        elif isinstance(item, dict) and any(isinstance(v, dict | list) for v in item.values()):
            piece = "{"
            members: list[Any] = []
            for n, (key, member) in enumerate(item.items()):
                members += [_Raw(("," if n else "") + _encode(key) + ":"), member]
            stack += [_Raw("}"), *reversed(members)]
        elif isinstance(item, list) and _flat(next((m for m in item if m is not None), None)):
            # a list's items share one shape: flat records go 200 to a C call
            piece = "[" + ",".join(_encode(item[n:n + 200])[1:-1] for n in range(0, len(item), 200)) + "]"
        elif isinstance(item, list):
            piece = "["
            members = []
            for n, member in enumerate(item):
                members += [_Raw(","), member] if n else [member]
            stack += [_Raw("]"), *reversed(members)]
        else:
            piece = _encode(item)
        size += len(piece)
        if size > cap:
            return None
        pieces.append(piece)
    return "".join(pieces)


def _flat(value: Any) -> bool:
    if isinstance(value, dict):
        return not any(isinstance(v, dict | list) for v in value.values())
    return not isinstance(value, list)


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate stored before the server refused them
        return json.dumps(json.loads(text), separators=(",", ":")).encode("ascii")


def _error(error_type: str, message: str) -> dict[str, Any]:
    return {"path": None, "data": None, "errorType": error_type, "errorInfo": None, "locations": [],
            "message": message}


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errors": [{"errorType": error_type, "message": message}]}).encode()


_NON_NULL = re.compile(r"Cannot return null for non-nullable field (\w+)\.(\w+)\.")


def _non_null_violation(original: BaseException | None) -> re.Match[str] | None:
    """graphql-core's error for a null in a non-null field (a record that lacks a required field): the
    client's doing (it selected the field), so expected."""
    return _NON_NULL.fullmatch(str(original)) if isinstance(original, TypeError) else None


def format_error(error: GraphQLError, debug: bool = False, *, schema: GraphQLSchema | None = None) -> dict[str, Any]:
    """An error in AppSync's shape. A null in a non-null field is AppSync's ``Cannot return null for
    non-nullable type: '<T>' within parent '<P>' (/a/b)``, errorType null, no locations (``schema``
    names the field's type)."""
    original = error.original_error
    violation = _non_null_violation(original)
    if violation is not None:
        parent, field = violation.groups()
        owner = schema.type_map.get(parent) if schema is not None else None
        fields = getattr(owner, "fields", {})
        type_name = get_named_type(fields[field].type).name if field in fields else "Object"
        where = "/" + "/".join(str(p) for p in error.path or [])
        return {"path": error.path, "data": None, "errorType": None, "errorInfo": None, "locations": None,
                "message": f"Cannot return null for non-nullable type: '{type_name}' within parent '{parent}' "
                           f"({where})"}
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
        formatted["errorType"] = VALIDATION if error.locations else "BadRequestException"
    elif isinstance(original, ValueError | GraphQLError):
        formatted["errorType"] = VALIDATION
    else:
        log.error("Unhandled error in resolver %s: %r", error.path, original)
        formatted["errorType"] = "InternalFailure"
        formatted["message"] = "An internal failure occurred."
    return formatted


class _ExpectedErrors(logging.Filter):
    """Keep errors the client caused (AppSync errorTypes, bad queries) out of the error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, GraphQLError):
            original = error.original_error
            return not (original is None or isinstance(original, AppSyncError | ValueError | GraphQLError)
                        or _non_null_violation(original) is not None)
        return True


_graphql_log = logging.getLogger("plexus_datasets.server.graphql")
_graphql_log.addFilter(_ExpectedErrors())


# --- HTTP ----------------------------------------------------------------------------------


class AppSyncHTTP:
    """The ASGI app: the checks in this module's docstring, then the GraphQL runner
    on a worker thread."""

    def __init__(
        self,
        runner: GraphQLRunner,
        api_key: str | None,
        *,
        allowed_hosts: Iterable[str],
        any_ip_host: bool = False,
        cors_origins: Iterable[str] = (),
        workers: int = 4,
        manage_gc: bool = False,
        iam_credentials: Mapping[str, str] | None = None,
        iam_region: str | None = None,
    ) -> None:
        self.runner = runner
        self.limits = runner.limits
        self._api_key = api_key.encode() if api_key else None
        self._iam = dict(iam_credentials) if iam_credentials else None
        self._iam_region = iam_region
        self._hosts = frozenset(h.lower().strip("[]") for h in allowed_hosts)
        self._any_ip_host = any_ip_host
        self._origins = frozenset(normalize_origin(o) for o in cors_origins)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="plexus-graphql")
        self._manage_gc = manage_gc
        self._in_flight = self._served = 0
        self._gc_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        auth = "+".join(mode for mode, on in (("api-key", self._api_key), ("iam", self._iam)) if on) or "none"
        return f"AppSyncHTTP(auth={auth}, cors={sorted(self._origins)})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        headers = _headers(scope)
        cors = self._cors_headers(headers.get("origin"))
        early = self._early_answer(scope["method"], scope["path"].rstrip("/"), headers, cors)
        if early is not None:
            return await _respond(send, *early)
        signed = self._signed(headers) and not self._api_key_valid(headers)
        if signed:
            refusal = self._check_signature(scope, headers, None)
            if refusal is not None:
                return await _refuse(send, refusal, cors)
        body = await _read_body(receive, headers, self.limits.max_body_bytes)
        if body is None:
            message = f"The request body is larger than {self.limits.max_body_bytes // 2**20} MiB."
            return await _respond(send, 413, _error_body("PayloadTooLargeException", message), cors)
        if signed:
            refusal = self._check_signature(scope, headers, body)
            if refusal is not None:
                return await _refuse(send, refusal, cors)
        self._in_flight += 1
        try:
            status, payload = await asyncio.get_running_loop().run_in_executor(self._pool, self.runner.run, body)
        finally:
            self._in_flight -= 1
            self._served += 1
        await _respond(send, status, payload, cors)

    def _early_answer(self, method: str, path: str, headers: dict[str, str], cors: list[tuple[bytes, bytes]]
                      ) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
        """The answer to a request that never reaches GraphQL (``/health``, preflights,
        every refusal but 413), or None for a GraphQL request to run."""
        if not self._host_allowed(headers.get("host", "")):
            message = "This server does not answer for that Host. Use its address, or start it with --allowed-host NAME."
            return 421, json.dumps({"message": message}).encode(), []
        if path == "/health" and method == "GET":
            return 200, b'{"status":"ok"}', cors
        if path != "/graphql":
            return 404, b'{"message":"Not found: POST /graphql"}', cors
        origin = headers.get("origin")
        if origin is not None and not cors:
            message = f"Origin {origin} is not allowed: start the server with --cors-origin {origin} to allow it."
            return 403, _error_body("ForbiddenException", message), []
        if method == "OPTIONS":
            return 204, b"", cors + _PREFLIGHT if cors else []
        if method != "POST":
            return 405, b'{"message":"Use POST /graphql"}', cors
        if (self._api_key is not None or self._iam is not None) and not self._api_key_valid(headers) \
                and not self._signed(headers):
            body = _error_body("UnauthorizedException", "You are not authorized to make this call.")
            return 401, body, [(b"x-amzn-errortype", b"UnauthorizedException"), *cors]
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            message = "Send the GraphQL request as JSON (Content-Type: application/json)."
            return 415, _error_body("UnsupportedMediaTypeException", message), cors
        return None

    def _api_key_valid(self, headers: dict[str, str]) -> bool:
        if self._api_key is None:
            return self._iam is None  # no authentication at all
        return hmac.compare_digest(headers.get("x-api-key", "").encode("latin-1"), self._api_key)

    def _signed(self, headers: dict[str, str]) -> bool:
        """Whether the request carries a SigV4 signature this server checks."""
        return self._iam is not None and headers.get("authorization", "").startswith("AWS4-HMAC-SHA256")

    def _check_signature(self, scope: Scope, headers: dict[str, str], body: bytes | None
                         ) -> tuple[int, str, str] | None:
        """The refusal of a signed request: from its headers alone when ``body`` is None, else in full."""
        from .sigv4 import check_sigv4_header, verify_sigv4  # only servers with IAM credentials need it

        if body is None:
            return check_sigv4_header(headers, self._iam or {}, region=self._iam_region)
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        target = (path + (b"?" + query if query else b"")).decode("latin-1")
        return verify_sigv4(scope["method"], target, headers, body, self._iam or {}, region=self._iam_region)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._manage_gc:
                    self._gc_task = asyncio.create_task(self._collect_between_requests())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._gc_task is not None:
                    self._gc_task.cancel()
                self._pool.shutdown(wait=True, cancel_futures=True)
                self.runner.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _collect_between_requests(self) -> None:
        """Full garbage collections only when no GraphQL request runs (or after waiting
        ``GC_MAX_WAIT_SECONDS`` for that): a full pass over the objects of a heavy
        request holds the interpreter for 50-90 ms, long enough to stall ``/health``.
        Young collections still run as usual; what outlives them is reclaimed here."""
        gc.collect()
        gc.freeze()  # what the server is made of (modules, schema) is never garbage
        gc.set_threshold(*gc.get_threshold()[:2], 1_000_000_000)
        served, last = self._served, time.monotonic()
        while True:
            await asyncio.sleep(GC_CHECK_SECONDS)
            overdue = time.monotonic() - last > GC_MAX_WAIT_SECONDS
            if self._served != served and (self._in_flight == 0 or overdue):
                gc.collect()
                served, last = self._served, time.monotonic()

    def _host_allowed(self, host: str) -> bool:
        name = _host_name(host)
        if name in self._hosts:
            return True
        if self._any_ip_host:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False

    def _cors_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        if origin is None or origin.lower() not in self._origins:
            return []
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"vary", b"Origin"),
            (b"access-control-expose-headers", b"x-amzn-errortype, x-amzn-requestid"),
        ]


_PREFLIGHT = [
    (b"access-control-allow-headers", _CORS_ALLOW_HEADERS),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-max-age", b"600"),
]


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


def _host_name(host: str) -> str:
    """The name in a Host header, without its port (IPv6 literals without brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, as browsers send it in ``Origin``.

    Raises ValueError for anything else (a path, a wildcard, no scheme).
    """
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or "*" in origin:
        raise ValueError(f"{origin!r} is not an origin: give scheme://host[:port], e.g. http://localhost:3000.")
    port = f":{parts.port}" if parts.port else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}".lower()


async def _read_body(receive: Receive, headers: dict[str, str], cap: int) -> bytes | None:
    """The request body, or None once it passes ``cap`` bytes (the rest is never read)."""
    try:
        if int(headers.get("content-length", "0")) > cap:
            return None
    except ValueError:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _refuse(send: Send, refusal: tuple[int, str, str], cors: list[tuple[bytes, bytes]]) -> None:
    status, error_type, message = refusal
    await _respond(send, status, _error_body(error_type, message),
                   [(b"x-amzn-errortype", error_type.encode("latin-1")), *cors])


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    *([] if status == 204 else [(b"content-length", str(len(body)).encode())]), *headers],
    })
    await send({"type": "http.response.body", "body": body})


def create_app(
    store: Backend | ItemSource,
    api_key: str | None,
    *,
    host: str = "127.0.0.1",
    allowed_hosts: Iterable[str] = (),
    cors_origins: Iterable[str] = (),
    limits: Limits | None = None,
    manage_gc: bool = False,
    iam_credentials: Mapping[str, str] | None = None,
    iam_region: str | None = None,
) -> AppSyncHTTP:
    """The ASGI app serving ``store``: an ``ItemStore`` (or another ``items.ItemSource``)
    with its contract's schema, or a ``Backend`` with the dataset plan's schema
    (``load_contract("plan")``, through ``BackendItems``). Both run the resolvers
    generated from the contract.

    ``api_key`` is the key clients send in ``x-api-key``; ``iam_credentials`` (access
    key id -> secret key) also accepts requests signed with AWS SigV4 by one of them,
    scoped to ``iam_region`` when given (any region otherwise). With neither, the
    server does no authentication.

    ``host`` is the address the server binds: requests must name it, a loopback
    name, or one of ``allowed_hosts`` in their Host header (any IP address too when
    ``host`` is every interface). Only ``cors_origins`` get CORS headers.
    ``manage_gc`` (for a server process of its own) runs full garbage collections
    between requests only.
    """
    limits = limits or Limits()
    items = BackendItems(store, load_contract("plan")) if isinstance(store, Backend) else store
    runner = GraphQLRunner(_contract_schema(items.contract), lambda: ItemRequestContext(items, limits), limits,
                           relation_fields(items.contract.models.values()))
    wildcard = host.strip("[]") in WILDCARD_HOSTS
    hosts = set(LOOPBACK_NAMES) | set(allowed_hosts) | (set() if wildcard else {host})
    return AppSyncHTTP(runner, api_key, allowed_hosts=hosts, any_ip_host=wildcard, cors_origins=cors_origins,
                       manage_gc=manage_gc, iam_credentials=iam_credentials, iam_region=iam_region)


_schemas: dict[int, tuple[Contract, GraphQLSchema]] = {}
_schemas_lock = threading.Lock()


def _contract_schema(contract: Contract) -> GraphQLSchema:
    """The executable schema of ``contract``, built once per contract object (it takes a tenth of a second;
    resolvers keep no state, so apps share it)."""
    from .contract_schema import build_contract_schema

    with _schemas_lock:
        known = _schemas.get(id(contract))
        if known is None or known[0] is not contract:
            known = _schemas[id(contract)] = (contract, build_contract_schema(contract, contract.sdl))
        return known[1]
