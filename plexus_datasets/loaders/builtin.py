"""Built-in loaders ("data caches"): inline items and files.

``InlineItems`` (also Plexus's ``type: fixed``): ``items:`` is a list of rows.

``FileItems``: ``path:`` is a local path, a glob (``data/*.csv``) or
``s3://bucket/key`` (a glob in the key too), or a list of those; ``format:``
is csv, parquet or jsonl (default: from the extension). CSV is read with only
empty cells as nulls, so a literal "NA" answer stays "NA". S3 uses boto3 with
the standard AWS environment and config (``AWS_ENDPOINT_URL`` included).
"""

from __future__ import annotations

import fnmatch
import glob
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LoaderError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FileItems", "InlineItems"]

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class InlineItems:
    """Rows listed in the configuration (``items:``)."""

    def __init__(self, items: Any = None, **_: Any) -> None:
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise LoaderError("InlineItems needs `items:`, a list of mappings (one per row).")
        self.items = items

    def load_dataframe(self, *, data: Any = None, fresh: bool = False) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.items)


class FileItems:
    """Rows from CSV, Parquet or JSON Lines files, local or on S3."""

    def __init__(self, path: Any = None, format: str | None = None, **_: Any) -> None:
        if not path:
            raise LoaderError("FileItems needs `path:` (a file, a glob, or s3://bucket/key).")
        self.paths = [path] if isinstance(path, str) else list(path)
        if format is not None and format not in ("csv", "parquet", "jsonl"):
            raise LoaderError(f"FileItems: format must be csv, parquet or jsonl, not {format!r}.")
        self.format = format

    def load_dataframe(self, *, data: Any = None, fresh: bool = False) -> pd.DataFrame:
        import pandas as pd

        frames = []
        for pattern in self.paths:
            sources = _s3_objects(pattern) if str(pattern).startswith("s3://") else _local_files(str(pattern))
            for name, opener in sources:
                frames.append(self._read(name, opener))
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


def _local_files(pattern: str) -> list[tuple[str, Any]]:
    expanded = str(Path(pattern).expanduser())
    matches = sorted(glob.glob(expanded)) if glob.has_magic(expanded) else [expanded]
    files = [m for m in matches if Path(m).is_file()]
    if not files:
        raise LoaderError(f"No file matches {pattern!r} (looked in {Path(expanded).parent.absolute()}).")
    return [(f, lambda f=f: open(f, "rb")) for f in files]


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


def _s3_objects(uri: str) -> list[tuple[str, Any]]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
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
