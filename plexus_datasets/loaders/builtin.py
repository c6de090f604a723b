"""Built-in loaders ("data caches"): inline items and files.

``InlineItems`` (also Plexus's ``type: fixed``): ``items:`` is a non-empty list
of rows (mappings).

``FileItems``: ``path:`` is a local path, a glob (``data/*.csv``) or
``s3://bucket/key`` (a glob in the key too), or a list of those; ``format:``
is csv, parquet or jsonl (default: from the extension); ``encoding:`` (CSV and
JSONL, default utf-8 with any BOM dropped) and ``delimiter:`` (CSV, one
character) say how the text is written. ``_reading`` reads the text: CSV with
only empty cells as nulls (a literal "NA" stays "NA"), rows with too many fields
refused and rows with too few reported (DataQualityWarning). S3 uses boto3 with
the standard AWS environment and config (``AWS_ENDPOINT_URL`` included).

Both declare their parameters in ``_params`` (``InlineItemsParams``,
``FileItemsParams``): an unknown or mistyped parameter is a one-line
LoaderError naming it, raised when the loader is built, before anything is read.
``encoding:`` applies to CSV and JSON Lines, ``delimiter:`` to CSV only: given
for a file whose format can't use it (Parquet, or JSON Lines for a delimiter;
the format known from ``format:`` or the file's extension), it is refused
(``misapplied``) when a configuration is checked or a loader built. A stored
configuration (``stored=True``, how ``materialize`` builds it) may predate that
rule: there it is a DataQualityWarning (raised by ``materialize``) and the
parameter is applied only to the files that can use it.

What ``FileItems`` may read is the loading user's ``TrustPolicy``: a relative
path starts at the first data root; every path (``~``, ``..``, symlinks and
each glob match resolved first) must land inside a data root, and an S3 URI
must name an allowed bucket, else DataAccessError before anything is read.
Besides loading, ``FileItems`` answers ``check_sources()`` (every path exists
here, nothing read) and ``fingerprint()`` (what the sources are right now, from
listings and file metadata only).
"""

from __future__ import annotations

import fnmatch
import glob
import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataAccessError, DataQualityWarning, LoaderError
from .trust import TrustPolicy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BUILTIN_LOADERS", "FileItems", "InlineItems", "Misapplied", "misapplied", "split_s3"]

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: Marks a parameter left out (None is a value someone wrote: ``items:`` with nothing after it).
_MISSING: Any = object()


def _given(params: dict[str, Any], **named: Any) -> dict[str, Any]:
    return {**{k: v for k, v in named.items() if v is not _MISSING}, **params}


class InlineItems:
    """Rows listed in the configuration (``items:``); the parameters are checked when built
    (``trust`` and ``stored`` are accepted as FileItems takes them, and mean nothing here)."""

    def __init__(self, items: Any = _MISSING, *, trust: TrustPolicy | None = None, stored: bool = False,
                 **params: Any) -> None:
        from ._params import InlineItemsParams, validated

        self.params = validated(InlineItemsParams, "InlineItems", _given(params, items=items))
        self.items = list(self.params.items)

    def load_dataframe(self, *, data: Any = None, fresh: bool = False) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.items)


class FileItems:
    """Rows from CSV, Parquet or JSON Lines files, local or on S3, read under ``trust``
    (default: ``TrustPolicy()``, the current directory and any bucket). The parameters
    are checked when built (LoaderError naming the parameter); with ``stored`` (a stored
    configuration being loaded) an ``encoding:``/``delimiter:`` some file can't use is
    left to the caller to report, and applied only where it can be."""

    def __init__(self, path: Any = _MISSING, format: Any = _MISSING, *, trust: TrustPolicy | None = None,
                 stored: bool = False, **params: Any) -> None:
        from ._params import FileItemsParams, validated

        self.params = validated(FileItemsParams, "FileItems", _given(params, path=path, format=format))
        self.paths = list(self.params.path)
        self.format = self.params.format
        self.trust = trust if trust is not None else TrustPolicy()
        problems = [] if stored else misapplied(self.params)
        if problems:
            raise LoaderError(problems[0].refusal)

    def _check_buckets(self) -> None:
        for pattern in self.paths:  # every bucket is checked before anything is listed or read
            if pattern.startswith("s3://"):
                self.trust.check_bucket(split_s3(pattern)[0], uri=pattern)

    def check_sources(self) -> None:
        """Check, without reading any file, that every local path or glob names at least one
        file inside the data roots and that every S3 bucket is allowed (nothing is listed)."""
        self._check_buckets()
        for pattern in self.paths:
            if not pattern.startswith("s3://"):
                _local_matches(pattern, self.trust, self.format)

    def fingerprint(self) -> list[dict[str, Any]]:
        """What the sources are right now, sorted by source, from metadata only: for a local
        file ``{source, size, mtime_ns}``, for an S3 object ``{source, etag, version_id, size}``."""
        self._check_buckets()
        found = []
        for pattern in self.paths:
            if pattern.startswith("s3://"):
                found += _s3_fingerprint(pattern, self.trust)
            else:
                found += [_file_fingerprint(real) for _, real in _local_matches(pattern, self.trust, self.format)]
        return sorted(found, key=lambda source: source["source"])

    def load_dataframe(self, *, data: Any = None, fresh: bool = False) -> pd.DataFrame:
        import pandas as pd

        self._check_buckets()
        sources = []
        for pattern in self.paths:
            if pattern.startswith("s3://"):
                sources += _s3_objects(pattern, self.trust)
            else:
                sources += [(name, partial(open, real, "rb"))  # what was checked is what is read
                            for name, real in _local_matches(pattern, self.trust, self.format)]
        sources = _once(sources)
        frames = [self._read(name, opener) for name, opener in sources]
        if len(frames) == 1:
            return frames[0]
        _warn_mixed_columns([name for name, _ in sources], frames)
        return pd.concat(frames, ignore_index=True)

    def _read(self, name: str, opener: Any) -> pd.DataFrame:
        import pandas as pd

        from ._reading import decode, read_csv, read_jsonl

        fmt = self.format or FORMATS.get(_suffix(name))
        if fmt is None:
            raise LoaderError(f"Can't tell the format of {name}: add `format: csv|parquet|jsonl`.")
        try:
            with opener() as handle:
                if fmt == "parquet":
                    return pd.read_parquet(handle)
                if fmt == "csv":  # streamed from the handle, never held whole
                    return read_csv(name, handle, self.params.encoding, self.params.delimiter)
                data = handle.read()
            return read_jsonl(name, decode(name, data, self.params.encoding))
        except LoaderError:
            raise
        except Exception as exc:  # pandas/pyarrow raise many types for unreadable files
            raise LoaderError(f"Can't read {name} as {fmt}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc


def _suffix(name: str) -> str:
    return Path(name.split("?")[0]).suffix.lower()


#: The formats each text parameter applies to, and how messages say them.
TEXT_PARAMETERS = {"encoding": (("csv", "jsonl"), "CSV and JSON Lines files"), "delimiter": (("csv",), "CSV files")}


@dataclass(frozen=True)
class Misapplied:
    """A text parameter given for files whose format can't use it: ``refusal`` (when checked)
    and ``warning`` (when a stored configuration is loaded) are one line each."""

    parameter: str
    refusal: str
    warning: str


def misapplied(params: Any) -> list[Misapplied]:
    """``encoding:``/``delimiter:`` given (in ``params``, a FileItemsParams) for a format that
    can't use them: Parquet stores its own types and text, and JSON Lines has no delimiter. The
    format is ``format:`` when given, else each path's extension (a path without a known one
    is not judged)."""
    found = []
    for parameter, (formats, applies) in TEXT_PARAMETERS.items():
        if getattr(params, parameter) is None:
            continue
        if params.format is not None:
            if params.format in formats:
                continue
            fmt = params.format
            why = f"`{parameter}:` applies to {applies} only, but `format:` is {fmt}"
            remedy = f"remove the {parameter}"
        else:
            other = next((p for p in params.path if FORMATS.get(_suffix(p)) not in (None, *formats)), None)
            if other is None:
                continue
            fmt = FORMATS[_suffix(other)]
            why = f"`{parameter}:` applies to {applies} only, but {other[:200]!r} is {fmt}"
            remedy = f"remove the {parameter} or list only {applies}"
        if fmt == "parquet":
            why += " (Parquet files store their own text and types)"
        found.append(Misapplied(parameter, f"FileItems: {why}; {remedy}.",
                                f"FileItems: {why}, so it is not applied to those files. To stop this warning, "
                                f"{remedy} in a new version of the configuration."))
    return found


# --- local files -------------------------------------------------------------------------------

def _once(sources: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Each file once, in order: a file named twice (a path and a glob over it) is read once, said aloud."""
    seen: dict[str, Any] = {}
    for name, opener in sources:
        seen.setdefault(name, opener)
    if len(seen) < len(sources):
        twice = sorted({name for name, _ in sources if [n for n, _ in sources].count(name) > 1})
        warnings.warn(f"FileItems: {', '.join(twice[:5])} matched more than one path; each file is read once.",
                      DataQualityWarning, stacklevel=4)
    return list(seen.items())


def _warn_mixed_columns(names: list[str], frames: list[pd.DataFrame]) -> None:
    """Files are stacked by column name; say so when they don't have the same columns."""
    first = [str(c) for c in frames[0].columns]
    odd = [(name, [str(c) for c in frame.columns]) for name, frame in zip(names, frames, strict=True)
           if [str(c) for c in frame.columns] != first]
    if odd:
        name, columns = odd[0]
        missing = [c for c in first if c not in columns]
        extra = [c for c in columns if c not in first]
        warnings.warn(
            f"FileItems: {len(odd)} of {len(frames)} files have other columns than {names[0]} ({name}: "
            f"{'missing ' + ', '.join(missing[:5]) if missing else ''}{'; ' if missing and extra else ''}"
            f"{'extra ' + ', '.join(extra[:5]) if extra else ''}); rows are stacked by column name and the gaps "
            "are empty. Narrow `path:` to the files that belong together.", DataQualityWarning, stacklevel=4)


def _local_matches(pattern: str, trust: TrustPolicy, fmt: str | None = None) -> list[tuple[str, Path]]:
    """(name, resolved path) of each file ``pattern`` names, checked inside the data roots.

    For a glob, the folder before the first wildcard is checked before it is listed,
    then every match (so a symlink inside a root can't lead out of it). A missing file,
    a directory or a glob matching nothing is a LoaderError saying so.
    """
    path = trust.local_path(pattern)
    if not glob.has_magic(str(path)):
        real = trust.check_path(path, shown=pattern)
        if real.is_dir():
            example = f"{pattern.rstrip('/')}/*.{fmt or 'csv'}"
            raise LoaderError(f"{pattern!r} is a directory ({real}), not a file. To read the files in it, use a "
                              f"glob: `path: {example}`.")
        if not real.is_file():
            hint = _relative_hint(pattern, trust)
            raise LoaderError(f"No file matches {pattern!r}: {real} does not exist{f' ({hint})' if hint else ''}.")
        return [(str(path), real)]
    base = _until_magic(path.parts)
    if ".." in path.parts[len(base):]:
        raise DataAccessError(f"FileItems: {pattern!r} has `..` after a wildcard; write the folder out instead.")
    folder = trust.check_path(Path(*base), shown=pattern)
    matches = [Path(m) for m in sorted(glob.glob(str(path)))]
    checked = [(str(m), trust.check_path(m, shown=str(m))) for m in matches]
    files = [(name, real) for name, real in checked if real.is_file()]
    if not files:
        missing = "" if folder.is_dir() else ", which does not exist"
        hint = _relative_hint(pattern, trust)
        raise LoaderError(f"No file matches {pattern!r} (looked in {folder}{missing}{f'; {hint}' if hint else ''}).")
    return files


def _relative_hint(pattern: str, trust: TrustPolicy) -> str:
    """Where a relative ``pattern`` was looked for, said once in a message; "" when absolute."""
    if Path(pattern).expanduser().is_absolute():
        return ""
    return f"relative paths start at the data root {trust.data_roots[0]}"


def _file_fingerprint(real: Path) -> dict[str, Any]:
    stat = os.stat(real)
    return {"source": str(real), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


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


def _s3_matches(client: Any, bucket: str, pattern: str, uri: str) -> list[dict[str, Any]]:
    """The objects (list_objects_v2 entries) whose key matches the glob ``pattern``, by key."""
    prefix = pattern[: min(pattern.find(c) for c in "*?[" if c in pattern)]
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [o for o in page.get("Contents", []) if fnmatch.fnmatchcase(o["Key"], pattern)]
    if not found:
        raise LoaderError(f"No S3 object matches {uri!r}.")
    return sorted(found, key=lambda o: o["Key"])


@contextmanager
def _s3_errors(uri: str) -> Iterator[None]:
    """Turns botocore's errors inside the block into LoaderErrors about ``uri``."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise LoaderError(f"Can't read {uri}: it does not exist.") from exc
        raise LoaderError(f"Can't read {uri}: {code or exc}. Check AWS credentials, region and "
                          "AWS_ENDPOINT_URL.") from exc
    except BotoCoreError as exc:
        raise LoaderError(f"Can't list {uri}: {exc}. Check AWS credentials, region and AWS_ENDPOINT_URL.") from exc


def _s3_objects(uri: str, trust: TrustPolicy) -> list[tuple[str, Any]]:
    """(uri, opener) for each object ``uri`` names (a glob is listed now; objects are read on open)."""
    bucket, key = split_s3(uri)
    trust.check_bucket(bucket, uri=uri)
    client = _s3_client()
    with _s3_errors(uri):
        keys = [o["Key"] for o in _s3_matches(client, bucket, key, uri)] if glob.has_magic(key) else [key]

    def opener(k: str) -> Any:
        with _s3_errors(f"s3://{bucket}/{k}"):
            return io.BytesIO(client.get_object(Bucket=bucket, Key=k)["Body"].read())

    return [(f"s3://{bucket}/{k}", lambda k=k: opener(k)) for k in keys]


def _s3_fingerprint(uri: str, trust: TrustPolicy) -> list[dict[str, Any]]:
    """``{source, etag, version_id, size}`` per object: from the listing for a glob (which
    carries no version id), from head_object for one key."""
    bucket, key = split_s3(uri)
    trust.check_bucket(bucket, uri=uri)
    client = _s3_client()
    with _s3_errors(uri):
        if glob.has_magic(key):
            return [{"source": f"s3://{bucket}/{o['Key']}", "etag": str(o.get("ETag", "")).strip('"'),
                     "version_id": None, "size": int(o.get("Size", 0))} for o in _s3_matches(client, bucket, key, uri)]
        head = client.head_object(Bucket=bucket, Key=key)
    return [{"source": f"s3://{bucket}/{key}", "etag": str(head.get("ETag", "")).strip('"'),
             "version_id": head.get("VersionId"), "size": int(head.get("ContentLength", 0))}]


BUILTIN_LOADERS: dict[str, type] = {"InlineItems": InlineItems, "FileItems": FileItems}
