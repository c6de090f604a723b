"""Data files in S3: put, get and hash the Parquet files Plexus DataSets point at.

A DataSet's ``file`` is a key in the datasets bucket (``AMPLIFY_STORAGE_DATASETS_BUCKET_NAME``),
``datasets/{accountId}/{dataSetId}/dataset.parquet``, or a full ``s3://bucket/key`` URI (Plexus
accepts both). Stored values are untrusted: ``location`` refuses keys that climb (``..``), absolute
paths and anything that is not plain text. boto3 is imported when a file is first moved; its
endpoint comes from the standard ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` variables, which
boto3 reads itself, and credentials from its default chain.

Errors: a missing object is NotFoundError; missing credentials AuthError; an endpoint that can't
be reached BackendUnavailableError; any other S3 refusal BackendError (never a botocore traceback).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import AuthError, BackendError, BackendUnavailableError, ConfigurationError, NotFoundError

__all__ = ["BUCKET_VARIABLE", "S3Files", "location", "sha256_file", "snapshot_key"]

#: The variable that names the bucket Plexus keeps DataSet files in.
BUCKET_VARIABLE = "AMPLIFY_STORAGE_DATASETS_BUCKET_NAME"
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


def location(file: Any, default_bucket: str | None) -> tuple[str, str]:
    """``(bucket, key)`` of a DataSet's ``file`` value: a bucket-relative key (in
    ``default_bucket``) or ``s3://bucket/key``. ValueError for a value no honest writer
    stores (not text, empty, absolute, with ``..`` segments, backslashes or control
    characters); ConfigurationError when a relative key needs the bucket and it is unset."""
    if not isinstance(file, str) or not file or len(file) > 2048:
        raise ValueError("the file is not a non-empty text of at most 2,048 characters")
    if any(ord(c) < 32 or c == "\x7f" or c == "\\" for c in file):
        raise ValueError("the file holds control characters or backslashes")
    bucket = default_bucket
    key = file
    if file.startswith("s3://"):
        bucket, _, key = file[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError("the file's s3:// URI names no bucket")
    elif "://" in file:
        raise ValueError("the file is a URI that is not s3://")
    if not key or key.startswith("/") or any(part in ("..", ".") for part in key.split("/")):
        raise ValueError("the file's key is empty, absolute or climbs out of its folder ('..')")
    if not bucket:
        raise ConfigurationError(missing_bucket_message())
    return bucket, key


def missing_bucket_message() -> str:
    return (f"Plexus keeps DataSet files in S3, and no bucket is set: set {BUCKET_VARIABLE} to the datasets "
            "bucket of your Plexus deployment (the same variable Plexus's own CLI reads).")


class S3Files:
    """Puts and gets whole files in S3 (one boto3 client, made when first needed)."""

    def __init__(self) -> None:
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    import boto3
                except ImportError as exc:  # pragma: no cover - boto3 is a dependency
                    raise BackendError("Moving Plexus DataSet files needs boto3: pip install boto3.") from exc
                self._client = boto3.client("s3")
            return self._client

    def put(self, path: str | os.PathLike[str], bucket: str, key: str) -> None:
        """Upload the file at ``path`` to ``s3://bucket/key`` (replacing what is there)."""
        with _s3_errors(f"s3://{bucket}/{key}", "upload"):
            self.client().upload_file(str(path), bucket, key)

    def get(self, bucket: str, key: str, dest: str | os.PathLike[str], what: str) -> None:
        """Download ``s3://bucket/key`` to ``dest`` (whole or not at all: through a
        temporary file beside it). NotFoundError naming ``what`` when the object is gone."""
        target = Path(dest)
        partial = target.with_name(f".{target.name}.part")
        try:
            with _s3_errors(f"s3://{bucket}/{key}", "download", missing=what):
                self.client().download_file(bucket, key, str(partial))
            os.replace(partial, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()


@contextlib.contextmanager
def _s3_errors(uri: str, action: str, missing: str | None = None) -> Iterator[None]:
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
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound") and missing is not None:
            raise NotFoundError(f"The data file of {missing} is gone from S3 ({uri}).") from exc
        if code in ("NoSuchBucket",):
            raise NotFoundError(f"The S3 bucket of {uri} does not exist; check {BUCKET_VARIABLE}.") from exc
        if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            raise AuthError(f"S3 refused to {action} {uri} ({code}): check your AWS credentials and their "
                            "access to that bucket.") from exc
        raise BackendError(f"S3 failed to {action} {uri} ({code or type(exc).__name__}).") from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AuthError(f"No AWS credentials to {action} {uri}: configure them as for the AWS CLI "
                        "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE...).") from exc
    except EndpointConnectionError as exc:
        raise BackendUnavailableError(f"S3 can't be reached to {action} {uri}: {exc}.") from exc
    except BotoCoreError as exc:
        raise BackendError(f"S3 failed to {action} {uri} ({type(exc).__name__}).") from exc
