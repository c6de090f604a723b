"""AppSync filter and condition inputs, evaluated against wire records.

The contract's ``Model*FilterInput`` / ``Model*ConditionInput`` shapes, e.g.::

    {"name": {"beginsWith": "calls"}, "or": [{"scoreId": {"eq": "s1"}},
                                             {"scoreId": {"attributeExists": False}}]}

Semantics follow DynamoDB: a missing or null attribute fails every comparison
except ``ne`` and ``notContains`` (which it passes) and ``attributeExists: false``.
With ``stored_nulls=True`` (items that keep DynamoDB's NULLs, like the stand-in's
item store, where a missing attribute is absent from the record) a key whose value
is None is an attribute stored as null: it exists, so ``attributeExists: true`` and
``attributeType: "_null"`` hold for it and ``attributeExists: false`` does not. By
default (SQL rows, GraphQL records: every field is there, None when unset) None
means missing. ``eq: null`` / ``ne: null`` test for a null-or-missing value either way.
Pure functions; backends use them for conditions, the stand-in server for
filter-after-limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ValidationError

__all__ = ["matches", "validate_filter"]


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "map": lambda v: isinstance(v, dict),
    "_null": lambda v: v is None,
    "stringSet": lambda v: False,
    "numberSet": lambda v: False,
    "binary": lambda v: False,
    "binarySet": lambda v: False,
}


def matches(record: Mapping[str, Any], expression: Mapping[str, Any] | None, *,
            stored_nulls: bool = False) -> bool:
    """Whether ``record`` satisfies the filter/condition ``expression`` (None matches all); ``stored_nulls``:
    a None value is a stored null, not a missing attribute (the module docstring)."""
    if not expression:
        return True
    for key, operand in expression.items():
        if operand is None:
            continue
        if key == "and":
            ok = all(matches(record, sub, stored_nulls=stored_nulls) for sub in operand)
        elif key == "or":
            ok = any(matches(record, sub, stored_nulls=stored_nulls) for sub in operand) if operand else True
        elif key == "not":
            ok = not matches(record, operand, stored_nulls=stored_nulls)
        else:
            present = key in record and record[key] is not None
            ok = _field_matches(record.get(key), present, operand,
                                exists=(key in record) if stored_nulls else present)
        if not ok:
            return False
    return True


def validate_filter(expression: Any, fields: Mapping[str, Any]) -> None:
    """Raise ValidationError if ``expression`` names unknown fields or operators."""
    if expression is None:
        return
    if not isinstance(expression, Mapping):
        raise ValidationError(f"A filter must be a mapping, got {type(expression).__name__}.")
    for key, operand in expression.items():
        if key in ("and", "or"):
            for sub in operand or []:
                validate_filter(sub, fields)
        elif key == "not":
            validate_filter(operand, fields)
        elif key not in fields:
            raise ValidationError(f"Unknown field {key!r} in filter; known fields: {', '.join(fields)}.")
        elif operand is not None:
            unknown = set(operand) - set(_OPERATORS)
            if unknown:
                raise ValidationError(f"Unknown filter operator(s) {sorted(unknown)} on {key!r}.")


def _comparable(value: Any, operand: Any) -> Any:
    # AWSJSON attributes are stored as JSON strings by AppSync; compare as text.
    if isinstance(value, dict | list) and isinstance(operand, str):
        return json.dumps(value, separators=(",", ":"))
    return value


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, bool, Any], bool]:
    def check(value: Any, present: bool, operand: Any) -> bool:
        if not present or operand is None:
            return False
        value = _comparable(value, operand)
        try:
            return op(value, operand)
        except TypeError:
            return False

    return check


def _contains(value: Any, present: bool, operand: Any) -> bool:
    if not present:
        return False
    if isinstance(value, str):
        return isinstance(operand, str) and operand in value
    if isinstance(value, list):
        return operand in value
    return False


def _between(value: Any, present: bool, operand: Any) -> bool:
    if not present or not operand or len(operand) != 2:
        return False
    try:
        return operand[0] <= _comparable(value, operand[0]) <= operand[1]
    except TypeError:
        return False


def _size(value: Any, present: bool, operand: Mapping[str, Any]) -> bool:
    if not present or not isinstance(value, str | list | dict):
        return False
    return _field_matches(len(value), True, operand)


_OPERATORS: dict[str, Callable[[Any, bool, Any], bool]] = {
    "eq": lambda v, p, o: (not p) if o is None else p and _comparable(v, o) == o,
    "ne": lambda v, p, o: p if o is None else (not p) or _comparable(v, o) != o,
    "lt": _compare(lambda a, b: a < b),
    "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "ge": _compare(lambda a, b: a >= b),
    "beginsWith": _compare(lambda a, b: isinstance(a, str) and a.startswith(b)),
    "contains": _contains,
    "notContains": lambda v, p, o: not _contains(v, p, o),
    "between": _between,
    # attributeExists and attributeType get whether the attribute exists (a stored null does) as ``p``.
    "attributeExists": lambda v, p, o: p == bool(o),
    "attributeType": lambda v, p, o: p and _TYPES.get(o, lambda _: False)(v),
    "size": _size,
    "in": lambda v, p, o: p and v in (o or []),
    "notIn": lambda v, p, o: not p or v not in (o or []),
}


_EXISTENCE = frozenset({"attributeExists", "attributeType"})


def _field_matches(value: Any, present: bool, operand: Mapping[str, Any], *, exists: bool | None = None) -> bool:
    """``present``: the attribute has a non-null value; ``exists``: it is there at all (default ``present``)."""
    for op, arg in operand.items():
        check = _OPERATORS.get(op)
        if check is None:
            raise ValidationError(f"Unknown filter operator {op!r}.")
        if op not in ("eq", "ne") and arg is None:
            continue
        if not check(value, (present if exists is None else exists) if op in _EXISTENCE else present, arg):
            return False
    return True


