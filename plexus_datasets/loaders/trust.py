"""What a stored configuration may make this machine do: the loading user's trust policy.

A configuration comes from a shared registry, so whoever wrote it is not
necessarily whoever loads it. ``TrustPolicy`` is the loading user's answer to
three questions, and everything in ``loaders`` asks it before acting:

- **Which code may a configuration name?** Built-in loaders and processors,
  installed entry points and Plexus's own namespaces always; any other dotted
  path only when its module starts with one of ``trusted_modules`` (module
  prefixes: ``"acme"`` trusts ``acme`` and ``acme.loaders``, not ``acmex``).
  Trusting a module also runs its parent packages' ``__init__``.
- **Which files may it read?** Only those inside ``data_roots`` once ``~``,
  ``..`` and symlinks are resolved, and none behind a hidden name (``.aws``,
  ``.env``) below a root; relative paths start at the first root.
- **Which S3 buckets?** Those in ``s3_buckets``; ``None`` allows any bucket.

Build one with ``compose.trust_policy()`` (the environment plus arguments);
``TrustPolicy()`` alone trusts no extra module, reads only below the current
directory, and allows any bucket.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataAccessError, UntrustedCodeError, ValidationError

__all__ = ["TrustPolicy", "is_module_name"]

MODULES_VARIABLE = "PLEXUS_DATASETS_TRUSTED_MODULES"
ROOTS_VARIABLE = "PLEXUS_DATASETS_DATA_ROOTS"
BUCKETS_VARIABLE = "PLEXUS_DATASETS_S3_BUCKETS"


def is_module_name(name: str) -> bool:
    """True for a dotted Python module name (``a``, ``a.b_c``), nothing relative or empty."""
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _current_directory() -> tuple[Path, ...]:
    return (Path.cwd().resolve(),)


@dataclass(frozen=True)
class TrustPolicy:
    """The loading user's opt-ins (module prefixes, data roots, S3 buckets), normalized.

    Raises ValidationError for a prefix that is not a module name or an empty
    root list. Roots are resolved (``~`` expanded, symlinks followed) when built.
    """

    trusted_modules: tuple[str, ...] = ()
    data_roots: tuple[Path, ...] = field(default_factory=_current_directory)
    s3_buckets: frozenset[str] | None = None

    def __post_init__(self) -> None:
        # A lone string is a list written out ("acme,team"), never a sequence of characters.
        given = self.trusted_modules.split(",") if isinstance(self.trusted_modules, str) else self.trusted_modules
        modules = tuple(dict.fromkeys(str(m).strip().rstrip(".") for m in given))
        bad = [m for m in modules if not is_module_name(m)]
        if bad:
            raise ValidationError(
                f"Trusted module prefix(es) {', '.join(map(repr, bad))} are not module names (e.g. `acme.loaders`); "
                f"fix {MODULES_VARIABLE} or connect(trusted_modules=...)."
            )
        given_roots = [self.data_roots] if isinstance(self.data_roots, (str, os.PathLike)) else self.data_roots
        roots = tuple(dict.fromkeys(_resolved(Path(r)) for r in given_roots))
        if not roots:
            raise ValidationError(f"At least one data root is needed ({ROOTS_VARIABLE} or connect(data_roots=...)).")
        given_buckets = self.s3_buckets.split(",") if isinstance(self.s3_buckets, str) else self.s3_buckets
        buckets = None if given_buckets is None else frozenset(str(b).strip() for b in given_buckets if str(b).strip())
        object.__setattr__(self, "trusted_modules", modules)
        object.__setattr__(self, "data_roots", roots)
        object.__setattr__(self, "s3_buckets", buckets)

    # --- code ----------------------------------------------------------------------------

    def trusts_module(self, module: str) -> bool:
        """True when ``module`` is one of the trusted prefixes or lies below one."""
        return any(module == p or module.startswith(p + ".") for p in self.trusted_modules)

    def check_module(self, module: str, *, kind: str, name: str, group: str) -> None:
        """Raise UntrustedCodeError unless ``module`` is trusted (nothing is imported here)."""
        if self.trusts_module(module):
            return
        top = module.split(".")[0]
        raise UntrustedCodeError(
            f"The {kind} {name!r} lives in the module {module!r}, which this machine does not trust, so it was "
            f"not imported. A stored configuration alone may name only built-in {kind}s, installed entry points "
            f"(group {group!r}) and Plexus's own classes. If you trust that code, add its package: "
            f"{MODULES_VARIABLE}={top} (comma-separated module prefixes) or connect(trusted_modules=[{top!r}])."
        )

    # --- files ---------------------------------------------------------------------------

    def local_path(self, text: str) -> Path:
        """``text`` as an absolute path (``~`` expanded; relative to the first data root),
        not yet resolved. Raises DataAccessError for text that can't be a path."""
        if "\x00" in text:
            raise DataAccessError(f"The path {text[:200]!r} contains a NUL character.")
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.data_roots[0] / path

    def check_path(self, path: Path, *, shown: str) -> Path:
        """``path`` with symlinks and ``..`` resolved, if it lies inside a data root;
        otherwise DataAccessError naming the roots and how to extend them."""
        resolved = _resolved(path)
        root = next((r for r in self.data_roots if resolved == r or resolved.is_relative_to(r)), None)
        if root is not None:
            hidden = next((part for part in resolved.relative_to(root).parts if part.startswith(".")), None)
            if hidden is not None:
                raise DataAccessError(
                    f"{shown!r} reaches the hidden {hidden!r} below the data root {root}, so it was not read: "
                    "credentials and settings live in hidden files and folders (.aws, .env, .ssh...). Move the "
                    "data to a visible folder, or make that folder itself a data root."
                )
            return resolved
        roots = os.pathsep.join(str(r) for r in self.data_roots)
        raise DataAccessError(
            f"{shown!r} resolves to {resolved}, outside the data roots ({roots}), so it was not read. "
            f"Configurations may read only below the data roots; to allow that folder, add it to "
            f"{ROOTS_VARIABLE} (separated by {os.pathsep!r}) or pass connect(data_roots=[...])."
        )

    # --- S3 ------------------------------------------------------------------------------

    def check_bucket(self, bucket: str, *, uri: str) -> None:
        """Raise DataAccessError when an allow-list is set and ``bucket`` is not on it."""
        if self.s3_buckets is None or bucket in self.s3_buckets:
            return
        allowed = ", ".join(sorted(self.s3_buckets)) or "none"
        raise DataAccessError(
            f"{uri!r} is in the S3 bucket {bucket!r}, which is not allowed here (allowed: {allowed}), so it was "
            f"not read. To allow it, add it to {BUCKETS_VARIABLE} (comma-separated) or "
            f"connect(s3_buckets=[{bucket!r}])."
        )

    @classmethod
    def of(cls, trusted_modules: Iterable[str] = (), data_roots: Iterable[str | os.PathLike[str]] = (),
           s3_buckets: Iterable[str] | None = None) -> TrustPolicy:
        """A policy from plain iterables (or one string each); no data roots means the current directory."""
        roots = (data_roots,) if isinstance(data_roots, (str, os.PathLike)) else tuple(data_roots)
        return cls(trusted_modules if isinstance(trusted_modules, str) else tuple(trusted_modules),
                   roots or _current_directory(),
                   s3_buckets if s3_buckets is None or isinstance(s3_buckets, str) else frozenset(s3_buckets))


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # symlink loops, NUL bytes, ...
        raise DataAccessError(f"The path {str(path)[:200]!r} can't be resolved: {exc}.") from exc
