"""SQLBackend: the Backend contract on SQLAlchemy Core (SQLite and PostgreSQL).

SQLite is the embedded default: WAL journal, a generous busy timeout, and
``BEGIN IMMEDIATE`` for write transactions so concurrent writers queue instead
of deadlocking. PostgreSQL is accepted with any SQLAlchemy URL
(``postgresql+psycopg://user@127.0.0.1:5432/db``).

The schema is versioned: ``_migrations.MIGRATIONS`` is an append-only list of
frozen steps, applied in order under a lock, and the applied version is kept in
``plexus_datasets_schema``.
A database written by a newer release raises SchemaVersionError instead of
being touched.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

from ..errors import (
    BackendError,
    BackendUnavailableError,
    ConflictError,
    NotFoundError,
    SchemaVersionError,
    ValidationError,
)
from ._migrations import MIGRATIONS
from .base import STAMP_FIELDS, Backend, Filter, Page, Record, Summary, assemble_summaries
from .engines import SQLConnections, describe_database, sqlalchemy_url
from .filters import matches, validate_filter
from .specs import MODEL_SPECS, ModelSpec

__all__ = ["SCHEMA_VERSION", "SQLBackend", "describe_database", "sqlalchemy_url"]

_COLUMN_TYPES: dict[str, Any] = {
    "string": sa.Text, "int": sa.Integer, "datetime": sa.String(40), "strings": sa.Text, "json": sa.Text,
}


def _table(spec: ModelSpec, metadata: sa.MetaData) -> sa.Table:
    """Today's table of a model, for queries: derived from its spec (the migrations
    in ``_migrations`` create it; a test checks the two agree)."""
    columns = [
        sa.Column(field, sa.String(255) if field == "id" else _COLUMN_TYPES[kind], primary_key=field == "id",
                  nullable=field != "id" and field not in spec.required | {"createdAt", "updatedAt"})
        for field, kind in spec.fields.items()
    ]
    return sa.Table(spec.table, metadata, *columns)


metadata = sa.MetaData()
#: Today's tables, one per model, columns named as on the wire so records map 1:1.
TABLES: dict[str, sa.Table] = {name: _table(spec, metadata) for name, spec in MODEL_SPECS.items()}
SCHEMA_TABLE = sa.Table("plexus_datasets_schema", metadata, sa.Column("version", sa.Integer, nullable=False))
SCHEMA_VERSION = len(MIGRATIONS)

_JSON_KINDS = {"json", "strings"}


class SQLBackend(SQLConnections, Backend):
    """Records in SQL tables. ``url`` is a SQLAlchemy URL or a SQLite file path."""

    atomic_transactions = True
    folder_hint = " Set PLEXUS_DATASETS_DB to a writable path."

    def __init__(self, url: str = "sqlite:///:memory:", *, echo: bool = False) -> None:
        self._open(url, echo=echo)
        self._migrate()

    # --- engine and transactions -------------------------------------------------

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        """SQLAlchemy/driver errors become our tree, with the driver's first line as the reason."""
        try:
            yield
        except sa_exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            where = f"The database {self.description}"
            if isinstance(exc, sa_exc.OperationalError):
                raise BackendUnavailableError(
                    f"{where} is unavailable ({reason}). Check that it exists, is writable and is not "
                    "locked by another program, then retry."
                ) from exc
            if isinstance(exc, sa_exc.DatabaseError):
                raise BackendError(
                    f"{where} can't be used ({reason}). If it is not a plexus-datasets store, point "
                    "PLEXUS_DATASETS_DB (or --db) at another file."
                ) from exc
            raise BackendError(f"{where} failed: {reason}") from exc

    def _migrate(self) -> None:
        with self._connection(write=True) as conn:
            if self._url.get_backend_name() == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(74151)"))
            SCHEMA_TABLE.create(conn, checkfirst=True)
            found = conn.execute(sa.select(SCHEMA_TABLE.c.version)).scalar()
            applied = found or 0
            if applied > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"The database {self.description} has schema version {applied}, newer than this "
                    f"plexus-datasets understands ({SCHEMA_VERSION}). Upgrade plexus-datasets."
                )
            for migration in MIGRATIONS[applied:]:
                migration(conn)
            if found is None:
                conn.execute(SCHEMA_TABLE.insert().values(version=SCHEMA_VERSION))
            elif applied != SCHEMA_VERSION:
                conn.execute(SCHEMA_TABLE.update().values(version=SCHEMA_VERSION))

    def schema_version(self) -> int:
        with self._connection(write=False) as conn:
            return int(conn.execute(sa.select(SCHEMA_TABLE.c.version)).scalar_one())


    # --- records -----------------------------------------------------------------------

    def _spec(self, model: str) -> tuple[ModelSpec, sa.Table]:
        try:
            return MODEL_SPECS[model], TABLES[model]
        except KeyError:
            raise ValidationError(f"Unknown model {model!r}; expected one of {', '.join(TABLES)}.") from None

    def _to_row(self, spec: ModelSpec, table: sa.Table, record: Mapping[str, Any]) -> dict[str, Any]:
        row = {}
        for key, value in record.items():
            if key not in table.c:
                raise ValidationError(f"{spec.name} has no field {key!r}.")
            if spec.fields.get(key) in _JSON_KINDS and value is not None:
                try:
                    value = json.dumps(value, ensure_ascii=False, allow_nan=False)
                except (TypeError, ValueError) as exc:  # NaN/inf, sets, objects: AWSJSON can't hold them
                    raise ValidationError(f"{spec.name}.{key} is not JSON: {exc}.") from exc
            row[key] = value
        return row

    def _to_record(self, spec: ModelSpec, row: Any) -> Record:
        record = dict(row._mapping)
        for key, kind in spec.fields.items():
            if kind in _JSON_KINDS and record.get(key) is not None:
                record[key] = json.loads(record[key])
        return record

    def create(self, model: str, record: Mapping[str, Any]) -> Record:
        spec, table = self._spec(model)
        row = self._to_row(spec, table, record)
        with self._connection(write=True) as conn:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert().values(**row))
            except sa_exc.IntegrityError as exc:
                raise ConflictError(
                    f"A {spec.name} with id {record.get('id')!r} (or the same unique key) already exists."
                ) from exc
            return self._fetch(conn, spec, table, row["id"])  # type: ignore[return-value]

    def _fetch(self, conn: Connection, spec: ModelSpec, table: sa.Table, id: str, lock: bool = False) -> Record | None:
        query = sa.select(table).where(table.c.id == id)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).first()
        return None if row is None else self._to_record(spec, row)

    def get(self, model: str, id: str) -> Record | None:
        spec, table = self._spec(model)
        with self._connection(write=False) as conn:
            return self._fetch(conn, spec, table, id)

    def _checked(self, conn: Connection, spec: ModelSpec, table: sa.Table, id: str, condition: Filter | None) -> Record:
        validate_filter(condition, spec.fields)
        current = self._fetch(conn, spec, table, id, lock=True)
        if current is None:
            raise NotFoundError(f"No {spec.name} with id {id!r}.")
        if not matches(current, condition):
            raise ConflictError(f"The {spec.name} {id!r} changed since it was read (condition failed).")
        return current

    def update(self, model: str, id: str, changes: Mapping[str, Any], condition: Filter | None = None) -> Record:
        spec, table = self._spec(model)
        changes = {k: v for k, v in changes.items() if k != "id"}
        missing = [k for k in spec.required | {"createdAt", "updatedAt"} if k in changes and changes[k] is None]
        if missing:
            raise ValidationError(f"{spec.name} field(s) {', '.join(sorted(missing))} can't be removed.")
        row = self._to_row(spec, table, changes)
        with self._connection(write=True) as conn:
            self._checked(conn, spec, table, id, condition)
            if row:
                conn.execute(table.update().where(table.c.id == id).values(**row))
            return self._fetch(conn, spec, table, id)  # type: ignore[return-value]

    def delete(self, model: str, id: str, condition: Filter | None = None) -> Record:
        spec, table = self._spec(model)
        with self._connection(write=True) as conn:
            current = self._checked(conn, spec, table, id, condition)
            conn.execute(table.delete().where(table.c.id == id))
            return current

    def _select(self, spec: ModelSpec, table: sa.Table, index: tuple[str, str] | None) -> sa.Select:
        query = sa.select(table)
        if index is not None:
            field, value = index
            if field not in spec.indexes:
                raise ValidationError(f"{spec.name} has no index on {field!r}; indexes: {', '.join(spec.indexes)}.")
            query = query.where(table.c[field] == value)
        return query.order_by(table.c.id)

    def list(self, model: str, *, index: tuple[str, str] | None = None, filter: Filter | None = None) -> list[Record]:
        spec, table = self._spec(model)
        validate_filter(filter, spec.fields)
        query = self._select(spec, table, index)
        # Top-level equality on plain columns narrows the rows in SQL; `matches` below
        # still applies the whole filter, so semantics stay AppSync's.
        for field, condition in (filter or {}).items():
            if (field in table.c and spec.fields.get(field) in ("string", "int") and isinstance(condition, Mapping)
                    and condition.get("eq") is not None):
                query = query.where(table.c[field] == condition["eq"])
        with self._connection(write=False) as conn:
            rows = conn.execute(query).all()
        records = (self._to_record(spec, row) for row in rows)
        return [r for r in records if matches(r, filter)]

    def summaries(self, index: tuple[str, str] | None = None) -> list[Summary]:
        """Three queries whatever the number of datasets; profiles are read as stamps
        (no JSON): the service fetches the ones it shows with ``get_many``."""
        spec, datasets_t = self._spec("Dataset")
        versions_t, profiles_t = TABLES["DatasetVersion"], TABLES["DatasetProfile"]
        chosen = self._select(spec, datasets_t, index)
        ids = chosen.with_only_columns(datasets_t.c.id).order_by(None).scalar_subquery()
        with self._connection(write=False) as conn:
            datasets = [self._to_record(spec, r) for r in conn.execute(chosen)]
            numbers = conn.execute(
                sa.select(versions_t.c.id, versions_t.c.datasetId, versions_t.c.versionNumber)
                .where(versions_t.c.datasetId.in_(ids))
            ).all()
            stamps = conn.execute(
                sa.select(*(profiles_t.c[name] for name in STAMP_FIELDS)).where(profiles_t.c.datasetId.in_(ids))
            ).all()
            current_ids = [d["currentVersionId"] for d in datasets if d.get("currentVersionId")]
            current = self._by_ids(conn, "DatasetVersion", current_ids)
        return assemble_summaries(
            datasets, [dict(r._mapping) for r in numbers], [dict(r._mapping) for r in stamps], current
        )

    def _by_ids(self, conn: Connection, model: str, ids: list[str]) -> dict[str, Record]:
        spec, table = self._spec(model)
        found: dict[str, Record] = {}
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            rows = conn.execute(sa.select(table).where(table.c.id.in_(ids[start:start + 500])))
            found.update((r.id, self._to_record(spec, r)) for r in rows)
        return found

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, Record]:
        with self._connection(write=False) as conn:
            return self._by_ids(conn, model, list(dict.fromkeys(ids)))

    def page_many(
        self,
        model: str,
        field: str | None,
        values: Sequence[str],
        *,
        limit: int = 100,
        next_token: str | None = None,
        max_bytes: int | None = None,
    ) -> dict[str | None, Page]:
        """One query per 500 values: a window numbers each value's rows by id, the
        database sums their sizes (characters of each column, about its UTF-8 bytes),
        and only rows that start within ``max_bytes`` are read whole."""
        spec, table = self._spec(model)
        if limit < 1:
            raise ValidationError(f"limit must be at least 1, got {limit}.")
        if field is not None and field not in spec.indexes:
            raise ValidationError(f"{spec.name} has no index on {field!r}; indexes: {', '.join(spec.indexes)}.")
        after = None if next_token is None else _decode_token(next_token)
        keys: list[str | None] = [None] if field is None else list(dict.fromkeys(values))
        pages: dict[str | None, Page] = {}
        with self._connection(write=False) as conn:
            for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
                chunk = keys[start:start + 500]
                query = _sized_page_query(spec, table, field, chunk, after, limit, max_bytes)
                rows: dict[str | None, list[Any]] = {key: [] for key in chunk}
                for row in conn.execute(query):
                    rows[None if field is None else row._mapping[table.c[field]]].append(row)
                pages.update((key, self._cut_page(spec, found, limit, max_bytes)) for key, found in rows.items())
        return pages

    def _cut_page(self, spec: ModelSpec, rows: list[Any], limit: int, max_bytes: int | None) -> Page:
        items: list[Record] = []
        for row in rows:  # in id order, each with the summed size of the rows before it
            fits = not items or max_bytes is None or (row.before or 0) + row.size <= max_bytes
            if len(items) == limit or not fits:
                return Page(items, _encode_token(items[-1]["id"]))
            record = self._to_record(spec, row)
            del record["size"], record["before"]
            items.append(record)
        return Page(items, None)

    def page(
        self, model: str, *, index: tuple[str, str] | None = None, limit: int = 100, next_token: str | None = None
    ) -> Page:
        spec, table = self._spec(model)
        if limit < 1:
            raise ValidationError(f"limit must be at least 1, got {limit}.")
        query = self._select(spec, table, index)
        if next_token is not None:
            query = query.where(table.c.id > _decode_token(next_token))
        with self._connection(write=False) as conn:
            rows = conn.execute(query.limit(limit + 1)).all()
        items = [self._to_record(spec, row) for row in rows[:limit]]
        token = _encode_token(items[-1]["id"]) if len(rows) > limit else None
        return Page(items, token)


def _sized_page_query(
    spec: ModelSpec,
    table: sa.Table,
    field: str | None,
    keys: list[str | None],
    after: str | None,
    limit: int,
    max_bytes: int | None,
) -> sa.Select:
    """Rows of the pages of ``keys`` (the first ``limit + 1`` of each, in id order),
    each with ``size`` and ``before`` (the sizes of the earlier rows of its page, 0 for its first);
    with ``max_bytes``, only rows that start within it and the row after them."""
    part = None if field is None else table.c[field]
    ids = sa.select(table.c.id, *([] if part is None else [part.label("part")]))
    if part is not None:
        ids = ids.where(part.in_(keys))
    if after is not None:
        ids = ids.where(table.c.id > after)
    if part is None or len(keys) == 1:  # one page: the index and LIMIT do the work
        ids = ids.order_by(table.c.id).limit(limit + 1).subquery()
    else:  # many pages: number each key's rows, keep the first limit + 1
        numbered = ids.add_columns(sa.func.row_number().over(partition_by=part, order_by=table.c.id).label("rn"))
        numbered = numbered.subquery()
        ids = sa.select(numbered.c.id, numbered.c.part).where(numbered.c.rn <= limit + 1).subquery()
    # The sizes are SQL with their numbers written in, not bound: SQLAlchemy 1.4 (Plexus 1.50 pins 1.4.15)
    # binds the wrong values when one expression with parameters is used in several window functions.
    size = sum(
        (_number(len(name) + 8) if kind == "int" else
         _number(len(name)) + sa.func.coalesce(sa.func.length(table.c[name]), _number(0))
         for name, kind in spec.fields.items()),
        _number(0),
    )
    partition = None if part is None else ids.c.part
    window = {"partition_by": partition, "order_by": ids.c.id}
    before = sa.func.sum(size).over(**window, rows=(None, 0)) - size  # this page's rows before this one
    previous = sa.func.coalesce(sa.func.lag(size).over(**window), _number(0))
    sized = (
        sa.select(ids.c.id, size.label("size"), before.label("before"), (before - previous).label("before_previous"))
        .join_from(ids, table, table.c.id == ids.c.id)
        .subquery()
    )
    query = sa.select(table, sized.c.size, sized.c.before).join_from(sized, table, table.c.id == sized.c.id)
    if max_bytes is not None:  # rows whose previous row started within the page: enough to know what follows
        query = query.where(sa.func.coalesce(sized.c.before_previous, 0) <= max_bytes)
    return query.order_by(table.c.id)


def _number(value: int) -> sa.ColumnElement:
    """An integer written into the SQL text (never user input)."""
    return sa.literal_column(str(int(value)), sa.Integer)


def _encode_token(after_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"v": 1, "after": after_id}).encode()).decode()


def _decode_token(token: str) -> str:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data.get("v") == 1 and isinstance(data.get("after"), str):
            return data["after"]
    except (binascii.Error, ValueError, AttributeError, UnicodeError):
        pass
    raise ValidationError("Invalid nextToken: pass back exactly the token a previous page returned.")


