"""Built-in loaders ("data caches"): inline items and files.

``InlineItems`` (also Plexus's ``type: fixed``): ``items:`` is a list of rows.

``FileItems``: ``path:`` is a local path, a glob (``data/*.csv``) or
``s3://bucket/key`` (a glob in the key too), or a list of those; ``format:``
is csv, parquet or jsonl (default: from the extension). CSV is read with only
empty cells as nulls, so a literal "NA" answer stays "NA". S3 uses boto3 with
the standard AWS environment and config (``AWS_ENDPOINT_URL`` included).

What ``FileItems`` may read is the loading user's ``TrustPolicy``: a relative
path starts at the first data root; every path (``~``, ``..``, symlinks and
each glob match resolved first) must land inside a data root, and an S3 URI
must name an allowed bucket, else DataAccessError before anything is read.
"""

from __future__ import annotations

import fnmatch
import glob
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataAccessError, LoaderError
from .trust import TrustPolicy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUILTIN_LOADERS", "FileItems", "InlineItems"]

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class InlineItems:
    """Rows listed in the configuration (``items:``)."""

    def __init__(self, items: Any = None, *, trust: TrustPolicy | None = None, **_: Any) -> None:
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise LoaderError("InlineItems needs `items:`, a list of mappings (one per row).")
        self.items = items

    def load_dataframe(self, *, data: Any = None, fresh: bool = False) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.items)


class FileItems:
    """Rows from CSV, Parquet or JSON Lines files, local or on S3, read under ``trust``
    (default: ``TrustPolicy()``, the current directory and any bucket)."""

    def __init__(self, path: Any = None, format: str | None = None, *, trust: TrustPolicy | None = None,
                 **_: Any) -> None:
        if not path:
            raise LoaderError("FileItems needs `path:` (a file, a glob, or s3://bucket/key).")
        self.paths = [path] if isinstance(path, str) else path
        if not isinstance(self.paths, list) or not all(isinstance(p, str) and p for p in self.paths):
            raise LoaderError("FileItems: `path:` must be a path (text) or a list of paths.")
        if format is not None and format not in ("csv", "parquet", "jsonl"):
            raise LoaderError(f"FileItems: format must be csv, parquet or jsonl, not {str(format)[:40]!r}.")
        self.format = format
        self.trust = trust if trust is not None else TrustPolicy()

    def load_dataframe(self, *, data: Any = None, fresh: bool = False) -> pd.DataFrame:
        import pandas as pd

        for pattern in self.paths:  # every bucket is checked before anything is listed or read
            if pattern.startswith("s3://"):
                self.trust.check_bucket(split_s3(pattern)[0], uri=pattern)
        sources = []
        for pattern in self.paths:
            if pattern.startswith("s3://"):
                sources += _s3_objects(pattern, self.trust)
            else:
                sources += _local_files(pattern, self.trust)
        frames = [self._read(name, opener) for name, opener in sources]
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def _read(self, name: str, opener: Any) -> pd.DataFrame:
        import pandas as pd

        fmt = self.format or FORMATS.get(Path(name.split("?")[0]).suffix.lower())
        if fmt is None:
            raise LoaderError(f"Can't tell the format of {name}: add `format: csv|parquet|jsonl`.")
        try:
            with opener() as handle:
                if fmt == "csv":
                    return pd.read_csv(handle, keep_default_na=False, na_values=[""])
                if fmt == "jsonl":
                    # pandas < 3 still guesses dates from column names unless told not to.
                    legacy = {"convert_dates": False} if int(pd.__version__.split(".")[0]) < 3 else {}
                    return pd.read_json(handle, lines=True, dtype=False, **legacy)
                return pd.read_parquet(handle)
        except LoaderError:
            raise
        except Exception as exc:  # pandas/pyarrow raise many types for unreadable files
            raise LoaderError(f"Can't read {name} as {fmt}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc


def _local_files(pattern: str, trust: TrustPolicy) -> list[tuple[str, Any]]:
    """The files ``pattern`` names, each resolved and checked inside the data roots.

    For a glob, the folder before the first wildcard is checked before it is
    listed, then every match (so a symlink inside a root can't lead out of it).
    """
    path = trust.local_path(pattern)
    if glob.has_magic(str(path)):
        base = _until_magic(path.parts)
        if ".." in path.parts[len(base):]:
            raise DataAccessError(f"FileItems: {pattern!r} has `..` after a wildcard; write the folder out instead.")
        trust.check_path(Path(*base), shown=pattern)
        matches = [Path(m) for m in sorted(glob.glob(str(path)))]
    else:
        matches = [path]
    checked = [(m, trust.check_path(m, shown=pattern if m == path else str(m))) for m in matches]
    files = [(str(name), real) for name, real in checked if real.is_file()]
    if not files:
        raise LoaderError(f"No file matches {pattern!r} (looked in {path.parent}).")
    # Open the resolved path, not the name: what was checked is what is read.
    return [(name, lambda real=real: open(real, "rb")) for name, real in files]


def _until_magic(parts: tuple[str, ...]) -> list[str]:
    kept = []
    for part in parts:
        if glob.has_magic(part):
            break
        kept.append(part)
    return kept


def _s3_client() -> Any:
    try:
        import boto3
    except ImportError as exc:  # pragma: no cover - boto3 is a dependency
        raise LoaderError("Reading s3:// paths needs boto3: pip install boto3.") from exc
    return boto3.client("s3")


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket:
        raise LoaderError(f"Not an S3 URI: {uri!r}; use s3://bucket/key.")
    return bucket, key


def _s3_objects(uri: str, trust: TrustPolicy) -> list[tuple[str, Any]]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
    trust.check_bucket(bucket, uri=uri)
    client = _s3_client()
    try:
        if glob.has_magic(key):
            prefix = key[: min(key.find(c) for c in "*?[" if c in key)]
            keys = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys += [o["Key"] for o in page.get("Contents", []) if fnmatch.fnmatchcase(o["Key"], key)]
            if not keys:
                raise LoaderError(f"No S3 object matches {uri!r}.")
        else:
            keys = [key]

        def opener(k: str) -> Any:
            try:
                body = client.get_object(Bucket=bucket, Key=k)["Body"].read()
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                hint = "it does not exist" if code in ("NoSuchKey", "404") else code
                raise LoaderError(f"Can't read s3://{bucket}/{k}: {hint}.") from exc
            return io.BytesIO(body)

        return [(f"s3://{bucket}/{k}", lambda k=k: opener(k)) for k in sorted(keys)]
    except (BotoCoreError, ClientError) as exc:
        raise LoaderError(f"Can't list {uri}: {exc}. Check AWS credentials, region and AWS_ENDPOINT_URL.") from exc


BUILTIN_LOADERS: dict[str, type] = {"InlineItems": InlineItems, "FileItems": FileItems}
