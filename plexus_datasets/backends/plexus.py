"""PlexusBackend: the Backend contract over Plexus's deployed schema (DataSource, DataSourceVersion, DataSet).

The service above stores the dataset plan's six models; this module maps them onto Plexus's, so
nothing above ``backends/`` knows which schema a store speaks (README "Plexus as deployed" has the
user's view):

- **Scorecard, ScorecardSection, Score** are Plexus's own. A Scorecard's ``accountId`` is the
  connection's account; a section or score belongs to the account of its ``scorecardId`` (read in
  one aliased request for many), so another account's reads as absent and refuses writes. A Score
  has no ``metadata`` (read as None) and needs ``scorecardId`` (taken from its section) and
  ``externalId`` (its own id unless given); a ``label_column`` that differs from the score's name
  is refused (it belongs in the dataset's configuration), other metadata dropped.
- **Dataset = DataSource.** Moving ``currentVersionId`` also rewrites ``yamlConfiguration`` (the head
  copy ``plexus dataset load`` reads) to the target version's text, in the same conditional update.
- **DatasetVersion = DataSourceVersion.** The configuration is YAML text (``yamlConfiguration``, kept as
  written); note, parent and featured are real fields. Plexus has no version number: a version's
  number is its 1-based position among its DataSource's versions ordered by (createdAt instant, id),
  computed on every read. A create of number N conflicts when N versions exist already, and is
  stamped 1 ms after the newest sibling (and after slot N-1), so positions equal the service's slots.
  Versions are never updated or deleted here (a deletion would renumber every later version).
- **DatasetProfile = DataSet.** The profile lives in ``buildContext.plexusDatasets`` (merged into
  whatever Plexus keeps there); ``datasetId`` comes from the version's DataSource. A DataSet without
  a profile (made by Plexus, or by a load) reads as "unprofiled". DataSets are never deleted here.
- **Score configurations** (``score_configurations``): a Score's configuration is the YAML text of its
  champion ScoreVersion (``Score.championVersionId`` → ``ScoreVersion.configuration``), read with the
  same two gets Plexus's own CLI uses; it is returned unparsed (the service parses it as untrusted text).
- **Data files** (``keeps_snapshots``, only when a datasets bucket is configured): a DataSet's
  Parquet file in the datasets bucket at ``datasets/{accountId}/{dataSetId}/dataset.parquet``
  (``_snapshots``). When the DataSet is created, its size is checked, then the file uploaded, then
  the DataSet made; the object is deleted again when the DataSet is not. A relative ``file`` outside
  ``datasets/{accountId}/`` is another account's and never read. Without a bucket, profiles are
  DataSets without a file and loads neither fetch nor keep files.

Everything is scoped to one Account, resolved once per connection (``account_id``, or
``account_key`` through ``listAccountByKey``); another account's DataSource, DataSet or Scorecard
reads as absent. Lists follow ``nextToken`` to the end, first pages of many partitions go in one
aliased request, filters apply client-side after the index (``filters.matches``). Every document
is validated against Plexus's SDL before it is first sent (by the transport); answers are
untrusted: a malformed one is CorruptRecordError.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from ..errors import (
    AccountNotFoundError,
    AmbiguousReferenceError,
    BackendError,
    ConfigurationError,
    ConflictError,
    CorruptRecordError,
    NotFoundError,
    PlexusDatasetsError,
    ValidationError,
)
from ..formats import canonical_json, parse_yaml, to_yaml
from ..models import MAX_CONFIG_BYTES, NOTE_KEY
from ..refs import is_id, version_id
from . import _snapshots
from ._appsync import CONDITIONAL, AppSyncTransport, QueryError, short, translate
from .base import Backend, Filter, Page, Record, SnapshotFile, Summary, assemble_summaries, item_size
from .filters import matches, validate_filter
from .specs import MODEL_SPECS

__all__ = ["OUR_KEY", "PlexusBackend", "schema_text"]

log = logging.getLogger("plexus_datasets.plexus")

#: The key of ``DataSet.buildContext`` this package owns: ``{"layout": 1, "profile": ..., "snapshot": ...}``.
OUR_KEY = "plexusDatasets"
LAYOUT = 1
#: Root fields per request (aliased gets or first pages), and items per page asked for.
BATCH = 100
PAGE_LIMIT = 1000
#: DynamoDB's item size limit (a DataSet with its profile must fit).
MAX_ITEM_BYTES = 400 * 1024
_MS = timedelta(milliseconds=1)
_LATEST = datetime.max.replace(tzinfo=UTC)

# What each Plexus model is read with (the scalar fields the mapping needs).
_SELECT = {
    "Account": "id key",
    "Scorecard": "id name key description externalId accountId createdAt updatedAt",
    "ScorecardSection": "id name order scorecardId createdAt updatedAt",
    "Score": "id name key description order type externalId sectionId scorecardId championVersionId createdAt "
             "updatedAt",
    "DataSource": "id name key description scorecardId scoreId currentVersionId accountId createdAt updatedAt",
    "DataSourceVersion": "id dataSourceId yamlConfiguration isFeatured note parentVersionId createdAt updatedAt",
    "DataSet": "id name accountId scorecardId scoreId dataSourceVersionId file buildContext createdAt updatedAt",
}
_SIBLING = "id dataSourceId createdAt"
_STAMP = "id accountId dataSourceVersionId createdAt"
_PLEXUS_MODEL = {"Scorecard": "Scorecard", "ScorecardSection": "ScorecardSection", "Score": "Score",
                 "Dataset": "DataSource", "DatasetVersion": "DataSourceVersion", "DatasetProfile": "DataSet"}
_NAMED = {"name", "key"}


@lru_cache(maxsize=1)
def schema_text() -> str:
    """Plexus's AppSync SDL (the copy packaged with the stand-in server, read as a file: backends
    never import the server). Give it to ``AppSyncTransport(schema_sdl=...)``."""
    path = resources.files("plexus_datasets").joinpath("server").joinpath("contracts").joinpath("plexus")
    return path.joinpath("plexus_datasources.graphql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class _Query:
    """One index query: ``field(pk: value, [sk: condition], ...)`` over ``model`` records."""

    field: str
    model: str
    pk: tuple[str, str]
    sk: tuple[str, Mapping[str, Any]] | None = None
    selection: str | None = None
    descending: bool = False


class PlexusBackend(Backend):
    """Records in a Plexus deployment's AppSync API (or ``plexus-datasets serve --schema plexus``).

    ``transport`` is an ``AppSyncTransport`` built with ``schema_sdl=schema_text()``. The account is
    ``account_id``, else the one whose key is ``account_key`` (``PLEXUS_ACCOUNT_KEY``); it is looked up
    when first needed. ``datasets_bucket`` (``AMPLIFY_STORAGE_DATASETS_BUCKET_NAME``) is needed only
    to move data files.
    """

    atomic_transactions = False
    deletes_versions = False
    dataset_keys = True
    score_metadata = False
    score_configurations = True
    #: put_snapshot registrations remembered until their DataSet is created (a caller that
    #: never creates it leaves one behind: the oldest are forgotten past this many).
    MAX_PENDING = 256

    def __init__(self, transport: AppSyncTransport, *, account_key: str | None = None, account_id: str | None = None,
                 datasets_bucket: str | None = None) -> None:
        self.transport = transport
        self.description = transport.description
        self.datasets_bucket = datasets_bucket or None
        self._account_key = account_key or None
        self._account_id = account_id or None
        self._account: str | None = None
        self._account_lock = threading.Lock()
        #: DataSourceVersion id -> its DataSource id (immutable, so cached for the connection).
        self._version_sources: dict[str, str] = {}
        #: Slot ids found taken, with the DataSource they were meant for: unverified, used only to
        #: read such a version in one request (and checked against the record that comes back).
        self._slot_hints: dict[str, str] = {}
        #: DataSet id -> the file ``put_snapshot`` noted for it (path, key, sha256), until the DataSet
        #: is created (which uploads it); at most ``MAX_PENDING``.
        self._pending: dict[str, dict[str, Any]] = {}
        self._pending_lock = threading.Lock()
        self._files = _snapshots.S3Files()

    def __repr__(self) -> str:
        return f"PlexusBackend({self.description!r})"

    @property
    def keeps_snapshots(self) -> bool:  # type: ignore[override]
        """Whether DataSets carry data files here: only with a datasets bucket configured."""
        return self.datasets_bucket is not None

    def close(self) -> None:
        try:
            self.transport.close()
        finally:
            self._files.close()

    @property
    def requests_sent(self) -> int:
        return self.transport.requests_sent

    # --- the account ---------------------------------------------------------------------

    @property
    def account(self) -> str:
        """The id of the Plexus account this connection works in (resolved once)."""
        with self._account_lock:
            if self._account is None:
                self._account = self._resolve_account()
            return self._account

    def _resolve_account(self) -> str:
        if self._account_id is not None:
            if not is_id(self._account_id) or self._get_raw("Account", [self._account_id]).get(self._account_id) is None:
                raise AccountNotFoundError(f"No Plexus account with id {self._account_id!r} at {self.description}: "
                                           "pass an existing account's id, or set PLEXUS_ACCOUNT_KEY (or "
                                           "connect(account_key=...)) to an existing account's key.")
            return self._account_id
        key = self._account_key
        if key is None:
            raise AccountNotFoundError(f"No Plexus account chosen for {self.description}: set PLEXUS_ACCOUNT_KEY (or "
                                       "connect(account_key=...)) to your account's key.")
        found = self._query_all([_Query("listAccountByKey", "Account", ("key", key))])[0]
        ids = sorted({a["id"] for a in found if isinstance(a.get("id"), str) and a.get("key") == key})
        if not ids:
            raise AccountNotFoundError(f"No Plexus account with key {key!r} at {self.description}: set "
                                       "PLEXUS_ACCOUNT_KEY (or connect(account_key=...)) to an existing account's key.")
        if len(ids) > 1:
            raise AmbiguousReferenceError(f"{len(ids)} Plexus accounts at {self.description} have the key {key!r}; "
                                          "pass connect(account_id=...) to say which.", ids)
        return ids[0]

    def _ours(self, raw: Mapping[str, Any] | None) -> bool:
        return raw is not None and raw.get("accountId") == self.account

    # --- requests ------------------------------------------------------------------------

    def _run(self, text: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        try:
            return self.transport.execute(text, variables)
        except QueryError as exc:
            raise translate(exc, self.description) from exc

    def _get_raw(self, model: str, ids: Sequence[str], selection: str | None = None) -> dict[str, dict[str, Any]]:
        """Plexus records by id, ``BATCH`` aliased gets per request (missing ones absent)."""
        found: dict[str, dict[str, Any]] = {}
        wanted = [id for id in dict.fromkeys(ids) if is_id(id)]
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start:start + BATCH]
            _, gets = self._round([], [(model, id, selection) for id in chunk])
            found.update({id: raw for id, raw in gets.items() if raw is not None})
        return found

    def _round(self, lists: Sequence[tuple[_Query, str | None]], gets: Sequence[tuple[str, str, str | None]],
               limit: int | None = None) -> tuple[list[tuple[list[dict[str, Any]], str | None]], dict[str, Any]]:
        """One request: a page of each ``(query, token)`` and each ``(model, id, selection)`` get."""
        params, fields, variables = ["$limit: Int"], [], {"limit": limit or PAGE_LIMIT}
        for n, (query, token) in enumerate(lists):
            params += [f"$p{n}: String!", f"$t{n}: String"]
            args = [f"{query.pk[0]}: $p{n}"]
            variables[f"p{n}"], variables[f"t{n}"] = query.pk[1], token
            if query.sk is not None:
                params.append(f"$k{n}: ModelStringKeyConditionInput")
                args.append(f"{query.sk[0]}: $k{n}")
                variables[f"k{n}"] = dict(query.sk[1])
            if query.descending:
                args.append("sortDirection: DESC")
            selection = query.selection or _SELECT[query.model]
            fields.append(f"q{n}: {query.field}({', '.join(args)}, limit: $limit, nextToken: $t{n}) "
                          f"{{ items {{ {selection} }} nextToken }}")
        for n, (model, id, selection) in enumerate(gets):
            params.append(f"$g{n}: ID!")
            variables[f"g{n}"] = id
            fields.append(f"g{n}: get{model}(id: $g{n}) {{ {selection or _SELECT[model]} }}")
        if not lists:
            params.remove("$limit: Int")
            del variables["limit"]
        data = self._run(f"query Plexus({', '.join(params)}) {{ {' '.join(fields)} }}", variables)
        pages = [self._connection(data.get(f"q{n}"), query.model) for n, (query, _) in enumerate(lists)]
        got: dict[str, Any] = {}
        for n, (model, id, _) in enumerate(gets):
            raw = data.get(f"g{n}")
            if raw is not None and (not isinstance(raw, Mapping) or raw.get("id") != id):
                raise CorruptRecordError(f"The GraphQL API at {self.description} answered a request for {model} "
                                         f"{id!r} with something else; it was not used.")
            got[id] = dict(raw) if raw is not None else None
        return pages, got

    def _connection(self, connection: Any, model: str) -> tuple[list[dict[str, Any]], str | None]:
        items = connection.get("items") if isinstance(connection, Mapping) else None
        token = connection.get("nextToken") if isinstance(connection, Mapping) else None
        if not isinstance(items, list) or not (token is None or isinstance(token, str)):
            raise CorruptRecordError(f"The GraphQL API at {self.description} answered a malformed page of {model} "
                                     "records (no items list, or a nextToken that is not a string).")
        out = []
        for item in items:
            if item is None:
                continue
            if not isinstance(item, Mapping):
                raise CorruptRecordError(f"The GraphQL API at {self.description} answered a {model} that is not an "
                                         f"object ({type(item).__name__}).")
            out.append(dict(item))
        return out, token

    def _query_all(self, queries: Sequence[_Query]) -> list[list[dict[str, Any]]]:
        """Every item of each query (pages followed to the end)."""
        return self._query_with(queries, ())[0]

    def _query_with(self, queries: Sequence[_Query], gets: Sequence[tuple[str, str, str | None]]
                    ) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
        """Every item of each query, and each get's record (or None) by id: first pages of up to
        ``BATCH`` queries per request, then the unfinished ones together, round after round; the
        gets ride along in the first requests."""
        results: list[list[dict[str, Any]]] = [[] for _ in queries]
        seen: list[set[str]] = [set() for _ in queries]
        pending: list[tuple[int, str | None]] = [(i, None) for i in range(len(queries))]
        extra = list(gets)
        answers: dict[str, Any] = {}
        while pending or extra:
            following: list[tuple[int, str | None]] = []
            while pending or extra:
                chunk, pending = pending[:BATCH], pending[BATCH:]
                room = BATCH - len(chunk)
                riders, extra = extra[:room], extra[room:]
                pages, got = self._round([(queries[i], token) for i, token in chunk], riders)
                answers.update(got)
                for (i, _), (items, token) in zip(chunk, pages, strict=True):
                    results[i].extend(items)
                    if token is not None:
                        if token in seen[i]:
                            raise BackendError(
                                f"The GraphQL API at {self.description} returned the same nextToken twice while "
                                f"listing {queries[i].model}; stopped instead of looping forever. The server is "
                                "misbehaving.")
                        seen[i].add(token)
                        following.append((i, token))
            pending = following
        return results, answers

    def _mutate(self, verb: str, model: str, input: Mapping[str, Any], condition: Filter | None = None,
                selection: str | None = None) -> dict[str, Any]:
        """Run one mutation; QueryError passes through (conditional failures are the caller's)."""
        name = f"{verb}{model}"
        text = (f"mutation Plexus($input: {verb.title()}{model}Input!, $condition: Model{model}ConditionInput) "
                f"{{ {name}(input: $input, condition: $condition) {{ {selection or _SELECT[model]} }} }}")
        data = self.transport.execute(text, {"input": dict(input), "condition": condition})
        raw = data.get(name)
        if not isinstance(raw, Mapping):
            raise CorruptRecordError(f"The GraphQL API at {self.description} answered {name} without the record.")
        return dict(raw)

    # --- the verbs ------------------------------------------------------------------------

    def create(self, model: str, record: Mapping[str, Any]) -> Record:
        self._known(model, record)
        if not is_id(record.get("id")):
            raise ValidationError(f"A {model} needs an id of 1 to 128 letters, digits, '-' or '_'.")
        creators: dict[str, Callable[[Mapping[str, Any]], Record]] = {
            "Scorecard": self._create_scorecard, "ScorecardSection": self._create_section,
            "Score": self._create_score, "Dataset": self._create_dataset,
            "DatasetVersion": self._create_version, "DatasetProfile": self._create_profile,
        }
        return creators[model](record)

    def get(self, model: str, id: str) -> Record | None:
        self._spec(model)
        return self.get_many(model, [id]).get(id)

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, Record]:
        self._spec(model)
        if model == "DatasetVersion":
            return self._versions_by_id(list(ids))
        raws = list(self._get_raw(_PLEXUS_MODEL[model], list(ids)).values())
        if model in ("ScorecardSection", "Score"):
            raws = self._in_our_cards(raws)
        return {r["id"]: r for r in self._wires(model, raws)}

    def update(self, model: str, id: str, changes: Mapping[str, Any], condition: Filter | None = None) -> Record:
        spec = self._spec(model)
        changes = {k: v for k, v in changes.items() if k != "id"}
        self._known(model, changes)
        removed = sorted(k for k in spec.required | {"createdAt", "updatedAt"} if k in changes and changes[k] is None)
        if removed:
            raise ValidationError(f"{model} field(s) {', '.join(removed)} can't be removed.")
        if model == "DatasetVersion":
            raise ValidationError(_VERSIONS_ARE_POSITIONS + " Create a new version instead.")
        if model == "DatasetProfile":
            return self._fill_profile(id, changes, condition)
        if model == "Dataset":
            input = dict(changes)
            if "currentVersionId" in changes:
                input["yamlConfiguration"] = self._head_text(id, changes["currentVersionId"])
            raw = self._update_raw(model, "DataSource", id, input, _scoped(_null_tolerant(condition), self.account))
            return self._dataset_wire(raw)
        # Plexus sets these models' timestamps itself (its update inputs have no field for them)
        input = {k: v for k, v in changes.items() if k not in ("accountId", "createdAt", "updatedAt")}
        if model == "Scorecard":
            raw = self._update_raw(model, "Scorecard", id, input, _scoped(condition, self.account))
            return self._plain_wire(model, raw)
        current = self._carded(model, id)  # another account's section or score reads as absent
        if model == "Score":
            input = self._score_input(input, existing_name=current.get("name"))
        elif input.get("scorecardId") is not None:
            self._require_card(input["scorecardId"])
        # ...and must still be in that scorecard when the update lands
        in_card = {"scorecardId": {"eq": current["scorecardId"]}}
        guarded = {"and": [in_card, dict(condition)]} if condition else in_card
        return self._plain_wire(model, self._update_raw(model, _PLEXUS_MODEL[model], id, input, guarded))

    def delete(self, model: str, id: str, condition: Filter | None = None) -> Record:
        self._spec(model)
        if model == "DatasetVersion":
            raise ValidationError(_VERSIONS_ARE_POSITIONS)
        if model == "DatasetProfile":
            raise ValidationError("DataSets belong to Plexus (its evaluations read them); plexus-datasets never "
                                  "deletes one. Delete it in Plexus's dashboard if it must go.")
        if model != "Dataset":
            raise ValidationError(f"{model}s belong to Plexus; plexus-datasets never deletes them. Use Plexus's "
                                  "dashboard.")
        if not is_id(id):
            raise NotFoundError(f"No Dataset with id {id!r}.")
        versions = self._query_all([self._versions_query(id, _SIBLING)])[0]
        if versions:
            raise ValidationError(f"DataSource {id!r} has {len(versions)} version(s), and versions can't be deleted on "
                                  "Plexus (a version's number is its position), so neither can the DataSource.")
        try:
            raw = self._mutate("delete", "DataSource", {"id": id}, _scoped(_null_tolerant(condition), self.account))
        except QueryError as exc:
            if exc.error_type != CONDITIONAL:
                raise translate(exc, self.description) from exc
            if self.get("Dataset", id) is None:
                if exc.after_ambiguous:
                    return {"id": id}  # our earlier attempt deleted it
                raise NotFoundError(f"No Dataset with id {id!r}.") from exc
            raise ConflictError(f"The Dataset {id!r} changed since it was read (condition failed).") from exc
        return self._dataset_wire(raw)

    def list(self, model: str, *, index: tuple[str, str] | None = None, filter: Filter | None = None) -> list[Record]:
        spec = self._spec(model)
        self._check_index(model, index)
        validate_filter(filter, [*spec.fields, "key"] if model == "Dataset" else spec.fields)
        records = self._list(model, index, filter)
        return [r for r in records if (index is None or r.get(index[0]) == index[1]) and matches(r, filter)]

    def page(self, model: str, *, index: tuple[str, str] | None = None, limit: int = 100,
             next_token: str | None = None) -> Page:
        """One page. Datasets and scorecards page on Plexus's own tokens (a page may come out
        short: other accounts' records are dropped); other listings span several index queries,
        so they are listed whole and cut, with an offset as the token."""
        self._spec(model)
        self._check_index(model, index)
        if limit < 1:
            raise ValidationError(f"limit must be at least 1, got {limit}.")
        query = self._single_query(model, index)
        if query is None:
            return self._offset_page(self.list(model, index=index), limit, next_token)
        try:
            pages, _ = self._round([(query, next_token)], [], limit=limit)
        except ValidationError as exc:
            if next_token is not None:
                raise ValidationError(f"The nextToken is not valid for this listing of {model} records ({exc}).") from exc
            raise
        items, token = pages[0]
        if model in ("ScorecardSection", "Score"):
            items = self._in_our_cards(items)
        wires = self._wires(model, items)
        return Page([w for w in wires if index is None or w.get(index[0]) == index[1]], token)

    def summaries(self, index: tuple[str, str] | None = None) -> list[Summary]:
        """Datasets with their current version, version numbers and profile stamps, in about four
        requests: the DataSources, their versions' ids and times (aliased), the current versions,
        then the account's DataSets (or, for one scorecard or score, those of its versions, aliased)."""
        datasets = self.list("Dataset", index=index)
        by_source = self._versions_of([d["id"] for d in datasets], _SIBLING)
        currents = {d.get("currentVersionId") for d in datasets} - {None}
        texts = self._get_raw("DataSourceVersion", [c for c in currents if isinstance(c, str)])
        versions: list[Record] = []
        for source_id, raws in by_source.items():
            raws = raws or []
            numbers = _positions(raws)
            for raw in raws:
                self._version_sources[raw["id"]] = source_id
                full = texts.get(raw["id"])
                parsed = full is not None and full.get("dataSourceId") == source_id
                versions.append(self._version_wire(full if parsed else raw, numbers[raw["id"]], parse=parsed))
        if index is None:
            stamps_raw = self._query_all([_Query("listDataSetByAccountIdAndCreatedAt", "DataSet",
                                                 ("accountId", self.account), selection=_STAMP)])[0]
        else:
            queries = [_Query("listDataSetByDataSourceVersionIdAndCreatedAt", "DataSet", ("dataSourceVersionId", v["id"]),
                              selection=_STAMP) for v in versions]
            stamps_raw = [item for items in self._query_all(queries) for item in items]
        sources = self._sources_of([s.get("dataSourceVersionId") for s in stamps_raw])
        stamps = [{"id": s.get("id"), "datasetId": sources.get(s.get("dataSourceVersionId")),
                   "datasetVersionId": s.get("dataSourceVersionId"), "createdAt": s.get("createdAt")}
                  for s in stamps_raw if self._ours(s)]
        return assemble_summaries(datasets, versions, stamps, {v["id"]: v for v in versions if v["id"] in currents})

    # --- data files -----------------------------------------------------------------------

    def put_snapshot(self, profile_id: str, dataset_version_id: str, path: str, sha256: str) -> str | None:
        """Note the Parquet file at ``path`` as the data of the DataSet ``profile_id``, which
        ``create("DatasetProfile", ...)`` makes next and uploads it with (once the DataSet is
        known to fit, so a refused DataSet leaves no object behind); return its key."""
        if not is_id(profile_id):
            raise ValidationError(f"{profile_id!r} is not a valid DataSet id.")
        self._bucket()
        if not os.path.isfile(path):
            raise ValidationError(f"There is no data file at {path!r} to keep with DataSet {profile_id!r}.")
        key = _snapshots.snapshot_key(self.account, profile_id)
        with self._pending_lock:
            self._pending.pop(profile_id, None)
            while len(self._pending) >= self.MAX_PENDING:
                del self._pending[next(iter(self._pending))]
            self._pending[profile_id] = {"path": str(path), "file": key, "sha256": sha256}
        return key

    def record_snapshot(self, dataset_version_id: str, path: str, sha256: str, rows: int,
                        sources: Mapping[str, Any] | None = None) -> SnapshotFile | None:
        """Upload the Parquet file at ``path`` and record it as a new, unprofiled DataSet of the version."""
        self._bucket()
        id = str(uuid.uuid4())
        key = _snapshots.snapshot_key(self.account, id)
        snapshot = {"sha256": sha256, "rows": rows, "sources": dict(sources) if sources else None, "format": "parquet"}
        context = self._data_set_context(dataset_version_id, None)
        now = _aws_time(datetime.now(UTC))
        raw = self._create_data_set(id, context, {OUR_KEY: {"layout": LAYOUT, "profile": None, "snapshot": snapshot}},
                                    (path, key), now)
        return SnapshotFile(profile_id=id, dataset_version_id=dataset_version_id, location=key, sha256=sha256,
                            rows=rows, created_at=str(raw.get("createdAt") or now))

    def snapshots(self, dataset_version_id: str) -> list[SnapshotFile]:
        """The version's DataSets with a file, newest first (by createdAt instant, then id). A file
        that is not a usable location, or a relative key outside this account's folder, is skipped
        with a warning on the ``plexus_datasets.plexus`` logger."""
        if not is_id(dataset_version_id):
            return []
        query = _Query("listDataSetByDataSourceVersionIdAndCreatedAt", "DataSet",
                       ("dataSourceVersionId", dataset_version_id), descending=True)
        found = []
        for raw in self._query_all([query])[0]:
            if not self._ours(raw) or not raw.get("file"):
                continue
            try:
                _snapshots.location(raw["file"], self.datasets_bucket or "-", self.account)
            except ValueError as exc:
                log.warning("Skipped DataSet %r: its file is not a usable S3 location (%s).", raw.get("id"), exc)
                continue
            snapshot = _our_part(_build_context(raw, self.description)).get("snapshot")
            snapshot = snapshot if isinstance(snapshot, Mapping) else {}
            sha, rows = snapshot.get("sha256"), snapshot.get("rows")
            found.append(SnapshotFile(
                profile_id=raw["id"], dataset_version_id=dataset_version_id, location=raw["file"],
                sha256=sha if isinstance(sha, str) else None,
                rows=rows if isinstance(rows, int) and not isinstance(rows, bool) else None,
                created_at=str(raw.get("createdAt"))))
        return sorted(found, key=lambda s: (_instant(s.created_at), s.profile_id), reverse=True)

    def fetch_snapshot(self, snapshot: SnapshotFile, dest: str) -> None:
        """Download a DataSet's file (at most ``_snapshots.MAX_FILE_BYTES``). CorruptRecordError
        for a file value that is not a usable location or is another account's key."""
        try:
            bucket, key = _snapshots.location(snapshot.location, self.datasets_bucket, self.account)
        except ConfigurationError:
            raise  # the bucket is unset: a ValueError too, but the user's to fix, not the record's
        except ValueError as exc:
            raise CorruptRecordError(f"DataSet {snapshot.profile_id!r} names a file that is not a usable S3 location "
                                     f"({exc}); it was not read.") from exc
        self._files.get(bucket, key, dest, what=f"DataSet {snapshot.profile_id!r}")

    def _bucket(self) -> str:
        if not self.datasets_bucket:
            raise ConfigurationError(_snapshots.missing_bucket_message())
        return self.datasets_bucket

    # --- models and fields ----------------------------------------------------------------

    def _spec(self, model: str) -> Any:
        spec = MODEL_SPECS.get(model)
        if spec is None:
            raise ValidationError(f"Unknown model {model!r}; expected one of {', '.join(MODEL_SPECS)}.")
        return spec

    def _known(self, model: str, record: Mapping[str, Any]) -> None:
        spec = self._spec(model)
        for key, value in record.items():
            if key not in spec.fields:
                raise ValidationError(f"{model} has no field {key!r}.")
            if spec.fields[key] == "json" and value is not None:
                try:
                    json.dumps(value, allow_nan=False)
                except (TypeError, ValueError) as exc:
                    raise ValidationError(f"{model}.{key} is not JSON: {exc}.") from exc

    def _check_index(self, model: str, index: tuple[str, str] | None) -> None:
        spec = self._spec(model)
        if index is not None and index[0] not in spec.indexes:
            raise ValidationError(f"{model} has no index on {index[0]!r}; indexes: {', '.join(spec.indexes)}.")

    def _wires(self, model: str, raws: list[dict[str, Any]]) -> list[Record]:
        """Plexus records as wire records of ``model`` (another account's left out)."""
        if model in ("Scorecard", "Dataset", "DatasetProfile"):
            raws = [r for r in raws if self._ours(r)]
        if model == "Dataset":
            return [self._dataset_wire(r) for r in raws]
        if model == "DatasetVersion":
            return self._numbered(raws)
        if model == "DatasetProfile":
            sources = self._sources_of([r.get("dataSourceVersionId") for r in raws])
            return [self._profile_wire(r, sources.get(r.get("dataSourceVersionId"))) for r in raws]
        return [self._plain_wire(model, r) for r in raws]

    def _plain_wire(self, model: str, raw: Mapping[str, Any]) -> Record:
        """A Scorecard, ScorecardSection or Score: the same fields (names NFC; Score.metadata None)."""
        return {field: _nfc(raw.get(field)) if field in _NAMED else raw.get(field) for field in MODEL_SPECS[model].fields}

    def _dataset_wire(self, raw: Mapping[str, Any]) -> Record:
        """A DataSource as a Dataset, with its Plexus ``key`` too (the plan's model has none; the
        service finds a dataset by it when no name matches, as ``plexus dataset load`` does)."""
        return {**self._plain_wire("Dataset", raw), "key": _nfc(raw.get("key"))}

    # --- scorecards, sections, scores --------------------------------------------------------

    def _create_scorecard(self, record: Mapping[str, Any]) -> Record:
        fields = ("id", "name", "key", "description", "externalId")
        input = {k: record[k] for k in fields if record.get(k) is not None}
        return self._plain_wire("Scorecard", self._create_raw("Scorecard", "Scorecard", {**input, "accountId": self.account}))

    def _create_section(self, record: Mapping[str, Any]) -> Record:
        input = {k: record[k] for k in ("id", "name", "order", "scorecardId") if record.get(k) is not None}
        self._require_card(input.get("scorecardId"))
        return self._plain_wire("ScorecardSection", self._create_raw("ScorecardSection", "ScorecardSection", input))

    def _create_score(self, record: Mapping[str, Any]) -> Record:
        input = {k: v for k, v in self._score_input(record, existing_name=None).items() if v is not None}
        input["externalId"] = input.get("externalId") or record["id"]
        input["id"] = record["id"]
        return self._plain_wire("Score", self._create_raw("Score", "Score", input))

    def _score_input(self, fields: Mapping[str, Any], existing_name: str | None) -> dict[str, Any]:
        """Score fields as Plexus's input: metadata checked and dropped, scorecardId from the section."""
        metadata = fields.get("metadata")
        name = fields.get("name", existing_name)
        if isinstance(metadata, Mapping) and metadata.get("label_column") not in (None, name):
            raise ValidationError("Plexus scores have no metadata: put label_column in the dataset's configuration "
                                  f"(label_column {metadata.get('label_column')!r} differs from the score's name "
                                  f"{name!r}, which Plexus uses as the label column).")
        input = {k: v for k, v in fields.items() if k not in ("metadata", "createdAt", "updatedAt", "id")}
        if fields.get("sectionId") is not None:
            section = self._get_raw("ScorecardSection", [fields["sectionId"]]).get(fields["sectionId"])
            if section is None or not self._in_our_cards([section]):
                raise ValidationError(f"No scorecard section {fields['sectionId']!r}: a Plexus score needs its "
                                      "section's scorecard.")
            input["scorecardId"] = section.get("scorecardId")
        if "externalId" in input and input["externalId"] is None:
            del input["externalId"]  # required by Plexus: never removed
        return input

    def _in_our_cards(self, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The sections or scores among ``raws`` whose scorecard is this account's (their
        scorecards read in one aliased request per ``BATCH``)."""
        wanted = [r["scorecardId"] for r in raws if isinstance(r.get("scorecardId"), str)]
        cards = self._get_raw("Scorecard", wanted, "id accountId") if wanted else {}
        return [r for r in raws if self._ours(cards.get(r.get("scorecardId")))]

    def _carded(self, model: str, id: str) -> dict[str, Any]:
        """The raw section or score ``id`` of one of this account's scorecards; NotFoundError otherwise."""
        raw = self._get_raw(_PLEXUS_MODEL[model], [id]).get(id) if is_id(id) else None
        if raw is None or not self._in_our_cards([raw]):
            raise NotFoundError(f"No {model} with id {id!r}.")
        return raw

    def _require_card(self, card_id: Any) -> None:
        """ValidationError unless ``card_id`` is one of this account's scorecards."""
        card = self._get_raw("Scorecard", [card_id], "id accountId").get(card_id) if is_id(card_id) else None
        if not self._ours(card):
            raise ValidationError(f"No scorecard {card_id!r}: a Plexus section belongs to one of your account's "
                                  "scorecards.")

    # --- score configurations (ScoreVersions) ---------------------------------------------------

    def score_configuration(self, score_id: str) -> tuple[str, str] | None:
        """``(champion ScoreVersion id, its configuration text)`` of one of this account's scores;
        None when it has no champion. NotFoundError for an unknown score (or another account's),
        CorruptRecordError when the champion is missing, another score's, or has no text."""
        score = self._carded("Score", score_id)
        champion = score.get("championVersionId")
        if champion is None or champion == "":
            return None
        named = f"Score {_nfc(score.get('name'))!r} ({score_id})"
        fix = ("Choose its champion version again in Plexus's dashboard, or import the score's YAML file "
               "(`plexus-datasets import score-config FILE`).")
        if not is_id(champion):
            raise CorruptRecordError(f"{named} names a champion version {short(str(champion), 80)!r} that is not a valid id; it "
                                     f"was not read. {fix}")
        raw = self._get_raw("ScoreVersion", [champion], "id scoreId configuration").get(champion)
        if raw is None:
            raise CorruptRecordError(f"{named} names the champion version {champion!r}, which does not exist. {fix}")
        if raw.get("scoreId") != score_id:
            raise CorruptRecordError(f"{named} names the champion version {champion!r}, which is another score's; it "
                                     f"was not used. {fix}")
        text = raw.get("configuration")
        if not isinstance(text, str):
            raise CorruptRecordError(f"The champion version {champion!r} of {named} has no configuration text. {fix}")
        return champion, text

    # --- datasets (DataSources) -----------------------------------------------------------

    def _create_dataset(self, record: Mapping[str, Any]) -> Record:
        input = {k: v for k, v in record.items() if v is not None}
        if input.get("currentVersionId"):
            input["yamlConfiguration"] = self._head_text(record["id"], input["currentVersionId"])
        input["accountId"] = self.account
        return self._dataset_wire(self._create_raw("Dataset", "DataSource", input))

    def _head_text(self, source_id: str, version_id: str | None) -> str | None:
        """The text the DataSource's head copy must hold when ``version_id`` is current (None
        when there is no such version of it: the head copy is then removed, never stale)."""
        if not version_id:
            return None
        raw = self._get_raw("DataSourceVersion", [version_id]).get(version_id)
        if raw is None or raw.get("dataSourceId") != source_id:
            return None
        text = raw.get("yamlConfiguration")
        return text if isinstance(text, str) else None

    # --- versions (DataSourceVersions) ----------------------------------------------------

    def _create_version(self, record: Mapping[str, Any]) -> Record:
        source_id, number = record.get("datasetId"), record.get("versionNumber")
        if not is_id(source_id):
            raise ValidationError("A DatasetVersion needs the id of its dataset (datasetId).")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ValidationError(f"A DatasetVersion's versionNumber must be a whole number from 1, not {number!r}.")
        input = _version_input(record.get("configuration"))
        given = _instant(record.get("createdAt"))
        given = datetime.now(UTC) if given == _LATEST else given
        before = [("DataSourceVersion", version_id(source_id, number - 1), _SIBLING)] if number > 1 else []
        lists, got = self._query_with([self._versions_query(source_id, _SIBLING)], before)
        siblings = lists[0]
        self._version_sources.update({s["id"]: source_id for s in siblings if s.get("dataSourceId") == source_id})
        if len(siblings) >= number:
            self._hint(record["id"], source_id)
            raise ConflictError(f"DataSource {source_id!r} already has {len(siblings)} version(s), so version {number} "
                                "is taken (numbers are positions).")
        previous = next(iter(got.values()), None) if before else None
        stamps = [_instant(s.get("createdAt")) for s in siblings if s.get("dataSourceId", source_id) == source_id]
        if previous is not None and previous.get("dataSourceId") == source_id:
            stamps.append(_instant(previous.get("createdAt")))
        floor = max((s for s in stamps if s != _LATEST), default=None)
        created = given if floor is None else max(given, floor + _MS)
        if created - given > timedelta(seconds=1):
            log.warning("Version %d of DataSource %s is stamped %s, %.1fs after this machine's clock, to follow "
                        "the versions before it.", number, source_id, _aws_time(created),
                        (created - given).total_seconds())
        stamp = _aws_time(created)
        try:
            raw = self._create_raw("DatasetVersion", "DataSourceVersion", {
                **input, "id": record["id"], "dataSourceId": source_id, "createdAt": stamp, "updatedAt": stamp})
        except ConflictError:
            self._hint(record["id"], source_id)  # the service reads the winner next
            raise
        self._version_sources[record["id"]] = source_id
        try:
            after = self._query_all([self._versions_query(source_id, _SIBLING)])[0]
        except PlexusDatasetsError as exc:
            # the version exists: answer it, numbered among the siblings listed before its create
            log.warning("Version %s of DataSource %s was created, but listing its siblings again failed (%s); it is "
                        "numbered among those listed before.", record["id"], source_id, exc)
            after = siblings
        numbers = _positions([*[s for s in after if s.get("id") != raw["id"]], raw])
        return self._version_wire(raw, numbers[raw["id"]])

    def _hint(self, slot: str, source_id: str) -> None:
        if len(self._slot_hints) >= 10_000:
            self._slot_hints.clear()
        self._slot_hints[slot] = source_id

    def _versions_query(self, source_id: str, selection: str) -> _Query:
        return _Query("listDataSourceVersionByDataSourceIdAndCreatedAt", "DataSourceVersion",
                      ("dataSourceId", source_id), selection=selection)

    def _versions_of(self, source_ids: Sequence[str], selection: str) -> dict[str, list[dict[str, Any]] | None]:
        """Every version of each DataSource; None for another account's DataSource. (A version
        whose DataSource is gone is an orphan nobody else owns: it is kept.)"""
        return self._versions_with(source_ids, selection, ())[0]

    def _versions_with(self, source_ids: Sequence[str], selection: str, gets: Sequence[tuple[str, str, str | None]]
                       ) -> tuple[dict[str, list[dict[str, Any]] | None], dict[str, Any]]:
        """``_versions_of``, with ``gets`` riding along in the same requests (their records by id)."""
        ids = [id for id in dict.fromkeys(source_ids) if is_id(id)]
        if not ids and not gets:
            return {}, {}
        owners_gets = [("DataSource", id, "id accountId") for id in ids]
        lists, got = self._query_with([self._versions_query(id, selection) for id in ids], [*owners_gets, *gets])
        owners = {id: got.get(id) for id in ids}
        out: dict[str, list[dict[str, Any]] | None] = {}
        for id, items in zip(ids, lists, strict=True):
            owner = owners.get(id)
            if owner is not None and owner.get("accountId") != self.account:
                out[id] = None
            else:
                out[id] = [i for i in items if i.get("dataSourceId", id) == id and isinstance(i.get("id"), str)]
        return out, got

    def _versions_by_id(self, ids: list[str]) -> dict[str, Record]:
        """Versions by id, numbered. When every id's DataSource is known on this connection (a
        version listed, read or made here), the gets ride along with the sibling listings: one
        request instead of two. A record that turns out to be another DataSource's is numbered
        the long way."""
        wanted = [id for id in dict.fromkeys(ids) if is_id(id)]
        known = {id: self._version_sources.get(id) or self._slot_hints.get(id) for id in wanted}
        sources = list(dict.fromkeys(s for s in known.values() if s is not None))
        if not wanted or None in known.values() or len(sources) > BATCH // 2 or set(sources) & set(wanted):
            raws = self._get_raw("DataSourceVersion", wanted)
            return {r["id"]: r for r in self._numbered(list(raws.values()))}
        listed, got = self._versions_with(sources, _SIBLING, [("DataSourceVersion", id, None) for id in wanted])
        found: dict[str, Record] = {}
        elsewhere = []
        for id in wanted:
            raw = got.get(id)
            if raw is None:
                continue
            if raw.get("dataSourceId") != known[id]:
                elsewhere.append(raw)
                continue
            siblings = listed.get(known[id])
            if siblings is None:
                continue  # another account's
            self._version_sources[id] = known[id]  # verified now
            others = [s for s in siblings if s.get("id") != id]
            found[id] = self._version_wire(raw, _positions([*others, raw])[id])
        found.update({r["id"]: r for r in self._numbered(elsewhere)})
        return found

    def _numbered(self, raws: list[dict[str, Any]]) -> list[Record]:
        """Version wire records with their numbers (one aliased sibling listing per DataSource)."""
        sources = [r.get("dataSourceId") for r in raws]
        siblings = self._versions_of([s for s in sources if isinstance(s, str)], _SIBLING)
        out = []
        for raw in raws:
            source = raw.get("dataSourceId")
            listed = siblings.get(source, []) if isinstance(source, str) else []
            if listed is None:
                continue  # another account's
            if isinstance(source, str):
                self._version_sources[raw["id"]] = source
            # the record itself counts even when the index has not caught up with it yet
            others = [s for s in listed if s.get("id") != raw["id"]]
            out.append(self._version_wire(raw, _positions([*others, raw])[raw["id"]]))
        return out

    def _version_wire(self, raw: Mapping[str, Any], number: int, parse: bool = True) -> Record:
        """A DataSourceVersion as a DatasetVersion: the parsed YAML with its text, note, parent and
        featured flag under ``NOTE_KEY`` (configuration None when the text is not a YAML mapping,
        or when ``parse`` is False: a summary needs only the numbers)."""
        text = raw.get("yamlConfiguration")
        configuration: Any = _parse_mapping(text) if parse else None
        if isinstance(configuration, dict):
            meta: dict[str, Any] = {"text": text}
            if isinstance(raw.get("note"), str) and raw["note"]:
                meta["note"] = raw["note"]
            if isinstance(raw.get("parentVersionId"), str) and raw["parentVersionId"]:
                meta["parent"] = raw["parentVersionId"]
            if raw.get("isFeatured") is True:
                meta["featured"] = True
            configuration = {**configuration, NOTE_KEY: meta}
        return {"id": raw.get("id"), "createdAt": raw.get("createdAt"), "updatedAt": raw.get("updatedAt"),
                "datasetId": raw.get("dataSourceId"), "versionNumber": number, "configuration": configuration}

    def _sources_of(self, version_ids: Iterable[Any]) -> dict[str, str]:
        """DataSource id of each version id (cached; the unknown ones read in aliased gets)."""
        wanted = {v for v in version_ids if isinstance(v, str) and is_id(v)}
        missing = [v for v in wanted if v not in self._version_sources]
        if missing:
            for id, raw in self._get_raw("DataSourceVersion", missing, "id dataSourceId").items():
                if isinstance(raw.get("dataSourceId"), str):
                    self._version_sources[id] = raw["dataSourceId"]
        return {v: self._version_sources[v] for v in wanted if v in self._version_sources}

    # --- profiles (DataSets) --------------------------------------------------------------

    def _create_profile(self, record: Mapping[str, Any]) -> Record:
        version_id = record.get("datasetVersionId")
        if not is_id(version_id):
            raise ValidationError("A DatasetProfile needs the id of its version (datasetVersionId).")
        context = self._data_set_context(version_id, record.get("datasetId"))
        profile = {k: record.get(k) for k in ("columnList", "recordCounts", "answerDistribution")}
        with self._pending_lock:
            pending = self._pending.pop(record["id"], None)  # used once, whether the create succeeds or not
        snapshot = _snapshot_facts(pending, record.get("recordCounts")) if pending else None
        raw = self._create_data_set(record["id"], context,
                                    {OUR_KEY: {"layout": LAYOUT, "profile": profile, "snapshot": snapshot}},
                                    (pending["path"], pending["file"]) if pending else None, record.get("createdAt"))
        return self._profile_wire(raw, context["dataSourceId"])

    def _data_set_context(self, version_id: str, dataset_id: Any) -> dict[str, Any]:
        """What a new DataSet of ``version_id`` copies: its DataSource's id, name, scorecard and
        score, the score's champion version, and the version's number."""
        version = self._get_raw("DataSourceVersion", [version_id], _SIBLING).get(version_id)
        source_id = version.get("dataSourceId") if version else dataset_id
        if version is not None and dataset_id is not None and source_id != dataset_id:
            raise ValidationError(f"Version {version_id!r} belongs to DataSource {source_id!r}, not {dataset_id!r}.")
        context: dict[str, Any] = {"dataSourceId": source_id, "versionId": version_id, "name": None, "number": None,
                                   "scorecardId": None, "scoreId": None, "scoreVersionId": None}
        if not is_id(source_id):
            return context
        lists, got = self._query_with([self._versions_query(source_id, _SIBLING)],
                                      [("DataSource", source_id, _SELECT["DataSource"])])
        siblings, source = lists[0], got.get(source_id)
        if source is not None and not self._ours(source):
            raise ValidationError(f"DataSource {source_id!r} belongs to another Plexus account.")
        if version is not None:
            self._version_sources[version_id] = source_id
            listed = [s for s in siblings if s.get("id") != version_id]
            context["number"] = _positions([*listed, version])[version_id]
        if source is not None:
            context.update(name=source.get("name"), scorecardId=source.get("scorecardId"), scoreId=source.get("scoreId"))
            score_id = source.get("scoreId")
            if is_id(score_id):
                score = self._get_raw("Score", [score_id], "id championVersionId").get(score_id)
                champion = score.get("championVersionId") if score else None
                context["scoreVersionId"] = champion if isinstance(champion, str) and champion else None
        return context

    def _create_data_set(self, id: str, context: Mapping[str, Any], build_context: Mapping[str, Any],
                         upload: tuple[str, str] | None, created_at: Any) -> dict[str, Any]:
        """Create a DataSet of ``context``'s version; with ``upload`` (``(path, key)``) its file is
        uploaded first, once the DataSet is known to fit, and deleted again when the DataSet is
        not made."""
        when = created_at if isinstance(created_at, str) else _aws_time(datetime.now(UTC))
        number = f"v{context['number']}" if context.get("number") else "unnumbered version"
        name = f"{context.get('name') or context.get('dataSourceId')} - {number} - {_display_time(when)}"
        input = {"id": id, "accountId": self.account, "dataSourceVersionId": context["versionId"], "name": name,
                 "scorecardId": context.get("scorecardId"), "scoreId": context.get("scoreId"),
                 "scoreVersionId": context.get("scoreVersionId"), "file": upload[1] if upload else None,
                 "buildContext": _json(build_context), "createdAt": when, "updatedAt": when}
        input = {k: v for k, v in input.items() if v is not None}
        size = item_size({**input, "__typename": "DataSet"})
        if size > MAX_ITEM_BYTES:
            raise ValidationError(f"The profile makes a Plexus DataSet of {size:,} bytes; DynamoDB items hold at most "
                                  f"{MAX_ITEM_BYTES:,}. Profile fewer columns or fewer top values.")
        if upload is None:
            return self._create_raw("DatasetProfile", "DataSet", input)
        bucket = self._bucket()
        self._files.put(upload[0], bucket, upload[1])
        try:
            return self._create_raw("DatasetProfile", "DataSet", input)
        except Exception:
            self._discard_file(id, bucket, upload[1])
            raise

    def _discard_file(self, id: str, bucket: str, key: str) -> None:
        """Delete the object uploaded for DataSet ``id`` whose create failed, unless the DataSet
        exists naming it after all (a create that landed before a failure): an orphan object is
        better than a DataSet whose file is gone, so when that can't be told, the object stays."""
        try:
            landed = self._get_raw("DataSet", [id], "id file").get(id)
            if landed is None or landed.get("file") != key:
                self._files.delete(bucket, key)
        except PlexusDatasetsError as exc:
            log.warning("DataSet %r was not created and its uploaded file s3://%s/%s could not be cleaned up (%s); "
                        "delete it if no DataSet names it.", id, bucket, key, exc)

    def _profile_wire(self, raw: Mapping[str, Any], dataset_id: str | None) -> Record:
        """A DataSet as a DatasetProfile: our profile from buildContext, or an "unprofiled" one."""
        profile = _our_part(_build_context(raw, self.description)).get("profile")
        if isinstance(profile, Mapping):
            columns, counts, answers = (profile.get("columnList"), profile.get("recordCounts"),
                                        profile.get("answerDistribution"))
        else:
            columns, answers = [], {}
            counts = {"subject": {"kind": "unprofiled", "file": raw.get("file") if isinstance(raw.get("file"), str)
                                  else None}}
        return {"id": raw.get("id"), "createdAt": raw.get("createdAt"), "updatedAt": raw.get("updatedAt"),
                "datasetId": dataset_id, "datasetVersionId": raw.get("dataSourceVersionId"), "columnList": columns,
                "recordCounts": counts, "answerDistribution": answers}

    def _fill_profile(self, id: str, changes: Mapping[str, Any], condition: Filter | None) -> Record:
        """Give an unprofiled DataSet its profile (the one update profiles allow)."""
        parts = ("columnList", "recordCounts", "answerDistribution")
        if set(changes) - {*parts, "updatedAt"} or not all(k in changes for k in parts):
            raise ValidationError("Profiles are append-only: the only change allowed is giving an unprofiled "
                                  "DataSet its profile (columnList, recordCounts and answerDistribution together).")
        raw = self._get_raw("DataSet", [id]).get(id) if is_id(id) else None
        if raw is None or not self._ours(raw):
            raise NotFoundError(f"No DatasetProfile with id {id!r}.")
        context = _build_context(raw, self.description)
        if context is not None and not isinstance(context, dict):
            raise ValidationError(f"DataSet {id!r} has a buildContext that is not an object; it was left as it is.")
        ours = _our_part(context)
        if isinstance(ours.get("profile"), Mapping):
            raise ValidationError(f"DataSet {id!r} has a profile already; profiles are append-only.")
        sources = self._sources_of([raw.get("dataSourceVersionId")])
        if condition and not matches(self._profile_wire(raw, sources.get(raw.get("dataSourceVersionId"))), condition):
            raise ConflictError(f"The DatasetProfile {id!r} changed since it was read (condition failed).")
        merged = {**(context or {}), OUR_KEY: {**ours, "layout": LAYOUT, "snapshot": ours.get("snapshot"),
                                               "profile": {k: changes[k] for k in parts}}}
        input: dict[str, Any] = {"buildContext": _json(merged)}
        if changes.get("updatedAt"):
            input["updatedAt"] = changes["updatedAt"]
        if item_size({**raw, **input, "__typename": "DataSet"}) > MAX_ITEM_BYTES:
            raise ValidationError(f"The profile would make DataSet {id!r} larger than DynamoDB's {MAX_ITEM_BYTES:,}-byte "
                                  "item limit. Profile fewer columns or fewer top values.")
        seen = ({"updatedAt": {"eq": raw["updatedAt"]}} if raw.get("updatedAt") is not None
                else _null_tolerant({"updatedAt": {"attributeExists": False}}))
        updated = self._update_raw("DatasetProfile", "DataSet", id, input, _scoped(seen, self.account))
        return self._profile_wire(updated, sources.get(raw.get("dataSourceVersionId")))

    # --- listing --------------------------------------------------------------------------

    def _list(self, model: str, index: tuple[str, str] | None, filter: Filter | None) -> list[Record]:
        listers: dict[str, Callable[[tuple[str, str] | None, Filter | None], list[dict[str, Any]]]] = {
            "Scorecard": self._list_scorecards, "ScorecardSection": self._list_sections, "Score": self._list_scores,
            "Dataset": self._list_sources, "DatasetVersion": self._list_versions, "DatasetProfile": self._list_data_sets,
        }
        raws = listers[model](index, filter)
        return self._wires(model, _unique(raws)) if model != "DatasetVersion" else raws  # type: ignore[return-value]

    def _by_name(self, field: str, model: str, filter: Filter | None, **pk: str) -> list[_Query] | None:
        """Queries for an exact name (its NFC and NFD forms), when ``filter`` asks ``name eq``."""
        name = _eq(filter, "name")
        if name is None:
            return None
        forms = dict.fromkeys([unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)])
        if pk:
            (pk_name, pk_value), = pk.items()
            return [_Query(field, model, (pk_name, pk_value), ("name", {"eq": form})) for form in forms]
        return [_Query(field, model, ("name", form)) for form in forms]

    def _all(self, queries: list[_Query]) -> list[dict[str, Any]]:
        return [item for items in self._query_all(queries) for item in items]

    def _card_ids(self) -> set[str]:
        cards = self._all([_Query("listScorecardByAccountId", "Scorecard", ("accountId", self.account), selection="id")])
        return {c["id"] for c in cards if isinstance(c.get("id"), str)}

    def _list_scorecards(self, index: tuple[str, str] | None, filter: Filter | None) -> list[dict[str, Any]]:
        account = self.account
        if index is not None and index[0] == "accountId":
            return [] if index[1] != account else self._all([_Query("listScorecardByAccountId", "Scorecard",
                                                                     ("accountId", account))])
        if index is not None and index[0] == "key":
            return self._all([_Query("listScorecardByKey", "Scorecard", ("key", index[1]))])
        if index is not None:
            return self._all([_Query("listScorecardByAccountIdAndExternalId", "Scorecard", ("accountId", account),
                                     ("externalId", {"eq": index[1]}))])
        named = self._by_name("listScorecardByName", "Scorecard", filter)
        return self._all(named or [_Query("listScorecardByAccountId", "Scorecard", ("accountId", account))])

    def _list_sections(self, index: tuple[str, str] | None, filter: Filter | None) -> list[dict[str, Any]]:
        def query(card: str) -> _Query:
            return _Query("listScorecardSectionByScorecardId", "ScorecardSection", ("scorecardId", card))

        if index is None:
            return self._all([query(c) for c in sorted(self._card_ids())])
        lists, got = self._query_with([query(index[1])], [("Scorecard", index[1], "id accountId")])
        return lists[0] if self._ours(got.get(index[1])) else []

    def _list_scores(self, index: tuple[str, str] | None, filter: Filter | None) -> list[dict[str, Any]]:
        if index is not None and index[0] == "sectionId":
            queries = [_Query("listScoreBySectionId", "Score", ("sectionId", index[1]))]
        elif index is not None:
            field = "listScoreByKey" if index[0] == "key" else "listScoreByExternalId"
            queries = [_Query(field, "Score", (index[0], index[1]))]
        else:
            queries = self._by_name("listScoreByName", "Score", filter) or []
        if queries:
            return self._in_our_cards(self._all(queries))
        return self._all([_Query("listScoreByScorecardIdAndExternalId", "Score", ("scorecardId", c))
                          for c in sorted(self._card_ids())])

    def _list_sources(self, index: tuple[str, str] | None, filter: Filter | None) -> list[dict[str, Any]]:
        account = self.account
        named = self._by_name("listDataSourceByAccountIdAndName", "DataSource", filter, accountId=account)
        if named:
            return self._all(named)
        key = _eq(filter, "key") or (index[1] if index is not None and index[0] == "key" else None)
        if key is not None:
            return self._all([_Query("listDataSourceByAccountIdAndKey", "DataSource", ("accountId", account),
                                     ("key", {"eq": key}))])
        return self._all([self._single_query("Dataset", index)])  # type: ignore[list-item]

    def _list_versions(self, index: tuple[str, str] | None, filter: Filter | None) -> list[Record]:
        if index is not None:
            sources = [index[1]]
        else:
            sources = [d["id"] for d in self._wires("Dataset", self._list_sources(None, None))]
        out = []
        for source_id, raws in self._versions_of(sources, _SELECT["DataSourceVersion"]).items():
            raws = raws or []
            numbers = _positions(raws)
            for raw in raws:
                self._version_sources[raw["id"]] = source_id
                out.append(self._version_wire(raw, numbers[raw["id"]]))
        return out

    def _list_data_sets(self, index: tuple[str, str] | None, filter: Filter | None) -> list[dict[str, Any]]:
        if index is None:
            return self._all([_Query("listDataSetByAccountIdAndCreatedAt", "DataSet", ("accountId", self.account))])
        if index[0] == "datasetVersionId":
            versions = [index[1]]
        else:
            listed = self._versions_of([index[1]], _SIBLING).get(index[1]) or []
            versions = [v["id"] for v in listed]
            self._version_sources.update({v: index[1] for v in versions})
        return self._all([_Query("listDataSetByDataSourceVersionIdAndCreatedAt", "DataSet", ("dataSourceVersionId", v))
                          for v in versions])

    def _single_query(self, model: str, index: tuple[str, str] | None) -> _Query | None:
        """The one index query that lists ``model`` (of ``index``), when one does."""
        if model == "Dataset":
            if index is None:
                return _Query("listDataSourceByAccountIdAndUpdatedAt", "DataSource", ("accountId", self.account))
            if index[0] == "key":
                return _Query("listDataSourceByAccountIdAndKey", "DataSource", ("accountId", self.account),
                              ("key", {"eq": index[1]}))
            field = {"scorecardId": "listDataSourceByScorecardIdAndUpdatedAt",
                     "scoreId": "listDataSourceByScoreIdAndUpdatedAt"}[index[0]]
            return _Query(field, "DataSource", index)
        if model == "Scorecard" and index is None:
            return _Query("listScorecardByAccountId", "Scorecard", ("accountId", self.account))
        if model == "ScorecardSection" and index is not None:
            return _Query("listScorecardSectionByScorecardId", "ScorecardSection", index)
        if model == "Score" and index is not None and index[0] == "sectionId":
            return _Query("listScoreBySectionId", "Score", index)
        if model == "DatasetProfile" and index is not None and index[0] == "datasetVersionId":
            return _Query("listDataSetByDataSourceVersionIdAndCreatedAt", "DataSet", ("dataSourceVersionId", index[1]))
        return None

    def _offset_page(self, records: list[Record], limit: int, token: str | None) -> Page:
        start = 0
        if token is not None:
            prefix, _, number = token.partition(":")
            if prefix != "offset" or not number.isdigit() or len(number) > 12:
                raise ValidationError(f"The nextToken {token[:40]!r} is not valid for this listing.")
            start = int(number)
        ordered = sorted(records, key=lambda r: str(r.get("id")))
        end = start + limit
        return Page(ordered[start:end], f"offset:{end}" if end < len(ordered) else None)

    # --- writes ---------------------------------------------------------------------------

    def _create_raw(self, model: str, plexus: str, input: Mapping[str, Any]) -> dict[str, Any]:
        """Create a Plexus record; ConflictError when its id exists (unless our own earlier attempt made it)."""
        try:
            return self._mutate("create", plexus, input)
        except QueryError as exc:
            if exc.error_type != CONDITIONAL:
                raise translate(exc, self.description) from exc
            # Only a retried request can have been beaten by our own first attempt; otherwise the
            # id is simply taken (the common case under concurrent writers: no read needed)
            existing = self._get_raw(plexus, [input["id"]]).get(input["id"]) if exc.after_ambiguous else None
            if existing is not None and _same(existing, input):
                return existing  # our earlier attempt landed before a failure
            raise ConflictError(f"A {model} with id {input['id']!r} already exists.") from exc

    def _update_raw(self, model: str, plexus: str, id: str, input: Mapping[str, Any],
                    condition: Filter | None) -> dict[str, Any]:
        if not is_id(id):
            raise NotFoundError(f"No {model} with id {id!r}.")
        try:
            return self._mutate("update", plexus, {**input, "id": id}, condition)
        except QueryError as exc:
            if exc.error_type != CONDITIONAL:
                raise translate(exc, self.description) from exc
            current = self._get_raw(plexus, [id]).get(id)
            if current is None or (plexus in ("Scorecard", "DataSource", "DataSet") and not self._ours(current)) or (
                    plexus in ("ScorecardSection", "Score") and not self._in_our_cards([current])):
                raise NotFoundError(f"No {model} with id {id!r}.") from exc
            if exc.after_ambiguous and _same(current, input):
                return current  # our earlier attempt landed before a failure
            raise ConflictError(f"The {model} {id!r} changed since it was read (condition failed).") from exc


_VERSIONS_ARE_POSITIONS = ("Versions can't be changed or deleted on Plexus: a version's number is its position among "
                           "its DataSource's versions, so deleting one would renumber every later version.")


# --- pure helpers --------------------------------------------------------------------------


def _instant(value: Any) -> datetime:
    """An AWSDateTime as an aware UTC datetime (``Z`` or ``+00:00``, any fraction); text that
    is not one sorts last."""
    if not isinstance(value, str):
        return _LATEST
    try:
        when = datetime.fromisoformat(value)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):
        return _LATEST


def _aws_time(when: datetime) -> str:
    """AppSync's own spelling: ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (milliseconds, truncated)."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _display_time(value: str) -> str:
    when = _instant(value)
    return value if when == _LATEST else when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _positions(versions: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """1-based positions by (createdAt instant, id): the order Plexus's dashboard shows."""
    unique = {v["id"]: v for v in versions if isinstance(v.get("id"), str)}
    ordered = sorted(unique.values(), key=lambda v: (_instant(v.get("createdAt")), v["id"]))
    return {v["id"]: n for n, v in enumerate(ordered, 1)}


def _parse_mapping(text: Any) -> Any:
    """The YAML mapping a version's text holds (a copy of its own), else None (the service then
    skips it as corrupt)."""
    if not isinstance(text, str) or len(text) > 4 * MAX_CONFIG_BYTES:
        return None
    if len(text) > _MEMO_TEXT:
        return _parse_once(text)
    value = _parse_memo(text)
    return copy.deepcopy(value) if value is not None else None


#: Texts up to this size are parsed once per process: every version listing (one per create, to
#: number it) reads every sibling's text, and PyYAML is slow (milliseconds per small text).
_MEMO_TEXT = 16 * 1024


def _parse_once(text: str) -> Any:
    try:
        value = parse_yaml(text)
    except (PlexusDatasetsError, ValueError, TypeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


_parse_memo = lru_cache(maxsize=2048)(_parse_once)


def _version_input(configuration: Any) -> dict[str, Any]:
    """A wire configuration (with its ``NOTE_KEY`` metadata) as DataSourceVersion fields."""
    if not isinstance(configuration, Mapping):
        raise ValidationError("A DatasetVersion's configuration must be a mapping.")
    config = dict(configuration)
    meta = config.pop(NOTE_KEY, None) or {}
    if not isinstance(meta, Mapping):
        raise ValidationError(f"configuration.{NOTE_KEY} must be an object (the version's note, text, parent...).")
    try:
        canonical = canonical_json(config)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"The configuration is not JSON: {exc}.") from exc
    text = meta.get("text")
    if text is None:
        text = to_yaml(config)
    elif not isinstance(text, str) or _canonical_or_none(_parse_mapping(text)) != canonical:
        raise ValidationError("The configuration's text does not parse to the configuration; nothing was written.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        raise ValidationError(f"The configuration's YAML text is over the {MAX_CONFIG_BYTES:,}-byte limit.")
    input: dict[str, Any] = {"yamlConfiguration": text, "isFeatured": meta.get("featured") is True}
    if isinstance(meta.get("note"), str) and meta["note"]:
        input["note"] = meta["note"]
    if is_id(meta.get("parent")):
        input["parentVersionId"] = meta["parent"]
    return input


def _canonical_or_none(value: Any) -> str | None:
    try:
        return canonical_json(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _build_context(raw: Mapping[str, Any], description: str) -> Any:
    """A DataSet's buildContext decoded (AWSJSON arrives as text); CorruptRecordError when it is
    not JSON."""
    value = raw.get("buildContext")
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise CorruptRecordError(f"The store holds a corrupt DataSet record (id {short(repr(raw.get('id')), 60)}): "
                                 f"buildContext is not valid JSON ({short(exc)}). It was not used.") from exc


def _json(value: Any) -> str:
    """AWSJSON text as compact as DynamoDB counts it (``item_size``): what is sent is what was measured."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _our_part(context: Any) -> dict[str, Any]:
    ours = context.get(OUR_KEY) if isinstance(context, Mapping) else None
    return dict(ours) if isinstance(ours, Mapping) else {}


def _snapshot_facts(pending: Mapping[str, Any], counts: Any) -> dict[str, Any]:
    """The snapshot part of our buildContext key for a profiled file."""
    counts = counts if isinstance(counts, Mapping) else {}
    rows = counts.get("rows")
    subject = counts.get("subject") if isinstance(counts.get("subject"), Mapping) else {}
    described = subject.get("snapshot") if isinstance(subject.get("snapshot"), Mapping) else {}
    sources = None
    if described.get("source_count") is not None or described.get("sources_digest") is not None:
        sources = {"count": described.get("source_count"), "digest": described.get("sources_digest")}
    return {"sha256": pending["sha256"], "rows": rows if isinstance(rows, int) else None, "sources": sources,
            "format": "parquet"}


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _eq(filter: Filter | None, field: str) -> str | None:
    """The operand of a top-level ``{field: {"eq": text}}`` in ``filter``."""
    operand = filter.get(field) if isinstance(filter, Mapping) else None
    value = operand.get("eq") if isinstance(operand, Mapping) else None
    return value if isinstance(value, str) else None


def _unique(raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({r.get("id"): r for r in raws}.values())


def _scoped(condition: Filter | None, account: str) -> dict[str, Any]:
    """``condition`` and "the record is this account's" (another account's reads as missing)."""
    mine = {"accountId": {"eq": account}}
    return {"and": [mine, dict(condition)]} if condition else mine


def _null_tolerant(condition: Filter | None) -> Filter | None:
    """``{f: {attributeExists: false}}`` also matching an explicit null (AppSync stores them)."""
    if not condition:
        return condition
    out: dict[str, Any] = {}
    extra: list[Any] = []
    for key, operand in condition.items():
        if key in ("and", "or"):
            out[key] = [_null_tolerant(sub) for sub in operand or []]
        elif key == "not":
            out[key] = _null_tolerant(operand)
        elif isinstance(operand, Mapping) and dict(operand) == {"attributeExists": False}:
            extra.append({"or": [{key: {"attributeExists": False}}, {key: {"attributeType": "_null"}}]})
        else:
            out[key] = operand
    if not extra:
        return out
    return {"and": [*extra, out]} if out else (extra[0] if len(extra) == 1 else {"and": extra})


def _same(existing: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    """Whether ``existing`` holds every value we sent (updatedAt and AWSJSON text aside)."""
    return all(existing.get(k) == v for k, v in sent.items() if k not in ("updatedAt", "buildContext"))

