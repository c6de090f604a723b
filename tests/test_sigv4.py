"""AWS SigV4: the transport signs (botocore's credential chain), the stand-in's verifier checks.

End to end through a real HTTP server on 127.0.0.1 that calls ``verify_sigv4`` and answers
AppSync's refusals; unit tests of ``verify_sigv4`` over requests botocore signed at a fixed time.
Credentials come from environment variables only: the machine's AWS files are never read.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from plexus_datasets.backends import _appsync
from plexus_datasets.backends._appsync import AppSyncTransport, RetryPolicy, region_from_url
from plexus_datasets.backends.contract import schema_text
from plexus_datasets.backends.plexus import schema_text as plexus_schema_text
from plexus_datasets.errors import AuthError, ValidationError
from plexus_datasets.server.sigv4 import MAX_SKEW, check_sigv4_header, signed_with_sigv4, verify_sigv4
from tests.servers import ThreadedServer, json_asgi

AKID = "AKIAPLEXUSTEST0001"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET0001"
TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token-0001"
QUERY = "query Probe { listDatasets(limit: 1) { nextToken } }"
ANSWER = {"data": {"listDatasets": {"nextToken": None}}}


class SignedAppSync:
    """An AppSync look-alike that accepts only SigV4 requests signed with ``credentials``;
    it keeps every request and every refusal it made."""

    def __init__(self, credentials: dict[str, str]) -> None:
        self.credentials = credentials
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.refusals: list[tuple[int, str, str]] = []

    def __call__(self, method, target, headers, body):
        self.requests.append((target, headers, body))
        refusal = verify_sigv4(method, target, headers, body, self.credentials)
        if refusal is None:
            return 200, [], ANSWER
        self.refusals.append(refusal)
        status, error_type, message = refusal
        return status, [(b"x-amzn-errortype", error_type.encode())], {
            "errors": [{"errorType": error_type, "message": message}]}


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Only what a test sets: no AWS variable, profile, file or instance metadata from this machine."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-such-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-such-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def signed_env(aws_env):
    aws_env.setenv("AWS_ACCESS_KEY_ID", AKID)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    return aws_env


@pytest.fixture
def appsync():
    handler = SignedAppSync({AKID: SECRET})
    with ThreadedServer(json_asgi(handler)) as server:
        handler.url = server.url
        yield handler


def transport(url: str) -> AppSyncTransport:
    return AppSyncTransport(url, schema_sdl=schema_text(), iam_region="us-east-1",
                            retry=RetryPolicy(max_attempts=2, max_elapsed=2, base_delay=0.01))


# --- end to end ----------------------------------------------------------------------------------------------------

def test_a_request_signed_with_the_right_credentials_passes(signed_env, appsync):
    client = transport(appsync.url)
    assert client.execute(QUERY) == ANSWER["data"]
    assert client.execute(QUERY) == ANSWER["data"]  # signed afresh each time
    client.close()
    _, headers, body = appsync.requests[0]
    assert headers["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={AKID}/")
    assert "/us-east-1/appsync/aws4_request" in headers["authorization"]
    assert "SignedHeaders=content-type;host;x-amz-date," in headers["authorization"]
    assert "x-api-key" not in headers and json.loads(body)["query"].startswith("query Probe")
    assert appsync.refusals == []


def test_session_tokens_are_sent_and_signed(signed_env, appsync):
    signed_env.setenv("AWS_SESSION_TOKEN", TOKEN)
    client = transport(appsync.url)
    assert client.execute(QUERY) == ANSWER["data"]
    _, headers, _ = appsync.requests[0]
    assert headers["x-amz-security-token"] == TOKEN
    assert "x-amz-security-token" in headers["authorization"]
    client.close()


def test_a_wrong_secret_is_an_auth_error(aws_env, appsync):
    aws_env.setenv("AWS_ACCESS_KEY_ID", AKID)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET + "-wrong")
    client = transport(appsync.url)
    with pytest.raises(AuthError, match=r"refused the AWS-signed request \(InvalidSignatureException\)") as info:
        client.execute(QUERY)
    assert "AWS credentials" in str(info.value) and "us-east-1" in str(info.value)
    assert appsync.refusals == [(403, "InvalidSignatureException", _mismatch())]
    assert len(appsync.requests) == 1  # an auth failure is not retried
    client.close()


def test_an_unknown_access_key_id_is_unrecognized(aws_env, appsync):
    aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIANOBODYKNOWS00000")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    client = transport(appsync.url)
    with pytest.raises(AuthError, match="UnrecognizedClientException"):
        client.execute(QUERY)
    assert appsync.refusals == [(403, "UnrecognizedClientException",
                                 "The security token included in the request is invalid.")]
    client.close()


def test_a_tampered_body_or_header_is_refused(signed_env, appsync):
    client = transport(appsync.url)
    client.execute(QUERY)
    client.close()
    _, headers, body = appsync.requests[0]
    replay = {k: v for k, v in headers.items() if k in ("authorization", "x-amz-date", "content-type")}
    tampered_body = body.replace(b"limit: 1", b"limit: 9")
    assert tampered_body != body
    for sent_headers, sent_body in [(replay, tampered_body), ({**replay, "content-type": "text/plain"}, body)]:
        answer = requests.post(appsync.url, data=sent_body, headers=sent_headers, timeout=5)
        assert answer.status_code == 403
        assert answer.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
        assert answer.json()["errors"][0]["message"] == _mismatch()
    untouched = requests.post(appsync.url, data=body, headers=replay, timeout=5)
    assert untouched.status_code == 200  # the replay itself was faithful: only the changes were refused


def test_a_stale_signature_is_expired(signed_env, appsync):
    signed_env.setattr(_appsync, "_utcnow", lambda: datetime.now(UTC) - timedelta(minutes=10))
    client = transport(appsync.url)
    with pytest.raises(AuthError, match="InvalidSignatureException"):
        client.execute(QUERY)
    (status, error_type, message), = appsync.refusals
    assert (status, error_type) == (403, "InvalidSignatureException")
    assert message.startswith("Signature expired: ") and message.endswith(" - 5 min.)")
    client.close()


def test_no_credentials_is_an_auth_error_saying_what_to_configure(aws_env, appsync):
    client = transport(appsync.url)
    with pytest.raises(AuthError) as info:
        client.execute(QUERY)
    message = str(info.value)
    assert "No AWS credentials found" in message and "AWS_ACCESS_KEY_ID" in message and "AWS_PROFILE" in message
    assert appsync.requests == []  # nothing unsigned went out
    client.close()


def test_a_missing_profile_is_an_auth_error(aws_env, appsync):
    aws_env.setenv("AWS_PROFILE", "nobody-has-this-profile")
    client = transport(appsync.url)
    with pytest.raises(AuthError, match="could not be loaded .*ProfileNotFound"):
        client.execute(QUERY)
    client.close()


def test_secrets_never_appear_in_reprs_messages_or_logs(aws_env, appsync, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    aws_env.setenv("AWS_ACCESS_KEY_ID", AKID)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    aws_env.setenv("AWS_SESSION_TOKEN", TOKEN)
    client = transport(appsync.url)
    client.execute(QUERY)
    seen += [repr(client), repr(client._auth), client.description]
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET[::-1])
    wrong = transport(appsync.url)
    with pytest.raises(AuthError) as info:
        wrong.execute(QUERY)
    seen += [str(info.value), repr(info.value), repr(wrong)]
    seen += [message for _, _, message in appsync.refusals]
    seen += [record.getMessage() for record in caplog.records]
    assert caplog.records, "the requests should have logged something at DEBUG"
    for secret in (SECRET, SECRET[::-1], TOKEN):
        assert not [text for text in seen if secret in text]
    client.close()
    wrong.close()


def test_the_stand_in_verifies_signatures_when_given_credentials(signed_env, tmp_path):
    from plexus_datasets.backends.graphql import GraphQLBackend
    from plexus_datasets.backends.sql import SQLBackend
    from plexus_datasets.server import app as server_app

    store = SQLBackend(str(tmp_path / "served.db"))
    with ThreadedServer(server_app.create_app(store, None, iam_credentials={AKID: SECRET})) as server:
        backend = GraphQLBackend(server.url, transport=transport(server.url))
        assert backend.list("Dataset") == []
        backend.close()
        signed_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET + "-wrong")
        with pytest.raises(AuthError, match="InvalidSignatureException"):
            transport(server.url).execute(QUERY)
        unsigned = requests.post(server.url, json={"query": QUERY}, timeout=5)
        assert unsigned.status_code == 401
    store.close()


# --- the transport's IAM settings ------------------------------------------------------------------------------

def test_the_region_comes_from_an_appsync_host():
    assert region_from_url("https://abcdefghij.appsync-api.eu-west-1.amazonaws.com/graphql") == "eu-west-1"
    assert region_from_url("https://x1.appsync-api.cn-north-1.amazonaws.com.cn/graphql") == "cn-north-1"
    assert region_from_url("https://api.example.com/graphql") is None
    assert region_from_url("http://127.0.0.1:8765/graphql") is None
    assert region_from_url("http://[::1/graphql") is None


def test_iam_transports_send_no_api_key_and_say_so_in_their_repr():
    client = AppSyncTransport("https://x.appsync-api.us-east-1.amazonaws.com/graphql", schema_sdl=schema_text(),
                              api_key="da2-secret-key", iam_region="us-east-1")
    assert repr(client) == ("AppSyncTransport('https://x.appsync-api.us-east-1.amazonaws.com/graphql', "
                            "auth='iam', region='us-east-1')")
    assert client.auth_mode == "iam" and "da2-secret-key" not in repr(vars(client))
    with pytest.raises(ValidationError, match="PLEXUS_API_REGION"):
        AppSyncTransport("https://x/graphql", schema_sdl=schema_text(), iam_region="US East!")


# --- verify_sigv4 over requests botocore signed ------------------------------------------------------------------

NOW = datetime(2025, 3, 4, 12, 30, 0, tzinfo=UTC)
URL = "https://abc.appsync-api.us-east-1.amazonaws.com/graphql"
BODY = b'{"query": "{ listDatasets { nextToken } }"}'


def _mismatch() -> str:
    return ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")


def sign(monkeypatch, *, at=NOW, body=BODY, url=URL, service="appsync", region="us-east-1", secret=SECRET,
         token=None, extra=None) -> dict[str, str]:
    """The headers botocore's SigV4Auth sends for a POST of ``body`` to ``url``, signed ``at``."""
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *a, **k: at.replace(tzinfo=None))
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type": "application/json", **(extra or {})})
    SigV4Auth(Credentials(AKID, secret, token), service, region).add_auth(request)
    return {"Host": url.split("/")[2], **dict(request.headers.items())}


def verify(headers, body=BODY, target="/graphql", now=NOW, **kwargs):
    return verify_sigv4("POST", target, headers, body, {AKID: SECRET}, now, **kwargs)


def test_a_botocore_signature_verifies(monkeypatch):
    headers = sign(monkeypatch)
    assert signed_with_sigv4(headers)
    assert verify(headers) is None
    assert verify({k.lower(): v for k, v in headers.items()}) is None  # header names in any case
    assert verify(sign(monkeypatch, token=TOKEN)) is None
    assert verify(sign(monkeypatch, url=URL + "?b=2&a=1"), target="/graphql?b=2&a=1") is None
    assert verify(sign(monkeypatch, body=b""), body=b"") is None
    assert verify(sign(monkeypatch, extra={"User-Agent": "x"})) is None
    assert verify(headers, now=NOW + MAX_SKEW) is None and verify(headers, now=NOW - MAX_SKEW) is None
    assert verify(headers, region="us-east-1") is None


def test_any_change_to_a_signed_request_is_a_mismatch(monkeypatch):
    headers = sign(monkeypatch)
    mismatch = (403, "InvalidSignatureException", _mismatch())
    assert verify(headers, body=BODY + b" ") == mismatch
    assert verify(headers, target="/other") == mismatch
    assert verify(headers, target="/graphql?x=1") == mismatch
    assert verify({**headers, "Content-Type": "text/plain"}) == mismatch
    assert verify({**headers, "Host": "evil.example"}) == mismatch
    assert verify({k: v for k, v in headers.items() if k != "Content-Type"}) == mismatch
    assert verify_sigv4("GET", "/graphql", headers, BODY, {AKID: SECRET}, NOW) == mismatch
    assert verify_sigv4("POST", "/graphql", headers, BODY, {AKID: SECRET + "x"}, NOW) == mismatch
    assert verify(sign(monkeypatch, secret="another-secret")) == mismatch


def test_the_body_hash_header_must_match_the_body(monkeypatch):
    digest = "0" * 64
    headers = sign(monkeypatch, extra={"X-Amz-Content-SHA256": digest})
    # botocore trusts the header when it computes the signature: the verifier checks the body itself.
    assert verify(headers) == (403, "InvalidSignatureException", _mismatch())
    unsigned = sign(monkeypatch, extra={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert verify(unsigned) == (403, "InvalidSignatureException", _mismatch())
    import hashlib

    honest = sign(monkeypatch, extra={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    assert verify(honest) is None
    assert verify(honest, body=b"{}")[1] == "InvalidSignatureException"


def test_signatures_expire_after_five_minutes_either_way(monkeypatch):
    headers = sign(monkeypatch)
    late = NOW + timedelta(minutes=10)
    assert verify(headers, now=late) == (
        403, "InvalidSignatureException",
        "Signature expired: 20250304T123000Z is now earlier than 20250304T123500Z (20250304T124000Z - 5 min.)")
    early = NOW - timedelta(minutes=10)
    assert verify(headers, now=early) == (
        403, "InvalidSignatureException",
        "Signature not yet current: 20250304T123000Z is still later than 20250304T122500Z (20250304T122000Z + 5 min.)")
    assert verify(headers, now=late.replace(tzinfo=None)) == verify(headers, now=late)  # naive = UTC
    assert verify(headers, now=late.astimezone(timezone(timedelta(hours=2)))) == verify(headers, now=late)


def test_unknown_keys_other_services_and_regions_are_refused(monkeypatch):
    headers = sign(monkeypatch)
    assert verify_sigv4("POST", "/graphql", headers, BODY, {"AKIAOTHER": SECRET}, NOW) == (
        403, "UnrecognizedClientException", "The security token included in the request is invalid.")
    assert verify(sign(monkeypatch, service="s3")) == (
        403, "InvalidSignatureException", "Credential should be scoped to correct service: 'appsync'.")
    assert verify(sign(monkeypatch, region="eu-west-1"), region="us-east-1") == (
        403, "InvalidSignatureException", "Credential should be scoped to a valid region.")
    assert verify(sign(monkeypatch, region="eu-west-1")) is None  # any region unless one is required
    other_day = dict(headers, Authorization=headers["Authorization"].replace("/20250304/", "/20250305/"))
    assert verify(other_day)[2].startswith("Date in Credential scope does not match")


@pytest.mark.parametrize(("change", "status", "error_type", "fragment"), [
    (lambda h: {k: v for k, v in h.items() if k != "Authorization"}, 401, "UnauthorizedException",
     "Valid authorization header not provided."),
    (lambda h: {**h, "Authorization": "Bearer eyJhbGciOi"}, 403, "IncompleteSignatureException", "algorithm"),
    (lambda h: {**h, "Authorization": h["Authorization"].split(", Signature=")[0]}, 403,
     "IncompleteSignatureException", "requires 'Signature' parameter"),
    (lambda h: {**h, "Authorization": "AWS4-HMAC-SHA256 Signature=abc"}, 403, "IncompleteSignatureException",
     "requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter."),
    (lambda h: {**h, "Authorization": h["Authorization"].replace("/aws4_request", "")}, 403,
     "IncompleteSignatureException", "Credential must have the form"),
    (lambda h: {**h, "Authorization": h["Authorization"].replace("content-type;host;", "content-type;")}, 403,
     "IncompleteSignatureException", "'Host' must be a 'SignedHeader'"),
    (lambda h: {k: v for k, v in h.items() if k != "X-Amz-Date"}, 403, "IncompleteSignatureException",
     "'X-Amz-Date' or a 'Date' header"),
    (lambda h: {**h, "X-Amz-Date": "yesterday"}, 403, "IncompleteSignatureException", "ISO 8601"),
    (lambda h: {**h, "Authorization": h["Authorization"].replace(";x-amz-date", "")}, 403,
     "IncompleteSignatureException", "'X-Amz-Date' must be a 'SignedHeader'"),
])
def test_malformed_authorization_headers_are_incomplete(monkeypatch, change, status, error_type, fragment):
    refusal = verify(change(sign(monkeypatch)))
    assert refusal is not None and refusal[:2] == (status, error_type) and fragment in refusal[2]


def test_no_refusal_ever_contains_the_secret(monkeypatch):
    headers = sign(monkeypatch)
    answers = [verify(headers, body=b"x"), verify(headers, now=NOW + timedelta(hours=1)),
               verify_sigv4("POST", "/graphql", headers, BODY, {AKID: "other"}, NOW),
               verify({**headers, "Authorization": "AWS4-HMAC-SHA256 nonsense"})]
    assert all(answer is not None and SECRET not in repr(answer) and "other" not in answer[2] for answer in answers)


# --- a fixed vector, signed by hand ------------------------------------------------------------------------------

VECTOR_KEY, VECTOR_SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
VECTOR_DATE = "20150830T123600Z"
VECTOR_BODY = b'{"query":"{ listDataSources { items { id } } }"}'


def _hand_signed(body: bytes = VECTOR_BODY) -> dict[str, str]:
    """The SigV4 algorithm written out (canonical request, string to sign, derived key), no botocore."""
    import hashlib
    import hmac

    headers = {"content-type": "application/json", "host": "example.appsync-api.us-east-1.amazonaws.com",
               "x-amz-date": VECTOR_DATE}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["POST", "/graphql", "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed,
                           hashlib.sha256(body).hexdigest()])
    scope = f"{VECTOR_DATE[:8]}/us-east-1/appsync/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", VECTOR_DATE, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{VECTOR_SECRET}".encode()
    for part in (VECTOR_DATE[:8], "us-east-1", "appsync", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {**headers, "authorization": f"AWS4-HMAC-SHA256 Credential={VECTOR_KEY}/{scope}, "
                                        f"SignedHeaders={signed}, Signature={signature}"}


def test_a_hand_computed_signature_verifies_and_a_one_byte_change_does_not():
    now = datetime(2015, 8, 30, 12, 37, tzinfo=UTC)
    headers = _hand_signed()
    assert verify_sigv4("POST", "/graphql", headers, VECTOR_BODY, {VECTOR_KEY: VECTOR_SECRET}, now) is None
    assert verify_sigv4("POST", "/graphql", headers, VECTOR_BODY, {VECTOR_KEY: VECTOR_SECRET}, now,
                        region="us-east-1") is None
    changed_body = VECTOR_BODY.replace(b"id", b"ic")
    assert verify_sigv4("POST", "/graphql", headers, changed_body, {VECTOR_KEY: VECTOR_SECRET}, now) == \
        (403, "InvalidSignatureException", _mismatch())
    last = headers["authorization"][-1]
    tampered = {**headers, "authorization": headers["authorization"][:-1] + ("0" if last != "0" else "1")}
    assert verify_sigv4("POST", "/graphql", tampered, VECTOR_BODY, {VECTOR_KEY: VECTOR_SECRET}, now)[1] == \
        "InvalidSignatureException"
    assert verify_sigv4("POST", "/graphql", headers, VECTOR_BODY, {VECTOR_KEY: VECTOR_SECRET}, now,
                        region="eu-west-1")[1] == "InvalidSignatureException"


def test_header_checks_need_no_body():
    now = datetime(2015, 8, 30, 12, 37, tzinfo=UTC)
    credentials = {VECTOR_KEY: VECTOR_SECRET}
    assert check_sigv4_header(_hand_signed(), credentials, now) is None
    assert check_sigv4_header({"authorization": "AWS4-HMAC-SHA256 x"}, credentials, now)[1] == \
        "IncompleteSignatureException"
    assert check_sigv4_header(_hand_signed(), {"OTHER": "s"}, now)[1] == "UnrecognizedClientException"
    assert check_sigv4_header(_hand_signed(), credentials, now + timedelta(minutes=6))[1] == \
        "InvalidSignatureException"
    assert check_sigv4_header(_hand_signed(), credentials, now, region="eu-west-1")[1] == \
        "InvalidSignatureException"


def test_the_stand_in_refuses_a_bogus_signature_before_reading_the_body(tmp_path):
    from plexus_datasets.server import create_app
    from plexus_datasets.server.contract import load_contract
    from plexus_datasets.server.items import ItemStore

    store = ItemStore(str(tmp_path / "items.db"), load_contract("plexus"))
    with ThreadedServer(create_app(store, None, iam_credentials={AKID: SECRET})) as server:
        oversized = b"x" * (6 * 2**20)  # past the 5 MiB cap: reading it would answer 413
        response = requests.post(server.url, data=oversized, timeout=20, headers={
            "Content-Type": "application/json", "Authorization": "AWS4-HMAC-SHA256 x"})
        assert response.status_code == 403
        assert response.headers["x-amzn-errortype"] == "IncompleteSignatureException"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        unknown = (f"AWS4-HMAC-SHA256 Credential=NOBODY/{stamp[:8]}/us-east-1/appsync/aws4_request, "
                   "SignedHeaders=host;x-amz-date, Signature=00")
        response = requests.post(server.url, data=oversized, timeout=20, headers={
            "Content-Type": "application/json", "Authorization": unknown, "X-Amz-Date": stamp})
        assert response.status_code == 403
        assert response.headers["x-amzn-errortype"] == "UnrecognizedClientException"
    with ThreadedServer(create_app(store, None, iam_credentials={AKID: SECRET}, iam_region="eu-west-1")) as server:
        response = requests.post(server.url, json={"query": "{ __typename }"}, timeout=20,
                                 headers=sign_now(server.url))
        assert response.status_code == 403 and response.headers["x-amzn-errortype"] == "InvalidSignatureException"
    store.close()


def sign_now(url: str, region: str = "us-east-1") -> dict[str, str]:
    body = b'{"query": "{ __typename }"}'
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(AKID, SECRET), "appsync", region).add_auth(request)
    return dict(request.headers.items())


def test_serve_accepts_signatures_from_its_environment_scoped_to_a_region(signed_env, tmp_path):
    """`plexus-datasets serve --schema plexus --iam-credentials-env --iam-region R`: requests signed
    with the server's own AWS credentials for R pass, for another region they don't, unsigned is 401."""
    from tests.servers import ServeProcess

    extra = ["--schema", "plexus", "--iam-credentials-env", "--iam-region", "eu-west-1"]
    with ServeProcess(str(tmp_path / "signed.db"), api_key=None, extra=extra) as served:
        query = "{ listDataSources(limit: 1) { items { id } nextToken } }"
        right = AppSyncTransport(served.url, schema_sdl=plexus_schema_text(), iam_region="eu-west-1",
                                 retry=RetryPolicy(max_attempts=1, max_elapsed=2))
        assert right.execute(query) == {"listDataSources": {"items": [], "nextToken": None}}
        right.close()
        wrong = AppSyncTransport(served.url, schema_sdl=plexus_schema_text(), iam_region="us-east-1",
                                 retry=RetryPolicy(max_attempts=1, max_elapsed=2))
        with pytest.raises(AuthError):
            wrong.execute(query)
        wrong.close()
        assert requests.post(served.url, json={"query": query}, timeout=5).status_code == 401
