"""The one-time move of a served database's records from the SQL backend's tables into the item store.

Before the stand-in stored the dataset plan's schema as items, ``serve`` kept its records in the SQL
backend's tables (``SQLBackend``: ``scorecards``, ``datasets``... with the version table
``plexus_datasets_schema``). ``copy_backend_once`` copies every record of the contract's models from such a
database into the item store on the first start of ``serve --schema plan`` over it:

- once: the marker ``sql-tables-copied`` in ``appsync_markers`` records it (with the count), also when there
  was nothing to copy (no SQL tables yet), so records the embedded store writes to its tables later stay
  there. The copy and the marker are one transaction: all or nothing, and a second server starting at the
  same moment waits, then finds the marker;
- the SQL tables are read, never changed: the embedded store (``connect(db)``) keeps using them, and from
  then on the two hold separate records;
- each record becomes an item as AppSync would have stored it (its fields without nulls, plus
  ``__typename``); an item already in the store (same model and id) is left as it is.

The server layer can't open a ``SQLBackend`` (only the composition root builds backends), so the caller
passes ``open_backend``, called only when the tables exist and the copy is still to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..formats import format_datetime, utcnow
from .items import ConditionFailed, ItemStore

if TYPE_CHECKING:
    from ..backends.base import Backend

__all__ = ["MARKER", "SQL_VERSION_TABLE", "copy_backend_once"]

log = logging.getLogger("plexus_datasets.server")

#: The marker that records the copy.
MARKER = "sql-tables-copied"
#: The table every database the SQL backend has written has (its schema version).
SQL_VERSION_TABLE = "plexus_datasets_schema"
_PAGE = 500


def copy_backend_once(store: ItemStore, open_backend: Callable[[], Backend]) -> int | None:
    """Copy the SQL backend's records of ``store``'s models into ``store``, unless done before.

    Returns the number of items written, or None when nothing was to do (done before, or no SQL tables:
    then the marker is set so it never happens later). ``open_backend()`` opens the SQL backend over the
    same database; it is closed here."""
    if store.marker(MARKER) is not None:
        return None
    if not store.has_table(SQL_VERSION_TABLE):
        store.set_marker(MARKER, {"copied": 0, "at": format_datetime(utcnow()), "reason": "no SQL tables"},
                         only_new=True)
        return None
    backend = open_backend()  # before the write transaction: opening it may migrate its own tables
    try:
        with store.transaction():
            if not store.set_marker(MARKER, {"copied": None}, only_new=True):
                return None  # another server did it meanwhile
            counts = {model: _copy_model(backend, store, model) for model in store.contract.models}
            copied = sum(counts.values())
            store.set_marker(MARKER, {"copied": copied, "by_model": counts, "at": format_datetime(utcnow())})
    finally:
        backend.close()
    log.info("Copied %d records from the SQL tables into the item tables (%s).", copied,
             ", ".join(f"{model} {n}" for model, n in counts.items()))
    return copied


def _copy_model(backend: Backend, store: ItemStore, model: str) -> int:
    copied = 0
    token = None
    while True:
        page = backend.page(model, limit=_PAGE, next_token=token)
        for record in page.items:
            item = {name: value for name, value in record.items() if value is not None}
            try:
                store.put(model, {**item, "__typename": model})
            except ConditionFailed:
                continue  # the store has it already
            except ValidationError:
                log.warning("Not copied: a %s record without a usable id.", model)
                continue
            copied += 1
        token = page.next_token
        if token is None:
            return copied
