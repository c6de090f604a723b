"""One request's store reads: batched per level, remembered, and budgeted.

GraphQL resolves the items of a list concurrently. Each relationship resolver asks a
``Loader`` for its key and waits; once every resolver of that level has asked (the
loader dispatches on the next turn of the request's event loop), the loader reads all
their keys in one store call (the item source's ``get_many`` / ``query_many``: an
``ItemStore``'s, or a ``Backend``'s ``get_many`` / ``page_many`` through
``BackendItems``). A nested list therefore costs one query per level, not one per
parent, and a key read once in a request is never read again (records on a page also
answer later gets of their ids).

``Budget`` counts what the request has cost (resolver calls, records returned, bytes
read) and refuses past ``Limits`` with AppSync's ``ResolverExecutionLimitReached``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..backends.base import Page, Record, item_size
from .appsync import RESOLVER_LIMIT, AppSyncError
from .limits import Limits

if TYPE_CHECKING:
    from .items import ItemSource

__all__ = ["Budget", "ItemRequestContext", "Loader"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: (model, id)
GetKey = tuple[str, str]
#: (model, index name, partition key value, limit): the first page of an index query
QueryKey = tuple[str, str, str, int]


class Loader(Generic[K, V]):
    """Answers ``load(key)`` in batches: ``fetch(keys)`` returns a value (or an
    exception) per key, and is called once per turn of the event loop."""

    def __init__(self, fetch: Callable[[list[K]], Mapping[K, V | BaseException]]) -> None:
        self._fetch = fetch
        self._futures: dict[K, asyncio.Future[V]] = {}
        self._queue: list[K] = []

    def load(self, key: K) -> asyncio.Future[V]:
        future = self._futures.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._futures[key] = loop.create_future()
            if not self._queue:
                loop.call_soon(self._dispatch)  # after the resolvers already scheduled have asked too
            self._queue.append(key)
        return future

    def prime(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key`` (unless it is already known or asked for)."""
        if key not in self._futures:
            future = self._futures[key] = asyncio.get_running_loop().create_future()
            future.set_result(value)

    def forget(self) -> None:
        """Drop remembered answers (after a write); keys still waiting keep their turn."""
        self._futures = {key: self._futures[key] for key in self._queue}

    def _dispatch(self) -> None:
        keys, self._queue = self._queue, []
        try:
            found = self._fetch(keys)
        except Exception as exc:  # noqa: BLE001 - every waiting resolver gets the error
            found = dict.fromkeys(keys, exc)
        for key in keys:
            future = self._futures[key]
            if future.done():
                continue
            value = found[key]
            if isinstance(value, BaseException):
                future.set_exception(value)
            else:
                future.set_result(value)


class Budget:
    """What one request has cost so far, refused past its limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.calls = self.items = self.read_bytes = 0

    def call(self) -> None:
        self.calls += 1
        if self.calls > self.limits.max_resolver_calls:
            raise AppSyncError(RESOLVER_LIMIT, f"Resolver invocation limit of {self.limits.max_resolver_calls} "
                                               "reached: ask for fewer nested records, or page.")

    def returned(self, count: int) -> None:
        self.items += count
        if self.items > self.limits.max_items:
            raise AppSyncError(RESOLVER_LIMIT, f"The request returns more than {self.limits.max_items} records: "
                                               "ask for fewer nested records, or page.")

    def read(self, records: list[Record]) -> None:
        self.read_bytes += sum(item_size(record) for record in records)
        self.check_read()

    def check_read(self) -> None:
        if self.read_bytes > self.limits.max_read_bytes:
            raise AppSyncError(RESOLVER_LIMIT, f"The request reads more than {self.limits.max_read_bytes // 2**20} "
                                               "MiB from the store: ask for fewer nested records, or page.")

    def batch_size(self, per_key: int) -> int:
        """How many keys one store call may read, when each may cost ``per_key`` bytes:
        what the rest of the read budget allows, between 1 and 100."""
        room = self.limits.max_read_bytes - self.read_bytes
        return max(1, min(100, room // max(per_key, 1)))


class ItemRequestContext:
    """The context of one GraphQL request: the store (an ``items.ItemSource``), its
    limits, its budget and its loaders.

    ``gets`` answers gets (``get_many``); ``firsts`` answers first pages of index
    queries (``query_many``), the reads of hasMany fields: one store call per level
    however many parents ask."""

    def __init__(self, store: ItemSource, limits: Limits) -> None:
        self.store = store
        self.limits = limits
        self.budget = Budget(limits)
        self.gets: Loader[GetKey, Record | None] = Loader(self._fetch_records)
        self.firsts: Loader[QueryKey, Page] = Loader(self._fetch_firsts)

    def forget(self) -> None:
        """After a write, later reads in the request see it."""
        self.gets.forget()
        self.firsts.forget()

    def remember(self, model: str, items: list[Record]) -> None:
        """Count ``items`` as read, and let later gets of their ids use them."""
        self.budget.read(items)
        for item in items:
            self.gets.prime((model, item["id"]), item)

    def _fetch_records(self, keys: list[GetKey]) -> dict[GetKey, Any]:
        by_model: dict[str, list[str]] = {}
        for model, id in keys:
            by_model.setdefault(model, []).append(id)
        found: dict[GetKey, Any] = {}
        for model, ids in by_model.items():
            try:
                start = 0
                while start < len(ids):
                    self.budget.check_read()
                    chunk = ids[start:start + self.budget.batch_size(self.limits.max_item_bytes)]
                    records = self.store.get_many(model, chunk)
                    self.budget.read(list(records.values()))
                    found.update(((model, id), records.get(id)) for id in chunk)
                    start += len(chunk)
            except Exception as exc:  # noqa: BLE001 - handed to the resolvers that asked
                found.update(((model, id), exc) for id in ids if (model, id) not in found)
        return found

    def _per_page(self) -> int:
        # A page may read its 1 MB plus the item that follows (to know there is more).
        return self.limits.max_page_bytes + self.limits.max_item_bytes

    def _fetch_firsts(self, keys: list[QueryKey]) -> dict[QueryKey, Any]:
        groups: dict[tuple[str, str, int], list[str]] = {}
        for model, index, pk, limit in keys:
            groups.setdefault((model, index, limit), []).append(pk)
        found: dict[QueryKey, Any] = {}
        for (model, index, limit), pks in groups.items():
            try:
                start = 0
                while start < len(pks):
                    self.budget.check_read()
                    chunk = pks[start:start + self.budget.batch_size(self._per_page())]
                    pages = self.store.query_many(model, index, chunk, limit=limit,
                                                  max_bytes=self.limits.max_page_bytes)
                    for pk in chunk:
                        page = pages[pk]
                        self.remember(model, page.items)
                        found[(model, index, pk, limit)] = page
                    start += len(chunk)
            except Exception as exc:  # noqa: BLE001 - handed to the resolvers that asked
                found.update(((model, index, pk, limit), exc) for pk in pks if (model, index, pk, limit) not in found)
        return found
