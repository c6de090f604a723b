"""A ``Backend`` presented as items, so the generated resolvers serve it like an ``ItemStore``.

``create_app(backend, ...)`` serves a ``Backend`` (a SQLBackend that tests seed directly and read back after
GraphQL writes) through the same resolvers as an item store (``contract_schema``): ``BackendItems`` speaks
``items.ItemSource`` over the Backend verbs. It serves contracts whose secondary indexes have no sort key
(the dataset plan's): a Backend indexes one field per index, by equality.

- **Reads.** ``get_many``, ``query_many`` and ``scan`` are one ``get_many`` / ``page_many`` call each, so a
  level of nested fields still costs one store call. An index query (a contract index, or the relation GSI of
  a HAS_MANY relation) reads the Backend's index on the same field when the contract declares one there;
  a relation GSI on a field no declared index covers (the plan's ``DatasetVersion.datasetsAsCurrentVersion``
  on ``Dataset.currentVersionId``) is a page of the whole model filtered by that field, as an Amplify scan
  with a filter would be: short or empty pages may carry a token. Tokens are the Backend's.
- **Writes.** ``put`` is ``create`` (``ConflictError`` becomes ``ConditionFailed``), after checking the
  condition against the empty item; ``update`` and ``delete`` pass the condition to the Backend
  (``NotFoundError`` and ``ConflictError`` become ``ConditionFailed``); an update's ``check`` sees the current
  record with the changes, before the Backend's own write (not inside it). ``__typename`` is not stored, and
  AWSDateTime values are written as ``formats.format_datetime`` text, as the Backend contract wants them.
- A sort-key condition or a descending query is a ``ValidationError`` (no index here has a sort key; the
  resolvers refuse ``sortDirection`` before asking).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..backends.base import Backend, Page
from ..backends.filters import matches
from ..errors import ConflictError, NotFoundError, ValidationError
from ..formats import format_datetime
from .contract import Contract
from .items import ConditionFailed, KeyCondition, secondary_indexes
from .scalars import parse_aws_datetime

__all__ = ["BackendItems"]


class BackendItems:
    """``backend``'s records as the items of ``contract``'s models (see the module docstring).

    Raises ``ValueError`` when an index of ``contract`` has a sort key."""

    stores_nulls = False  # a Backend's records carry every field, None when unset

    def __init__(self, backend: Backend, contract: Contract) -> None:
        sorted_indexes = [f"{m.name}.{i.name}" for m in contract.models.values() for i in m.indexes if i.sort_keys]
        if sorted_indexes:
            raise ValueError(f"a Backend has no sort keys to serve: {', '.join(sorted_indexes)}")
        self.backend = backend
        self.contract = contract
        self.description = backend.description
        # model -> index name -> (the field it partitions on, whether the Backend indexes that field)
        self._fields = {
            model: {name: (index.partition_key,
                           any(i.partition_key == index.partition_key for i in contract.models[model].indexes))
                    for name, index in indexes.items()}
            for model, indexes in secondary_indexes(contract).items()
        }
        self._datetimes = {name: frozenset(f for f, spec in model.fields.items() if spec.type == "AWSDateTime")
                           for name, model in contract.models.items()}

    # --- reads ---------------------------------------------------------------------------------

    def get(self, model: str, id: str) -> dict | None:
        return self.backend.get(model, id)

    def get_many(self, model: str, ids: Sequence[str]) -> dict[str, dict]:
        return self.backend.get_many(model, ids)

    def query(self, model: str, index: str, pk: str, *, sk: KeyCondition | None = None, descending: bool = False,
              limit: int = 100, next_token: str | None = None, max_bytes: int | None = None) -> Page:
        if sk is not None or descending:
            raise ValidationError(f"Index {index!r} has no sort key to order by or put a condition on.")
        return self._pages(model, index, [pk], limit, next_token, max_bytes)[pk]

    def query_many(self, model: str, index: str, pks: Sequence[str], *, limit: int = 100,
                   max_bytes: int | None = None) -> dict[str, Page]:
        return self._pages(model, index, list(dict.fromkeys(pks)), limit, None, max_bytes)

    def scan(self, model: str, *, limit: int = 100, next_token: str | None = None,
             max_bytes: int | None = None) -> Page:
        return self.backend.page_many(model, None, [], limit=limit, next_token=next_token, max_bytes=max_bytes)[None]

    def _pages(self, model: str, index: str, pks: list[str], limit: int, next_token: str | None,
               max_bytes: int | None) -> dict[str, Page]:
        field, indexed = self._index(model, index)
        if indexed:
            pages = self.backend.page_many(model, field, pks, limit=limit, next_token=next_token, max_bytes=max_bytes)
            return {pk: pages[pk] for pk in pks}
        # No index on the field: one page of the model, each partition's items picked from it.
        page = self.scan(model, limit=limit, next_token=next_token, max_bytes=max_bytes)
        return {pk: Page([item for item in page.items if item.get(field) == pk], page.next_token) for pk in pks}

    def _index(self, model: str, index: str) -> tuple[str, bool]:
        found = self._fields.get(model, {}).get(index)
        if found is None:
            raise ValidationError(f"{model} has no index {index!r}.")
        return found

    # --- writes --------------------------------------------------------------------------------

    def put(self, model: str, item: Mapping[str, Any], condition: Mapping[str, Any] | None = None) -> dict:
        if not matches({}, condition):
            raise ConditionFailed(f"The conditional request failed: the condition is false for a new {model}.")
        try:
            return self.backend.create(model, self._record(model, {k: v for k, v in item.items() if v is not None}))
        except ConflictError as exc:
            raise ConditionFailed(str(exc)) from exc

    def update(self, model: str, id: str, set: Mapping[str, Any], remove: Iterable[str] = (),
               condition: Mapping[str, Any] | None = None, check: Callable[[dict], None] | None = None) -> dict:
        changes = {**self._record(model, set), **dict.fromkeys(remove)}
        if check is not None:  # a Backend has no hook inside its write: checked against the current record
            current = self.backend.get(model, id)
            if current is None:
                raise ConditionFailed(f"The conditional request failed: no {model} with id {id!r}.")
            dropped = {*remove, *(k for k, v in set.items() if v is None)}
            check({k: v for k, v in {**current, **set}.items() if k not in dropped})
        try:
            return self.backend.update(model, id, changes, condition)
        except (ConflictError, NotFoundError) as exc:
            raise ConditionFailed(str(exc)) from exc

    def delete(self, model: str, id: str, condition: Mapping[str, Any] | None = None) -> dict:
        try:
            return self.backend.delete(model, id, condition)
        except (ConflictError, NotFoundError) as exc:
            raise ConditionFailed(str(exc)) from exc

    def _record(self, model: str, item: Mapping[str, Any]) -> dict[str, Any]:
        """``item`` as the Backend takes a record: no ``__typename``, AWSDateTime values as
        ``format_datetime`` text (the resolvers have checked them)."""
        datetimes = self._datetimes.get(model, frozenset())
        return {name: _backend_datetime(value) if name in datetimes and isinstance(value, str) else value
                for name, value in item.items() if name != "__typename"}


def _backend_datetime(value: str) -> str:
    try:
        return format_datetime(parse_aws_datetime(value))
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
