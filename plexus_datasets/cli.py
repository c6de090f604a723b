"""The ``plexus-datasets`` command line.

This module is the one place where errors become exit codes: 0 for success,
1 for a PlexusDatasetsError (one line on stderr, no traceback unless
``--debug``), 2 for usage errors (click's own). Warnings (stale cached data,
rows with missing fields, filters that match nothing) are printed to stderr as
``Warning: ...`` lines, each once. Commands use the DatasetService and nothing
below it.

``dataset_options`` adds ``--dataset-id``/``--dataset``/``--dataset-version`` to a
click command and ``resolve_dataset_option`` turns them into a DatasetVersion, with
the same meaning as here. Plexus's own commands have a ``--dataset-id`` of their own:
they use ``plexus_cli.plexus_dataset_options`` and ``dataset_for_evaluation`` instead.
"""

from __future__ import annotations

import json
import shlex
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import display
from .configs import parse_configuration
from .display import TextTable
from .errors import ConflictError, PlexusDatasetsError, PlexusDatasetsWarning, ValidationError
from .facts import ProfileFacts
from .importer import import_score_config, import_scorecard, read_score_config
from .refs import parse_ref, with_version
from .rowdiff import DEFAULT_LIMIT, MAX_LIMIT

if TYPE_CHECKING:
    import pandas as pd

    from .loaders.cache import Snapshot
    from .models import DatasetVersion
    from .service import DatasetService

__all__ = ["cli", "dataset_options", "main", "resolve_dataset_option"]


# --- error handling and shared plumbing ---------------------------------------------------


class _Group(click.Group):
    """Turns our errors into one line and exit code 1, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PlexusDatasetsWarning)
            try:
                return super().invoke(ctx)
            except PlexusDatasetsError as exc:
                if ctx.find_root().params.get("debug"):
                    raise
                click.echo(f"Error: {exc}", err=True)
                ctx.exit(1)
            finally:
                _echo_warnings(caught)


def _echo_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Our warnings as ``Warning: ...`` lines on stderr (each once); others as Python shows them."""
    seen: set[str] = set()
    for found in caught:
        if not issubclass(found.category, PlexusDatasetsWarning):
            warnings.showwarning(found.message, found.category, found.filename, found.lineno)
        elif str(found.message) not in seen:
            seen.add(str(found.message))
            click.echo(f"Warning: {found.message}", err=True)


def service(ctx: click.Context) -> DatasetService:
    """The command's DatasetService, built once from the global options."""
    from .service import connect

    root = ctx.find_root()
    if "service" not in root.obj:
        options = root.obj
        root.obj["service"] = connect(options.get("db"), api_url=options.get("api_url"),
                                      api_key=options.get("api_key"))
        root.call_on_close(root.obj["service"].close)
    return root.obj["service"]


def _version_ref(svc: DatasetService, version: DatasetVersion) -> str:
    """``NAME:vN`` of a version: what people can type back to get it again."""
    return with_version(svc.get_dataset(version.dataset_id).name, version.label)


def read_config(source: str) -> dict[str, Any]:
    """A configuration from a YAML/JSON file, or ``-`` for standard input.

    UTF-8 text only: a binary, UTF-16 or otherwise undecodable file, or one over 16
    times the configuration size limit, is one ConfigurationError line.
    """
    return parse_configuration(read_config_text(source))


def read_config_text(source: str) -> str:
    """The text of a configuration file (or ``-``: standard input), checked as in
    ``read_config``; a version keeps it as written, comments included."""
    from .configs import MAX_CONFIG_BYTES
    from .formats import decode_text

    limit = 16 * MAX_CONFIG_BYTES  # YAML text may be larger than its canonical JSON, not this much
    if source == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        data = stdin.read(limit + 1) if stdin is not None else sys.stdin.read(limit + 1).encode("utf-8")
        where = "Standard input"
    else:
        path = Path(source)
        if not path.exists():
            raise ValidationError(f"No configuration file at {path}.")
        try:
            with path.open("rb") as file:
                data = file.read(limit + 1)
        except OSError as exc:
            raise ValidationError(f"Can't read the configuration file {path}: {exc.strerror or exc}.") from exc
        where = f"The configuration file {path}"
    if len(data) > limit:
        raise ValidationError(f"{where} is over {limit:,} bytes; a configuration is at most {MAX_CONFIG_BYTES:,} "
                              "bytes as JSON.")
    text = decode_text(data, where)
    parse_configuration(text)  # refused here, with the file's name in context, before anything else
    return text


# --- shared options: each declared once -----------------------------------------------------------

_NAMED = "id, key, externalId or name"
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
csv_option = click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
ref_argument = click.argument("ref")
config_option = click.option("--config", "config_source", required=True,
                             help="YAML/JSON file with the data: section, or - for stdin.")
no_check_option = click.option("--no-check", is_flag=True,
                               help="Don't require the loader and files to exist here (a configuration meant for "
                                    "another machine); its shape and parameters are still checked.")


def scorecard_option(role: str, *, required: bool = False) -> Callable:
    """``--scorecard``: ``role`` says what the scorecard is for here."""
    return click.option("--scorecard", required=required, help=f"{role} ({_NAMED}).")


def score_option(role: str) -> Callable:
    """``--score``: ``role`` says what the score is for here."""
    return click.option("--score", help=f"{role} ({_NAMED}).")


def _apply(fn: Callable, decorators: Sequence[Callable]) -> Callable:
    """``fn`` decorated as if ``decorators`` were stacked over it, first on top."""
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


# --- output: the one place rows and reports reach the terminal -------------------------------------


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def emit_table(table: TextTable, as_json: bool = False, as_csv: bool = False) -> None:
    """A table as rich text, as JSON (a list of objects) or as CSV."""
    if as_json:
        emit_json(list(table.rows))
    elif as_csv:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(table.columns))
        writer.writeheader()
        writer.writerows(table.rows)
    elif not table.rows:
        click.echo(table.empty_text)
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        # Cells are data ("[/x]" in a name is text, not rich markup that would raise).
        shown = Table(title=escape(table.title) if table.title else None, show_lines=False)
        for column in table.columns:
            shown.add_column(escape(column), overflow="fold", justify="right" if column in table.right else "left")
        for cells in table.cells():
            shown.add_row(*(escape(cell) for cell in cells))
        Console(highlight=False, soft_wrap=False).print(shown)


def emit(parts: Iterable[str | TextTable]) -> None:
    """A report: lines of text and tables, in order."""
    for part in parts:
        if isinstance(part, TextTable):
            emit_table(part)
        else:
            click.echo(part)


def table_command(group: click.Group, name: str, *params: Callable) -> Callable:
    """Register ``fn(svc, **params) -> TextTable`` as ``GROUP NAME`` with ``--json``.

    ``fn``'s docstring is the command's help; ``params`` are its click arguments
    and options (with ``csv_option`` among them, ``--csv`` prints CSV).
    """

    def register(fn: Callable[..., TextTable]) -> click.Command:
        def command(ctx: click.Context, as_json: bool, as_csv: bool = False, **kwargs: Any) -> None:
            emit_table(fn(service(ctx), **kwargs), as_json, as_csv)

        return group.command(name, help=fn.__doc__)(_apply(click.pass_context(command), [*params, json_option]))

    return register


# --- the group ----------------------------------------------------------------------------------


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="plexus-datasets")
# The environment variables are read by the composition root (compose), not here: these
# options only override them, with the same precedence as connect().
@click.option("--db", help="Embedded store: SQLite file or SQLAlchemy URL; wins over a PLEXUS_API_URL from the "
              "environment [env: PLEXUS_DATASETS_DB].")
@click.option("--api-url", help="Amplify/AppSync GraphQL endpoint; used instead of the embedded store "
              "[env: PLEXUS_API_URL].")
@click.option("--api-key", help="API key for --api-url [env: PLEXUS_API_KEY].")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, api_url: str | None, api_key: str | None, debug: bool) -> None:
    """Versioned, profiled datasets for Plexus scores.

    References everywhere are DATASET[:VERSION][@sha256:DIGEST]: a dataset name or
    id, then current (default), latest, N, vN or a version id, then optionally the
    start of a snapshot's sha256 (8 to 64 hex digits): exactly the rows it was.
    """
    ctx.ensure_object(dict)
    ctx.obj.update(db=db, api_url=api_url, api_key=api_key)


# --- browse -------------------------------------------------------------------------------------


@cli.group("scorecards")
def scorecards_group() -> None:
    """Scorecards."""


@table_command(scorecards_group, "list")
def scorecards_list(svc: DatasetService) -> TextTable:
    """List scorecards."""
    return display.scorecards_table(svc.list_scorecards())


@cli.group("scores")
def scores_group() -> None:
    """Scores."""


@table_command(scores_group, "list", scorecard_option("Only this scorecard's scores"))
def scores_list(svc: DatasetService, scorecard: str | None) -> TextTable:
    """List scores."""
    return display.scores_table(svc.list_scores(scorecard))


# --- datasets -----------------------------------------------------------------------------------


@cli.group("datasets")
def datasets_group() -> None:
    """Create, list, show and delete datasets."""


@table_command(datasets_group, "list", scorecard_option("Only this scorecard's datasets"),
               score_option("Only this score's datasets"),
               click.option("--name", "name_filter", help="Only names containing this text."))
def datasets_list(svc: DatasetService, scorecard: str | None, score: str | None, name_filter: str | None) -> TextTable:
    """List datasets with their current version, versions and newest profile."""
    return display.summaries_table(svc.dataset_summaries(scorecard=scorecard, score=score, name=name_filter))


@datasets_group.command("show")
@ref_argument
@json_option
@click.pass_context
def datasets_show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Show a dataset and the version REF names (default: current)."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    version = svc.resolve(ref) if dataset.current_version_id or parse_ref(ref).has_version else None
    if as_json:
        emit_json({"dataset": dataset.to_wire(), "version": version.model_dump(mode="json") if version else None})
        return
    click.echo(display.dataset_text(dataset, svc.current_version(dataset), len(svc.list_versions(dataset)), version))


@datasets_group.command("create")
@scorecard_option("The dataset's scorecard", required=True)
@score_option("The score it is for (optional)")
@click.option("--name", required=True, help="Dataset name (unique within the scorecard).")
@click.option("--description", help="What the dataset is for.")
@config_option
@click.option("--note", help="Note for version 1.")
@no_check_option
@json_option
@click.pass_context
def datasets_create(ctx: click.Context, scorecard: str, score: str | None, name: str, description: str | None,
                    config_source: str, note: str | None, no_check: bool, as_json: bool) -> None:
    """Create a dataset whose version 1 is the given configuration (checked first: it must
    load here unless --no-check)."""
    dataset = service(ctx).create_dataset(scorecard, name, score=score, description=description,
                                          configuration=read_config_text(config_source), note=note,
                                          check=not no_check)
    if as_json:
        emit_json(dataset.to_wire())
    else:
        click.echo(f"Created {with_version(dataset.name, 1)} (id {dataset.id})")


@datasets_group.command("delete")
@ref_argument
@click.option("--cascade", is_flag=True, help="Also delete its versions and profiles.")
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@click.pass_context
def datasets_delete(ctx: click.Context, ref: str, cascade: bool, yes: bool) -> None:
    """Delete a dataset (with --cascade, its versions and profiles too)."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    versions, profiles = len(svc.list_versions(dataset)), len(svc.list_profiles(dataset))
    if versions and not svc.deletes_versions:
        svc.delete_dataset(dataset, cascade=cascade)  # refused, saying why, before anyone is asked
    if versions and not cascade:
        try:
            # Refused while it has versions (they only ever go with their dataset), saying why: on a
            # store that numbers versions by position (Plexus's), --cascade can't help either.
            svc.delete_dataset(dataset)
        except ConflictError as exc:
            raise ValidationError(f"{dataset.name} has {versions} version(s) and {profiles} profile(s); add "
                                  "--cascade to delete them with it.") from exc
        click.echo(f"Deleted {dataset.name}")  # another cascade removed its versions meanwhile
        return
    if not yes:
        click.confirm(f"Delete {dataset.name} ({versions} versions, {profiles} profiles)?", abort=True)
    svc.delete_dataset(dataset, cascade=cascade)
    click.echo(f"Deleted {dataset.name}" + (f" with {versions} versions and {profiles} profiles" if cascade else ""))


# --- versions -----------------------------------------------------------------------------------


@cli.group("versions")
def versions_group() -> None:
    """List, create, compare versions and move the current one."""


@table_command(versions_group, "list", ref_argument)
def versions_list(svc: DatasetService, ref: str) -> TextTable:
    """List the versions of a dataset."""
    dataset = svc.get_dataset(ref)
    return display.versions_table(dataset.name, svc.list_versions(dataset), dataset.current_version_id)


@versions_group.command("create")
@ref_argument
@config_option
@click.option("--note", help="What changed and why.")
@click.option("--force", is_flag=True, help="Create a version even if an existing one has this configuration.")
@click.option("--current", "make_current", is_flag=True, help="Make the new version the current one.")
@no_check_option
@json_option
@click.pass_context
def versions_create(ctx: click.Context, ref: str, config_source: str, note: str | None, force: bool,
                    make_current: bool, no_check: bool, as_json: bool) -> None:
    """Create the next version of a dataset from a configuration (checked first: it must
    load here unless --no-check). A configuration identical to an existing version's
    names that version instead."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    existing = {v.id for v in svc.list_versions(dataset)}
    version = svc.create_version(dataset, read_config_text(config_source), note=note, force=force,
                                 make_current=make_current, check=not no_check)
    unchanged = version.id in existing
    named = with_version(dataset.name, version.label)
    current = svc.get_dataset(dataset).current_version_id == version.id
    if as_json:
        emit_json({**version.model_dump(mode="json"), "unchanged": unchanged, "current": current})
    elif unchanged:
        click.echo(f"Unchanged: {named} already has this configuration (use --force to add a copy anyway)"
                   + ("; it is current" if current else ""))
    elif current:
        click.echo(f"Created {named} (current)")
    else:
        now = svc.current_version(dataset)
        click.echo(f"Created {named}; the current version is still {now.label if now else 'none'} "
                   f"(make it current with --current, or `versions set-current {shlex.quote(named)}`)")


@versions_group.command("set-current")
@ref_argument
@click.option("--expect", help="Only if the current version is still this one (compare-and-set).")
@click.pass_context
def versions_set_current(ctx: click.Context, ref: str, expect: str | None) -> None:
    """Make REF (DATASET:VERSION) the dataset's current version."""
    svc = service(ctx)
    version = svc.resolve(ref)
    dataset = svc.set_current_version(version.dataset_id, version, expected_current=expect)
    click.echo(f"{dataset.name}: current version is now {version.label}")


@versions_group.command("diff")
@click.argument("ref_a")
@click.argument("ref_b")
@click.option("--rows", "rows", is_flag=True, help="Compare the versions' data row by row instead (loads both; "
              "added, removed and changed rows, label flips).")
@click.option("--key", help="With --rows: the column that identifies a row (default: content_id when both have it "
              "with distinct values, else whole-row content).")
@click.option("--limit", type=click.IntRange(0, MAX_LIMIT), help=f"With --rows: rows of each kind to show "
              f"(default {DEFAULT_LIMIT}).")
@json_option
@click.pass_context
def versions_diff(ctx: click.Context, ref_a: str, ref_b: str, rows: bool, key: str | None, limit: int | None,
                  as_json: bool) -> None:
    """Configuration changes from REF_A to REF_B; with --rows, what changed in their data."""
    svc = service(ctx)
    if not rows:
        if key is not None or limit is not None:
            raise click.UsageError("--key and --limit go with --rows.")
        emit_table(display.diff_table(svc.diff_versions(ref_a, ref_b), ref_a, ref_b), as_json)
        return
    result = svc.diff_rows(ref_a, ref_b, key=key, limit=DEFAULT_LIMIT if limit is None else limit)
    if as_json:
        emit_json(result.to_dict())
    else:
        emit(display.rowdiff_parts(result))


# --- profiles -----------------------------------------------------------------------------------


@cli.group("profiles")
def profiles_group() -> None:
    """Record, list and compare profiles."""


@profiles_group.command("record")
@ref_argument
@click.option("--answer-column", "answer_columns", multiple=True, help="Answer column(s) to count (default: the "
              "score's label column).")
@click.option("--fresh", is_flag=True, help="Reload the data instead of using the cache.")
@json_option
@click.pass_context
def profiles_record(ctx: click.Context, ref: str, answer_columns: tuple[str, ...], fresh: bool, as_json: bool) -> None:
    """Load REF, profile it and record the profile."""
    svc = service(ctx)
    profile = svc.profile(ref, answer_columns=list(answer_columns) or None, fresh=fresh)  # a pin stays a pin
    if as_json:
        emit_json(profile.model_dump(mode="json"))
        return
    named = _version_ref(svc, svc.get_version(profile.dataset_version_id))
    emit(display.profile_lines(f"Recorded a profile of {named}", ProfileFacts.of(profile)))


@table_command(profiles_group, "history", ref_argument, csv_option)
def profiles_history(svc: DatasetService, ref: str) -> TextTable:
    """Profiles of a dataset (or of one version, DATASET:VERSION; or of one snapshot,
    DATASET:VERSION@sha256:DIGEST), oldest first."""
    dataset = svc.get_dataset(ref)
    labels = {v.id: v.label for v in svc.list_versions(dataset)}
    parsed = parse_ref(ref)
    profiles = svc.list_profiles(ref if parsed.has_version or parsed.snapshot else dataset)
    if parsed.snapshot:  # a pinned reference: the profiles of (or drawn from) that snapshot
        profiles = [p for p in profiles if (ProfileFacts.of(p).subject.snapshot_sha256 or "").startswith(parsed.snapshot)]
    return display.history_table(dataset.name, profiles, labels)


@profiles_group.command("compare")
@click.argument("ref_a")
@click.argument("ref_b")
@json_option
@click.pass_context
def profiles_compare(ctx: click.Context, ref_a: str, ref_b: str, as_json: bool) -> None:
    """Compare the newest profiles of two versions: rows, columns, answer shares, drift."""
    result = service(ctx).compare_profiles(ref_a, ref_b)
    if as_json:
        emit_json(result.to_dict())
    else:
        emit(display.comparison_parts(result))


# --- data ---------------------------------------------------------------------------------------


@cli.command("load")
@ref_argument
@click.option("--out", type=click.Path(dir_okay=False), help="Write the data to this .parquet or .csv file "
              "(without it: print a preview).")
@click.option("--head", "head", default=5, show_default=True, type=click.IntRange(0, 1000),
              help="Rows to show in the preview.")
@click.option("--fresh", is_flag=True, help="Rebuild instead of reading the cache.")
@click.pass_context
def load_command(ctx: click.Context, ref: str, out: str | None, head: int, fresh: bool) -> None:
    """Materialize REF: preview it (shape, which snapshot, columns, first rows), or write it with --out.

    REF's newest snapshot, or the one NAME:vN@sha256:DIGEST pins (exactly those rows).
    """
    path = Path(out) if out else None
    if path is not None and path.suffix.lower() not in (".parquet", ".csv"):
        raise click.UsageError("--out must end in .parquet or .csv")
    svc = service(ctx)
    snap = svc.snapshot(ref, fresh=fresh)
    frame, pinned = snap.frame, snap.reference or ref
    named = pinned.split("@sha256:", 1)[0]
    which = f"snapshot built {_when(snap.built_at)}"
    if path is None:
        _preview(named, frame, head, which, pinned)
        return
    try:
        if path.suffix.lower() == ".csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
    except OSError as exc:
        raise ValidationError(f"Can't write {path}: {exc.strerror or exc}.") from exc
    click.echo(f"Wrote {len(frame):,} rows of {pinned} ({which}) to {path}")


def _when(built_at: str | None) -> str:
    """``2026-11-27 20:31 UTC`` (or "at an unknown time") for a snapshot's ``built_at``."""
    return f"{built_at[:10]} {built_at[11:16]} UTC" if built_at else "at an unknown time"


@cli.command("snapshots")
@ref_argument
@json_option
@click.pass_context
def snapshots_command(ctx: click.Context, ref: str, as_json: bool) -> None:
    """List the snapshots of REF's version (the exact data each load returned), newest first.

    Each line's reference (NAME:vN@sha256:DIGEST) loads those rows again; "gone" ones
    are remembered by a profile but their bytes are in no cache, mirror or store here.
    """
    found = service(ctx).snapshots(ref)
    rows = [{"reference": s.reference, "rows": s.rows, "built_at": s.built_at, "where": s.where,
             "sha256": s.sha256} for s in found]
    shown = [{"reference": s.reference, "rows": f"{s.rows:,}" if s.rows is not None else "?",
              "built": _when(s.built_at), "where": "gone" if s.where == "gone" else s.where} for s in found]
    emit_table(TextTable(("reference", "rows", "built", "where"), rows, "Snapshots", right=("rows",),
                         empty=f"No snapshots of {ref} yet: `plexus-datasets load {shlex.quote(ref)}` builds one.",
                         text_rows=shown), as_json=as_json)
    if found and not as_json and any(s.where == "gone" for s in found):
        click.echo("gone: a profile remembers it, but its bytes are in no cache, mirror or store here.")


def _preview(named: str, frame: pd.DataFrame, head: int, which: str, pinned: str) -> None:
    """Shape, which snapshot, columns with their types, and the first rows, fitted to the terminal."""
    import shutil

    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    click.echo(f"{named}: {len(frame):,} rows x {len(frame.columns)} columns")
    click.echo(f"  {which}: {pinned}")
    click.echo("columns: " + ", ".join(f"{c} ({frame[c].dtype})" for c in frame.columns))
    if head and len(frame):
        click.echo(frame.head(head).to_string(max_colwidth=40, line_width=width, show_dimensions=False))
    click.echo(f"Write it out with: plexus-datasets load {shlex.quote(pinned)} --out FILE.parquet (or .csv)")


@cli.group("import")
def import_group() -> None:
    """Import Plexus score and scorecard YAML."""


def _emit_imports(results: list[Any], as_json: bool) -> None:
    """The import table, then each score's notes (what was assumed or left alone)."""
    table = display.import_table(results)
    if as_json:
        emit_json([{**row, "notes": list(r.notes)} for row, r in zip(table.rows, results, strict=True)])
        return
    emit([table, *(f"Note ({r.score.name}): {note}" for r in results for note in r.notes)])


@import_group.command("score-config")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@scorecard_option("Scorecard for the scores, created when missing; default: a scorecard YAML beside the file, "
                  "a scorecard named after its folder, or data.scorecard")
@json_option
@click.pass_context
def import_score_config_command(ctx: click.Context, paths: tuple[str, ...], scorecard: str | None,
                                as_json: bool) -> None:
    """Import Plexus score YAML files: their data: sections become dataset versions."""
    svc = service(ctx)
    _emit_imports([import_score_config(svc, Path(p), scorecard=scorecard) for p in paths], as_json)


@import_group.command("scorecard")
@click.argument("path", type=click.Path(exists=True))
@json_option
@click.pass_context
def import_scorecard_command(ctx: click.Context, path: str, as_json: bool) -> None:
    """Import a Plexus scorecard YAML, or a folder of score YAMLs."""
    _emit_imports(import_scorecard(service(ctx), path), as_json)


@import_group.command("score")
@click.argument("score")
@scorecard_option("Look for SCORE in this scorecard (else write SCORECARD/SCORE when its name repeats)")
@json_option
@click.pass_context
def import_score_command(ctx: click.Context, score: str, scorecard: str | None, as_json: bool) -> None:
    """Import the data: section of SCORE's configuration as the store keeps it (Plexus's API:
    the score's champion version) as its dataset's next version; unchanged content writes
    nothing. SCORE is an id, key, externalId or name."""
    _emit_imports([service(ctx).import_score(score, scorecard=scorecard)], as_json)


# --- evaluate -----------------------------------------------------------------------------------


def dataset_options(fn: Callable) -> Callable:
    """Add ``--dataset-id``, ``--dataset`` and ``--dataset-version`` to a click command.

    Resolve them with ``resolve_dataset_option(dataset_id, dataset, dataset_version)``.
    """
    return _apply(fn, [
        click.option("--dataset-id", default=None, help="Dataset id (or a version id)."),
        click.option("--dataset", "dataset", default=None,
                     help="Dataset name or DATASET[:VERSION][@sha256:DIGEST] reference (a digest pins the rows)."),
        click.option("--dataset-version", default=None, help="current (default), latest, N, vN or a version id."),
    ])


def resolve_dataset_option(dataset_id: str | None = None, dataset: str | None = None,
                           dataset_version: str | None = None,
                           service: DatasetService | None = None) -> DatasetVersion:
    """The DatasetVersion that ``--dataset-id``/``--dataset`` and ``--dataset-version`` name.

    Raises ValidationError when neither or both are given, or when a version is
    given twice; NotFoundError/AmbiguousReferenceError for unknown references.
    """
    from .service import connect

    if bool(dataset_id) == bool(dataset):
        raise ValidationError("Give exactly one of --dataset-id or --dataset.")
    svc = service or connect()
    ref = dataset_id or dataset
    if dataset_version:
        if dataset and parse_ref(dataset).has_version:
            raise ValidationError("Give the version either in --dataset (NAME:VERSION) or in --dataset-version.")
        ref = with_version(ref, dataset_version)  # type: ignore[arg-type]
    return svc.resolve(ref)  # type: ignore[arg-type]


def _evaluation_data(svc: DatasetService, version: DatasetVersion | None, score_config: str | None,
                     label_column: str | None, fresh: bool = False, pin: str | None = None
                     ) -> tuple[pd.DataFrame, str | None, str, Snapshot | None]:
    """The rows to evaluate, their label column, where they come from (for the report)
    and the snapshot they are (its ``reference``, ``calls:v3@sha256:ab12cd34ef56``, loads
    the same rows again)."""
    if version is not None:
        snap = svc.snapshot(version, snapshot=pin, fresh=fresh)
        return snap.frame, label_column or svc.label_column(version), _version_ref(svc, version), snap
    spec = read_score_config(score_config)  # type: ignore[arg-type]
    if spec.data is None:
        raise ValidationError(f"{score_config} has no data: section to evaluate on.")
    label = label_column or spec.data.get("label_column") or spec.label_column
    return svc.load_configuration(spec.data, label_column=label), label, f"{score_config} (data: section)", None


def _check_label(frame: pd.DataFrame, label: str | None, source: str) -> str:
    from .service import likely_label_columns

    if label and label in frame.columns:
        return label
    likely = likely_label_columns(frame)  # only when it must be said: it counts every text column
    hint = f" Likely label columns: {', '.join(likely)}." if likely else ""
    if not label:
        raise ValidationError(f"{source} names no label column (no label_column in its configuration and no "
                              f"score); pass --label-column.{hint}")
    if label not in frame.columns:
        same = [str(c) for c in frame.columns if str(c).casefold() == label.casefold()]
        fix = f" Did you mean {same[0]!r}? Column names are case-sensitive." if same else f" Pass --label-column.{hint}"
        raise ValidationError(f"No label column {label!r} in {source}.{fix}")
    return label


@cli.group("evaluate")
def evaluate_group() -> None:
    """Evaluate predictions against a dataset version."""


@evaluate_group.command("accuracy")
@dataset_options
@click.option("--score-config", type=click.Path(exists=True, dir_okay=False),
              help="Legacy: use this score YAML's data: section directly (no dataset record needed).")
@click.option("--predictions", type=click.Path(exists=True, dir_okay=False),
              help="File with a prediction column (CSV, Parquet or JSON Lines), matched on --id-column.")
@click.option("--id-column", help="Column both the data and the predictions have, to match them on "
              "(default: content_id; rows are matched by order when neither file has an id column).")
@click.option("--predictions-encoding", help="Text encoding of the predictions file (default utf-8; e.g. cp1252).")
@click.option("--fresh", is_flag=True, help="Rebuild the dataset's data instead of reading the cache.")
@click.option("--scorer", help="module:callable returning one prediction per row of a DataFrame batch "
              "(imported from the current directory first, as python -m does).")
@click.option("--label-column", help="Column with the true answers (default: from the score).")
@click.option("--normalize-labels", is_flag=True, help="Compare labels ignoring case and runs of spaces.")
@click.option("--number-of-samples", type=click.IntRange(min=1), help="Evaluate a random sample of this many rows.")
@click.option("--random-seed", type=click.IntRange(0, 2**32 - 1), default=None,
              help="Seed for the sample (default: a new one, printed so the run can be repeated).")
@click.option("--no-profile", is_flag=True, help="Don't record a profile of the evaluated data.")
@json_option
@click.pass_context
def evaluate_accuracy(ctx: click.Context, dataset_id: str | None, dataset: str | None, dataset_version: str | None,
                      score_config: str | None, predictions: str | None, id_column: str | None,
                      predictions_encoding: str | None, fresh: bool, scorer: str | None,
                      label_column: str | None, normalize_labels: bool, number_of_samples: int | None,
                      random_seed: int | None, no_profile: bool, as_json: bool) -> None:
    """Accuracy, per-class precision and recall, and the confusion matrix.

    Data comes from --dataset-id/--dataset (with --dataset-version) or from a
    legacy --score-config; predictions from --predictions or --scorer. The
    resolved DATASET:vN, the exact snapshot evaluated (DATASET:vN@sha256:DIGEST:
    --dataset it for the same rows again) and the sample's seed are printed so the
    run can be reproduced. A profile of the evaluated rows is recorded against that
    exact version: a full one when every row was evaluated, else one marked as an
    evaluation sample (size, population, seed, snapshot), which never stands for the
    version.
    """
    from .evaluation import evaluate, load_scorer, new_seed, predictions_from_file, predictions_from_scorer, sample_rows

    if bool(predictions) == bool(scorer):
        raise click.UsageError("Give exactly one of --predictions or --scorer.")
    if score_config and (dataset_id or dataset):
        raise click.UsageError("Give either --score-config or --dataset-id/--dataset, not both.")
    if not (score_config or dataset_id or dataset):
        raise click.UsageError("Give --dataset-id, --dataset or --score-config.")
    if (id_column or predictions_encoding) and not predictions:
        raise click.UsageError("--id-column and --predictions-encoding go with --predictions.")
    svc = service(ctx)
    version = None if score_config else resolve_dataset_option(dataset_id, dataset, dataset_version, service=svc)
    named = dataset or dataset_id  # its pin, or one written with --dataset-version (v1@sha256:...), is the data
    pin = parse_ref(with_version(named, dataset_version)).snapshot if named and not score_config else None
    full, label, source, snap = _evaluation_data(svc, version, score_config, label_column, fresh, pin)
    label = _check_label(full, label, source)
    seed = random_seed if random_seed is not None else new_seed()
    # predictions meet every row first, so row order and the match counts are the whole data's
    matched = predictions_from_file(predictions, full, id_column, predictions_encoding) if predictions else None
    frame = sample_rows(full, number_of_samples, seed)
    sampled = len(frame) < len(full)
    if number_of_samples and not sampled:
        warnings.warn(f"--number-of-samples {number_of_samples:,} is not fewer than the {len(full):,} rows of "
                      f"{source}: every row is evaluated.", PlexusDatasetsWarning, stacklevel=1)
    guessed = (matched.values.loc[frame.index] if matched
               else predictions_from_scorer(load_scorer(scorer), frame))  # type: ignore[arg-type]
    try:
        result = evaluate(frame[label], guessed, normalize=normalize_labels)
    except ValidationError as exc:
        how = f" Predictions were matched by {matched.how}: {matched.unmatched:,} of their ids are not in the data." \
            if matched else ""
        raise ValidationError(f"{exc}{how}") from exc
    profile = None
    if version is not None and not no_profile and snap is not None:
        if sampled:
            profile = svc.profile_frame(version, frame, answer_columns=[label], population=len(full), seed=seed,
                                        purpose="evaluation", drawn_from=snap)
        else:  # the very snapshot evaluated, by its digest
            profile = svc.profile(version, answer_columns=[label], snapshot=snap.sha256)
    report = {"dataset": source, "snapshot": snap.reference if snap else None, "sha256": snap.sha256 if snap else None,
              "built_at": snap.built_at if snap else None, "label_column": label, "rows": len(frame), "population": len(full),
              "seed": seed if sampled else None, "profile_id": profile.id if profile else None,
              "profile_kind": ("sample" if sampled else "full") if profile else None,
              **(matched.to_dict() if matched else {"matched_by": "scorer"}), **result.to_dict()}
    if as_json:
        emit_json(report)
    else:
        emit(display.evaluation_parts(report, result))


# --- store and server ---------------------------------------------------------------------------


@cli.command("demo")
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Seed the store with the demo scorecard, datasets, versions and profiles."""
    from .demo import seed_demo

    svc = service(ctx)
    summary = seed_demo(svc)
    click.echo(f"Demo data in {svc.describe()}: {summary}")


@cli.command("info")
@click.pass_context
def info_command(ctx: click.Context) -> None:
    """Show where the store is and how many records it holds."""
    svc = service(ctx)
    click.echo(f"store:      {svc.describe()}")
    click.echo(f"scorecards: {len(svc.list_scorecards())}")
    click.echo(f"datasets:   {len(svc.list_datasets())}")


def _origins(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        scheme, _, rest = value.partition("://")
        if scheme not in ("http", "https") or not rest.rstrip("/") or any(c in rest.rstrip("/") for c in "/*?# "):
            raise click.BadParameter(f"{value!r} is not an origin: give scheme://host[:port], "
                                     "e.g. http://localhost:3000.")
    return values


@cli.command("serve")
@click.option("--db", "db_option", help="Store to serve: SQLite file or SQLAlchemy URL (default: the embedded store).")
@click.option("--schema", "schema", type=click.Choice(["plan", "plexus"]), default="plan", show_default=True,
              help="The GraphQL schema to serve: the dataset plan's (Dataset, DatasetVersion, DatasetProfile) or "
                   "Plexus's deployed one (DataSource, DataSourceVersion, DataSet, Account...).")
@click.option("--account-key", metavar="KEY",
              help="With --schema plexus: make sure an Account with this key exists (created if missing) and "
                   "print its id.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--api-key", help="Key clients must send in x-api-key [env: PLEXUS_API_KEY].")
@click.option("--iam-credentials-env", is_flag=True,
              help="Also accept requests signed with AWS SigV4 by the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY "
                   "of the server's environment.")
@click.option("--iam-region", metavar="REGION",
              help="With --iam-credentials-env: accept only signatures scoped to this region (default: any).")
@click.option("--insecure-no-auth", is_flag=True, help="Serve without an API key (only for a loopback-only server).")
@click.option("--cors-origin", "cors_origins", multiple=True, callback=_origins, metavar="URL",
              help="A browser origin (scheme://host[:port]) allowed to call the API; repeatable. None by default.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name clients may use in the Host header besides the bound host and loopback names "
                   "(e.g. the server's DNS name with --host 0.0.0.0); repeatable.")
@click.pass_context
def serve_command(ctx: click.Context, db_option: str | None, schema: str, account_key: str | None, host: str,
                  port: int, api_key: str | None, iam_credentials_env: bool, iam_region: str | None,
                  insecure_no_auth: bool, cors_origins: tuple[str, ...], allowed_hosts: tuple[str, ...]) -> None:
    """Serve the store over GraphQL, speaking the Amplify/AppSync contract.

    Point the package at it with PLEXUS_API_URL=http://HOST:PORT/graphql and
    PLEXUS_API_KEY=KEY.

    The server keeps its records as items (the appsync_* tables of the database),
    apart from the tables the embedded store uses (connect(DB) without an API). On
    its first start over a database the embedded store (or an older serve) wrote,
    --schema plan copies those records into the items once and says how many; the
    tables are left as they were, and from then on each side has its own records.
    """
    from .compose import configured_api_key, serve, store_description

    api_key = configured_api_key(api_key or ctx.find_root().obj.get("api_key"))
    if not api_key and not iam_credentials_env and not insecure_no_auth:
        raise click.UsageError("serve needs --api-key KEY (or PLEXUS_API_KEY), --iam-credentials-env, "
                               "or --insecure-no-auth.")
    if account_key and schema != "plexus":
        raise click.UsageError("--account-key needs --schema plexus.")
    if iam_region and not iam_credentials_env:
        raise click.UsageError("--iam-region needs --iam-credentials-env.")
    db = db_option or ctx.find_root().obj.get("db")
    modes = [mode for mode, on in (("x-api-key", api_key), ("AWS SigV4", iam_credentials_env)) if on]
    auth = f"{' or '.join(modes)} required" if modes else "NO AUTHENTICATION"
    cors = ", ".join(cors_origins) or "none"
    click.echo(f"Serving {store_description(db, schema)} at http://{host}:{port}/graphql ({auth}; CORS origins: "
               f"{cors}); Ctrl+C stops.", err=True)

    def announce(account_id: str) -> None:
        click.echo(f"Plexus account {account_key}: {account_id}")

    def copied(count: int) -> None:
        click.echo(f"Copied {count} record{'' if count == 1 else 's'} from the database's SQL tables (the embedded "
                   "store's) into the server's item tables, once; those tables are left as they were.", err=True)

    serve(db, host=host, port=port, api_key=api_key or None, log_level="warning", cors_origins=cors_origins,
          allowed_hosts=allowed_hosts, schema=schema, account_key=account_key or None,
          iam_credentials_env=iam_credentials_env, iam_region=iam_region, on_account=announce, on_copied=copied)


def main() -> None:
    cli(obj={}, prog_name="plexus-datasets")


if __name__ == "__main__":  # pragma: no cover
    main()
