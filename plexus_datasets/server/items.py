"""A DynamoDB-like item store for the schema-driven stand-in server, over SQLAlchemy (SQLite or PostgreSQL).

The models and their secondary indexes come from a ``Contract`` (``server/contract.py``). Items are JSON
documents in ``appsync_items(model, id, item, size)``; each secondary index is a set of rows in
``appsync_index_entries(model, index_name, pk, sk, id)``, whose primary key is the covering index every query
reads (never a scan of items). Both tables are the store's own: they may share a database with SQLBackend's.

- **Namespaces.** The ``model`` column holds ``<namespace>:<Model>`` (``plan:Score``, ``plexus:Score``): the
  two packaged contracts share model and index names, and both may be served over one database without
  seeing each other's items. The namespace is the packaged contract's name unless ``namespace`` is given.
  Rows an older version wrote without a namespace are given one once, on open (``_namespace_legacy_rows``).

What it reproduces of DynamoDB, as AppSync's generated resolvers use it (contract README §5):

- **Sparse indexes.** An item has an entry in an index only when the partition-key attribute and every
  sort-key attribute are present and non-null. Key values are stored as strings: a Boolean as
  ``"true"``/``"false"``, a number as its JSON text. A composite sort key (ScoreVersion's
  ``isFeatured`` + ``createdAt``) is stored as ``"<isFeatured>#<createdAt>"``.
- **Relation GSIs.** Besides the contract's indexes, every HAS_MANY relation ``Parent.field`` gets the
  no-sort-key GSI that Amplify creates for it, ``gsi-Parent.field`` on the target's foreign key, so hasMany
  fields are index queries too (``relation_index_name``).
- **Writes are conditional and atomic.** ``put`` is PutItem with ``attribute_not_exists(id) AND condition``
  (the condition is evaluated against the empty item, as AppSync does for create); ``update`` and ``delete``
  use ``attribute_exists(id) AND condition`` on the stored item. A false condition raises ``ConditionFailed``.
  The check and the write (item and index entries) are one database transaction: on SQLite a write begins with
  ``BEGIN IMMEDIATE`` (writers queue behind the busy timeout), on PostgreSQL the item row is read
  ``FOR UPDATE`` and a put is ``INSERT ... ON CONFLICT DO NOTHING``, so two puts of one id never both win.
- **Query.** Equality on the partition key, at most one sort-key condition (``KeyCondition``), ordered by the
  stored sort-key string and then id (both reversed when descending). Comparisons are lexicographic on that
  string, in UTF-8 byte order as DynamoDB's (PostgreSQL columns use the ``C`` collation for that).
- **Pages.** ``limit`` counts items read; a page also ends before the item that would take it past
  ``max_bytes`` (``backends.base.item_size``), never before its first item. ``next_token`` is None when
  nothing follows. Tokens are opaque: URL-safe base64 of a 16-byte HMAC-SHA256 tag and a small JSON payload
  (the query's identity: model, index, partition value, direction, sort-key condition; and the last key
  read: sort key, id). A malformed, forged or foreign token, or one passed with another key condition, raises
  ``ValidationError`` (the server's ``DynamoDB:UserIllegalArgumentException``). The HMAC key is random, made
  once per database and kept in ``appsync_markers``, so tokens survive restarts and every server over one
  database accepts the others' (``token_secret`` overrides it).

- **Markers.** ``appsync_markers(name, value)`` records what was done to the database once (``marker``,
  ``set_marker``): the stand-in's one-time copy of the SQL backend's tables (``server/migration.py``), the
  page-token key, the one-time namespacing of older rows.

``ItemSource`` is the interface the generated resolvers use; ``ItemStore`` implements it, and so does
``BackendItems`` (``server/backend_items.py``), which presents a ``Backend`` as items.

Items are stored as given, None values included (DynamoDB's NULL: the attribute exists; the resolvers drop
the nulls AppSync strips); field validation and size limits are the resolver layer's job (``update`` takes a
``check`` the resolver passes, run on the new item inside the write transaction).
Unknown models or indexes, a missing id and a bad key condition are ``ValidationError``; database failures
are ``BackendError``/``BackendUnavailableError``, naming the database without its password.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ..backends.base import Page, item_size
from ..backends.engines import SQLALCHEMY_2, SQLConnections
from ..backends.filters import matches
from ..errors import ConflictError, ValidationError
from .contract import CONTRACT_FILES, Contract, Index, load_contract

__all__ = ["ConditionFailed", "ItemSource", "ItemStore", "KeyCondition", "Page", "relation_index_name",
           "secondary_indexes"]

#: A sort-key condition: ``("eq"|"lt"|"le"|"gt"|"ge"|"beginsWith", value)`` or ``("between", [low, high])``.
KeyCondition = tuple[str, Any]

_COMPARISONS = {"eq": "__eq__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}
_TAG_BYTES = 16
_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit
_PARTITIONS_PER_QUERY = 100  # UNION ALL members per query_many statement (SQLite allows 500)
_LOCK_KEY = 74152  # PostgreSQL advisory lock serializing table creation (SQLBackend's migrations use 74151)
_SECRET_MARKER = "nexttoken-secret"
_NAMESPACED_MARKER = "items-namespaced"  # the one-time namespacing of rows written without one


class ConditionFailed(ConflictError):
    """A write's condition was false: DynamoDB's ConditionalCheckFailedException. That includes a put of an
    id that exists and an update or delete of an id that does not."""


def _key_type(length: int | None = None) -> sa.types.TypeEngine:
    """Text compared in UTF-8 byte order, as DynamoDB compares string keys (SQLite's BINARY does already)."""
    base = sa.Text() if length is None else sa.String(length)
    collated = sa.Text(collation="C") if length is None else sa.String(length, collation="C")
    return base.with_variant(collated, "postgresql")


_metadata = sa.MetaData()
ITEMS = sa.Table(
    "appsync_items", _metadata,
    sa.Column("model", sa.String(100), primary_key=True),
    sa.Column("id", _key_type(255), primary_key=True),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
)
ENTRIES = sa.Table(
    "appsync_index_entries", _metadata,
    sa.Column("model", sa.String(100), primary_key=True),
    sa.Column("index_name", sa.String(255), primary_key=True),
    sa.Column("pk", _key_type(), primary_key=True),
    sa.Column("sk", _key_type(), primary_key=True),  # "" for an index without a sort key
    sa.Column("id", _key_type(255), primary_key=True),
    sa.Index("ix_appsync_index_entries_item", "model", "id"),  # to replace an item's entries
)
MARKERS = sa.Table(
    "appsync_markers", _metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON
)


class ItemSource(Protocol):
    """What the generated resolvers (``contract_schema``) and the request's loaders (``batching``) ask of a
    store: ``ItemStore``'s verbs, with its semantics (the module docstring). ``index`` names one of
    ``secondary_indexes(contract)[model]``; a write whose condition is false raises ``ConditionFailed``; a bad
    token, model or index raises ``ValidationError``."""

    contract: Contract
    #: Whether a None in an item is a stored null (``filters.matches``'s ``stored_nulls``).
    stores_nulls: bool

    def get(self, model: str, id: str) -> dict | None: ...

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, dict]: ...

    def query(self, model: str, index: str, pk: str, *, sk: KeyCondition | None = None, descending: bool = False,
              limit: int = 100, next_token: str | None = None, max_bytes: int | None = None) -> Page: ...

    def query_many(self, model: str, index: str, pks: Sequence[str], *, limit: int = 100,
                   max_bytes: int | None = None) -> dict[str, Page]: ...

    def scan(self, model: str, *, limit: int = 100, next_token: str | None = None,
             max_bytes: int | None = None) -> Page: ...

    def put(self, model: str, item: Mapping[str, Any], condition: Mapping[str, Any] | None = None) -> dict: ...

    def update(self, model: str, id: str, set: Mapping[str, Any], remove: Iterable[str] = (),
               condition: Mapping[str, Any] | None = None,
               check: Callable[[dict], None] | None = None) -> dict: ...

    def delete(self, model: str, id: str, condition: Mapping[str, Any] | None = None) -> dict: ...


def relation_index_name(parent: str, field: str) -> str:
    """The GSI Amplify creates for the HAS_MANY relation ``parent.field``, e.g. ``gsi-DataSource.versions``."""
    return f"gsi-{parent}.{field}"


class ItemStore(SQLConnections):
    """Items of ``contract``'s models in the database at ``url`` (a SQLAlchemy URL or a SQLite file path).

    Thread-safe; several processes may share one database. See the module docstring for the semantics."""

    stores_nulls = True

    def __init__(self, url: str, contract: Contract, *, token_secret: bytes | None = None,
                 namespace: str | None = None) -> None:
        self.contract = contract
        self.namespace = namespace or _packaged_name(contract)
        self._indexes = secondary_indexes(contract)
        self._open(url)
        with self._connection(write=True) as conn:
            if self._is_postgres:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            _metadata.create_all(conn, checkfirst=True)
            _namespace_legacy_rows(conn, self._insert(MARKERS))
            self._build_entries_once(conn)
            self._secret = token_secret if token_secret is not None else self._shared_secret(conn)

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self._is_postgres else sqlite.insert)(table)

    def _shared_secret(self, conn: Connection) -> bytes:
        """The database's page-token key: made once (by whichever store opens it first), read after."""
        made = json.dumps({"key": secrets.token_hex(32)})
        conn.execute(self._insert(MARKERS).values(name=_SECRET_MARKER, value=made).on_conflict_do_nothing())
        value = conn.execute(sa.select(MARKERS.c.value).where(MARKERS.c.name == _SECRET_MARKER)).scalar_one()
        return bytes.fromhex(json.loads(value)["key"])

    def _build_entries_once(self, conn: Connection) -> None:
        """Index entries of this namespace's items rebuilt from the items, once per namespace and database:
        rows namespaced by ``_namespace_legacy_rows`` lost theirs (an older version shared them between
        schemas)."""
        marker = f"index-entries-built:{self.namespace}"
        if not _inserted(conn, self._insert(MARKERS).values(name=marker, value="{}")):
            return
        for model in self._indexes:
            stored = self._stored(model)
            conn.execute(ENTRIES.delete().where(ENTRIES.c.model == stored))
            for row in conn.execute(sa.select(ITEMS.c.id, ITEMS.c.item).where(ITEMS.c.model == stored)).all():
                self._write_entries(conn, model, row.id, json.loads(row.item))

    def _stored(self, model: str) -> str:
        """The ``model`` column's value for this store's ``model``."""
        return f"{self.namespace}:{model}"

    # --- engine and transactions -------------------------------------------------------------

    @property
    def _is_postgres(self) -> bool:
        return self._url.get_backend_name() == "postgresql"

    # --- reads ---------------------------------------------------------------------------------

    def get(self, model: str, id: str) -> dict | None:
        """The item, or None."""
        self._check_model(model)
        with self._connection(write=False) as conn:
            return self._read(conn, model, id)

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, dict]:
        """The items that exist among ``ids``, by id (one query per 500 ids)."""
        self._check_model(model)
        with self._connection(write=False) as conn:
            return self._bodies(conn, model, list(dict.fromkeys(ids)))

    def count(self, model: str) -> int:
        self._check_model(model)
        with self._connection(write=False) as conn:
            query = sa.select(sa.func.count()).select_from(ITEMS).where(ITEMS.c.model == self._stored(model))
            return int(conn.execute(query).scalar_one())

    def query(self, model: str, index: str, pk: str, *, sk: KeyCondition | None = None, descending: bool = False,
              limit: int = 100, next_token: str | None = None, max_bytes: int | None = None) -> Page:
        """One page of the items whose index ``index`` has partition value ``pk`` (and whose sort key meets
        ``sk``), in sort-key then id order."""
        key = self._index(model, index)
        _check_limit(limit)
        pk = _key_string(pk)
        identity = ["query", model, index, pk, bool(descending), None if sk is None else [sk[0], sk[1]]]
        after = None if next_token is None else self._decode(next_token, identity)
        query = _partition_keys(self._stored(model), index, pk, _sk_clauses(key, sk), after, descending, limit)
        with self._connection(write=False) as conn:
            rows = conn.execute(query).all()
            return self._page(conn, model, rows, limit, max_bytes, identity)

    def query_many(self, model: str, index: str, pks: Sequence[str], *, limit: int = 100,
                   max_bytes: int | None = None) -> dict[str, Page]:
        """The first page of ``query`` (ascending, no sort-key condition) for each of ``pks``, by pk: two
        statements per 100 partitions (the keys of every partition's page in one UNION ALL, then the items)."""
        self._index(model, index)
        _check_limit(limit)
        partitions = list(dict.fromkeys(_key_string(pk) for pk in pks))
        pages: dict[str, Page] = {}
        with self._connection(write=False) as conn:
            for start in range(0, len(partitions), _PARTITIONS_PER_QUERY):
                chunk = partitions[start:start + _PARTITIONS_PER_QUERY]
                members = [_partition_keys(self._stored(model), index, pk, [], None, False, limit).subquery().select()
                           for pk in chunk]
                rows = conn.execute(sa.union_all(*members) if len(members) > 1 else members[0]).all()
                by_pk: dict[str, list[Any]] = {pk: [] for pk in chunk}
                for row in sorted(rows, key=lambda row: (row.sk, row.id)):  # UNION ALL promises no order
                    by_pk[row.pk].append(row)
                cuts = {pk: _cut(found, limit, max_bytes) for pk, found in by_pk.items()}
                bodies = self._bodies(conn, model, [row.id for taken, _ in cuts.values() for row in taken])
                for pk, (taken, more) in cuts.items():
                    pages[pk] = self._assemble(bodies, taken, more, ["query", model, index, pk, False, None])
        return pages

    def scan(self, model: str, *, limit: int = 100, next_token: str | None = None,
             max_bytes: int | None = None) -> Page:
        """One page of all the model's items, in id order."""
        self._check_model(model)
        _check_limit(limit)
        identity = ["scan", model]
        after = None if next_token is None else self._decode(next_token, identity)
        query = (sa.select(sa.literal("").label("sk"), ITEMS.c.id, ITEMS.c.size)
                 .where(ITEMS.c.model == self._stored(model)).order_by(ITEMS.c.id).limit(limit + 1))
        if after is not None:
            query = query.where(ITEMS.c.id > after[1])
        with self._connection(write=False) as conn:
            rows = conn.execute(query).all()
            return self._page(conn, model, rows, limit, max_bytes, identity)

    def _read(self, conn: Connection, model: str, id: str, *, lock: bool = False) -> dict | None:
        query = sa.select(ITEMS.c.item).where(ITEMS.c.model == self._stored(model), ITEMS.c.id == id)
        if lock:  # PostgreSQL: hold the row until commit (SQLite's BEGIN IMMEDIATE already serializes writers)
            query = query.with_for_update()
        body = conn.execute(query).scalar()
        return None if body is None else json.loads(body)

    def _bodies(self, conn: Connection, model: str, ids: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for start in range(0, len(ids), _CHUNK):
            query = sa.select(ITEMS.c.id, ITEMS.c.item).where(
                ITEMS.c.model == self._stored(model), ITEMS.c.id.in_(ids[start:start + _CHUNK]))
            found.update((row.id, json.loads(row.item)) for row in conn.execute(query))
        return found

    def _page(self, conn: Connection, model: str, rows: list[Any], limit: int, max_bytes: int | None,
              identity: list[Any]) -> Page:
        """Keys and sizes first, then the items of the page only: a page never reads bodies it won't return."""
        taken, more = _cut(rows, limit, max_bytes)
        bodies = self._bodies(conn, model, [row.id for row in taken])
        return self._assemble(bodies, taken, more, identity)

    def _assemble(self, bodies: dict[str, dict], taken: list[Any], more: bool, identity: list[Any]) -> Page:
        # An item deleted between the two statements (PostgreSQL reads each at its own snapshot) is skipped.
        items = [bodies[row.id] for row in taken if row.id in bodies]
        token = self._encode(identity, (taken[-1].sk, taken[-1].id)) if more else None
        return Page(items, token)

    # --- writes --------------------------------------------------------------------------------

    def put(self, model: str, item: Mapping[str, Any], condition: Mapping[str, Any] | None = None) -> dict:
        """Create ``item`` (None values stored as nulls) unless its id exists or ``condition`` is false on the
        empty item; raises ``ConditionFailed`` then. Returns the stored item."""
        self._check_model(model)
        stored = dict(item)
        id = stored.get("id")
        if not isinstance(id, str) or not id:
            raise ValidationError(f"A {model} item needs a non-empty string id.")
        if not matches({}, condition, stored_nulls=True):
            raise ConditionFailed(f"The conditional request failed: the condition is false for a new {model}.")
        body = _dumps(model, stored)
        insert = self._insert(ITEMS)
        with self._connection(write=True) as conn:
            values = {"model": self._stored(model), "id": id, "item": body, "size": item_size(stored)}
            if not _inserted(conn, insert.values(**values)):
                raise ConditionFailed(f"The conditional request failed: a {model} with id {id!r} exists.")
            self._write_entries(conn, model, id, stored)
        return json.loads(body)

    def update(self, model: str, id: str, set: Mapping[str, Any], remove: Iterable[str] = (),
               condition: Mapping[str, Any] | None = None, check: Callable[[dict], None] | None = None) -> dict:
        """Set the attributes in ``set`` (None values remove) and remove those in ``remove`` if the item exists
        and ``condition`` holds on it; raises ``ConditionFailed`` otherwise. ``id`` itself never changes.
        ``check`` (e.g. the 400 KB limit) sees the new item before it is written, in the same transaction;
        what it raises propagates and nothing is written. Returns the new item."""
        self._check_model(model)
        with self._connection(write=True) as conn:
            item = {**self._checked(conn, model, id, condition), **set}
            for name in [*remove, *(name for name, value in set.items() if value is None)]:
                item.pop(name, None)
            item["id"] = id
            if check is not None:
                check(item)
            body = _dumps(model, item)
            stored = self._stored(model)
            conn.execute(ITEMS.update().where(ITEMS.c.model == stored, ITEMS.c.id == id)
                         .values(item=body, size=item_size(item)))
            conn.execute(ENTRIES.delete().where(ENTRIES.c.model == stored, ENTRIES.c.id == id))
            self._write_entries(conn, model, id, item)
        return json.loads(body)

    def delete(self, model: str, id: str, condition: Mapping[str, Any] | None = None) -> dict:
        """Delete the item if it exists and ``condition`` holds on it (else ``ConditionFailed``); returns it."""
        self._check_model(model)
        with self._connection(write=True) as conn:
            old = self._checked(conn, model, id, condition)
            stored = self._stored(model)
            conn.execute(ENTRIES.delete().where(ENTRIES.c.model == stored, ENTRIES.c.id == id))
            conn.execute(ITEMS.delete().where(ITEMS.c.model == stored, ITEMS.c.id == id))
        return old

    def _checked(self, conn: Connection, model: str, id: str, condition: Mapping[str, Any] | None) -> dict:
        """The stored item, locked for this transaction, if it exists and meets ``condition``."""
        current = self._read(conn, model, id, lock=True)
        if current is None:
            raise ConditionFailed(f"The conditional request failed: no {model} with id {id!r}.")
        if not matches(current, condition, stored_nulls=True):
            raise ConditionFailed(f"The conditional request failed: the condition is false for {model} {id!r}.")
        return current

    def _write_entries(self, conn: Connection, model: str, id: str, item: Mapping[str, Any]) -> None:
        rows = [{"model": self._stored(model), "index_name": name, "pk": pk, "sk": sk, "id": id}
                for name, pk, sk in self.index_keys(model, item)]
        if rows:
            conn.execute(ENTRIES.insert(), rows)

    # --- markers -------------------------------------------------------------------------------

    def marker(self, name: str) -> dict | None:
        """The value recorded under ``name``, or None."""
        with self._connection(write=False) as conn:
            value = conn.execute(sa.select(MARKERS.c.value).where(MARKERS.c.name == name)).scalar()
        return None if value is None else json.loads(value)

    def set_marker(self, name: str, value: Mapping[str, Any], *, only_new: bool = False) -> bool:
        """Record ``value`` (JSON) under ``name``; with ``only_new``, only if nothing is recorded there yet.
        Returns whether it was written. Inside ``transaction()`` a new marker also serializes: a second
        transaction claiming the same name waits for the first, then finds it taken."""
        body = json.dumps(dict(value), ensure_ascii=False)
        insert = self._insert(MARKERS).values(name=name, value=body)
        with self._connection(write=True) as conn:
            if only_new:
                return _inserted(conn, insert)
            conn.execute(insert.on_conflict_do_update(index_elements=[MARKERS.c.name], set_={"value": body}))
            return True

    def has_table(self, name: str) -> bool:
        """Whether the database has a table called ``name`` (another store's, e.g. SQLBackend's), in the
        schema this store's tables are in."""
        with self._connection(write=False) as conn:
            return sa.inspect(conn).has_table(name)

    # --- the model's keys --------------------------------------------------------------------

    def indexes(self, model: str) -> Mapping[str, Index]:
        """The model's secondary indexes by name: the contract's, then the relation GSIs."""
        self._check_model(model)
        return self._indexes[model]

    def index_keys(self, model: str, item: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """``(index name, partition value, sort value)`` of each index ``item`` belongs to (sparse: every key
        attribute present and non-null; the sort value is ``""`` without sort keys)."""
        keys = []
        for name, index in self.indexes(model).items():
            values = [item.get(field) for field in index.fields]
            if all(value is not None for value in values):
                pk, *sort = (_key_string(value) for value in values)
                keys.append((name, pk, "#".join(sort)))
        return keys

    def _check_model(self, model: str) -> None:
        if model not in self._indexes:
            raise ValidationError(f"Unknown model {model!r}; expected one of {', '.join(self._indexes)}.")

    def _index(self, model: str, index: str) -> Index:
        found = self.indexes(model).get(index)
        if found is None:
            raise ValidationError(f"{model} has no index {index!r}.")
        return found

    # --- page tokens ---------------------------------------------------------------------------

    def _encode(self, identity: list[Any], last: tuple[str, str]) -> str:
        body = json.dumps({"q": identity, "after": list(last)}, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(self._tag(body) + body).decode().rstrip("=")

    def _decode(self, token: str, identity: list[Any]) -> tuple[str, str]:
        """The last key ``(sk, id)`` a token of this query carries; ValidationError for any other token."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            tag, body = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
            data = json.loads(body) if hmac.compare_digest(tag, self._tag(body)) else None
        except (binascii.Error, ValueError, TypeError):
            data = None
        if not isinstance(data, dict):
            raise ValidationError("Invalid nextToken: pass back exactly the token a previous page returned.")
        if data.get("q") != identity:
            raise ValidationError("Invalid nextToken: it continues another query.")
        sk, id = data["after"]
        return sk, id

    def _tag(self, body: bytes) -> bytes:
        return hmac.new(self._secret, body, hashlib.sha256).digest()[:_TAG_BYTES]


def _packaged_name(contract: Contract) -> str:
    """The name ``contract`` was loaded under (``load_contract``); ValueError for another contract."""
    for name in CONTRACT_FILES:
        if load_contract(name) is contract:
            return name
    raise ValueError("an ItemStore of a contract that is not a packaged one needs a namespace=")


# Frozen with the step below (models and attributes as they were when it was written): what tells whose
# an item written before namespaces was.
_LEGACY_PLAN_ONLY = frozenset({"Dataset", "DatasetVersion", "DatasetProfile"})
_LEGACY_PLEXUS_ONLY = frozenset({"Account", "ScoreVersion", "DataSource", "DataSourceVersion", "DataSet"})
_LEGACY_PLEXUS_ATTRIBUTES = {
    "Scorecard": frozenset({"guidelines"}),
    "Score": frozenset({"accuracy", "aiModel", "aiProvider", "championVersionId", "isDisabled", "scorecardId",
                        "targetAgreement", "version"}),
}


def _namespace_legacy_rows(conn: Connection, insert_marker: Any) -> None:
    """Once per database: give a namespace to the item rows written before namespaces (a bare ``model``) and
    drop their index entries (each store rebuilds its own, ``ItemStore._build_entries_once``).

    A model only one schema has is that schema's. Scorecard and Score items with an attribute only Plexus's
    models have are Plexus's; a ScorecardSection follows its Scorecard. Any other shared item is the plan's
    when the plan schema was served here (its copy of the SQL tables left the ``sql-tables-copied`` marker),
    else Plexus's."""
    if not _inserted(conn, insert_marker.values(name=_NAMESPACED_MARKER, value="{}")):
        return
    rows = conn.execute(sa.select(ITEMS.c.model, ITEMS.c.id, ITEMS.c.item)
                        .where(ITEMS.c.model.not_like("%:%"))).all()
    if not rows:
        return
    plan_served = conn.execute(sa.select(MARKERS.c.name).where(MARKERS.c.name == "sql-tables-copied")).first()
    default = "plan" if plan_served is not None else "plexus"
    owners: dict[tuple[str, str], str] = {}
    for row in rows:
        item = json.loads(row.item)
        if row.model in _LEGACY_PLAN_ONLY:
            owners[row.model, row.id] = "plan"
        elif row.model in _LEGACY_PLEXUS_ONLY or set(item) & _LEGACY_PLEXUS_ATTRIBUTES.get(row.model, set()):
            owners[row.model, row.id] = "plexus"
    for row in rows:
        if (row.model, row.id) not in owners:
            scorecard = json.loads(row.item).get("scorecardId") if row.model == "ScorecardSection" else None
            owners[row.model, row.id] = owners.get(("Scorecard", scorecard), default)
    for (model, id), owner in owners.items():
        conn.execute(ITEMS.update().where(ITEMS.c.model == model, ITEMS.c.id == id).values(model=f"{owner}:{model}"))
    conn.execute(ENTRIES.delete().where(ENTRIES.c.model.not_like("%:%")))


def _inserted(conn: Connection, insert: Any) -> bool:
    """Run ``INSERT ... ON CONFLICT DO NOTHING``; whether the row went in. SQLAlchemy 1.4 (Plexus 1.50 pins
    1.4.15) can't compile RETURNING for SQLite, its one database there: the row count says it instead (psycopg
    3 under SQLAlchemy 2 reports no row count for an INSERT)."""
    insert = insert.on_conflict_do_nothing()
    if not SQLALCHEMY_2:
        return conn.execute(insert).rowcount == 1
    return conn.execute(insert.returning(sa.literal_column("1"))).first() is not None


def secondary_indexes(contract: Contract) -> dict[str, dict[str, Index]]:
    """Each model's secondary indexes by name: the contract's, plus a relation GSI (``relation_index_name``,
    no sort key) per HAS_MANY relation that targets the model."""
    indexes = {name: {index.name: index for index in model.indexes if index.name} for name, model in
               contract.models.items()}
    for parent, model in contract.models.items():
        for field, relation in model.relations.items():
            if relation.kind == "HAS_MANY" and len(relation.associated_with) == 1:
                name = relation_index_name(parent, field)
                indexes[relation.target].setdefault(name, Index(name, None, relation.associated_with[0]))
    return indexes


def _key_string(value: Any) -> str:
    """A key attribute as the string stored in the index (Booleans as DynamoDB/AppSync spell them)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _dumps(model: str, item: Mapping[str, Any]) -> str:
    try:
        return json.dumps(item, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"A {model} item is not JSON: {exc}.") from exc


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValidationError(f"limit must be at least 1, got {limit}.")


def _sk_clauses(index: Index, sk: KeyCondition | None) -> list[sa.ColumnElement[bool]]:
    """SQL for one sort-key condition, comparing stored strings as DynamoDB does."""
    if sk is None:
        return []
    if not index.sort_keys:
        raise ValidationError(f"Index {index.name!r} has no sort key to put a condition on.")
    column = ENTRIES.c.sk
    op, value = sk
    if op in _COMPARISONS:
        return [getattr(column, _COMPARISONS[op])(_text(_key_string(value)))]
    if op == "beginsWith":
        prefix = _key_string(value)
        upper = _successor(prefix)
        return [column >= _text(prefix)] if upper is None else [column >= _text(prefix), column < _text(upper)]
    if op == "between":
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
            raise ValidationError("A between sort-key condition needs two values.")
        low, high = (_key_string(v) for v in value)
        if low > high:
            raise ValidationError("Invalid KeyConditionExpression: BETWEEN needs its lower bound first.")
        return [column.between(_text(low), _text(high))]
    raise ValidationError(f"Unknown sort-key operator {op!r}.")


def _text(value: str) -> sa.BindParameter[str]:
    # A plain-typed parameter: the column's collation decides the comparison, and PostgreSQL's grammar
    # refuses a COLLATE clause on a BETWEEN bound.
    return sa.bindparam(None, value, type_=sa.Text())


def _successor(prefix: str) -> str | None:
    """The least string above every string that begins with ``prefix`` (None if there is none): the prefix
    with its last character incremented, after dropping trailing U+10FFFF."""
    stripped = prefix.rstrip("\U0010ffff")
    if not stripped:
        return None
    following = ord(stripped[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates can't be stored: the next storable character
        following = 0xE000
    return stripped[:-1] + chr(following)


def _partition_keys(model: str, index: str, pk: str, conditions: list[sa.ColumnElement[bool]],
                    after: tuple[str, str] | None, descending: bool, limit: int) -> sa.Select:
    """``(pk, sk, id, size)`` of the first ``limit + 1`` entries of a partition after ``after``: an index range
    read, then the items' primary key for the sizes."""
    e = ENTRIES.c
    query = (sa.select(e.pk, e.sk, e.id, ITEMS.c.size)
             .join_from(ENTRIES, ITEMS, sa.and_(ITEMS.c.model == e.model, ITEMS.c.id == e.id))
             .where(e.model == model, e.index_name == index, e.pk == pk, *conditions))
    if after is not None:
        position = sa.tuple_(e.sk, e.id)
        query = query.where(position < sa.tuple_(*after) if descending else position > sa.tuple_(*after))
    order = (e.sk.desc(), e.id.desc()) if descending else (e.sk, e.id)
    return query.order_by(*order).limit(limit + 1)


def _cut(rows: list[Any], limit: int, max_bytes: int | None) -> tuple[list[Any], bool]:
    """The rows of one page, and whether more follow: at most ``limit``, and no row that would take the page
    past ``max_bytes`` (though always the first)."""
    taken: list[Any] = []
    total = 0
    for row in rows:
        if len(taken) == limit or (taken and max_bytes is not None and total + row.size > max_bytes):
            return taken, True
        taken.append(row)
        total += row.size
    return taken, False
