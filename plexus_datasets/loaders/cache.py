"""The materialization cache: one verified Parquet file per (version id, config digest).

Layout in the cache directory::

    <version id>-<digest[:16]>.parquet   the data
    <version id>-<digest[:16]>.json      {"sha256": ..., "rows": ..., "columns": [...]}

Writes go to a temporary file in the same directory and are renamed into
place (atomic on POSIX), data first, then the manifest. A read checks the
manifest's sha256 against the file: a missing manifest, a partial or corrupt
file, or a mismatch counts as a miss (the files are removed and the data
rebuilt), so a damaged cache is never returned. With ``s3_uri`` every entry
is mirrored to ``s3://bucket/prefix/`` and a local miss is filled from there.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LoaderError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MaterializationCache"]

log = logging.getLogger("plexus_datasets.cache")


class MaterializationCache:
    def __init__(self, directory: Path | str, s3_uri: str | None = None) -> None:
        self.directory = Path(directory)
        self.s3_uri = s3_uri.rstrip("/") if s3_uri else None

    def __repr__(self) -> str:
        return f"MaterializationCache({str(self.directory)!r}, s3_uri={self.s3_uri!r})"

    def key(self, version_id: str, digest: str) -> str:
        return f"{version_id}-{digest[:16]}"

    def paths(self, version_id: str, digest: str) -> tuple[Path, Path]:
        stem = self.directory / self.key(version_id, digest)
        return stem.with_suffix(".parquet"), stem.with_suffix(".json")

    # --- read --------------------------------------------------------------------------

    def get(self, version_id: str, digest: str) -> pd.DataFrame | None:
        """The cached frame, or None when absent or damaged (damaged files are removed)."""
        data, manifest = self.paths(version_id, digest)
        frame = self._read_local(data, manifest)
        if frame is None and self.s3_uri:
            frame = self._read_s3(version_id, digest)
        return frame

    def _read_local(self, data: Path, manifest: Path) -> pd.DataFrame | None:
        if not data.exists() and not manifest.exists():
            return None
        try:
            expected = json.loads(manifest.read_text())
            payload = data.read_bytes()
            if hashlib.sha256(payload).hexdigest() != expected["sha256"]:
                raise ValueError("checksum mismatch")
            frame = _parquet_frame(payload)
            if len(frame) != expected["rows"]:
                raise ValueError("row count mismatch")
            return frame
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Discarding damaged cache entry %s (%s); it will be rebuilt.", data.name, exc)
            for path in (data, manifest):
                path.unlink(missing_ok=True)
            return None

    # --- write -------------------------------------------------------------------------

    def put(self, version_id: str, digest: str, frame: pd.DataFrame) -> Path:
        """Store ``frame`` atomically (and mirror it to S3); return the data file's path."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        data, manifest = self.paths(version_id, digest)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
            payload = buffer.getvalue()
            meta = {"sha256": hashlib.sha256(payload).hexdigest(), "rows": len(frame),
                    "columns": [str(c) for c in frame.columns]}
            _atomic_write(data, payload)
            _atomic_write(manifest, json.dumps(meta).encode())
        except OSError as exc:
            raise LoaderError(
                f"Can't write the cache in {self.directory}: {exc.strerror or exc}. "
                "Set PLEXUS_DATASETS_CACHE_DIR to a writable folder."
            ) from exc
        if self.s3_uri:
            self._write_s3(self.key(version_id, digest), payload, meta)
        return data

    # --- S3 mirror ---------------------------------------------------------------------

    def _s3(self) -> tuple[Any, str, str]:
        from .builtin import _s3_client, split_s3

        bucket, prefix = split_s3(self.s3_uri or "")
        return _s3_client(), bucket, prefix.strip("/")

    def _s3_key(self, prefix: str, name: str) -> str:
        return f"{prefix}/{name}" if prefix else name

    def _write_s3(self, key: str, payload: bytes, meta: dict) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        client, bucket, prefix = self._s3()
        try:
            client.put_object(Bucket=bucket, Key=self._s3_key(prefix, key + ".parquet"), Body=payload)
            client.put_object(Bucket=bucket, Key=self._s3_key(prefix, key + ".json"), Body=json.dumps(meta).encode())
        except (BotoCoreError, ClientError) as exc:
            raise LoaderError(f"Can't mirror the cache to {self.s3_uri}: {exc}. Check AWS credentials.") from exc

    def _read_s3(self, version_id: str, digest: str) -> pd.DataFrame | None:
        from botocore.exceptions import BotoCoreError, ClientError

        client, bucket, prefix = self._s3()
        key = self.key(version_id, digest)
        try:
            meta = json.loads(client.get_object(Bucket=bucket, Key=self._s3_key(prefix, key + ".json"))["Body"].read())
            payload = client.get_object(Bucket=bucket, Key=self._s3_key(prefix, key + ".parquet"))["Body"].read()
        except (BotoCoreError, ClientError, ValueError) as exc:
            log.debug("No usable S3 cache entry for %s: %s", key, exc)
            return None
        if hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
            log.warning("Ignoring damaged S3 cache entry %s.", key)
            return None
        data, manifest = self.paths(version_id, digest)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _atomic_write(data, payload)
            _atomic_write(manifest, json.dumps(meta).encode())
        except OSError:
            pass  # a read-only local cache still gets the data
        return _parquet_frame(payload)


def _parquet_frame(payload: bytes) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(io.BytesIO(payload)).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"unreadable Parquet: {exc}") from exc


def _atomic_write(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
