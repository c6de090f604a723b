"""SQL connections shared by everything that keeps rows in SQLite or PostgreSQL: the embedded
store (``sql.SQLBackend``) and the stand-in server's item store (``server.items.ItemStore``).

- ``sqlalchemy_url`` turns a file path into a ``sqlite:///`` URL; ``describe_database`` shows a
  URL without its password or query string (libpq reads ``?password=`` there).
- ``SQLConnections`` makes the engine and hands out connections: SQLite in WAL mode with a 60 s
  busy timeout and ``BEGIN IMMEDIATE`` for write transactions, so concurrent writers queue
  instead of deadlocking (SQLAlchemy's pysqlite transaction recipe); an in-memory SQLite
  database is one shared connection used by one thread at a time; ``transaction()`` groups a
  thread's calls into one write transaction; driver errors become BackendError /
  BackendUnavailableError (``_translate``, which a store may override with more to say).

Runs on SQLAlchemy 1.4.15 (what Plexus 1.50 pins) as on 2.x: engines are made with 2.0 semantics
(``future=True`` on 1.4) and nothing here or in the stores uses an API newer than 1.4.15. PostgreSQL goes
through psycopg 3, whose dialect exists from SQLAlchemy 2.0: on 1.4 opening it is a BackendError saying so.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from ..errors import BackendError, BackendUnavailableError

__all__ = ["POSTGRESQL_NEEDS", "SQLALCHEMY_2", "SQLConnections", "describe_database", "describe_url",
           "sqlalchemy_url"]

#: Whether SQLAlchemy is 2.0 or newer (1.4 needs ``future=True`` for 2.0 semantics; PostgreSQL needs 2.0).
SQLALCHEMY_2 = int(sa.__version__.split(".")[0]) >= 2
#: What PostgreSQL stores need that SQLAlchemy 1.4 environments lack, for messages and skipped tests.
POSTGRESQL_NEEDS = (f"PostgreSQL stores need SQLAlchemy>=2.0 (its psycopg 3 dialect); this environment has "
                    f"SQLAlchemy {sa.__version__}")


def sqlalchemy_url(db: str) -> str:
    """Turn a file path or URL into a SQLAlchemy URL (paths become ``sqlite:///``)."""
    if "://" in db or db.startswith("sqlite:"):
        return db
    if db == ":memory:":
        return "sqlite:///:memory:"
    return "sqlite:///" + str(Path(db).expanduser().absolute())


def describe_url(url: sa.URL) -> str:
    """A URL with its password and query string hidden, for people and logs."""
    text = url.set(query={}).render_as_string(hide_password=True)
    return f"{text}?***" if url.query else text


def describe_database(db: str) -> str:
    """The SQLAlchemy URL of ``db`` with its password and query string hidden (libpq reads
    ``?password=`` and ``sslpassword=`` there), for people and logs."""
    return describe_url(sa.engine.make_url(sqlalchemy_url(db)))


class SQLConnections:
    """Engine and connections for a store at ``db``; subclasses provide ``_translate()``."""

    #: Added to the message when a SQLite file's folder can't be created.
    folder_hint = ""

    def _open(self, db: str, *, echo: bool = False) -> None:
        self._url = sa.engine.make_url(sqlalchemy_url(db))
        self.description = describe_url(self._url)
        self._local = threading.local()
        self._memory_lock: threading.RLock | None = None
        self._engine = self._make_engine(echo)

    @property
    def is_sqlite(self) -> bool:
        return self._url.get_backend_name() == "sqlite"

    def _make_engine(self, echo: bool) -> Engine:
        if not self.is_sqlite:
            if not SQLALCHEMY_2:
                raise BackendError(
                    f"Can't use database {self.description}: {POSTGRESQL_NEEDS} (Plexus 1.50 pins 1.4). Use the "
                    "embedded SQLite store (a file path), or an environment with pip install 'sqlalchemy>=2.0' "
                    "'psycopg[binary]'."
                )
            try:
                return sa.create_engine(self._url, echo=echo, pool_pre_ping=True)
            except (ImportError, sa_exc.ArgumentError) as exc:
                raise BackendError(
                    f"Can't use database {self.description}: {exc}. For PostgreSQL install "
                    "psycopg (pip install 'psycopg[binary]') and use a postgresql+psycopg:// URL."
                ) from exc
        database = self._url.database or ":memory:"
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 60, "check_same_thread": False}}
        if database == ":memory:":  # one shared connection, so one thread at a time
            kwargs["poolclass"] = sa.pool.StaticPool
            self._memory_lock = threading.RLock()
        else:
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise BackendUnavailableError(
                    f"Can't create the folder for the database file {database}: {exc.strerror}.{self.folder_hint}"
                ) from exc
        if not SQLALCHEMY_2:  # 2.0's Connection: autobegin, commit(), execution_options() in place
            kwargs["future"] = True
        engine = sa.create_engine(self._url, echo=echo, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
        return engine

    @contextlib.contextmanager
    def _connection(self, write: bool) -> Iterator[Connection]:
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:  # inside transaction(): join it
            yield current
            return
        lock = self._memory_lock or contextlib.nullcontext()
        with lock, self._translate(), self._engine.connect() as conn:
            conn.execution_options(plexus_write=write)
            with conn.begin():
                self._local.conn = conn
                try:
                    yield conn
                finally:
                    self._local.conn = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group calls made by this thread into one write transaction: all or nothing."""
        with self._connection(write=True):
            yield

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        """SQLAlchemy/driver errors become our tree, with the driver's first line as the reason
        (a store may say more)."""
        try:
            yield
        except sa_exc.SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            if isinstance(exc, sa_exc.OperationalError):
                raise BackendUnavailableError(f"The database {self.description} is unavailable ({reason}).") from exc
            raise BackendError(f"The database {self.description} failed: {reason}") from exc

    def close(self) -> None:
        self._engine.dispose()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is too late and deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # Writers take the write lock up front: a deferred transaction that later upgrades can fail with
    # SQLITE_BUSY without waiting, and a read-then-write check would not be atomic.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("plexus_write") else "BEGIN")
