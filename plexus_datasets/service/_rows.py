"""Row diffs of two versions' data: each side's snapshot file, compared by ``rowdiff``.

``_snapshot_path`` (and ``_snapshot_cached``, its "is it here already?") is the one
place a reference becomes the Parquet file its rows are read from; everything else
here is naming the sides and choosing label columns.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..refs import SNAPSHOT_MARK
from ..rowdiff import DEFAULT_LIMIT, RowDiff, diff_parquet
from ._pins import FRESH, Pins

if TYPE_CHECKING:
    from pathlib import Path

    from ..models import DatasetVersion
    from . import DatasetService

__all__ = ["DEFAULT_KEY", "diff_rows"]

#: The key used when none is given, if both snapshots have it with a distinct value in every row
#: (Plexus items' id); otherwise rows are compared by whole-row content.
DEFAULT_KEY = "content_id"


def diff_rows(svc: DatasetService, a: Any, b: Any, *, key: str | None = None, limit: int = DEFAULT_LIMIT,
              materialize: bool = True) -> RowDiff | None:
    """The rows added, removed and changed from version ``a``'s data to ``b``'s (see
    ``DatasetService.diff_rows``); None when ``materialize`` is false and a side's data
    is not on this machine yet."""
    if not materialize and not all(_snapshot_cached(svc, ref) for ref in (a, b)):
        return None
    sides = [_snapshot_path(svc, ref, build=materialize) for ref in (a, b)]
    if sides[0] is None or sides[1] is None:  # a cached entry that can't be used as it is: not built unasked
        return None
    (version_a, path_a, name_a, pinned_a), (version_b, path_b, name_b, pinned_b) = sides  # type: ignore[misc]
    labels = [svc.label_column(v) for v in (version_a, version_b)]
    found = diff_parquet(path_a, path_b, key=key, default_key=DEFAULT_KEY if key is None else None,
                         label_columns=list(dict.fromkeys(c for c in labels if c)), limit=limit, names=(name_a, name_b))
    compared = f"Compared snapshots {pinned_a} and {pinned_b} (these references give the same rows again)."
    return dataclasses.replace(found, notes=(compared, *found.notes))


# The two places a reference becomes the Parquet file its rows are read from.


def _snapshot_path(svc: DatasetService, ref: Any, build: bool = True
                   ) -> tuple[DatasetVersion, Path, str, str] | None:
    """The version ``ref`` names, the Parquet file of its snapshot (the newest, or the one a
    ``@sha256:`` pin names), checked without reading its rows when it is here, else built or
    fetched first; the side's name (``calls:v3``, or its pinned reference when ``ref`` pinned one); and
    the snapshot's pinned reference (``calls:v3@sha256:ab12cd34ef56``), which the diff's notes give so
    it says exactly which data it compared and can be run again on the same rows."""
    version = svc.get_version(ref)
    named = svc._data.named(version)
    pin = Pins.requested(ref, None)
    if pin and pin != FRESH:
        path, sha = svc._pins.file(version, pin)
        return version, path, f"{named}{SNAPSHOT_MARK}{sha[:12]}", f"{named}{SNAPSHOT_MARK}{sha[:12]}"
    found = svc._data.snapshot_file(version, build)
    return (version, found[0], named, f"{named}{SNAPSHOT_MARK}{found[1][:12]}") if found else None


def _snapshot_cached(svc: DatasetService, ref: Any) -> bool:
    """Whether ``_snapshot_path`` would find the data on this machine without building it."""
    version = svc.get_version(ref)
    cache = svc._data.cache()
    pin = Pins.requested(ref, None)
    if pin and pin != FRESH:
        key = cache.key(version.id, version.digest)
        return any(key in m.keys for m in cache.pinned_matches(pin, mirror=False))
    return cache.paths(version.id, version.digest)[0].is_file()
