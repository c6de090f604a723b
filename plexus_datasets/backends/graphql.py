"""GraphQLBackend: the Backend contract over Amplify/AppSync GraphQL, with gql.

- Every document is built from the contract and validated locally against
  the plan's SDL (``contract.schema_text()``) once, before it is first sent.
- Lookups by a foreign key use the generated index queries
  (``listDatasetByScorecardId``...); every list follows ``nextToken`` to the end
  (AppSync filters *after* the limit, so empty pages with a token are normal).
- AWSJSON goes out as JSON text and comes back decoded; AWSDateTime strings
  always carry a UTC offset.
- Sending, retries (``RetryPolicy``), auth and redirect refusal are the
  transport's (``_appsync.AppSyncTransport``), shared with the Plexus dialect.
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

The API key (or the AWS credentials) never appears in messages or reprs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import (
    BackendError,
    ConflictError,
    CorruptRecordError,
    NotFoundError,
    ValidationError,
)
from ._appsync import (
    CONDITIONAL,
    RESOLVER_LIMIT,
    AppSyncTransport,
    QueryError,
    RetryPolicy,
    masked_url,
    short,
    translate,
)
from .base import STAMP_FIELDS, Backend, Filter, Page, Record, Summary, assemble_summaries
from .contract import AWSJSON_FIELDS, index_query, list_query, scalar_fields, schema_text
from .specs import MODEL_SPECS

__all__ = ["GraphQLBackend", "RetryPolicy", "masked_url"]

BATCH_GETS = 100
#: Datasets per summaries request, and versions/profiles per dataset inside it: small enough for
#: AppSync's per-request resolver budgets. A request over budget is retried with half the datasets.
SUMMARY_PAGE = 100

class GraphQLBackend(Backend):
    """Records in an Amplify/AppSync API (or ``plexus-datasets serve``).

    ``url`` is the GraphQL endpoint, ``api_key`` its key; ``connect()`` fills them
    from ``PLEXUS_API_URL`` / ``PLEXUS_API_KEY`` when not given. ``transport`` is an
    ``AppSyncTransport`` for ``url`` over the plan's SDL (``contract.schema_text()``) to use
    instead of building one from ``api_key``/``timeout``/``retry`` (IAM auth, a shared one).
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
        transport: AppSyncTransport | None = None,
    ) -> None:
        if transport is not None and transport.url != url:
            raise ValidationError(f"The transport is for {transport.description}, not {masked_url(url)}.")
        if transport is None:
            transport = AppSyncTransport(url, schema_sdl=schema_text(), api_key=api_key, timeout=timeout,
                                         retry=retry)
        self._transport = transport
        self.url = transport.url
        self.description = transport.description
        self.retry = transport.retry
        self.page_size = page_size

    def __repr__(self) -> str:
        return f"GraphQLBackend({self.description!r})"

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (attempts included): what round-trip budgets are measured in."""
        return self._transport.requests_sent

    def close(self) -> None:
        self._transport.close()

    def execute(self, text: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one document (validated locally) with retries; return its ``data``."""
        return self._transport.execute(text, variables)

    # --- encoding ----------------------------------------------------------------------

    def _input_fields(self, type_name: str) -> set[str]:
        return set(self._transport.schema.type_map[type_name].fields)  # type: ignore[union-attr]

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
                        f"The store holds a corrupt {model} record (id {short(repr(out.get('id')), 60)}): {key} is "
                        f"not valid JSON ({short(exc)}). It was not used."
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
        """Run a mutation; a QueryError other than ConditionalCheckFailed is translated here."""
        text = (
            f"mutation {verb.title()}{model}($input: {verb.title()}{model}Input!, $condition: Model{model}ConditionInput)"
            f" {{ {verb}{model}(input: $input, condition: $condition) {{ {self._fields(model)} }} }}"
        )
        try:
            data = self.execute(text, {"input": input, "condition": condition})
        except QueryError as exc:
            if exc.error_type != CONDITIONAL:
                raise translate(exc, self.description) from exc
            raise
        return self._decode(model, data[f"{verb}{model}"])  # type: ignore[return-value]

    def create(self, model: str, record: Mapping[str, Any]) -> Record:
        encoded = self._encode(model, record, f"Create{model}Input")
        try:
            return self._mutate("create", model, encoded, None)
        except QueryError as exc:
            existing = self.get(model, record["id"])
            if exc.after_ambiguous and existing is not None and _same(existing, self._decode(model, encoded)):
                return existing  # our own earlier attempt landed before a failure
            raise ConflictError(f"A {model} with id {record.get('id')!r} already exists.") from exc

    def get(self, model: str, id: str) -> Record | None:
        self._encode(model, {})
        text = f"query Get{model}($id: ID!) {{ get{model}(id: $id) {{ {self._fields(model)} }} }}"
        try:
            data = self.execute(text, {"id": id})
        except QueryError as exc:
            raise translate(exc, self.description) from exc
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
        except QueryError as exc:
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
        except QueryError as exc:
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
        except QueryError as exc:
            raise translate(exc, self.description) from exc
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
            except QueryError as exc:
                if exc.error_type == RESOLVER_LIMIT and page > 1:
                    page //= 2  # the same token again, with fewer datasets
                    continue
                raise translate(exc, self.description) from exc
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
                                         f"summary ({type(exc).__name__}: {short(exc)}).") from exc
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
            except QueryError as exc:
                raise translate(exc, self.description) from exc
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


def _same(existing: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """Whether ``existing`` holds every value we sent (updatedAt aside: servers may set it)."""
    return all(existing.get(k) == v for k, v in sent.items() if k != "updatedAt")
