"""GraphQLBackend: the Backend contract over Amplify/AppSync GraphQL, with gql.

- Every document is built from the contract and validated locally against
  ``schema.graphql`` once, before it is first sent.
- Lookups by a foreign key use the generated index queries
  (``listDatasetByScorecardId``...); every list follows ``nextToken`` to the end
  (AppSync filters *after* the limit, so empty pages with a token are normal).
- AWSJSON goes out as JSON text and comes back decoded; AWSDateTime strings
  always carry a UTC offset.
- Throttling errorTypes, HTTP 429/5xx and connection failures are retried with
  exponential backoff and full jitter, bounded by attempts and total time
  (``RetryPolicy``); then BackendUnavailableError.
- A create, update or delete whose first attempt may have landed before a
  failure is checked on retry, so a retried write is never reported as a
  conflict with itself, and never applied twice.
- errorTypes map onto the error tree: ConditionalCheckFailed -> ConflictError
  (or NotFoundError when the record is missing), UnauthorizedException ->
  AuthError, argument errors -> ValidationError.
- Answers are not trusted: a malformed answer or record (undecodable AWSJSON,
  a page without ``items``...) is CorruptRecordError, and a server that returns
  a ``nextToken`` it already returned is BackendError, never an endless loop.
  Records are returned as stored; ``models.read_record`` validates them above.

The API key is sent in ``x-api-key`` and never appears in messages or reprs.
Redirects are never followed (the key would travel with them): a 3xx answer is
BackendError naming where it pointed.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from gql import Client, gql
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportProtocolError,
    TransportServerError,
)
from gql.transport.requests import RequestsHTTPTransport

from ..errors import (
    AuthError,
    BackendError,
    BackendUnavailableError,
    ConflictError,
    CorruptRecordError,
    NotFoundError,
    ValidationError,
)
from .base import STAMP_FIELDS, Backend, Filter, Page, Record, Summary, assemble_summaries
from .contract import AWSJSON_FIELDS, index_query, list_query, scalar_fields, schema_text
from .specs import MODEL_SPECS

__all__ = ["GraphQLBackend", "RetryPolicy"]

log = logging.getLogger("plexus_datasets.graphql")

THROTTLING = {
    "DynamoDB:ProvisionedThroughputExceededException",
    "DynamoDB:ThrottlingException",
    "DynamoDB:RequestLimitExceeded",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "LimitExceededException",
    "ServiceUnavailableException",
}
CONDITIONAL = "DynamoDB:ConditionalCheckFailedException"
UNAUTHORIZED = "UnauthorizedException"
BAD_ARGUMENT = {
    "DynamoDB:UserIllegalArgumentException",
    "InvalidArgumentsError",
    "ValidationError",
    "BadRequestException",
    "DynamoDB:DynamoDbException",
}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying transient failures: attempts, total seconds, backoff."""

    max_attempts: int = 6
    max_elapsed: float = 30.0
    base_delay: float = 0.1
    max_delay: float = 4.0

    def delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


BATCH_GETS = 100
#: Datasets per summaries request, and versions/profiles per dataset inside it: small enough for
#: AppSync's per-request resolver budgets. A request over budget is retried with half the datasets.
SUMMARY_PAGE = 100
RESOLVER_LIMIT = "ResolverExecutionLimitReached"


class _Transient(Exception):
    """A failure worth retrying; ``ambiguous`` if the request may have been applied."""

    def __init__(self, reason: str, ambiguous: bool) -> None:
        self.reason = reason
        self.ambiguous = ambiguous
        super().__init__(reason)


class _Redirected(Exception):
    """Raised from a response hook: the server answered with a redirect."""

    def __init__(self, status: int, location: str) -> None:
        self.status = status
        self.location = location
        super().__init__(f"HTTP {status}")


def _refuse_redirect(response: Any, *args: Any, **kwargs: Any) -> None:
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location", "")
        response.close()
        raise _Redirected(response.status_code, location)


class _QueryError(Exception):
    """An error answer; ``after_ambiguous`` if an earlier attempt may have been applied."""

    def __init__(self, error_type: str | None, message: str) -> None:
        self.error_type = error_type
        self.after_ambiguous = False
        super().__init__(message)


class GraphQLBackend(Backend):
    """Records in an Amplify/AppSync API (or ``plexus-datasets serve``).

    ``url`` is the GraphQL endpoint, ``api_key`` its key; ``connect()`` fills them
    from ``PLEXUS_API_URL`` / ``PLEXUS_API_KEY`` when not given.
    """

    atomic_transactions = False

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = 1000,
    ) -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise ValidationError(f"The GraphQL URL must start with http:// or https://, got {url!r}.")
        self.url = url
        self.description = masked_url(url)
        self.retry = retry or RetryPolicy()
        self.page_size = page_size
        headers = {"x-api-key": api_key} if api_key else {}
        # allow_redirects and hooks go to requests: a redirect would carry x-api-key elsewhere.
        self._transport = RequestsHTTPTransport(url=url, headers=headers, timeout=timeout, retries=0,
                                                allow_redirects=False, hooks={"response": [_refuse_redirect]})
        self._client = Client(schema=schema_text(), transport=self._transport)
        self._documents: dict[str, Any] = {}
        self._lock = threading.Lock()  # requests sessions are not safe to share across threads
        self._connected = False
        #: HTTP requests sent so far (attempts included): what round-trip budgets are measured in.
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"GraphQLBackend({self.description!r})"

    def close(self) -> None:
        with self._lock:
            if self._connected:
                self._transport.close()
                self._connected = False

    # --- transport ---------------------------------------------------------------------

    def _document(self, text: str) -> Any:
        document = self._documents.get(text)
        if document is None:
            document = gql(text)
            self._client.validate(document)  # against the local SDL, never introspection
            self._documents[text] = document
        return document

    def execute(self, text: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one document (validated locally) with retries; return its ``data``."""
        document = self._document(text)
        document.variable_values = dict(variables or {})
        started, attempt, ambiguous = time.monotonic(), 0, False
        while True:
            attempt += 1
            try:
                return self._once(document)
            except _QueryError as exc:
                exc.after_ambiguous = ambiguous
                raise
            except _Transient as exc:
                ambiguous = ambiguous or exc.ambiguous
                elapsed = time.monotonic() - started
                delay = self.retry.delay(attempt)
                if attempt >= self.retry.max_attempts or elapsed + delay > self.retry.max_elapsed:
                    raise BackendUnavailableError(
                        f"The GraphQL API at {self.description} kept failing ({exc.reason}) after {attempt} attempt(s) "
                        f"in {elapsed:.1f}s. Check that it is reachable, then retry."
                    ) from exc
                log.info("Retrying after %s (attempt %d, waiting %.2fs)", exc.reason, attempt, delay)
                time.sleep(delay)

    def _once(self, document: Any) -> dict[str, Any]:
        with self._lock:
            if not self._connected:
                self._transport.connect()
                self._connected = True
            self.requests_sent += 1
            try:
                result = self._transport.execute(document)
            except TransportConnectionFailed as exc:
                if isinstance(exc.__cause__, _Redirected):
                    raise BackendError(self._redirect_message(exc.__cause__)) from exc
                raise _Transient(f"connection failed: {_short(exc)}", ambiguous=True) from exc
            except TransportServerError as exc:
                if exc.code == 401 or exc.code == 403:
                    raise AuthError(_auth_message(self.description)) from None
                if exc.code == 429 or (exc.code or 0) >= 500:
                    raise _Transient(f"HTTP {exc.code}", ambiguous=exc.code != 429) from exc
                raise BackendError(f"The GraphQL API at {self.description} answered HTTP {exc.code}.") from exc
            except TransportProtocolError as exc:
                raise _Transient(f"invalid response: {_short(exc)}", ambiguous=True) from exc
            except (TypeError, AttributeError, ValueError) as exc:  # JSON that is not a GraphQL answer
                raise BackendError(f"The GraphQL API at {self.description} answered something that is not a "
                                   f"GraphQL response ({type(exc).__name__}).") from exc
            headers = self._transport.response_headers or {}
        error_type = headers.get("x-amzn-ErrorType")
        if error_type and error_type.split(":")[0] == UNAUTHORIZED:
            raise AuthError(_auth_message(self.description))
        errors = result.errors or []
        if not isinstance(errors, list):
            errors = [errors]
        errors = [e if isinstance(e, dict) else {"message": str(e)[:200]} for e in errors]
        if not isinstance(result.data or {}, dict):
            raise CorruptRecordError(f"The GraphQL API at {self.description} answered data that is not an object.")
        for error in errors:
            kind = error.get("errorType")
            if kind == UNAUTHORIZED:
                raise AuthError(_auth_message(self.description))
            if kind in THROTTLING:
                raise _Transient(kind, ambiguous=False)
        if errors:
            first = errors[0]
            raise _QueryError(first.get("errorType"), first.get("message") or "unknown error")
        return result.data or {}

    def _redirect_message(self, redirect: _Redirected) -> str:
        try:
            target = masked_url(urljoin(self.url, redirect.location)) if redirect.location else "nowhere"
        except ValueError:
            target = "an invalid address"
        target = "".join(c if c.isprintable() else "?" for c in target)[:200]
        return (f"The GraphQL API at {self.description} answered HTTP {redirect.status}, redirecting to {target}. "
                "Redirects are not followed (the API key must not travel with them): set PLEXUS_API_URL (or "
                "api_url=) to the address that answers.")

    # --- encoding ----------------------------------------------------------------------

    def _input_fields(self, type_name: str) -> set[str]:
        return set(self._client.schema.type_map[type_name].fields)  # type: ignore[union-attr]

    def _encode(self, model: str, record: Mapping[str, Any], input_type: str | None = None) -> dict[str, Any]:
        """Wire input for ``record``: AWSJSON as text, and only the fields ``input_type``
        accepts (AppSync sets the timestamps some inputs have no field for)."""
        spec = MODEL_SPECS.get(model)
        if spec is None:
            raise ValidationError(f"Unknown model {model!r}; expected one of {', '.join(MODEL_SPECS)}.")
        accepted = self._input_fields(input_type) if input_type else None
        out = {}
        for key, value in record.items():
            if key not in spec.fields:
                raise ValidationError(f"{model} has no field {key!r}.")
            if accepted is not None and key not in accepted:
                continue
            if key in AWSJSON_FIELDS[model] and value is not None:
                try:
                    value = json.dumps(value, ensure_ascii=False, allow_nan=False)
                except (TypeError, ValueError) as exc:  # NaN/inf, sets, objects: AWSJSON can't hold them
                    raise ValidationError(f"{model}.{key} is not JSON: {exc}.") from exc
            out[key] = value
        return out

    def _decode(self, model: str, record: Mapping[str, Any] | None) -> Record | None:
        """A wire record with its AWSJSON decoded; CorruptRecordError when it is not an
        object or a JSON field can't be decoded (malformed, too deep, a huge number)."""
        if record is None:
            return None
        if not isinstance(record, Mapping):
            raise CorruptRecordError(f"The GraphQL API at {self.description} answered a {model} that is not an "
                                     f"object ({type(record).__name__}).")
        out = dict(record)
        for key in AWSJSON_FIELDS[model]:
            if isinstance(out.get(key), str):
                try:
                    out[key] = json.loads(out[key])
                except (ValueError, RecursionError) as exc:
                    raise CorruptRecordError(
                        f"The store holds a corrupt {model} record (id {_short(repr(out.get('id')), 60)}): {key} is "
                        f"not valid JSON ({_short(exc)}). It was not used."
                    ) from exc
        return out

    def _connection(self, data: Mapping[str, Any], model: str) -> tuple[list[Any], str | None]:
        """The ``items`` and ``nextToken`` of a list answer, or CorruptRecordError."""
        connection = next(iter(data.values()), None)
        items = connection.get("items") if isinstance(connection, dict) else None
        token = connection.get("nextToken") if isinstance(connection, dict) else None
        if not isinstance(items, list) or not (token is None or isinstance(token, str)):
            raise CorruptRecordError(f"The GraphQL API at {self.description} answered a malformed page of {model} "
                                     "records (no items list, or a nextToken that is not a string).")
        return items, token

    def _next(self, token: str | None, seen: set[str], model: str) -> str | None:
        """``token``, unless the server already returned it: then BackendError, not a loop."""
        if token is not None and token in seen:
            raise BackendError(f"The GraphQL API at {self.description} returned the same nextToken twice while "
                               f"listing {model}; stopped instead of looping forever. The server is misbehaving.")
        if token is not None:
            seen.add(token)
        return token

    def _fields(self, model: str) -> str:
        return " ".join(scalar_fields(model))

    # --- verbs -------------------------------------------------------------------------

    def _mutate(self, verb: str, model: str, input: dict[str, Any], condition: Filter | None) -> Record:
        """Run a mutation; a _QueryError other than ConditionalCheckFailed is translated here."""
        text = (
            f"mutation {verb.title()}{model}($input: {verb.title()}{model}Input!, $condition: Model{model}ConditionInput)"
            f" {{ {verb}{model}(input: $input, condition: $condition) {{ {self._fields(model)} }} }}"
        )
        try:
            data = self.execute(text, {"input": input, "condition": condition})
        except _QueryError as exc:
            if exc.error_type != CONDITIONAL:
                raise _translate(exc, self.description) from exc
            raise
        return self._decode(model, data[f"{verb}{model}"])  # type: ignore[return-value]

    def create(self, model: str, record: Mapping[str, Any]) -> Record:
        encoded = self._encode(model, record, f"Create{model}Input")
        try:
            return self._mutate("create", model, encoded, None)
        except _QueryError as exc:
            existing = self.get(model, record["id"])
            if exc.after_ambiguous and existing is not None and _same(existing, self._decode(model, encoded)):
                return existing  # our own earlier attempt landed before a failure
            raise ConflictError(f"A {model} with id {record.get('id')!r} already exists.") from exc

    def get(self, model: str, id: str) -> Record | None:
        self._encode(model, {})
        text = f"query Get{model}($id: ID!) {{ get{model}(id: $id) {{ {self._fields(model)} }} }}"
        try:
            data = self.execute(text, {"id": id})
        except _QueryError as exc:
            raise _translate(exc, self.description) from exc
        return self._decode(model, data.get(f"get{model}"))

    def update(self, model: str, id: str, changes: Mapping[str, Any], condition: Filter | None = None) -> Record:
        spec = MODEL_SPECS.get(model)
        encoded = self._encode(model, {k: v for k, v in changes.items() if k != "id"}, f"Update{model}Input")
        if spec is not None:
            removed = [k for k in spec.required | {"createdAt", "updatedAt"} if k in encoded and encoded[k] is None]
            if removed:
                raise ValidationError(f"{model} field(s) {', '.join(sorted(removed))} can't be removed.")
        try:
            return self._mutate("update", model, {**encoded, "id": id}, condition)
        except _QueryError as exc:
            current = self.get(model, id)
            if current is None:
                raise NotFoundError(f"No {model} with id {id!r}.") from exc
            if exc.after_ambiguous and _same(current, self._decode(model, encoded)):
                return current  # our earlier attempt landed before a failure
            raise ConflictError(f"The {model} {id!r} changed since it was read (condition failed).") from exc

    def delete(self, model: str, id: str, condition: Filter | None = None) -> Record:
        self._encode(model, {})
        try:
            return self._mutate("delete", model, {"id": id}, condition)
        except _QueryError as exc:
            if self.get(model, id) is None:
                if exc.after_ambiguous:
                    return {"id": id}  # our earlier attempt deleted it
                raise NotFoundError(f"No {model} with id {id!r}.") from exc
            raise ConflictError(f"The {model} {id!r} changed since it was read (condition failed).") from exc

    def _list_text(self, model: str, index: str | None) -> str:
        key = f"${index}: String!, " if index else ""
        arg = f"{index}: ${index}, " if index else ""
        name = index_query(model, index) if index else list_query(model)
        return (
            f"query {name[0].upper()}{name[1:]}({key}$filter: Model{model}FilterInput, $limit: Int, $nextToken: String)"
            f" {{ {name}({arg}filter: $filter, limit: $limit, nextToken: $nextToken)"
            f" {{ items {{ {self._fields(model)} }} nextToken }} }}"
        )

    def page(
        self, model: str, *, index: tuple[str, str] | None = None, limit: int = 100, next_token: str | None = None,
        filter: Filter | None = None,
    ) -> Page:
        spec = MODEL_SPECS.get(model)
        if spec is None:
            raise ValidationError(f"Unknown model {model!r}; expected one of {', '.join(MODEL_SPECS)}.")
        if index is not None and index[0] not in spec.indexes:
            raise ValidationError(f"{model} has no index on {index[0]!r}; indexes: {', '.join(spec.indexes)}.")
        if limit < 1:
            raise ValidationError(f"limit must be at least 1, got {limit}.")
        variables: dict[str, Any] = {"limit": limit, "nextToken": next_token, "filter": filter}
        if index is not None:
            variables[index[0]] = index[1]
        try:
            data = self.execute(self._list_text(model, index[0] if index else None), variables)
        except _QueryError as exc:
            raise _translate(exc, self.description) from exc
        items, token = self._connection(data, model)
        return Page([self._decode(model, r) for r in items if r is not None], token)  # type: ignore[misc]

    def summaries(self, index: tuple[str, str] | None = None) -> list[Summary]:
        """Datasets with current version, version numbers and profile stamps, in
        ceil(N / SUMMARY_PAGE) nested-selection requests: never one request per dataset
        (except for a dataset with more than ``SUMMARY_PAGE`` versions or profiles, whose
        rest is paged on its own). A page the server finds over its resolver budget is
        asked again with half the datasets. The service reads the profiles it shows
        with ``get_many`` (``BATCH_GETS`` per request)."""
        key = f"${index[0]}: String!, " if index else ""
        arg = f"{index[0]}: ${index[0]}, " if index else ""
        name = index_query("Dataset", index[0]) if index else list_query("Dataset")
        inner = SUMMARY_PAGE
        page = min(SUMMARY_PAGE, self.page_size)
        text = (
            f"query DatasetSummaries({key}$limit: Int, $nextToken: String) {{ {name}({arg}limit: $limit, "
            f"nextToken: $nextToken) {{ items {{ {self._fields('Dataset')} "
            f"currentVersion {{ {self._fields('DatasetVersion')} }} "
            f"versions(limit: {inner}) {{ items {{ id datasetId versionNumber }} nextToken }} "
            f"profiles(limit: {inner}) {{ items {{ {' '.join(STAMP_FIELDS)} }} nextToken }} }} nextToken }} }}"
        )
        datasets, versions, stamps, current = [], [], [], {}
        token: str | None = None
        seen: set[str] = set()
        while True:
            variables = {"limit": page, "nextToken": token, **({index[0]: index[1]} if index else {})}
            try:
                items, next_token = self._connection(self.execute(text, variables), "Dataset")
            except _QueryError as exc:
                if exc.error_type == RESOLVER_LIMIT and page > 1:
                    page //= 2  # the same token again, with fewer datasets
                    continue
                raise _translate(exc, self.description) from exc
            token = next_token
            try:
                for item in items:
                    if item is None:
                        continue
                    nested_versions, nested_profiles = item.pop("versions"), item.pop("profiles")
                    if item.get("currentVersion"):
                        version = self._decode("DatasetVersion", item["currentVersion"])
                        current[version["id"]] = version
                    item.pop("currentVersion", None)
                    datasets.append(self._decode("Dataset", item))
                    versions += self._rest(nested_versions, "DatasetVersion", item["id"])
                    stamps += self._rest(nested_profiles, "DatasetProfile", item["id"])
            except (KeyError, TypeError, AttributeError) as exc:
                raise CorruptRecordError(f"The GraphQL API at {self.description} answered a malformed dataset "
                                         f"summary ({type(exc).__name__}: {_short(exc)}).") from exc
            if not self._next(token, seen, "Dataset"):
                break
        return assemble_summaries(datasets, versions, stamps, current)

    def _rest(self, connection: Mapping[str, Any], model: str, dataset_id: str) -> list[Record]:
        """A nested connection's items, paging on by index when it was cut short."""
        items = [i for i in connection["items"] if i is not None]
        if connection.get("nextToken"):
            items = self.list(model, index=("datasetId", dataset_id))
        return items

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, Record]:
        """Records by id in ceil(len(ids) / BATCH_GETS) requests (aliased ``get`` fields)."""
        self._encode(model, {})  # an unknown model is a ValidationError
        return self._get_many(model, list(dict.fromkeys(ids)))

    def _get_many(self, model: str, ids: list[str]) -> dict[str, Record]:
        """Records by id, ``BATCH_GETS`` aliased ``get`` fields per request."""
        found: dict[str, Record] = {}
        for start in range(0, len(ids), BATCH_GETS):
            chunk = ids[start:start + BATCH_GETS]
            params = ", ".join(f"$id{i}: ID!" for i in range(len(chunk)))
            fields = " ".join(f"r{i}: get{model}(id: $id{i}) {{ {self._fields(model)} }}" for i in range(len(chunk)))
            try:
                data = self.execute(f"query Get{model}Batch({params}) {{ {fields} }}",
                                    {f"id{i}": id for i, id in enumerate(chunk)})
            except _QueryError as exc:
                raise _translate(exc, self.description) from exc
            for record in data.values():
                decoded = self._decode(model, record)
                if decoded is not None and isinstance(decoded.get("id"), str):
                    found[decoded["id"]] = decoded
        return found

    def list(self, model: str, *, index: tuple[str, str] | None = None, filter: Filter | None = None) -> list[Record]:
        records: list[Record] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            page = self.page(model, index=index, limit=self.page_size, next_token=token, filter=filter)
            records.extend(page.items)
            token = self._next(page.next_token, seen, model)
            if not token:
                return records


def masked_url(url: str) -> str:
    """``url`` without credentials or query string (IPv6 brackets and port kept), for people and logs."""
    parts = urlsplit(url)
    _, at, host = parts.netloc.rpartition("@")
    if at:  # a user name in a URL may itself be a token
        host = f"***@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "***" if parts.query else "", ""))


def _same(existing: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """Whether ``existing`` holds every value we sent (updatedAt aside: servers may set it)."""
    return all(existing.get(k) == v for k, v in sent.items() if k != "updatedAt")


def _translate(exc: _QueryError, url: str) -> Exception:
    if exc.error_type == CONDITIONAL:
        return ConflictError(f"The write was refused because the record changed ({exc}).")
    if exc.error_type in BAD_ARGUMENT:
        return ValidationError(f"The GraphQL API refused the request: {exc} ({exc.error_type}).")
    return BackendError(f"The GraphQL API at {url} failed: {exc} ({exc.error_type or 'no errorType'}).")


def _auth_message(url: str) -> str:
    return (
        f"The GraphQL API at {url} refused the request (UnauthorizedException): "
        "set PLEXUS_API_KEY (or pass api_key=) to a valid API key."
    )


def _short(exc: Exception | str, limit: int = 300) -> str:
    """One line of an error's text for a message: URL credentials and query strings masked
    (a transport error repeats the URL it failed on), cut at a word boundary."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = _URL_USERINFO.sub("//***@", _URL_QUERY.sub("?***", text))
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


_URL_QUERY = re.compile(r"\?[^\s'\"()<>]+")
_URL_USERINFO = re.compile(r"//[^/\s@'\"]+@")
