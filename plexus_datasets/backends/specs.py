"""How backends store each model, derived from the classes in ``models``.

A ``ModelSpec`` names a model's wire fields with their kinds (string, int,
datetime, strings, json), which of them are required, its indexed fields and
its SQL table. The SQL tables (``sql``), the GraphQL documents (``graphql``) and
the stand-in server all read these specs; ``tests/test_schema_agreement.py``
checks that they agree with the plan's SDL (``server/contracts/plan/``) and the frozen migrations.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import MODELS, Record

__all__ = ["MODEL_SPECS", "FieldKind", "ModelSpec"]

FieldKind = typing.Literal["string", "int", "datetime", "strings", "json"]


@dataclass(frozen=True)
class ModelSpec:
    """How a backend stores one model: wire field names with their kinds."""

    name: str
    cls: type[Record]
    table: str
    fields: dict[str, FieldKind]
    required: frozenset[str]
    indexes: tuple[str, ...]


def _kind(annotation: Any) -> FieldKind:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else Any
    if annotation is str:
        return "string"
    if annotation is int:
        return "int"
    if annotation is datetime:
        return "datetime"
    if typing.get_origin(annotation) is list:
        return "strings"
    return "json"


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _spec(cls: type[Record]) -> ModelSpec:
    hints = typing.get_type_hints(cls)
    fields: dict[str, FieldKind] = {}
    required = set()
    for name, info in cls.model_fields.items():
        if name in cls.__local_fields__:
            continue
        wire = info.alias or name
        fields[wire] = _kind(hints[name])
        if info.is_required() and wire not in {"id", "createdAt", "updatedAt"}:
            required.add(wire)
    return ModelSpec(
        name=cls.__model_name__,
        cls=cls,
        table=_snake(cls.__model_name__) + "s",
        fields=fields,
        required=frozenset(required),
        indexes=cls.__indexes__,
    )


MODEL_SPECS: dict[str, ModelSpec] = {cls.__model_name__: _spec(cls) for cls in MODELS}
