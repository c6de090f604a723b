"""Data files in S3: put, get and hash the Parquet files Plexus DataSets point at.

A DataSet's ``file`` is a key in the datasets bucket (``AMPLIFY_STORAGE_DATASETS_BUCKET_NAME``),
``datasets/{accountId}/{dataSetId}/dataset.parquet``, or a full ``s3://bucket/key`` URI (Plexus
accepts both). Stored values are untrusted: ``location`` refuses keys that climb (``..``), absolute
paths, anything that is not plain text and, given the connection's account, a relative key outside
that account's folder (``datasets/{accountId}/``). Downloads are capped at ``MAX_FILE_BYTES``
(checked with HeadObject first, and again while the body streams to disk).

boto3 is imported when a file is first moved, and each ``S3Files`` makes its client from a session
of its own (boto3's default session is not thread-safe for making clients). The endpoint comes from
the standard ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` variables, which boto3 reads itself, and
credentials from its default chain.

Errors: a missing object or bucket is NotFoundError; missing or refused credentials AuthError; an
endpoint that can't be reached BackendUnavailableError; an object over the cap DataAccessError; any
other S3 refusal BackendError. boto3's own wrappers (``S3UploadFailedError`` and every
``Boto3Error``) are mapped by the ClientError they wrap: never a boto3 or botocore traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from ..errors import (
    AuthError,
    BackendError,
    BackendUnavailableError,
    ConfigurationError,
    DataAccessError,
    NotFoundError,
)

__all__ = ["BUCKET_VARIABLE", "MAX_FILE_BYTES", "S3Files", "location", "sha256_file", "snapshot_key"]

#: The variable that names the bucket Plexus keeps DataSet files in.
BUCKET_VARIABLE = "AMPLIFY_STORAGE_DATASETS_BUCKET_NAME"
#: The largest data file downloaded (4 GiB): a stored record may point at any object, and a
#: DataSet's Parquet file is read whole into memory afterwards. Larger objects are refused
#: before a byte is read; a body that grows past it while streaming is cut off.
MAX_FILE_BYTES = 4 * 1024 ** 3
_CHUNK = 1024 * 1024


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, as 64 lowercase hex digits (read in 1 MB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot_key(account_id: str, data_set_id: str) -> str:
    """Where Plexus keeps a DataSet's Parquet file, relative to the datasets bucket."""
    return f"datasets/{account_id}/{data_set_id}/dataset.parquet"


def location(file: Any, default_bucket: str | None, account: str | None = None) -> tuple[str, str]:
    """``(bucket, key)`` of a DataSet's ``file`` value: a bucket-relative key (in
    ``default_bucket``) or ``s3://bucket/key``. ValueError for a value no honest writer
    stores (not text, empty, absolute, with ``..`` segments, backslashes or control
    characters) and, with ``account``, for a relative key outside ``datasets/{account}/``
    (another account's file); ConfigurationError when a relative key needs the bucket and
    it is unset."""
    if not isinstance(file, str) or not file or len(file) > 2048:
        raise ValueError("the file is not a non-empty text of at most 2,048 characters")
    if any(ord(c) < 32 or c == "\x7f" or c == "\\" for c in file):
        raise ValueError("the file holds control characters or backslashes")
    bucket = default_bucket
    key = file
    relative = not file.startswith("s3://")
    if not relative:
        bucket, _, key = file[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError("the file's s3:// URI names no bucket")
    elif "://" in file:
        raise ValueError("the file is a URI that is not s3://")
    if not key or key.startswith("/") or any(part in ("..", ".") for part in key.split("/")):
        raise ValueError("the file's key is empty, absolute or climbs out of its folder ('..')")
    if relative and account is not None and not key.startswith(f"datasets/{account}/"):
        raise ValueError(f"the file's key is outside datasets/{account}/, this account's folder (another "
                         "account's file)")
    if not bucket:
        raise ConfigurationError(missing_bucket_message())
    return bucket, key


def missing_bucket_message() -> str:
    return (f"Plexus keeps DataSet files in S3, and no bucket is set: set {BUCKET_VARIABLE} to the datasets "
            "bucket of your Plexus deployment (the same variable Plexus's own CLI reads).")


class S3Files:
    """Puts, gets and deletes whole files in S3 (one boto3 client from a session of its own,
    made when first needed; ``close`` releases it)."""

    def __init__(self) -> None:
        self._client: Any = None
        self._closed = False
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._closed:
                raise BackendError("This connection is closed; its S3 files can't be moved any more.")
            if self._client is None:
                try:
                    import boto3.session
                except ImportError as exc:  # pragma: no cover - boto3 is a dependency
                    raise BackendError("Moving Plexus DataSet files needs boto3: pip install boto3.") from exc
                self._client = boto3.session.Session().client("s3")
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client, self._closed = self._client, None, True
        if client is not None:
            client.close()

    def put(self, path: str | os.PathLike[str], bucket: str, key: str) -> None:
        """Upload the file at ``path`` to ``s3://bucket/key`` (replacing what is there)."""
        with _s3_errors(f"s3://{bucket}/{key}", "upload"):
            self.client().upload_file(str(path), bucket, key)

    def delete(self, bucket: str, key: str) -> None:
        """Delete ``s3://bucket/key`` (nothing happens when it is not there)."""
        with _s3_errors(f"s3://{bucket}/{key}", "delete"):
            self.client().delete_object(Bucket=bucket, Key=key)

    def get(self, bucket: str, key: str, dest: str | os.PathLike[str], what: str) -> None:
        """Download ``s3://bucket/key`` to ``dest`` (whole or not at all: streamed to a
        temporary file beside it). NotFoundError naming ``what`` when the object is gone;
        DataAccessError when it is over ``MAX_FILE_BYTES``."""
        uri = f"s3://{bucket}/{key}"
        target = Path(dest)
        partial = target.with_name(f".{target.name}.part")
        try:
            with _s3_errors(uri, "download", missing=what):
                client = self.client()
                size = client.head_object(Bucket=bucket, Key=key).get("ContentLength")
                if isinstance(size, int) and size > MAX_FILE_BYTES:
                    _too_large(what, uri, size)
                body = client.get_object(Bucket=bucket, Key=key)["Body"]
                try:
                    _stream(body, partial, what, uri)
                finally:
                    body.close()
            os.replace(partial, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()


def _stream(body: Any, partial: Path, what: str, uri: str) -> None:
    written = 0
    with open(partial, "wb") as out:
        for chunk in body.iter_chunks(_CHUNK):
            written += len(chunk)
            if written > MAX_FILE_BYTES:  # the object grew after HeadObject
                _too_large(what, uri, None)
            out.write(chunk)


def _too_large(what: str, uri: str, size: int | None) -> NoReturn:
    said = f"is {size:,} bytes," if size is not None else "grew while it was read,"
    raise DataAccessError(f"The data file of {what} ({uri}) {said} over the limit of {MAX_FILE_BYTES:,} bytes "
                          "plexus-datasets downloads (MAX_FILE_BYTES); it was not read.")


@contextlib.contextmanager
def _s3_errors(uri: str, action: str, missing: str | None = None) -> Iterator[None]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    try:
        yield
    except ClientError as exc:
        _refused(exc, uri, action, missing)
    except Boto3Error as exc:
        # upload_file wraps a ClientError in S3UploadFailedError (implicitly chained, no `from`)
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ClientError):
            _refused(cause, uri, action, missing, wrapper=exc)
        raise BackendError(f"S3 failed to {action} {uri} ({type(exc).__name__}).") from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AuthError(f"No AWS credentials to {action} {uri}: configure them as for the AWS CLI "
                        "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE...).") from exc
    except EndpointConnectionError as exc:
        raise BackendUnavailableError(f"S3 can't be reached to {action} {uri}: {exc}.") from exc
    except BotoCoreError as exc:
        raise BackendError(f"S3 failed to {action} {uri} ({type(exc).__name__}).") from exc


def _refused(exc: Any, uri: str, action: str, missing: str | None, wrapper: BaseException | None = None) -> NoReturn:
    """Our error for S3's ClientError ``exc`` (raised from ``wrapper`` when boto3 wrapped it)."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    origin = wrapper or exc
    if code in ("404", "NoSuchKey", "NotFound") and missing is not None:
        raise NotFoundError(f"The data file of {missing} is gone from S3 ({uri}).") from origin
    if code in ("NoSuchBucket",):
        bucket = uri[len("s3://"):].split("/", 1)[0]
        raise NotFoundError(f"The S3 bucket {bucket!r} (of {uri}) does not exist; check {BUCKET_VARIABLE}.") from origin
    if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
        raise AuthError(f"S3 refused to {action} {uri} ({code}): check your AWS credentials and their "
                        "access to that bucket.") from origin
    raise BackendError(f"S3 failed to {action} {uri} ({code or type(exc).__name__}).") from origin
