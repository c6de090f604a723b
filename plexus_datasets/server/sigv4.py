"""AWS SigV4 verification for the stand-in, answering as AppSync does.

``verify_sigv4`` checks one request's ``Authorization: AWS4-HMAC-SHA256 ...`` header
against known access keys: it rebuilds the request from the headers the client signed,
recomputes the signature with botocore at the request's own ``X-Amz-Date``, and
compares in constant time. The body is always part of the check (a body that does not
hash to a given ``x-amz-content-sha256`` is refused before the signature is).

Answers, as ``(HTTP status, errorType, message)`` (None when the request is good):

- no Authorization header: 401 ``UnauthorizedException``;
- a header that isn't a complete SigV4 one (no Credential/SignedHeaders/Signature,
  host or x-amz-date unsigned, no X-Amz-Date): 403 ``IncompleteSignatureException``;
- an unknown access key id: 403 ``UnrecognizedClientException``;
- X-Amz-Date more than 5 minutes from now, a scope for another service, region or day,
  a wrong signature (wrong secret, altered body or headers): 403 ``InvalidSignatureException``.

``check_sigv4_header`` runs the checks that need no body (all of the above but the
signature itself), so a server can refuse a bogus header before reading the body.

Messages never contain a secret key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache

__all__ = ["MAX_SKEW", "check_sigv4_header", "signed_with_sigv4", "verify_sigv4"]

ALGORITHM = "AWS4-HMAC-SHA256"
#: How far X-Amz-Date may be from the server's clock, either way.
MAX_SKEW = timedelta(minutes=5)
_TIMESTAMP = "%Y%m%dT%H%M%SZ"

UNAUTHORIZED = "UnauthorizedException"
INCOMPLETE = "IncompleteSignatureException"
UNRECOGNIZED = "UnrecognizedClientException"
INVALID = "InvalidSignatureException"
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")

Refusal = tuple[int, str, str]


def signed_with_sigv4(headers: Mapping[str, str]) -> bool:
    """Whether a request carries a SigV4 Authorization header (rather than none, or a token)."""
    value = _lower(headers).get("authorization", "")
    return value.strip().startswith(ALGORITHM)


def verify_sigv4(
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now: datetime | None = None,
    *,
    service: str = "appsync",
    region: str | None = None,
) -> Refusal | None:
    """None if the request is signed by a key in ``credentials`` (access key id -> secret key),
    else AppSync's refusal ``(status, errorType, message)``.

    ``path_and_query`` is the request target as sent (raw path, then ``?query`` if any);
    ``headers`` are the request's (any case); ``now`` defaults to the current UTC time;
    ``region``, when given, is the only region a signature may be scoped to.
    """
    lowered = _lower(headers)
    checked = _header_checks(lowered, credentials, now, service, region)
    if isinstance(checked[0], int):
        return checked  # type: ignore[return-value]
    access_key, secret, scope_region, scope_service, signed, signature = checked
    amz_date = lowered["x-amz-date"]
    missing = [name for name in signed if name not in lowered]
    given_hash = lowered.get("x-amz-content-sha256")
    if missing or (given_hash is not None and given_hash != hashlib.sha256(body).hexdigest()):
        return 403, INVALID, MISMATCH
    expected = _signature(method, path_and_query, {n: lowered[n] for n in signed}, body, access_key, secret,
                          scope_region, scope_service, amz_date)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return 403, INVALID, MISMATCH
    return None


def check_sigv4_header(headers: Mapping[str, str], credentials: Mapping[str, str], now: datetime | None = None, *,
                       service: str = "appsync", region: str | None = None) -> Refusal | None:
    """``verify_sigv4``'s refusal for what the headers alone show (its parse, the access key, the date skew,
    the credential scope's service, region and day), or None when the signature is still to check."""
    checked = _header_checks(_lower(headers), credentials, now, service, region)
    return checked if isinstance(checked[0], int) else None  # type: ignore[return-value]


def _header_checks(lowered: dict[str, str], credentials: Mapping[str, str], now: datetime | None, service: str,
                   region: str | None) -> Refusal | tuple[str, str, str, str, list[str], str]:
    """A refusal, or (access key, secret, scope region, scope service, signed headers, signature)."""
    authorization = lowered.get("authorization", "").strip()
    if not authorization:
        return 401, UNAUTHORIZED, "Valid authorization header not provided."
    parsed = _parse(authorization)
    if isinstance(parsed, str):
        return 403, INCOMPLETE, parsed
    access_key, scope_date, scope_region, scope_service, signed, signature = parsed
    if "host" not in signed:
        return 403, INCOMPLETE, "'Host' must be a 'SignedHeader' in the AWS Authorization."
    amz_date = lowered.get("x-amz-date", "")
    if not amz_date:
        return 403, INCOMPLETE, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    if "x-amz-date" not in signed:
        return 403, INCOMPLETE, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
    try:
        stamp = datetime.strptime(amz_date, _TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        return 403, INCOMPLETE, "X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'."
    secret = credentials.get(access_key)
    if secret is None:
        return 403, UNRECOGNIZED, "The security token included in the request is invalid."
    stale = _stale(stamp, now)
    if stale:
        return 403, INVALID, stale
    if scope_service != service:
        return 403, INVALID, f"Credential should be scoped to correct service: '{service}'."
    if region is not None and scope_region != region:
        return 403, INVALID, "Credential should be scoped to a valid region."
    if scope_date != amz_date[:8]:
        return 403, INVALID, ("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                              f"HTTP: '{scope_date}' != '{amz_date[:8]}', from '{amz_date}'.")
    return access_key, secret, scope_region, scope_service, signed, signature


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _parse(authorization: str) -> tuple[str, str, str, str, list[str], str] | str:
    """The parts of a SigV4 Authorization header, or what is wrong with it."""
    scheme, _, rest = authorization.partition(" ")
    if scheme != ALGORITHM:
        return f"Authorization header must use the {ALGORITHM} algorithm."
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, equals, value = part.strip().partition("=")
        if equals:
            fields[key.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        return " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        return ("Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request.")
    signed = fields["SignedHeaders"].split(";")
    if not all(signed) or any(name != name.strip().lower() for name in signed):
        return "SignedHeaders must be lowercase header names separated by ';'."
    return scope[0], scope[1], scope[2], scope[3], signed, fields["Signature"]


def _stale(stamp: datetime, now: datetime | None) -> str | None:
    """AppSync's message when ``stamp`` is more than MAX_SKEW away from ``now``."""
    now = now or datetime.now(UTC)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    shown, current = stamp.strftime(_TIMESTAMP), now.strftime(_TIMESTAMP)
    if stamp < now - MAX_SKEW:
        limit = (now - MAX_SKEW).strftime(_TIMESTAMP)
        return f"Signature expired: {shown} is now earlier than {limit} ({current} - 5 min.)"
    if stamp > now + MAX_SKEW:
        limit = (now + MAX_SKEW).strftime(_TIMESTAMP)
        return f"Signature not yet current: {shown} is still later than {limit} ({current} + 5 min.)"
    return None


def _signature(method: str, path_and_query: str, signed: dict[str, str], body: bytes, access_key: str,
               secret: str, region: str, service: str, amz_date: str) -> str:
    """botocore's SigV4 signature of the request as rebuilt from its signed headers, at ``amz_date``."""
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    # The host comes from the signed headers; the URL only carries the path and query.
    request = AWSRequest(method=method.upper(), url=f"https://sigv4.invalid{path_and_query}", data=body,
                         headers=signed)
    request.context["timestamp"] = amz_date
    signer = _recomputation()(Credentials(access_key, secret), service, region)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


@cache
def _recomputation() -> type:
    """botocore's SigV4Auth signing exactly the headers the client signed (imported on first use)."""
    from botocore.auth import SigV4Auth
    from botocore.compat import HTTPHeaders

    class Recomputation(SigV4Auth):
        def headers_to_sign(self, request):  # type: ignore[no-untyped-def]
            # botocore's own choice leaves out a few headers (user-agent, expect...) a client may have signed.
            chosen = HTTPHeaders()
            for name, value in request.headers.items():
                chosen[name.lower()] = value
            return chosen

    return Recomputation
