"""Datasets in Plexus's own commands: click options that fit beside Plexus's, and the function
a command calls to get the rows and what to record about them.

Plexus's ``plexus evaluate accuracy`` already has ``--dataset-id`` (a Plexus DataSet id),
``--fresh``, ``--version`` (a score version) and ``--data-source-*``, so a Plexus command
takes a dataset from here with two options no Plexus command has (checked against every
option of ``evaluate accuracy`` in Plexus 1.50.1 by ``tests/test_plexus_cli.py``):

- ``--dataset NAME[:VERSION][@sha256:DIGEST]``: a dataset (id or name, ``SCORECARD/NAME``
  when names repeat), optionally its version and the exact snapshot of its data;
- ``--dataset-version VERSION``: the version, when ``--dataset`` gives none (``current``,
  ``latest``, ``N``, ``vN`` or a version id).

A Plexus command uses them like this::

    import click
    from plexus_datasets.plexus_cli import click_errors, dataset_for_evaluation, plexus_dataset_options

    @evaluate.command()
    @plexus_dataset_options                # above the command's own options: it checks them for clashes
    @click.option('--dataset-id', ...)     # Plexus's own options stay as they are
    @click.option('--fresh', is_flag=True, ...)
    def accuracy(..., dataset_id, fresh, dataset, dataset_version):
        if dataset:
            with click_errors():
                data = dataset_for_evaluation(dataset=dataset, dataset_version=dataset_version, fresh=fresh)
            samples = data.frame                       # the rows
            parameters["dataset"] = data.provenance    # JSON: store it on the Evaluation
            print(f"Evaluating {data.reference}")      # calls:v3@sha256:ab12cd34ef56 loads these rows again

The store is the one ``connect()`` picks from the environment (``PLEXUS_API_URL`` with
``PLEXUS_ACCOUNT_KEY``: Plexus's own API; else the embedded store), unless a
``DatasetService`` is given. ``cli.dataset_options`` / ``cli.resolve_dataset_option`` are the
older pair, with ``--dataset-id`` as well: only for a command without a ``--dataset-id``
of its own, such as this package's ``evaluate accuracy``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from .errors import PlexusDatasetsError, ValidationError
from .refs import parse_ref, with_version

if TYPE_CHECKING:
    import pandas as pd

    from .service import DatasetService

__all__ = ["PROVENANCE_LAYOUT", "EvaluationData", "click_errors", "dataset_for_evaluation", "plexus_dataset_options"]

#: The layout of ``EvaluationData.provenance`` (its ``layout`` key), raised when its keys change meaning.
PROVENANCE_LAYOUT = 1
_OPTIONS = ("--dataset", "--dataset-version")


@dataclass(frozen=True)
class EvaluationData:
    """The rows an evaluation runs on (``frame``) and what to record about them (``provenance``,
    a JSON-able dict, layout ``PROVENANCE_LAYOUT``)::

        {"layout": 1, "source": "plexus-datasets",
         "reference": "calls:v3@sha256:ab12cd34ef56",     # loads exactly these rows again
         "dataset_id": ..., "dataset_name": "calls", "scorecard_id": ..., "score_id": ... | None,
         "version_id": ..., "version_number": 3, "configuration_digest": "<sha256 of the configuration>",
         "snapshot": {"sha256": "<64 hex digits>", "rows": 1200, "built_at": "2026-11-27T20:31:07.123Z"}}
    """

    frame: pd.DataFrame = field(repr=False)
    provenance: dict[str, Any]

    @property
    def reference(self) -> str:
        """``NAME:vN@sha256:DIGEST``: the dataset, version and snapshot these rows are."""
        return str(self.provenance["reference"])

    def __repr__(self) -> str:
        return f"EvaluationData({self.reference}, rows={len(self.frame):,})"


def plexus_dataset_options(fn: Callable) -> Callable:
    """Add ``--dataset`` and ``--dataset-version`` to a click command (parameters ``dataset``
    and ``dataset_version``, both optional); hand them to ``dataset_for_evaluation``.

    A malformed reference or version is a usage error (exit code 2) before the command
    runs. Raises ValidationError, when the command is defined, if an option of either name
    is already applied: click applies decorators bottom-up, so this sees the options written
    *below* it (put it above the command's own options, as in the module's example, for the
    check to cover them all).
    """
    existing = getattr(fn, "params", None) or getattr(fn, "__click_params__", [])
    options = sorted({o for p in existing for o in [*p.opts, *p.secondary_opts] if o in _OPTIONS})
    names = sorted({str(p.name) for p in existing if p.name in ("dataset", "dataset_version")})
    if options or names:
        taken = ", ".join(options) if options else "a parameter named " + " and ".join(names)
        raise ValidationError(f"The command already has {taken}; plexus_dataset_options would define it twice "
                              "(click would give the value to only one of them).")
    fn = click.option("--dataset-version", "dataset_version", default=None, callback=_version_value,
                      metavar="VERSION", help="The dataset's version when --dataset names none: current (default), "
                      "latest, N, vN or a version id.")(fn)
    return click.option("--dataset", "dataset", default=None, callback=_ref_value,
                        metavar="NAME[:VERSION][@sha256:DIGEST]",
                        help="Evaluate on this plexus-datasets dataset (id or name), optionally a version and the "
                             "exact snapshot of its data.")(fn)


def _checked(parse: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback: the value as given, once ``parse`` accepts it (a usage error otherwise)."""
    def callback(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            try:
                parse(value)
            except ValidationError as exc:
                raise click.BadParameter(str(exc)) from exc
        return value
    return callback


_ref_value = _checked(parse_ref)
_version_value = _checked(lambda value: with_version("DATASET", value))  # a version, maybe with its @sha256: pin


def dataset_for_evaluation(dataset: str | None = None, dataset_version: str | None = None, *,
                           service: DatasetService | None = None, fresh: bool = False) -> EvaluationData:
    """The rows ``--dataset``/``--dataset-version`` name and their provenance (see ``EvaluationData``).

    ``dataset`` is ``NAME[:VERSION][@sha256:DIGEST]``; ``dataset_version`` gives the version
    when ``dataset`` names none (default: the dataset's current version). The rows are a
    snapshot (``DatasetService.snapshot``): the version's newest materialization, built now
    when there is none, or exactly the pinned one; ``fresh=True`` (Plexus's ``--fresh``)
    builds new data instead. ``service`` defaults to ``connect()`` (closed again here).

    Raises ValidationError for no ``dataset``, a version given twice, or ``fresh`` with a
    pinned snapshot; NotFoundError/AmbiguousReferenceError (with candidates) for unknown
    references; SnapshotNotFoundError/SnapshotMismatchError for a pinned snapshot that is
    gone or altered; LoaderError (and its trust refusals) when the data can't be loaded.
    All are PlexusDatasetsError: ``click_errors()`` shows them as click does.

    >>> dataset_for_evaluation("calls:v3").provenance["reference"]       # doctest: +SKIP
    'calls:v3@sha256:ab12cd34ef56'
    """
    ref = _reference(dataset, dataset_version)
    pin = parse_ref(ref).snapshot
    if fresh and pin:
        raise ValidationError(f"{ref} pins a snapshot (exact data); --fresh would build other data. Drop the "
                              "@sha256:... part to evaluate on fresh data, or --fresh to evaluate on the snapshot.")
    if service is not None:
        return _evaluation_data(service, ref, pin, fresh)
    from .service import connect

    with connect() as svc:
        return _evaluation_data(svc, ref, pin, fresh)


def _reference(dataset: str | None, dataset_version: str | None) -> str:
    if not dataset or not str(dataset).strip():
        raise ValidationError("Give --dataset NAME[:VERSION] (a plexus-datasets dataset) to evaluate on."
                              + (" --dataset-version needs it." if dataset_version else ""))
    if dataset_version is None:
        return dataset
    if parse_ref(dataset).has_version:
        raise ValidationError(f"Give the version either in --dataset ({dataset}) or in --dataset-version "
                              f"({dataset_version}), not both.")
    return with_version(dataset, dataset_version)


def _evaluation_data(svc: DatasetService, ref: str, pin: str | None, fresh: bool) -> EvaluationData:
    version = svc.resolve(ref)
    snap = svc.snapshot(version, snapshot=pin, fresh=fresh)
    ds = svc.get_dataset(version.dataset_id)
    provenance = {
        "layout": PROVENANCE_LAYOUT,
        "source": "plexus-datasets",
        "reference": snap.reference or f"{ds.name}:{version.label}@{snap.short}",
        "dataset_id": ds.id,
        "dataset_name": ds.name,
        "scorecard_id": ds.scorecard_id,
        "score_id": ds.score_id,
        "version_id": version.id,
        "version_number": version.version_number,
        "configuration_digest": version.digest,
        "snapshot": {"sha256": snap.sha256, "rows": snap.rows, "built_at": snap.built_at},
    }
    return EvaluationData(snap.frame, provenance)


@contextlib.contextmanager
def click_errors() -> Iterator[None]:
    """Show a PlexusDatasetsError raised inside as click shows its own errors (``Error: ...``,
    exit code 1), for a command whose group is not this package's."""
    try:
        yield
    except PlexusDatasetsError as exc:
        raise click.ClickException(str(exc)) from exc
