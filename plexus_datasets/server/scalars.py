"""AppSync's scalars as the stand-in takes and gives them: ``AWSJSON`` and ``AWSDateTime``.

- **AWSJSON** goes in as JSON text (an object literal or a non-JSON string is a validation error, so is
  ``NaN``) and is held decoded, as AppSync's DynamoDB items hold it; it goes out as JSON text again, so a
  stored JSON string ``"labels"`` comes back as ``'"labels"'``.
- **AWSDateTime** is ISO 8601 with an offset (``Z`` or ``±hh:mm``), seconds optional, 0 to 9 fractional
  digits (AppSync's scalar reference). It is checked and kept as sent: AppSync stores the text, so
  ``+00:00`` and ``Z`` values coexist. ``parse_aws_datetime`` reads one as a ``datetime``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from ariadne import ScalarType

__all__ = ["aws_datetime", "aws_json", "parse_aws_datetime", "parse_aws_json"]

# seconds optional, 1-9 fractional digits only after seconds, offset required
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.(\d{1,9}))?)?)(Z|[+-]\d{2}:\d{2}(?::\d{2})?)")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_aws_json(value: Any) -> Any:
    """An AWSJSON input value (JSON text), decoded. Raises ``ValueError`` (graphql-core's invalid value)."""
    if not isinstance(value, str):
        raise ValueError("AWSJSON values must be JSON strings")  # noqa: TRY004 - graphql-core's "invalid value"
    try:
        return json.loads(value, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("Unable to parse AWSJSON: nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"Unable to parse AWSJSON: {exc}") from None


def _serialize_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_aws_datetime(value: Any) -> datetime:
    """An AWSDateTime text as an aware ``datetime`` (fractions past microseconds dropped). Raises
    ``ValueError`` for anything else."""
    if not isinstance(value, str):
        raise ValueError("AWSDateTime values must be strings")  # noqa: TRY004 - graphql-core's "invalid value"
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ValueError(f"Invalid AWSDateTime {value!r}: use ISO 8601 with an offset (Z or +hh:mm)")
    moment, fraction, offset = match.groups()
    if fraction:  # fromisoformat takes at most 6 fractional digits
        moment = moment[:len(moment) - len(fraction)] + fraction[:6]
    try:  # a real date and time (no month 13)
        return datetime.fromisoformat(moment + ("+00:00" if offset == "Z" else offset))
    except ValueError:
        raise ValueError(f"Invalid AWSDateTime {value!r}: not a date and time") from None


def _check_datetime(value: Any) -> str:
    parse_aws_datetime(value)
    return value


def _as_sent(value: Any) -> Any:
    return value


aws_json = ScalarType("AWSJSON", serializer=_serialize_json, value_parser=parse_aws_json)
aws_datetime = ScalarType("AWSDateTime", serializer=_as_sent, value_parser=_check_datetime)
