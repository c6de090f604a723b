"""The materialization cache: one verified Parquet file per (version id, config digest).

Layout in the cache directory, where ``<entry>`` is the sha256 of the version id
and the configuration digest (ids come from a shared store, so they never
become file names)::

    <entry>.parquet   the data
    <entry>.json      {"entry": <entry>, "sha256": ..., "rows": ..., "columns": [...],
                       "built_at": ISO-8601 UTC, "data_sha256": ... | null,
                       "sources": [fingerprint, ...] | null, "machine": ...,
                       "warnings": [text, ...]}

``sha256`` is the digest of the Parquet bytes; ``data_sha256`` a digest of the
rows' content that is the same on every machine (``content_digest``); ``sources``
is what the loader read, as ``loaders.source_fingerprint`` describes it when the
entry was built (null when the loader can't say), so a later load can tell that a
source changed; ``machine`` (a hash of the host name) says whose local paths those
are; ``warnings`` are the data-quality warnings building it gave (short rows...),
said again whenever the entry is read. ``entry()`` returns all of it as a
``Snapshot`` with the frame.

Every entry written is also kept **by content**, so it stays reachable after a
fresh build replaces the entry: ``snap-<sha256>.parquet`` (a hard link to the
entry's file where the file system allows, else a copy) and ``snap-<sha256>.json``
(the entry's manifest, bound to ``snap-<sha256>``, with ``key``: the entry it was
built for). ``pinned_matches(prefix)`` finds them by the start of their sha256 and
``pinned(sha256)`` reads one, verified: a pinned snapshot whose bytes are not the
recorded ones is a ``SnapshotMismatchError``, never replaced. In the S3 mirror they
are ``snapshots/<sha256>.parquet`` and ``.json`` (content-addressed keys), so a
teammate can fetch the same bytes.

Writes go to a temporary file in the same directory and are renamed into
place (atomic on POSIX), data first, then the manifest. A read checks the
manifest (bound to its entry) and the file's sha256, row count and columns: a
missing manifest, a partial or corrupt file, a mismatch, or a symlink counts as
a miss (the files are removed and the data rebuilt), so a damaged cache is
never returned. Every write and delete is checked, on resolved paths, to stay
inside the cache directory; an entry replaced by a non-empty directory is left
alone and reported as a LoaderError. With ``s3_uri`` every entry is mirrored to
``s3://bucket/prefix/`` and a local miss is filled from there, once the mirror's
object passes the same checks (a tampered object is ignored and rebuilt).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import socket
import stat
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LoaderError, SnapshotMismatchError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MaterializationCache", "PinnedSnapshot", "Snapshot"]

#: ``sources`` of a manifest written before fingerprints were recorded.
UNRECORDED = "unrecorded"
#: File name prefix of the snapshots kept by content in the cache folder.
PINNED = "snap-"
#: Folder (under the mirror's prefix) of the snapshots kept by content in S3.
PINNED_S3 = "snapshots"
#: The most snapshots one digest prefix may match before it is refused as too short.
MAX_MATCHES = 20
#: The most entries a snapshot's manifest lists (identical bytes built for many versions).
MAX_KEYS = 256


@dataclass(frozen=True)
class PinnedSnapshot:
    """A snapshot kept by content, as its manifest describes it (the bytes not yet read)."""

    sha256: str
    keys: tuple[str, ...]  # the cache entries (version id + configuration digest, hashed) it was built for
    rows: int
    built_at: str | None
    where: str  # "cache" or "mirror"


@dataclass(frozen=True)
class Snapshot:
    """One verified cache entry: the frame and what its manifest says about it."""

    frame: pd.DataFrame
    sha256: str
    rows: int
    built_at: str | None
    sources: list[dict[str, Any]] | None | str  # UNRECORDED for an entry older than fingerprints
    data_sha256: str | None = None
    machine: str | None = None
    warnings: tuple[str, ...] = ()  # the DataQualityWarnings building it gave, said again on every read
    reference: str | None = None  # ``calls:v3@sha256:ab12cd34ef56`` once the service has named it

    def __repr__(self) -> str:
        return (f"Snapshot({self.reference or self.short}, rows={self.rows:,}, built_at={self.built_at!r}, "
                f"sha256={self.sha256!r})")

    def describe(self) -> dict[str, Any]:
        """The snapshot as a profile records it (``profiling``'s ``subject.snapshot``): its
        sources only by count and digest, since their fingerprints hold local paths."""
        sources = None if self.sources == UNRECORDED else self.sources
        digest = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest() if sources else None
        return {"sha256": self.sha256, "rows": self.rows, "built_at": self.built_at, "data_sha256": self.data_sha256,
                "source_count": len(sources) if sources is not None else None, "sources_digest": digest}

    @property
    def short(self) -> str:
        """``sha256:`` and the first 12 digits: how references and messages name it."""
        return f"sha256:{self.sha256[:12]}"

    @property
    def built_here(self) -> bool:
        """Whether this entry was built on this machine (so its local paths are ours)."""
        return self.machine in (None, this_machine())


def this_machine() -> str:
    """A short hash of the host name: tells entries built here from a mirror's others."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:16]


def content_digest(frame: pd.DataFrame) -> str | None:
    """A sha256 of the rows' content and the column names, the same on every machine
    for the same data (pandas' fixed-key row hashes); None for cells pandas can't hash."""
    import pandas as pd

    try:
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except (TypeError, ValueError):  # lists or dicts in cells
        return None
    digest = hashlib.sha256(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(rows.tobytes())
    return digest.hexdigest()

log = logging.getLogger("plexus_datasets.cache")


class MaterializationCache:
    def __init__(self, directory: Path | str, s3_uri: str | None = None) -> None:
        self.directory = Path(directory)
        self.s3_uri = s3_uri.rstrip("/") if s3_uri else None

    def __repr__(self) -> str:
        return f"MaterializationCache({str(self.directory)!r}, s3_uri={self.s3_uri!r})"

    def key(self, version_id: str, digest: str) -> str:
        """The entry name: a hash of both, never the raw (untrusted) id."""
        return hashlib.sha256(f"{version_id}\n{digest}".encode("utf-8", "surrogatepass")).hexdigest()

    def paths(self, version_id: str, digest: str) -> tuple[Path, Path]:
        """The entry's data and manifest files, inside the resolved cache directory."""
        root = self._root()
        key = self.key(version_id, digest)
        return root / f"{key}.parquet", root / f"{key}.json"

    def _root(self) -> Path:
        try:
            return self.directory.expanduser().resolve()
        except (OSError, RuntimeError) as exc:
            raise LoaderError(f"The cache folder {self.directory} can't be resolved: {exc}. "
                              "Set PLEXUS_DATASETS_CACHE_DIR to a writable folder.") from exc

    def _inside(self, path: Path) -> Path:
        """``path`` if it names an entry directly in the resolved cache directory (the
        entry itself is not followed: a symlink there is replaced or removed, never its target)."""
        if path.parent.resolve() != self._root() or path.name in ("", ".", ".."):
            raise LoaderError(f"Refusing to touch {path}: it is outside the cache folder {self.directory}.")
        return path

    # --- read --------------------------------------------------------------------------

    def get(self, version_id: str, digest: str) -> pd.DataFrame | None:
        """The cached frame, or None when absent or damaged (damaged files are removed)."""
        found = self.entry(version_id, digest)
        return found.frame if found is not None else None

    def entry(self, version_id: str, digest: str) -> Snapshot | None:
        """The cached entry with its manifest, or None when absent or damaged."""
        data, manifest = self.paths(version_id, digest)
        found = self._read_local(data, manifest)
        if found is None and self.s3_uri:
            found = self._read_s3(version_id, digest)
        return found

    def entry_file(self, version_id: str, digest: str) -> Snapshot | None:
        """The entry as a Snapshot whose ``frame`` is None, its file checked without reading
        the rows into memory (sha256 over 1 MiB chunks, rows and columns from the Parquet
        footer): for readers of the file itself (row diffs). None when absent or damaged
        (damaged files are removed, as ``entry`` does); the S3 mirror is not consulted."""
        data, manifest = self.paths(version_id, digest)
        if not os.path.lexists(data) and not os.path.lexists(manifest):
            return None
        try:
            meta = _manifest(_read_regular(manifest), data.stem)
            _verified_file(data, meta)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Discarding damaged cache entry %s (%s); it will be rebuilt.", data.name, exc)
            for path in (data, manifest):
                self._discard(path)
            return None
        return _snapshot(None, meta)  # type: ignore[arg-type]

    def entry_sha256(self, version_id: str, digest: str) -> str | None:
        """The sha256 the entry's manifest records (its newest snapshot here), read without
        checking the data; None when there is no readable manifest."""
        data, manifest = self.paths(version_id, digest)
        try:
            return _hex_or_none(_manifest(_read_regular(manifest), data.stem)["sha256"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def verify_pinned(self, sha256: str) -> Path:
        """The local file of the snapshot kept as ``sha256``, checked without reading the rows
        into memory. Raises SnapshotMismatchError when its bytes or manifest are not the
        recorded ones, LoaderError when it is not here."""
        data, manifest = self._pinned_paths(sha256)
        if not os.path.lexists(data):
            raise LoaderError(f"Snapshot sha256:{sha256[:12]} is not in the cache ({self.directory}).")
        try:
            meta = _manifest(_read_regular(manifest), manifest.stem)
            if meta["sha256"] != sha256:
                raise ValueError("the manifest is another snapshot's")
            _verified_file(data, meta)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SnapshotMismatchError(
                f"Snapshot sha256:{sha256[:12]} ({data}) is not the data that was recorded ({exc}). It was not used. "
                "Remove the altered file to fetch it again from the mirror or the store, or use the version "
                "without the pin.") from exc
        return data

    def _read_local(self, data: Path, manifest: Path) -> Snapshot | None:
        if not os.path.lexists(data) and not os.path.lexists(manifest):
            return None
        try:
            meta = _manifest(_read_regular(manifest), data.stem)
            return _snapshot(_verified(_read_regular(data), meta), meta)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Discarding damaged cache entry %s (%s); it will be rebuilt.", data.name, exc)
            for path in (data, manifest):
                self._discard(path)
            return None

    def _discard(self, path: Path) -> None:
        """Remove a damaged entry file (or a symlink in its place); leave a directory alone."""
        self._inside(path)
        try:
            if stat.S_ISDIR(path.lstat().st_mode):
                return
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("Can't remove the damaged cache entry %s: %s", path, exc)

    # --- write -------------------------------------------------------------------------

    def put(self, version_id: str, digest: str, frame: pd.DataFrame, *,
            sources: list[dict[str, Any]] | None = None, warnings: list[str] | None = None) -> Snapshot:
        """Store ``frame`` atomically (and mirror it to S3) with the fingerprint of the
        ``sources`` it was built from; return the entry.

        Raises LoaderError (nothing written) when the folder isn't writable or an
        entry's place is taken by a directory that isn't empty.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        data, manifest = self.paths(version_id, digest)
        try:
            buffer = io.BytesIO()
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise LoaderError(f"The loaded data can't be cached as Parquet: {str(exc).splitlines()[0][:300]}") from exc
        payload = buffer.getvalue()
        built = datetime.now(UTC).isoformat(timespec="seconds")
        meta = {"entry": data.stem, "sha256": hashlib.sha256(payload).hexdigest(), "rows": len(frame),
                "columns": [str(c) for c in frame.columns], "built_at": built, "sources": sources,
                "data_sha256": content_digest(frame), "machine": this_machine(),
                "warnings": [str(w)[:2000] for w in (warnings or [])[:20]]}
        self._keep(payload, meta, entry=(data, manifest))
        if self.s3_uri:
            self._write_s3(data.stem, payload, meta)
            self._write_s3_pinned(payload, meta)
        return _snapshot(frame, meta)

    def adopt(self, version_id: str, digest: str, path: str | Path, *, sha256: str, built_at: str | None,
              origin: str, as_entry: bool = True) -> Snapshot:
        """Keep a Parquet file that a store holds for a version (a Plexus DataSet's file,
        downloaded to ``path``, content ``sha256``) as its entry, moved in byte for byte so
        the entry's sha256 is the stored file's. ``origin`` says where it came from (kept as
        the entry's machine: its sources are not fingerprinted here). With ``as_entry=False``
        it is kept only by its content (an older snapshot asked for by its digest: the
        version's entry, its newest data, stays). Raises LoaderError for a file that is not
        readable Parquet, or when the cache can't be written."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            frame = pq.read_table(str(path)).to_pandas()
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise LoaderError(f"unreadable Parquet: {str(exc).splitlines()[0][:300]}") from exc
        data, manifest = self.paths(version_id, digest)
        meta = {"entry": data.stem, "sha256": sha256, "rows": len(frame),
                "columns": [str(c) for c in frame.columns], "built_at": _utc_or_none(built_at), "sources": None,
                "data_sha256": content_digest(frame), "machine": _printable(origin)[:200], "warnings": []}
        self._keep(Path(path), meta, entry=(data, manifest) if as_entry else None)
        return _snapshot(frame, meta)

    def _keep(self, content: bytes | Path, meta: dict[str, Any], entry: tuple[Path, Path] | None) -> None:
        """Write a snapshot: its file by content (``snap-<sha256>``: kept when it already holds
        these bytes, rewritten when damaged), its manifest (the entries it serves merged into
        ``keys``, the first ``built_at`` kept), then, for an ``entry``, the entry's file as a hard
        link to it (a copy where links don't work) and the entry's manifest. Every step is an
        atomic rename, and the entry links to content already verified, so a concurrent build of
        other bytes can never put them under this snapshot's name.

        Raises LoaderError (the entry unwritten) when the folder isn't writable or an entry's
        place is taken by a directory that isn't empty."""
        sha = meta["sha256"]
        pinned_data, pinned_manifest = self._pinned_paths(sha)
        try:
            self._root().mkdir(parents=True, exist_ok=True)
            for path in (pinned_data, pinned_manifest, *(entry or ())):
                _make_room(self._inside(path))
            if not _holds(pinned_data, sha):
                if isinstance(content, bytes):
                    _atomic_write(self._inside(pinned_data), content)
                else:  # a download: copied (its folder may be another file system), then renamed
                    tmp = self._inside(pinned_data).with_name(f".{pinned_data.name}.copy")
                    shutil.copyfile(content, tmp)
                    os.replace(tmp, self._inside(pinned_data))
            _atomic_write(self._inside(pinned_manifest), json.dumps(self._merged(pinned_manifest, meta)).encode())
            if entry is not None:
                data, manifest = entry
                tmp = self._inside(data).with_name(f".{data.name}.link")
                tmp.unlink(missing_ok=True)
                try:
                    os.link(pinned_data, tmp)
                except OSError:  # no hard links here (another file system, a Windows share...)
                    shutil.copyfile(pinned_data, tmp)
                os.replace(tmp, self._inside(data))
                _atomic_write(self._inside(manifest), json.dumps(meta).encode())
        except OSError as exc:
            raise LoaderError(
                f"Can't write the cache in {self.directory}: {exc.strerror or exc}. "
                "Set PLEXUS_DATASETS_CACHE_DIR to a writable folder."
            ) from exc

    @staticmethod
    def _merged(pinned_manifest: Path, meta: dict[str, Any]) -> dict[str, Any]:
        """The snapshot's manifest: ``meta`` bound to ``snap-<sha256>``, with the entries named by
        the manifest already there (when it is sound) and this one; its first ``built_at``."""
        before: dict[str, Any] = {}
        try:
            before = _manifest(_read_regular(pinned_manifest), pinned_manifest.stem)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Replacing the damaged manifest %s (%s).", pinned_manifest.name, exc)
        return _pinned_meta(meta, before if before.get("sha256") == meta["sha256"] else {})

    # --- snapshots kept by content -----------------------------------------------------

    def pinned_path(self, sha256: str) -> Path | None:
        """The local file of the snapshot kept as ``sha256``, when there is one."""
        data = self._pinned_paths(sha256)[0]
        return data if os.path.lexists(data) else None

    def pinned_of(self, key: str) -> list[PinnedSnapshot]:
        """The snapshots kept in this folder for one entry (``key(version_id, digest)``),
        newest first (the S3 mirror is searched by digest only, in ``pinned_matches``)."""
        root = self._root()
        found = []
        try:
            names = sorted(root.glob(f"{PINNED}*.json"))
        except OSError:
            names = []
        for path in names:
            try:
                meta = _manifest(_read_regular(path), path.stem)
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if path.stem == f"{PINNED}{meta['sha256']}" and key in _pinned_info(meta, "cache").keys:
                found.append(_pinned_info(meta, "cache"))
        return sorted(found, key=lambda p: (p.built_at or "", p.sha256), reverse=True)

    def _pinned_paths(self, sha256: str) -> tuple[Path, Path]:
        if not _hex_or_none(sha256):
            raise ValueError("a snapshot's sha256 is 64 lowercase hexadecimal digits")
        root = self._root()
        return root / f"{PINNED}{sha256}.parquet", root / f"{PINNED}{sha256}.json"

    def pinned_matches(self, prefix: str, *, mirror: bool = True) -> list[PinnedSnapshot]:
        """The snapshots kept by content whose sha256 starts with ``prefix`` (lowercase hex,
        as ``refs.parse_digest`` gives it): in this cache folder, then (``mirror``) in the S3
        mirror for the ones not here. Only manifests are read; unreadable ones are skipped."""
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            raise ValueError("a snapshot prefix is lowercase hexadecimal")
        found: dict[str, PinnedSnapshot] = {}
        root = self._root()
        try:
            names = sorted(root.glob(f"{PINNED}{prefix}*.json"))[:MAX_MATCHES + 1]
        except OSError:
            names = []
        for path in names:
            sha = path.stem[len(PINNED):]
            try:
                meta = _manifest(_read_regular(path), path.stem)
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if meta["sha256"] == sha:
                found[sha] = _pinned_info(meta, "cache")
        if mirror and self.s3_uri and len(found) <= MAX_MATCHES:
            for meta in self._s3_pinned_manifests(prefix, skip=set(found)):
                found[meta["sha256"]] = _pinned_info(meta, "mirror")
        return sorted(found.values(), key=lambda p: (p.built_at or "", p.sha256), reverse=True)

    def pinned(self, sha256: str) -> Snapshot:
        """The snapshot kept by content as ``sha256``, its bytes checked against it: from
        this folder, else from the S3 mirror (then kept here). Raises SnapshotMismatchError
        when the bytes are not the recorded ones (the file is left for inspection) and
        LoaderError when it is in neither place."""
        data, manifest = self._pinned_paths(sha256)
        if os.path.lexists(manifest) and os.path.lexists(data):  # half a snapshot is none: the mirror may have it
            try:
                meta = _manifest(_read_regular(manifest), manifest.stem)
                payload = _read_regular(data)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise SnapshotMismatchError(
                    f"The cached snapshot sha256:{sha256[:12]} is damaged ({exc}); it was not used. Remove "
                    f"{data.name} and {manifest.name} from {self.directory} to fetch it again from the mirror, "
                    "or load the version without the pin.") from exc
            return _snapshot(_pinned_verified(payload, meta, sha256, str(data)), meta)
        if self.s3_uri:
            fetched = self._read_s3_pinned(sha256)
            if fetched is not None:
                return fetched
        raise LoaderError(f"Snapshot sha256:{sha256[:12]} is not in the cache ({self.directory})"
                          + (f" nor in its mirror ({self.s3_uri})." if self.s3_uri else "."))

    def _s3_pinned_manifests(self, prefix: str, skip: set[str]) -> list[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        client, bucket, base = self._s3()
        try:
            listed = client.list_objects_v2(Bucket=bucket, Prefix=self._s3_key(base, f"{PINNED_S3}/{prefix}"),
                                            MaxKeys=2 * MAX_MATCHES + 2).get("Contents", [])
        except (BotoCoreError, ClientError) as exc:
            log.debug("Can't list the mirror's snapshots: %s", exc)
            return []
        out = []
        for item in listed:
            name = str(item.get("Key", "")).rsplit("/", 1)[-1]
            sha = name[:-len(".json")] if name.endswith(".json") else None
            if sha is None or sha in skip or not _hex_or_none(sha):
                continue
            try:
                body = client.get_object(Bucket=bucket, Key=item["Key"], ChecksumMode="ENABLED")["Body"].read()
                meta = _manifest(body, f"{PINNED}{sha}")
            except (BotoCoreError, ClientError, ValueError, KeyError, TypeError):
                continue
            if meta["sha256"] == sha:
                out.append(meta)
        return out

    def _read_s3_pinned(self, sha256: str) -> Snapshot | None:
        from botocore.exceptions import BotoCoreError, ClientError

        client, bucket, base = self._s3()
        name = f"{PINNED_S3}/{sha256}"
        try:
            meta = _manifest(client.get_object(Bucket=bucket, Key=self._s3_key(base, name + ".json"),
                                               ChecksumMode="ENABLED")["Body"].read(), f"{PINNED}{sha256}")
            payload = client.get_object(Bucket=bucket, Key=self._s3_key(base, name + ".parquet"),
                                        ChecksumMode="ENABLED")["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            log.debug("Snapshot %s is not in the mirror: %s", sha256[:12], exc)
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise SnapshotMismatchError(f"The mirror's manifest of snapshot sha256:{sha256[:12]} is damaged ({exc}); "
                                        "it was not used.") from exc
        frame = _pinned_verified(payload, meta, sha256, f"{self.s3_uri}/{name}.parquet")
        try:
            self._keep(payload, meta, entry=None)
        except LoaderError as exc:
            log.warning("Can't keep snapshot %s locally: %s", sha256[:12], exc)
        return _snapshot(frame, meta)

    def _write_s3_pinned(self, payload: bytes, meta: dict[str, Any]) -> None:
        """Mirror a snapshot under its content-addressed keys, its manifest merged with the
        mirror's (the entries it serves)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client, bucket, base = self._s3()
        name = f"{PINNED_S3}/{meta['sha256']}"
        before: dict[str, Any] = {}
        try:
            before = _manifest(client.get_object(Bucket=bucket, Key=self._s3_key(base, name + ".json"),
                                                 ChecksumMode="ENABLED")["Body"].read(), f"{PINNED}{meta['sha256']}")
        except (BotoCoreError, ClientError, ValueError, KeyError, TypeError):
            pass  # none yet (or damaged: replaced)
        self._write_s3(name, payload, _pinned_meta(meta, before if before.get("sha256") == meta["sha256"] else {}))

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
            client.put_object(Bucket=bucket, Key=self._s3_key(prefix, key + ".parquet"), Body=payload,
                              ChecksumAlgorithm="SHA256")
            client.put_object(Bucket=bucket, Key=self._s3_key(prefix, key + ".json"), Body=json.dumps(meta).encode(),
                              ChecksumAlgorithm="SHA256")
        except (BotoCoreError, ClientError) as exc:
            raise LoaderError(f"Can't mirror the cache to {self.s3_uri}: {exc}. Check AWS credentials.") from exc

    def _read_s3(self, version_id: str, digest: str) -> Snapshot | None:
        """The mirror's entry, only once it passes every local check; otherwise None (rebuilt)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client, bucket, prefix = self._s3()
        data, manifest = self.paths(version_id, digest)
        key = data.stem

        def fetch(name: str) -> bytes:
            # ChecksumMode: botocore verifies S3's own checksum of what arrives.
            return client.get_object(Bucket=bucket, Key=self._s3_key(prefix, name), ChecksumMode="ENABLED")["Body"].read()

        try:
            meta = _manifest(fetch(key + ".json"), key)
            payload = fetch(key + ".parquet")
            frame = _verified(payload, meta)
        except (BotoCoreError, ClientError) as exc:
            log.debug("No usable S3 cache entry for %s: %s", key, exc)
            return None
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("Ignoring damaged S3 cache entry %s (%s); it will be rebuilt.", key, exc)
            return None
        try:
            self._keep(payload, meta, entry=(data, manifest))
        except LoaderError as exc:
            log.warning("Can't keep the S3 cache entry locally: %s", exc)  # a read-only cache still gets the data
        return _snapshot(frame, meta)


def _manifest(raw: bytes, entry: str) -> dict[str, Any]:
    """A manifest's fields, checked for shape and bound to ``entry``; ValueError otherwise."""
    try:
        meta = json.loads(raw)
    except RecursionError as exc:
        raise ValueError("the manifest is nested too deeply") from exc
    if not isinstance(meta, dict):
        raise TypeError("the manifest is not an object")
    if meta.get("entry") != entry:
        raise ValueError("the manifest belongs to another entry")
    sha, rows, columns = meta.get("sha256"), meta.get("rows"), meta.get("columns")
    if not isinstance(sha, str) or isinstance(rows, bool) or not isinstance(rows, int) or not isinstance(columns, list):
        raise TypeError("the manifest lacks sha256, rows or columns")
    sources = meta.get("sources", UNRECORDED)
    if sources not in (None, UNRECORDED) and not (isinstance(sources, list)
                                                   and all(isinstance(s, dict) for s in sources)):
        raise TypeError("the manifest's sources are not a list of fingerprints")
    for key in ("built_at", "data_sha256", "machine"):
        if not isinstance(meta.get(key), str | None):
            raise TypeError(f"the manifest's {key} is not text")
    return meta


def _pinned_meta(meta: dict[str, Any], before: dict[str, Any] | None = None) -> dict[str, Any]:
    """A snapshot's manifest: ``meta`` bound to ``snap-<sha256>``, with ``keys`` naming the
    entries (version id + configuration digest, hashed) it was built for: those of ``before``
    (the manifest already there, for the same bytes) and ``meta``'s own entry; the first
    ``built_at`` is kept."""
    before = before or {}
    keys = list(_keys(before))
    if not str(meta.get("entry", "")).startswith(PINNED) and meta.get("entry") not in keys:
        keys.append(meta["entry"])
    keys += [k for k in _keys(meta) if k not in keys]
    merged = {**meta, "entry": f"{PINNED}{meta['sha256']}", "keys": keys[-MAX_KEYS:]}
    merged.pop("key", None)
    if before.get("built_at"):
        merged["built_at"] = before["built_at"]
    return merged


def _keys(meta: dict[str, Any]) -> tuple[str, ...]:
    """The entries a snapshot's manifest names (hex only: it may be someone else's file)."""
    listed = meta.get("keys")
    listed = listed if isinstance(listed, list) else [meta.get("key")]
    return tuple(k for k in listed if _hex_or_none(k))


def _pinned_info(meta: dict[str, Any], where: str) -> PinnedSnapshot:
    return PinnedSnapshot(meta["sha256"], _keys(meta), meta["rows"], _utc_or_none(meta.get("built_at")), where)


def _pinned_verified(payload: bytes, meta: dict[str, Any], sha256: str, where: str) -> pd.DataFrame:
    """The frame of a pinned snapshot, or SnapshotMismatchError: it is never rebuilt in silence."""
    actual = hashlib.sha256(payload).hexdigest()
    if actual != sha256 or meta["sha256"] != sha256:
        fix = ("Whoever manages that bucket can put the right object back (or remove the altered one); until then, "
               "load the version without the pin for other data." if where.startswith("s3://") else
               "Remove the altered file to fetch it again from the mirror or the store, or load the version without "
               "the pin (or with fresh=True) to use other data.")
        raise SnapshotMismatchError(
            f"Snapshot sha256:{sha256[:12]} ({where}) is not the data that was recorded: its bytes hash to "
            f"sha256:{actual[:12]}. It was not used. {fix}")
    try:
        return _verified(payload, meta)
    except ValueError as exc:
        raise SnapshotMismatchError(f"Snapshot sha256:{sha256[:12]} ({where}) does not match its manifest ({exc}); "
                                    "it was not used.") from exc


def _snapshot(frame: pd.DataFrame, meta: dict[str, Any]) -> Snapshot:
    said = meta.get("warnings")
    said = tuple(_printable(w) for w in said[:20] if isinstance(w, str)) if isinstance(said, list) else ()
    return Snapshot(frame, meta["sha256"], meta["rows"], _utc_or_none(meta.get("built_at")),
                    meta.get("sources", UNRECORDED), _hex_or_none(meta.get("data_sha256")), meta.get("machine"), said)


def _printable(text: str) -> str:
    """A manifest's warning as it may reach a terminal: no control characters (a mirrored
    manifest is someone else's file; escape sequences would rewrite the screen)."""
    return "".join(c if c.isprintable() else " " for c in text[:2000])


def _utc_or_none(value: str | None) -> str | None:
    """``built_at`` as ISO 8601 UTC text, or None when a (mirrored) manifest says anything else."""
    try:
        when = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if when is None or when.utcoffset() is None or when.utcoffset().total_seconds() != 0:
        return None
    return when.isoformat(timespec="seconds")


def _hex_or_none(value: str | None) -> str | None:
    return value if value and len(value) == 64 and all(c in "0123456789abcdef" for c in value) else None


def _verified(payload: bytes, meta: dict[str, Any]) -> pd.DataFrame:
    """The frame in ``payload`` if it matches the manifest's sha256, rows and columns."""
    if hashlib.sha256(payload).hexdigest() != meta["sha256"]:
        raise ValueError("checksum mismatch")
    frame = _parquet_frame(payload)
    if len(frame) != meta["rows"] or [str(c) for c in frame.columns] != meta["columns"]:
        raise ValueError("row or column mismatch")
    return frame


def _holds(path: Path, sha256: str) -> bool:
    """Whether ``path`` is a regular file (not a symlink) whose bytes hash to ``sha256``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return False
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def _verified_file(path: Path, meta: dict[str, Any]) -> None:
    """Check a Parquet file against its manifest without reading its rows: its sha256 in
    1 MiB chunks (never following a symlink), rows and columns from its footer. ValueError
    (or OSError) otherwise."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
        if digest.hexdigest() != meta["sha256"]:
            raise ValueError("checksum mismatch")
        try:
            handle.seek(0)
            footer = pq.ParquetFile(handle)
            rows, columns = footer.metadata.num_rows, list(footer.schema_arrow.names)
            index = (footer.schema_arrow.pandas_metadata or {}).get("index_columns") or []
            columns = [c for c in columns if c not in {i for i in index if isinstance(i, str)}]  # pandas' index
        except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
            raise ValueError(f"unreadable Parquet: {exc}") from exc
    if rows != meta["rows"] or [str(c) for c in columns] != meta["columns"]:
        raise ValueError("row or column mismatch")


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, never following a symlink (OSError otherwise)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return handle.read()


def _make_room(path: Path) -> None:
    """Clear an entry's place: an empty directory there is removed; a full one is an error."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        try:
            path.rmdir()
        except OSError as exc:
            raise LoaderError(
                f"The cache entry {path} is a directory, not a file, so the cache can't be written there. "
                "Remove that directory (or set PLEXUS_DATASETS_CACHE_DIR to another folder) and load again."
            ) from exc


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
