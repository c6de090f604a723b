"""Which schema a GraphQL API speaks: the dataset plan's, or Plexus's deployed one.

- ``plan``: Dataset / DatasetVersion / DatasetProfile (``server/contracts/plan/``, ``plexus-datasets serve``);
- ``plexus``: DataSource / DataSourceVersion / DataSet, what Plexus runs on AppSync.

``detect_dialect`` asks once per connection: one introspection probe for the two
telling types; where introspection is disabled, one list query per dialect instead.
An API with neither, or both, is a DialectError saying what to set.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast

from ..errors import DialectError, ValidationError
from ._appsync import AppSyncTransport, QueryError, masked_url, region_from_url
from .base import Backend, Filter, Page, Record, SnapshotFile, Summary

__all__ = ["DIALECTS", "DetectedBackend", "Dialect", "detect_dialect", "open_api", "parse_dialect", "region_from_url"]

Dialect = Literal["plan", "plexus"]
DIALECTS: tuple[Dialect, ...] = ("plan", "plexus")

#: ``p``: Plexus's version type's parent; ``d``: the plan's version type. Sent unvalidated (the
#: transport's SDL is not the API's yet).
PROBE = '{ p: __type(name: "DataSource") { name } d: __type(name: "DatasetVersion") { name } }'
#: When introspection is disabled: a list query only one dialect answers.
FALLBACKS: dict[Dialect, str] = {
    "plexus": "{ listDataSources(limit: 1) { nextToken } }",
    "plan": "{ listDatasets(limit: 1) { nextToken } }",
}
TYPES = ("{ __schema { queryType { name } mutationType { name } subscriptionType { name } "
         "types { name kind } } }")
SHOWN_TYPES = 10


def parse_dialect(value: str | None) -> Literal["auto", "plan", "plexus"]:
    """``PLEXUS_DATASETS_DIALECT`` (or ``dialect=``) read: unset or empty is ``auto``; case and
    spaces don't matter; anything else is a ValidationError naming the variable."""
    chosen = (value or "").strip().lower() or "auto"
    if chosen not in ("auto", *DIALECTS):
        raise ValidationError(f"PLEXUS_DATASETS_DIALECT (or dialect=) must be auto, plan or plexus, got {value!r}.")
    return cast(Literal["auto", "plan", "plexus"], chosen)


def detect_dialect(transport: AppSyncTransport) -> Dialect:
    """The dialect the API behind ``transport`` speaks (one request, three without introspection).

    Raises DialectError when it speaks neither or both; AuthError, BackendUnavailableError...
    as any request would.
    """
    try:
        found = transport.execute(PROBE, validate=False)
    except QueryError:  # introspection disabled (AppSync can turn it off)
        return _by_fallback(transport)
    plexus, plan = _named(found.get("p"), "DataSource"), _named(found.get("d"), "DatasetVersion")
    if plexus and plan:
        raise _both(transport)
    if plexus or plan:
        return "plexus" if plexus else "plan"
    raise _neither(transport, _type_names(transport))


def _by_fallback(transport: AppSyncTransport) -> Dialect:
    answers = [dialect for dialect, text in FALLBACKS.items() if _answers(transport, text)]
    if len(answers) == 2:
        raise _both(transport)
    if answers:
        return answers[0]
    raise _neither(transport, None)


def _answers(transport: AppSyncTransport, text: str) -> bool:
    """Whether the API has ``text``'s field: a document it refuses to run (an unknown field: no
    errorType, or ``ValidationError``) says no; any other error came from running it."""
    try:
        transport.execute(text, validate=False)
    except QueryError as exc:
        return exc.error_type not in (None, "ValidationError")
    return True


def _named(answer: object, name: str) -> bool:
    return isinstance(answer, dict) and answer.get("name") == name


def _type_names(transport: AppSyncTransport) -> list[str] | None:
    """The API's own object types (no introspection, root or ``AWS*`` types), or None when it won't say."""
    try:
        schema = transport.execute(TYPES, validate=False).get("__schema")
    except QueryError:
        return None
    if not isinstance(schema, dict) or not isinstance(schema.get("types"), list):
        return None
    roots = {(schema.get(k) or {}).get("name") for k in ("queryType", "mutationType", "subscriptionType")
             if isinstance(schema.get(k), dict)}
    names = [t.get("name") for t in schema["types"] if isinstance(t, dict) and t.get("kind") == "OBJECT"]
    return [n for n in names if isinstance(n, str) and n not in roots and not n.startswith(("__", "AWS"))
            and not (n.startswith("Model") and n.endswith("Connection"))]


def _neither(transport: AppSyncTransport, names: list[str] | None) -> DialectError:
    if names is None:
        has = ""
    elif names:
        more = f" (and {len(names) - SHOWN_TYPES} more)" if len(names) > SHOWN_TYPES else ""
        has = f"; it has: {', '.join(_printable(n) for n in names[:SHOWN_TYPES])}{more}"
    else:
        has = "; it has no object types of its own"
    return DialectError(
        f"The GraphQL API at {transport.description} speaks neither the dataset plan's schema (Dataset, "
        f"DatasetVersion, DatasetProfile) nor Plexus's (DataSource, DataSourceVersion, DataSet){has}. Set "
        "PLEXUS_API_URL (or api_url=) to a Plexus or plexus-datasets API."
    )


def _both(transport: AppSyncTransport) -> DialectError:
    return DialectError(
        f"The GraphQL API at {transport.description} has both the dataset plan's types (Dataset, DatasetVersion) "
        "and Plexus's (DataSource, DataSourceVersion): say which to use with PLEXUS_DATASETS_DIALECT=plan or "
        "PLEXUS_DATASETS_DIALECT=plexus."
    )


def _printable(name: str) -> str:
    """A type name as it may appear in a message: printable, and short."""
    return "".join(c if c.isprintable() else "?" for c in name)[:60]


# --- building the backend of an API ----------------------------------------------------------------


def open_api(url: str, *, api_key: str | None = None, iam_region: str | None = None, dialect: str | None = None,
             account_key: str | None = None, account_id: str | None = None,
             datasets_bucket: str | None = None) -> Backend:
    """The backend for the GraphQL API at ``url``: the plan dialect's ``GraphQLBackend`` or
    ``PlexusBackend``. ``dialect`` "plan"/"plexus" is taken as said; "auto" (or None) asks
    the API on first use, once (``DetectedBackend``), so opening a store sends nothing.
    ``iam_region`` set signs requests with SigV4 instead of sending ``api_key``."""
    chosen = parse_dialect(dialect)

    def transport(sdl: str) -> AppSyncTransport:
        return AppSyncTransport(url, schema_sdl=sdl, api_key=api_key, iam_region=iam_region)

    def build(name: Dialect, probe: AppSyncTransport | None = None) -> Backend:
        if name == "plan":
            from .contract import schema_text as plan_sdl
            from .graphql import GraphQLBackend

            return GraphQLBackend(url, api_key, transport=probe or transport(plan_sdl()))
        from .plexus import PlexusBackend
        from .plexus import schema_text as plexus_sdl

        if probe is not None:
            probe.close()
        return PlexusBackend(transport(plexus_sdl()), account_key=account_key, account_id=account_id,
                             datasets_bucket=datasets_bucket)

    if chosen != "auto":
        return build(chosen)

    def detect() -> Backend:
        from .contract import schema_text as plan_sdl

        probe = transport(plan_sdl())
        try:
            found = detect_dialect(probe)
        except BaseException:
            probe.close()
            raise
        return build(found, probe)

    return DetectedBackend(detect, masked_url(url))


class DetectedBackend(Backend):
    """A backend whose dialect is asked of the API on first use (one probe per connection),
    then every call goes to the backend built for it. ``dialect`` says which it was."""

    def __init__(self, factory: Callable[[], Backend], description: str) -> None:
        self._factory = factory
        self._backend: Backend | None = None
        self._lock = threading.Lock()
        self.description = description

    def __repr__(self) -> str:
        return f"DetectedBackend({self.description!r})"

    @property
    def backend(self) -> Backend:
        """The dialect's backend (asking the API the first time)."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self._factory()
        return self._backend

    @property
    def dialect(self) -> Dialect:
        from .graphql import GraphQLBackend

        return "plan" if isinstance(self.backend, GraphQLBackend) else "plexus"

    def __getattr__(self, name: str) -> Any:  # e.g. requests_sent, transport
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.backend, name)

    atomic_transactions = property(lambda self: self.backend.atomic_transactions)  # type: ignore[assignment]
    deletes_versions = property(lambda self: self.backend.deletes_versions)  # type: ignore[assignment]
    keeps_snapshots = property(lambda self: self.backend.keeps_snapshots)  # type: ignore[assignment]
    score_metadata = property(lambda self: self.backend.score_metadata)  # type: ignore[assignment]
    dataset_keys = property(lambda self: self.backend.dataset_keys)  # type: ignore[assignment]
    score_configurations = property(lambda self: self.backend.score_configurations)  # type: ignore[assignment]

    def create(self, model: str, record: Mapping[str, Any]) -> Record:
        return self.backend.create(model, record)

    def get(self, model: str, id: str) -> Record | None:
        return self.backend.get(model, id)

    def update(self, model: str, id: str, changes: Mapping[str, Any], condition: Filter | None = None) -> Record:
        return self.backend.update(model, id, changes, condition)

    def delete(self, model: str, id: str, condition: Filter | None = None) -> Record:
        return self.backend.delete(model, id, condition)

    def list(self, model: str, *, index: tuple[str, str] | None = None, filter: Filter | None = None) -> list[Record]:
        return self.backend.list(model, index=index, filter=filter)

    def page(self, model: str, *, index: tuple[str, str] | None = None, limit: int = 100,
             next_token: str | None = None) -> Page:
        return self.backend.page(model, index=index, limit=limit, next_token=next_token)

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, Record]:
        return self.backend.get_many(model, ids)

    def page_many(self, model: str, field: str | None, values: Sequence[str], *, limit: int = 100,
                  next_token: str | None = None, max_bytes: int | None = None) -> dict[str | None, Page]:
        return self.backend.page_many(model, field, values, limit=limit, next_token=next_token, max_bytes=max_bytes)

    def summaries(self, index: tuple[str, str] | None = None) -> list[Summary]:
        return self.backend.summaries(index)

    def score_configuration(self, score_id: str) -> tuple[str, str] | None:
        return self.backend.score_configuration(score_id)

    def put_snapshot(self, profile_id: str, dataset_version_id: str, path: str, sha256: str) -> str | None:
        return self.backend.put_snapshot(profile_id, dataset_version_id, path, sha256)

    def record_snapshot(self, dataset_version_id: str, path: str, sha256: str, rows: int,
                        sources: Mapping[str, Any] | None = None) -> SnapshotFile | None:
        return self.backend.record_snapshot(dataset_version_id, path, sha256, rows, sources)

    def snapshots(self, dataset_version_id: str) -> list[SnapshotFile]:
        return self.backend.snapshots(dataset_version_id)

    def fetch_snapshot(self, snapshot: SnapshotFile, dest: str) -> None:
        self.backend.fetch_snapshot(snapshot, dest)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self.backend.transaction()

    def close(self) -> None:
        with self._lock:
            if self._backend is not None:
                self._backend.close()
