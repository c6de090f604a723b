"""AppSyncTransport: one document over HTTP to an AppSync (or stand-in) GraphQL API.

What every GraphQL dialect shares, whatever its schema:

- documents are validated locally against the given SDL once, before first sent
  (``execute(..., validate=False)`` sends a document as is: dialect probes);
- throttling errorTypes, HTTP 429/5xx and connection failures are retried with
  exponential backoff and full jitter, bounded by attempts and total time
  (``RetryPolicy``); then BackendUnavailableError. An error answer is
  ``QueryError`` (``after_ambiguous`` when an earlier attempt may have landed),
  which the caller translates (``translate``) or handles (conditional writes);
- auth: ``x-api-key``, or AWS SigV4 (service ``appsync``) over the standard AWS
  credential chain when ``iam_region`` is given; 401/403 and ``UnauthorizedException``
  are AuthError;
- redirects are never followed (credentials would travel with them): a 3xx
  answer is BackendError naming where it pointed.

Secrets (the API key, AWS keys and session tokens, URL credentials and query
strings) never appear in messages, reprs or logs.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from gql import Client
from gql.transport.exceptions import TransportProtocolError, TransportServerError
from gql.transport.requests import RequestsHTTPTransport
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse
from graphql import validate as validate_document
from requests.auth import AuthBase

from ..errors import (
    AuthError,
    BackendError,
    BackendUnavailableError,
    ConflictError,
    CorruptRecordError,
    DialectError,
    ValidationError,
)

__all__ = [
    "AUTH_REFUSED",
    "BAD_ARGUMENT",
    "CONDITIONAL",
    "RESOLVER_LIMIT",
    "THROTTLING",
    "UNAUTHORIZED",
    "AppSyncTransport",
    "QueryError",
    "RetryPolicy",
    "masked_url",
    "region_from_url",
    "short",
    "translate",
]

log = logging.getLogger("plexus_datasets.graphql")

THROTTLING = {
    "DynamoDB:ProvisionedThroughputExceededException",
    "DynamoDB:ThrottlingException",
    "DynamoDB:RequestLimitExceeded",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "LimitExceededException",
    "ServiceUnavailableException",
}
CONDITIONAL = "DynamoDB:ConditionalCheckFailedException"
UNAUTHORIZED = "UnauthorizedException"
#: How AppSync refuses credentials: a wrong API key or identity (UNAUTHORIZED), and SigV4's own refusals.
AUTH_REFUSED = {
    UNAUTHORIZED,
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "ExpiredTokenException",
}
BAD_ARGUMENT = {
    "DynamoDB:UserIllegalArgumentException",
    "InvalidArgumentsError",
    "ValidationError",
    "BadRequestException",
    "DynamoDB:DynamoDbException",
}
#: AppSync's answer when a request runs more resolvers than it allows.
RESOLVER_LIMIT = "ResolverExecutionLimitReached"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying transient failures: attempts, total seconds, backoff."""

    max_attempts: int = 6
    max_elapsed: float = 30.0
    base_delay: float = 0.1
    max_delay: float = 4.0

    def delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class QueryError(Exception):
    """An error answer (``errorType``, message); ``after_ambiguous`` if an earlier
    attempt of the same request may have been applied."""

    def __init__(self, error_type: str | None, message: str) -> None:
        self.error_type = error_type
        self.after_ambiguous = False
        super().__init__(message)


class _Transient(Exception):
    """A failure worth retrying; ``ambiguous`` if the request may have been applied."""

    def __init__(self, reason: str, ambiguous: bool) -> None:
        self.reason = reason
        self.ambiguous = ambiguous
        super().__init__(reason)


class _Redirected(Exception):
    """Raised from a response hook: the server answered with a redirect."""

    def __init__(self, status: int, location: str) -> None:
        self.status = status
        self.location = location
        super().__init__(f"HTTP {status}")


def _refuse_redirect(response: Any, *args: Any, **kwargs: Any) -> None:
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location", "")
        response.close()
        raise _Redirected(response.status_code, location)


# gql 4 wraps whatever the HTTP request raised in TransportConnectionFailed (the original as its __cause__) and
# takes a GraphQLRequest; gql 3.5 (what Plexus 1.50 pins) lets requests' errors and what our hooks and signer
# raise (_Redirected, AuthError) through, and takes the document and its variables.
try:
    from gql import GraphQLRequest
    from gql.transport.exceptions import TransportConnectionFailed
except ImportError:  # gql 3.5
    _CONNECTION_FAILED: tuple[type[BaseException], ...] = (requests.RequestException, _Redirected, AuthError)

    def _send(transport: RequestsHTTPTransport, document: DocumentNode, variables: dict[str, Any]) -> Any:
        return transport.execute(document, variable_values=variables)

    def _connection_error(exc: BaseException) -> BaseException:
        return exc
else:  # gql 4
    _CONNECTION_FAILED = (TransportConnectionFailed,)

    def _send(transport: RequestsHTTPTransport, document: DocumentNode, variables: dict[str, Any]) -> Any:
        return transport.execute(GraphQLRequest(document, variable_values=variables))

    def _connection_error(exc: BaseException) -> BaseException:
        return exc.__cause__ or exc


def _utcnow() -> datetime:
    """The signing clock (a seam for tests of stale signatures)."""
    return datetime.now(UTC)


class _SigV4(AuthBase):
    """Signs each prepared request with AWS SigV4 for AppSync (body included).

    Credentials come from botocore's standard chain (environment, shared files and
    profiles, container and instance roles), looked up on the first request and
    refreshed by botocore as they expire. Signed headers: host, content-type,
    x-amz-date (and x-amz-security-token): what no proxy or HTTP library rewrites.
    """

    def __init__(self, region: str, description: str) -> None:
        self.region = region
        self._description = description
        self._credentials: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SigV4(service='appsync', region={self.region!r})"

    def _frozen(self) -> Any:
        from botocore.exceptions import BotoCoreError
        from botocore.session import get_session

        try:
            with self._lock:
                if self._credentials is None:
                    self._credentials = get_session().get_credentials()
                credentials = self._credentials
            frozen = credentials.get_frozen_credentials() if credentials is not None else None
        except BotoCoreError as exc:
            raise AuthError(f"AWS credentials for signing requests to the GraphQL API at {self._description} could "
                            f"not be loaded ({type(exc).__name__}: {short(exc)}). {_CONFIGURE_AWS}") from exc
        if frozen is None or not frozen.access_key or not frozen.secret_key:
            raise AuthError(f"No AWS credentials found to sign requests to the GraphQL API at {self._description} "
                            f"(PLEXUS_GRAPHQL_AUTH_MODE=iam). {_CONFIGURE_AWS}")
        return frozen

    def __call__(self, request: Any) -> Any:
        from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
        from botocore.awsrequest import AWSRequest

        frozen = self._frozen()
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        aws = AWSRequest(method=request.method, url=request.url, data=body, headers=headers)
        aws.context["timestamp"] = _utcnow().strftime(SIGV4_TIMESTAMP)
        aws.headers["X-Amz-Date"] = aws.context["timestamp"]
        if frozen.token:
            aws.headers["X-Amz-Security-Token"] = frozen.token
        # SigV4Auth's steps rather than add_auth, which logs the canonical request (session token included)
        # at DEBUG.
        signer = SigV4Auth(frozen, "appsync", self.region)
        canonical = signer.canonical_request(aws)
        signature = signer.signature(signer.string_to_sign(aws, canonical), aws)
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={signer.scope(aws)}, "
            f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(aws))}, Signature={signature}"
        )
        for name in ("X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws.headers:
                request.headers[name] = aws.headers[name]
        return request


_CONFIGURE_AWS = ("Configure AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an "
                  "instance or container role), or unset PLEXUS_GRAPHQL_AUTH_MODE to use an API key "
                  "(PLEXUS_API_KEY).")


class AppSyncTransport:
    """One AppSync GraphQL endpoint: validate, send, retry, translate transport failures.

    ``schema_sdl`` is the SDL documents are validated against. ``api_key`` is sent as
    ``x-api-key``; ``iam_region`` switches to AWS SigV4 signing for that region (the API
    key is then not sent). Thread-safe: one request at a time per transport.

    >>> t = AppSyncTransport("http://127.0.0.1:8765/graphql", schema_sdl=sdl, api_key="k")  # doctest: +SKIP
    >>> t.execute("query { listDatasets { items { id } nextToken } }")  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        schema_sdl: str,
        api_key: str | None = None,
        iam_region: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise ValidationError(f"The GraphQL URL must start with http:// or https://, got {url!r}.")
        if iam_region is not None and not _REGION.fullmatch(iam_region):
            raise ValidationError(f"The signing region (PLEXUS_API_REGION) must be an AWS region such as us-east-1, "
                                  f"got {iam_region!r}.")
        self.url = url
        self.description = masked_url(url)
        self.retry = retry or RetryPolicy()
        self.region = iam_region
        self._auth = _SigV4(iam_region, self.description) if iam_region is not None else None
        headers = {"x-api-key": api_key} if api_key and self._auth is None else {}
        # allow_redirects and hooks go to requests: a redirect would carry the credentials elsewhere.
        self._transport = RequestsHTTPTransport(url=url, headers=headers, auth=self._auth, timeout=timeout,
                                                retries=0, allow_redirects=False,
                                                hooks={"response": [_refuse_redirect]})
        self._client = Client(schema=schema_sdl, transport=self._transport)
        self._documents: dict[str, Any] = {}
        self._lock = threading.Lock()  # requests sessions are not safe to share across threads
        self._connected = False
        #: HTTP requests sent so far (attempts included): what round-trip budgets are measured in.
        self.requests_sent = 0

    @property
    def auth_mode(self) -> str:
        """``"iam"``, ``"api_key"`` or ``"none"``."""
        if self._auth is not None:
            return "iam"
        return "api_key" if self._transport.headers else "none"

    @property
    def schema(self) -> GraphQLSchema:
        """The schema documents are validated against."""
        assert self._client.schema is not None
        return self._client.schema

    def __repr__(self) -> str:
        region = f", region={self.region!r}" if self.region else ""
        return f"AppSyncTransport({self.description!r}, auth={self.auth_mode!r}{region})"

    def close(self) -> None:
        with self._lock:
            if self._connected:
                self._transport.close()
                self._connected = False

    def validate(self, text: str) -> Any:
        """``text`` parsed and checked against the schema (cached); ValidationError when it doesn't fit."""
        document = self._documents.get(text)
        if document is None:
            document = self._parse(text)
            errors = validate_document(self.schema, document)  # against the local SDL, never introspection
            if errors:
                raise ValidationError(f"A GraphQL document does not fit the schema: {errors[0].message}")
            self._documents[text] = document
        return document

    def execute(self, text: str, variables: Mapping[str, Any] | None = None, *, validate: bool = True
                ) -> dict[str, Any]:
        """Run one document with retries; return its ``data``.

        Raises QueryError for an error answer, AuthError, BackendUnavailableError when retries
        run out, BackendError/CorruptRecordError for answers that are not GraphQL responses.
        ``validate=False`` skips the local check (a probe of a schema we don't know yet).
        """
        document = self.validate(text) if validate else self._parse(text)
        request = (document, dict(variables or {}))
        started, attempt, ambiguous = time.monotonic(), 0, False
        while True:
            attempt += 1
            try:
                return self._once(request)
            except QueryError as exc:
                exc.after_ambiguous = ambiguous
                raise
            except _Transient as exc:
                ambiguous = ambiguous or exc.ambiguous
                elapsed = time.monotonic() - started
                delay = self.retry.delay(attempt)
                if attempt >= self.retry.max_attempts or elapsed + delay > self.retry.max_elapsed:
                    raise BackendUnavailableError(
                        f"The GraphQL API at {self.description} kept failing ({exc.reason}) after {attempt} attempt(s) "
                        f"in {elapsed:.1f}s. Check that it is reachable, then retry."
                    ) from exc
                log.info("Retrying after %s (attempt %d, waiting %.2fs)", exc.reason, attempt, delay)
                time.sleep(delay)

    @staticmethod
    def _parse(text: str) -> DocumentNode:
        try:
            return parse(text)
        except GraphQLError as exc:
            raise ValidationError(f"A GraphQL document does not parse: {exc.message}") from exc

    def _once(self, request: tuple[DocumentNode, dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            if not self._connected:
                self._transport.connect()
                self._connected = True
            self.requests_sent += 1
            try:
                result = _send(self._transport, *request)
            except _CONNECTION_FAILED as exc:
                cause = _connection_error(exc)
                if isinstance(cause, _Redirected):
                    raise BackendError(self._redirect_message(cause)) from exc
                if isinstance(cause, AuthError):  # from the signer: no AWS credentials
                    raise cause from cause.__cause__
                raise _Transient(f"connection failed: {short(exc)}", ambiguous=True) from exc
            except TransportServerError as exc:
                if exc.code == 401 or exc.code == 403:
                    raise AuthError(self._auth_message(_error_type(exc) or f"HTTP {exc.code}")) from None
                if exc.code == 429 or (exc.code or 0) >= 500:
                    raise _Transient(f"HTTP {exc.code}", ambiguous=exc.code != 429) from exc
                raise BackendError(f"The GraphQL API at {self.description} answered HTTP {exc.code}.") from exc
            except TransportProtocolError as exc:
                raise _Transient(f"invalid response: {short(exc)}", ambiguous=True) from exc
            except (TypeError, AttributeError, ValueError) as exc:  # JSON that is not a GraphQL answer
                raise BackendError(f"The GraphQL API at {self.description} answered something that is not a "
                                   f"GraphQL response ({type(exc).__name__}).") from exc
            headers = self._transport.response_headers or {}
        error_type = (headers.get("x-amzn-ErrorType") or "").split(":")[0]
        if error_type in AUTH_REFUSED:
            raise AuthError(self._auth_message(error_type))
        errors = result.errors or []
        if not isinstance(errors, list):
            errors = [errors]
        errors = [e if isinstance(e, dict) else {"message": str(e)[:200]} for e in errors]
        if not isinstance(result.data or {}, dict):
            raise CorruptRecordError(f"The GraphQL API at {self.description} answered data that is not an object.")
        for error in errors:
            kind = error.get("errorType")
            if kind in AUTH_REFUSED:
                raise AuthError(self._auth_message(kind))
            if kind in THROTTLING:
                raise _Transient(kind, ambiguous=False)
        if errors:
            first = errors[0]
            raise QueryError(first.get("errorType"), first.get("message") or "unknown error")
        return result.data or {}

    def _auth_message(self, error_type: str) -> str:
        """What to do about a refusal; ``error_type`` (AppSync's, or the HTTP status) is named for SigV4,
        whose refusals differ (unknown key, bad signature, expired)."""
        if self._auth is None:
            return (f"The GraphQL API at {self.description} refused the request ({UNAUTHORIZED}): "
                    "set PLEXUS_API_KEY (or pass api_key=) to a valid API key.")
        return (f"The GraphQL API at {self.description} refused the AWS-signed request ({error_type}): check the "
                f"AWS credentials this machine uses (AWS_PROFILE, AWS_ACCESS_KEY_ID...), that they may call this "
                f"API, and the signing region {self.region!r} (PLEXUS_API_REGION).")

    def _redirect_message(self, redirect: _Redirected) -> str:
        try:
            target = masked_url(urljoin(self.url, redirect.location)) if redirect.location else "nowhere"
        except ValueError:
            target = "an invalid address"
        target = "".join(c if c.isprintable() else "?" for c in target)[:200]
        credential = "the API key" if self._auth is None else "the request's signature"
        return (f"The GraphQL API at {self.description} answered HTTP {redirect.status}, redirecting to {target}. "
                f"Redirects are not followed ({credential} must not travel with them): set PLEXUS_API_URL (or "
                "api_url=) to the address that answers.")


def _error_type(exc: TransportServerError) -> str | None:
    """The ``x-amzn-ErrorType`` of an HTTP error answer (AppSync names auth failures there)."""
    response = getattr(exc.__cause__, "response", None)
    value = response.headers.get("x-amzn-ErrorType") if response is not None else None
    if not isinstance(value, str):
        return None
    value = value.split(":")[0]
    return value if _ERROR_TYPE.fullmatch(value) else None


#: How a GraphQL server words a document written for another schema.
_OTHER_SCHEMA = ("Cannot query field", "Unknown type", "Unknown argument")


def translate(exc: QueryError, description: str) -> Exception:
    """The error-tree exception for an error answer (``description``: the masked URL)."""
    if exc.error_type == CONDITIONAL:
        return ConflictError(f"The write was refused because the record changed ({exc}).")
    if exc.error_type in (None, "ValidationError") and str(exc).startswith(_OTHER_SCHEMA):
        # Our documents are checked against our SDL before they go: the API has another schema.
        return DialectError(
            f"The GraphQL API at {description} does not have what this schema needs ({short(str(exc), 160)}): "
            "it speaks another schema. Unset PLEXUS_DATASETS_DIALECT (or connect(dialect=...)) so the package "
            "asks the API which one it speaks, or set it to the other (plan or plexus).")
    if exc.error_type in BAD_ARGUMENT:
        return ValidationError(f"The GraphQL API refused the request: {exc} ({exc.error_type}).")
    return BackendError(f"The GraphQL API at {description} failed: {exc} ({exc.error_type or 'no errorType'}).")


def masked_url(url: str) -> str:
    """``url`` without credentials or query string (IPv6 brackets and port kept), for people and logs."""
    parts = urlsplit(url)
    _, at, host = parts.netloc.rpartition("@")
    if at:  # a user name in a URL may itself be a token
        host = f"***@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "***" if parts.query else "", ""))


def region_from_url(url: str) -> str | None:
    """The AWS region of an AppSync endpoint (``<id>.appsync-api.<region>.amazonaws.com``), else None.

    >>> region_from_url("https://abc123.appsync-api.us-west-2.amazonaws.com/graphql")
    'us-west-2'
    """
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    match = _APPSYNC_HOST.fullmatch(host)
    return match.group(1) if match else None


def short(exc: Exception | str, limit: int = 300) -> str:
    """One line of an error's text for a message: URL credentials and query strings masked
    (a transport error repeats the URL it failed on), cut at a word boundary."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = _URL_USERINFO.sub("//***@", _URL_QUERY.sub("?***", text))
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


_URL_QUERY = re.compile(r"\?[^\s'\"()<>]+")
_URL_USERINFO = re.compile(r"//[^/\s@'\"]+@")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_APPSYNC_HOST = re.compile(r"[a-z0-9]+\.appsync-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?")
_ERROR_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9.]{0,80}")
