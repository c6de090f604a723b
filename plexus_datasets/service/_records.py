"""Record plumbing: model classes in, Backend verbs out, timestamps from one clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from ..backends.base import Backend
from ..formats import format_datetime
from ..models import Record

R = TypeVar("R", bound=Record)
Filter = Mapping[str, Any]


class Records:
    """Typed create/get/list/update/delete over a Backend's wire records."""

    def __init__(self, backend: Backend, clock: Callable[[], datetime]) -> None:
        self.backend = backend
        self.clock = clock

    def now(self) -> str:
        return format_datetime(self.clock())

    def new(self, cls: type[R], fields: Mapping[str, Any], created_at: datetime | None = None) -> R:
        """Create a record (a random id unless ``fields`` has one); None fields are left out."""
        now = format_datetime(created_at or self.clock())
        record = {"id": fields.get("id") or str(uuid.uuid4()), "createdAt": now, "updatedAt": now}
        record.update({k: v for k, v in fields.items() if k != "id" and v is not None})
        return cls.model_validate(self.backend.create(cls.__model_name__, record))

    def get(self, cls: type[R], id: Any) -> R | None:
        if not isinstance(id, str) or not id:
            return None
        record = self.backend.get(cls.__model_name__, id)
        return None if record is None else cls.model_validate(record)

    def list(self, cls: type[R], index: tuple[str, str] | None = None, filter: Filter | None = None) -> list[R]:
        return [cls.model_validate(r) for r in self.backend.list(cls.__model_name__, index=index, filter=filter)]

    def named(self, cls: type[R], name: str, index: tuple[str, str] | None = None) -> list[R]:
        """Records whose ``name`` is exactly ``name``, asked of the store directly
        (an indexed column in SQL, a server-side filter on GraphQL)."""
        return self.list(cls, index=index, filter={"name": {"eq": name}})

    def update(self, cls: type[R], id: str, changes: Mapping[str, Any], condition: Filter | None = None) -> R:
        """Apply ``changes`` and stamp ``updatedAt``; ConflictError when ``condition`` fails."""
        stamped = {**changes, "updatedAt": self.now()}
        return cls.model_validate(self.backend.update(cls.__model_name__, id, stamped, condition=condition))

    def delete(self, cls: type[R], id: str) -> dict[str, Any]:
        """Remove a record; returns what the store answered (after a retried delete on
        GraphQL that may be only ``{"id": ...}``)."""
        return self.backend.delete(cls.__model_name__, id)


#: Namespace of the deterministic version ids (uuid5 of "datasetId:number").
VERSION_NAMESPACE = uuid.UUID("8f4c7d1e-3b7a-5c2e-9d41-6a0b2f7e9c13")


def version_id(dataset_id: str, number: int) -> str:
    """The id of version ``number`` of a dataset: the same on every backend and writer."""
    return str(uuid.uuid5(VERSION_NAMESPACE, f"{dataset_id}:{number}"))
