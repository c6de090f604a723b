"""The ``plexus-datasets`` command line.

This module is the one place where errors become exit codes: 0 for success,
1 for a PlexusDatasetsError (one line on stderr, no traceback unless
``--debug``), 2 for usage errors (click's own). Commands use the
DatasetService and nothing below it.

For Plexus's own CLI, ``dataset_options`` adds ``--dataset-id``/``--dataset``/
``--dataset-version`` to a click command and ``resolve_dataset_option`` turns
them into a DatasetVersion, with the same meaning as here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import PlexusDatasetsError, ValidationError

if TYPE_CHECKING:
    from .models import DatasetVersion
    from .service import DatasetService

__all__ = ["cli", "dataset_options", "main", "resolve_dataset_option"]


# --- error handling and shared plumbing ---------------------------------------------------


class _Group(click.Group):
    """Turns our errors into one line and exit code 1, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlexusDatasetsError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


def service(ctx: click.Context) -> DatasetService:
    """The command's DatasetService, built once from the global options."""
    from . import connect

    root = ctx.find_root()
    if "service" not in root.obj:
        options = root.obj
        root.obj["service"] = connect(options.get("db"), api_url=options.get("api_url"),
                                      api_key=options.get("api_key"))
        root.call_on_close(root.obj["service"].close)
    return root.obj["service"]


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(fn)


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None,
               as_json: bool = False) -> None:
    """Rows as a rich table, or as JSON (a list of objects) with ``--json``."""
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, default=str, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*["" if row.get(c) is None else str(row.get(c)) for c in columns])
    if not rows:
        click.echo(f"(no {title.lower() if title else 'rows'})")
        return
    _console().print(table)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def read_config(ctx: click.Context, source: str) -> dict[str, Any]:
    """A configuration from a YAML/JSON file, or ``-`` for standard input."""
    if source == "-":
        text = sys.stdin.read()
    else:
        path = Path(source)
        if not path.exists():
            raise ValidationError(f"No configuration file at {path}.")
        text = path.read_text(encoding="utf-8")
    return service(ctx).parse_configuration(text)


# --- the group ----------------------------------------------------------------------------------


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="plexus-datasets")
@click.option("--db", envvar="PLEXUS_DATASETS_DB", help="Embedded store: SQLite file or SQLAlchemy URL "
              "[env: PLEXUS_DATASETS_DB].")
@click.option("--api-url", envvar="PLEXUS_API_URL", help="Amplify/AppSync GraphQL endpoint; used instead of the "
              "embedded store [env: PLEXUS_API_URL].")
@click.option("--api-key", envvar="PLEXUS_API_KEY", help="API key for --api-url [env: PLEXUS_API_KEY].")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, api_url: str | None, api_key: str | None, debug: bool) -> None:
    """Versioned, profiled datasets for Plexus scores.

    References everywhere are DATASET[:VERSION]: a dataset name or id, then
    current (default), latest, N, vN or a version id.
    """
    ctx.ensure_object(dict)
    # An explicit --db wins over an API URL that only comes from the environment.
    source = ctx.get_parameter_source("api_url")
    if db and source == click.core.ParameterSource.ENVIRONMENT:
        api_url = None
    ctx.obj.update(db=db, api_url=api_url, api_key=api_key)


# --- browse -------------------------------------------------------------------------------------


@cli.group("scorecards")
def scorecards_group() -> None:
    """Scorecards."""


@scorecards_group.command("list")
@json_option
@click.pass_context
def scorecards_list(ctx: click.Context, as_json: bool) -> None:
    """List scorecards."""
    rows = [{"name": c.name, "key": c.key, "externalId": c.external_id, "id": c.id}
            for c in service(ctx).list_scorecards()]
    emit_table(rows, ["name", "key", "externalId", "id"], "Scorecards", as_json)


@cli.group("scores")
def scores_group() -> None:
    """Scores."""


@scores_group.command("list")
@click.option("--scorecard", help="Only this scorecard's scores (id, key, externalId or name).")
@json_option
@click.pass_context
def scores_list(ctx: click.Context, scorecard: str | None, as_json: bool) -> None:
    """List scores."""
    svc = service(ctx)
    rows = [{"name": s.name, "key": s.key, "externalId": s.external_id, "type": s.type, "id": s.id}
            for s in svc.list_scores(scorecard)]
    emit_table(rows, ["name", "key", "externalId", "type", "id"], "Scores", as_json)


# --- datasets -----------------------------------------------------------------------------------


@cli.group("datasets")
def datasets_group() -> None:
    """Create, list, show and delete datasets."""


@datasets_group.command("list")
@click.option("--scorecard", help="Only this scorecard's datasets.")
@click.option("--score", help="Only this score's datasets.")
@click.option("--name", "name_filter", help="Only names containing this text.")
@json_option
@click.pass_context
def datasets_list(ctx: click.Context, scorecard: str | None, score: str | None, name_filter: str | None,
                  as_json: bool) -> None:
    """List datasets with their current version, versions and newest profile."""
    rows = [
        {"name": s.dataset.name, "current": s.current_version.label if s.current_version else None,
         "versions": s.version_count,
         "last_profile": s.latest_profile.created_at.isoformat() if s.latest_profile else None,
         "records": s.record_count, "id": s.dataset.id}
        for s in service(ctx).dataset_summaries(scorecard=scorecard, score=score, name=name_filter)
    ]
    emit_table(rows, ["name", "current", "versions", "last_profile", "records", "id"], "Datasets", as_json)


@datasets_group.command("show")
@click.argument("ref")
@json_option
@click.pass_context
def datasets_show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Show a dataset and the version REF names (default: current)."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    version = svc.resolve(ref) if dataset.current_version_id or ":" in ref else None
    if as_json:
        emit_json({"dataset": dataset.to_wire(), "version": version.model_dump(mode="json") if version else None})
        return
    click.echo(f"{dataset.name}  (id {dataset.id})")
    if dataset.description:
        click.echo(f"  {dataset.description}")
    current = svc.current_version(dataset)
    click.echo(f"  current: {current.label if current else 'none'}; versions: {len(svc.list_versions(dataset))}")
    if version:
        note = f" - {version.note}" if version.note else ""
        click.echo(f"\n{version.label} ({version.created_at:%Y-%m-%d %H:%M}, digest {version.digest[:12]}){note}")
        click.echo(svc.configuration_yaml(version.configuration).rstrip())


@datasets_group.command("create")
@click.option("--scorecard", required=True, help="Scorecard id, key, externalId or name.")
@click.option("--score", help="Score id, key, externalId or name (optional).")
@click.option("--name", required=True, help="Dataset name (unique within the scorecard).")
@click.option("--description", help="What the dataset is for.")
@click.option("--config", "config_source", required=True, help="YAML/JSON file with the data: section, or - for stdin.")
@click.option("--note", help="Note for version 1.")
@json_option
@click.pass_context
def datasets_create(ctx: click.Context, scorecard: str, score: str | None, name: str, description: str | None,
                    config_source: str, note: str | None, as_json: bool) -> None:
    """Create a dataset whose version 1 is the given configuration."""
    svc = service(ctx)
    config = read_config(ctx, config_source)
    dataset = svc.create_dataset(scorecard, name, score=score, description=description, configuration=config,
                                 note=note)
    if as_json:
        emit_json(dataset.to_wire())
    else:
        click.echo(f"Created {dataset.name}:v1 (id {dataset.id})")


@datasets_group.command("delete")
@click.argument("ref")
@click.option("--cascade", is_flag=True, help="Also delete its versions and profiles.")
@click.option("--yes", is_flag=True, help="Don't ask for confirmation.")
@click.pass_context
def datasets_delete(ctx: click.Context, ref: str, cascade: bool, yes: bool) -> None:
    """Delete a dataset (with --cascade, its versions and profiles too)."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    versions, profiles = len(svc.list_versions(dataset)), len(svc.list_profiles(dataset))
    if not yes:
        click.confirm(f"Delete {dataset.name} ({versions} versions, {profiles} profiles)?", abort=True)
    svc.delete_dataset(dataset, cascade=cascade)
    click.echo(f"Deleted {dataset.name}" + (f" with {versions} versions and {profiles} profiles" if cascade else ""))


# --- versions -----------------------------------------------------------------------------------


@cli.group("versions")
def versions_group() -> None:
    """List, create, compare versions and move the current one."""


@versions_group.command("list")
@click.argument("ref")
@json_option
@click.pass_context
def versions_list(ctx: click.Context, ref: str, as_json: bool) -> None:
    """List the versions of a dataset."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    rows = [{"version": v.label, "current": "●" if v.id == dataset.current_version_id else "",
             "created": v.created_at.isoformat(), "digest": v.digest[:12], "note": v.note, "id": v.id}
            for v in svc.list_versions(dataset)]
    emit_table(rows, ["version", "current", "created", "digest", "note", "id"], f"Versions of {dataset.name}", as_json)


@versions_group.command("create")
@click.argument("ref")
@click.option("--config", "config_source", required=True, help="YAML/JSON file with the data: section, or - for stdin.")
@click.option("--note", help="What changed and why.")
@click.option("--force", is_flag=True, help="Create a version even if the configuration is unchanged.")
@json_option
@click.pass_context
def versions_create(ctx: click.Context, ref: str, config_source: str, note: str | None, force: bool,
                    as_json: bool) -> None:
    """Create the next version of a dataset from a configuration."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    before = svc.latest_version(dataset)
    version = svc.create_version(dataset, read_config(ctx, config_source), note=note, force=force)
    unchanged = before is not None and before.id == version.id
    if as_json:
        emit_json({**version.model_dump(mode="json"), "unchanged": unchanged})
    elif unchanged:
        click.echo(f"Unchanged: same configuration as {dataset.name}:{version.label} (use --force to add anyway)")
    else:
        click.echo(f"Created {dataset.name}:{version.label}")


@versions_group.command("set-current")
@click.argument("ref")
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
@json_option
@click.pass_context
def versions_diff(ctx: click.Context, ref_a: str, ref_b: str, as_json: bool) -> None:
    """Configuration changes from REF_A to REF_B."""
    diff = service(ctx).diff_versions(ref_a, ref_b)
    rows = [{"path": c.path_text, "change": c.kind, "old": c.old, "new": c.new} for c in diff]
    if not rows and not as_json:
        click.echo(f"No differences between {ref_a} and {ref_b}.")
        return
    emit_table(rows, ["path", "change", "old", "new"], f"{ref_a} -> {ref_b}", as_json)


# --- profiles -----------------------------------------------------------------------------------


@cli.group("profiles")
def profiles_group() -> None:
    """Record, list and compare profiles."""


@profiles_group.command("record")
@click.argument("ref")
@click.option("--answer-column", "answer_columns", multiple=True, help="Answer column(s) to count (default: the "
              "score's label column).")
@click.option("--fresh", is_flag=True, help="Reload the data instead of using the cache.")
@json_option
@click.pass_context
def profiles_record(ctx: click.Context, ref: str, answer_columns: tuple[str, ...], fresh: bool, as_json: bool) -> None:
    """Load REF, profile it and record the profile."""
    svc = service(ctx)
    version = svc.resolve(ref)
    profile = svc.profile(version, answer_columns=list(answer_columns) or None, fresh=fresh)
    if as_json:
        emit_json(profile.model_dump(mode="json"))
        return
    dataset = svc.get_dataset(version.dataset_id)
    click.echo(f"Recorded a profile of {dataset.name}:{version.label}: {profile.record_counts['rows']:,} rows, "
               f"{len(profile.column_list)} columns")
    for column, dist in profile.answer_distribution.get("columns", {}).items():
        counts = ", ".join(f"{k} {v:,}" for k, v in dist["counts"].items())
        click.echo(f"  {column}: {counts}; null {dist['null']:,}")


@profiles_group.command("history")
@click.argument("ref")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@json_option
@click.pass_context
def profiles_history(ctx: click.Context, ref: str, as_csv: bool, as_json: bool) -> None:
    """Profiles of a dataset (or of one version, DATASET:VERSION), oldest first."""
    svc = service(ctx)
    dataset = svc.get_dataset(ref)
    labels = {v.id: v.label for v in svc.list_versions(dataset)}
    rows = []
    for p in svc.list_profiles(ref if ":" in ref else dataset):
        row = {"created": p.created_at.isoformat(), "version": labels.get(p.dataset_version_id),
               "rows": (p.record_counts or {}).get("rows"), "columns": len(p.column_list)}
        for column, dist in (p.answer_distribution or {}).get("columns", {}).items():
            total = sum(dist["counts"].values()) + dist.get("other", 0)
            for value, count in dist["counts"].items():
                row[f"{column}={value} %"] = round(100 * count / total, 2) if total else None
        rows.append(row)
    columns = list(dict.fromkeys(k for r in rows for k in r)) or ["created", "version", "rows", "columns"]
    if as_csv:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return
    emit_table(rows, columns, f"Profiles of {dataset.name}", as_json)


@profiles_group.command("compare")
@click.argument("ref_a")
@click.argument("ref_b")
@json_option
@click.pass_context
def profiles_compare(ctx: click.Context, ref_a: str, ref_b: str, as_json: bool) -> None:
    """Compare the newest profiles of two versions: rows, columns, answer shares, drift."""
    from dataclasses import asdict

    result = service(ctx).compare_profiles(ref_a, ref_b)
    if as_json:
        emit_json({"rows_a": result.rows_a, "rows_b": result.rows_b, "columns_added": result.columns_added,
                   "columns_removed": result.columns_removed, "band": result.band,
                   "answers": [asdict(a) for a in result.answers], "columns": [asdict(c) for c in result.columns]})
        return
    pct = f" ({result.row_change_pct:+.1f}%)" if result.row_change_pct is not None else ""
    click.echo(f"Records: {result.rows_a:,} -> {result.rows_b:,}{pct}; drift: {result.band}")
    if result.columns_added or result.columns_removed:
        click.echo(f"Columns added: {', '.join(result.columns_added) or '-'}; "
                   f"removed: {', '.join(result.columns_removed) or '-'}")
    for shift in result.answers:
        p_value = f"{shift.chi2_p_value:.3g}" if shift.chi2_p_value is not None else "n/a"
        rows = [{"class": k, "A %": f"{100 * shift.shares_a.get(k, 0):.1f}", "B %": f"{100 * shift.shares_b.get(k, 0):.1f}",
                 "change (pp)": f"{v:+.1f}"} for k, v in shift.change_pp.items()]
        emit_table(rows, ["class", "A %", "B %", "change (pp)"],
                   f"{shift.column}: JS {shift.js_distance:.3f}, PSI {shift.psi:.3f}, chi-square p {p_value}")
    emit_table([{"column": c.column, "null A %": f"{100 * c.null_rate_a:.1f}", "null B %": f"{100 * c.null_rate_b:.1f}",
                 "PSI": "" if c.histogram_psi is None else f"{c.histogram_psi:.3f}", "drift": c.band}
                for c in result.columns], ["column", "null A %", "null B %", "PSI", "drift"], "Columns")


# --- data ---------------------------------------------------------------------------------------


@cli.command("load")
@click.argument("ref")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output file: .parquet or .csv.")
@click.option("--fresh", is_flag=True, help="Rebuild instead of reading the cache.")
@click.pass_context
def load_command(ctx: click.Context, ref: str, out: str, fresh: bool) -> None:
    """Materialize REF and write it to a Parquet or CSV file."""
    path = Path(out)
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise click.UsageError("--out must end in .parquet or .csv")
    svc = service(ctx)
    version = svc.resolve(ref)
    frame = svc.load(version, fresh=fresh)
    try:
        if path.suffix.lower() == ".csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
    except OSError as exc:
        raise ValidationError(f"Can't write {path}: {exc.strerror or exc}.") from exc
    dataset = svc.get_dataset(version.dataset_id)
    click.echo(f"Wrote {len(frame):,} rows of {dataset.name}:{version.label} to {path}")


@cli.group("import")
def import_group() -> None:
    """Import Plexus score and scorecard YAML."""


@import_group.command("score-config")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--scorecard", help="Scorecard for the scores (default: the file's folder, or data.scorecard).")
@json_option
@click.pass_context
def import_score_config_command(ctx: click.Context, paths: tuple[str, ...], scorecard: str | None,
                                as_json: bool) -> None:
    """Import Plexus score YAML files: their data: sections become dataset versions."""
    svc = service(ctx)
    results = [svc.import_score_config(Path(p), scorecard=scorecard) for p in paths]
    _report_imports(results, as_json)


@import_group.command("scorecard")
@click.argument("path", type=click.Path(exists=True))
@json_option
@click.pass_context
def import_scorecard_command(ctx: click.Context, path: str, as_json: bool) -> None:
    """Import a Plexus scorecard YAML, or a folder of score YAMLs."""
    _report_imports(service(ctx).import_scorecard(path), as_json)


def _report_imports(results: Iterable[Any], as_json: bool) -> None:
    rows = [{"score": r.score.name, "action": r.action, "dataset": r.dataset.name if r.dataset else None,
             "version": r.version.label if r.version else None} for r in results]
    emit_table(rows, ["score", "action", "dataset", "version"], "Imported", as_json)


# --- evaluate -----------------------------------------------------------------------------------


def dataset_options(fn: Callable) -> Callable:
    """Add ``--dataset-id``, ``--dataset`` and ``--dataset-version`` to a click command.

    Resolve them with ``resolve_dataset_option(dataset_id, dataset, dataset_version)``.
    """
    fn = click.option("--dataset-version", default=None,
                      help="current (default), latest, N, vN or a version id.")(fn)
    fn = click.option("--dataset", "dataset", default=None, help="Dataset name or DATASET:VERSION reference.")(fn)
    fn = click.option("--dataset-id", default=None, help="Dataset id (or a version id).")(fn)
    return fn


def resolve_dataset_option(dataset_id: str | None = None, dataset: str | None = None,
                           dataset_version: str | None = None,
                           service: DatasetService | None = None) -> DatasetVersion:
    """The DatasetVersion that ``--dataset-id``/``--dataset`` and ``--dataset-version`` name.

    Raises ValidationError when neither or both are given, or when a version is
    given twice; NotFoundError/AmbiguousReferenceError for unknown references.
    """
    from . import connect

    if bool(dataset_id) == bool(dataset):
        raise ValidationError("Give exactly one of --dataset-id or --dataset.")
    svc = service or connect()
    ref = dataset_id or dataset
    if dataset_version:
        if ":" in str(dataset) and dataset:
            raise ValidationError("Give the version either in --dataset (NAME:VERSION) or in --dataset-version.")
        ref = f"{ref}:{dataset_version}"
    return svc.resolve(ref)  # type: ignore[arg-type]


@cli.group("evaluate")
def evaluate_group() -> None:
    """Evaluate predictions against a dataset version."""


@evaluate_group.command("accuracy")
@dataset_options
@click.option("--score-config", type=click.Path(exists=True, dir_okay=False),
              help="Legacy: use this score YAML's data: section directly (no dataset record needed).")
@click.option("--predictions", type=click.Path(exists=True, dir_okay=False),
              help="File with columns content_id and prediction (CSV, Parquet or JSON Lines).")
@click.option("--scorer", help="module:callable returning one prediction per row of a DataFrame batch.")
@click.option("--label-column", help="Column with the true answers (default: from the score).")
@click.option("--number-of-samples", type=click.IntRange(min=1), help="Evaluate a random sample of this many rows.")
@click.option("--random-seed", type=int, default=None, help="Seed for the sample.")
@click.option("--no-profile", is_flag=True, help="Don't record a profile of the evaluated data.")
@json_option
@click.pass_context
def evaluate_accuracy(ctx: click.Context, dataset_id: str | None, dataset: str | None, dataset_version: str | None,
                      score_config: str | None, predictions: str | None, scorer: str | None,
                      label_column: str | None, number_of_samples: int | None, random_seed: int | None,
                      no_profile: bool, as_json: bool) -> None:
    """Accuracy, per-class precision and recall, and the confusion matrix.

    Data comes from --dataset-id/--dataset (with --dataset-version) or from a
    legacy --score-config; predictions from --predictions or --scorer. The
    resolved DATASET:vN is printed so the run can be reproduced, and a profile of
    the evaluated rows is recorded against that exact version.
    """
    from .evaluation import evaluate, load_scorer, predictions_from_file, predictions_from_scorer, sample_rows

    if bool(predictions) == bool(scorer):
        raise click.UsageError("Give exactly one of --predictions or --scorer.")
    if score_config and (dataset_id or dataset):
        raise click.UsageError("Give either --score-config or --dataset-id/--dataset, not both.")
    svc = service(ctx)
    version = None
    if score_config:
        spec = svc.read_score_config(score_config)
        if spec.data is None:
            raise ValidationError(f"{score_config} has no data: section to evaluate on.")
        label = label_column or spec.label_column
        frame = svc.load_configuration(spec.data, label_column=label)
        source = f"{score_config} (data: section)"
    else:
        if not (dataset_id or dataset):
            raise click.UsageError("Give --dataset-id, --dataset or --score-config.")
        version = resolve_dataset_option(dataset_id, dataset, dataset_version, service=svc)
        label = label_column or svc.label_column(version)
        frame = svc.load(version)
        source = f"{svc.get_dataset(version.dataset_id).name}:{version.label}"
    if not label or label not in frame.columns:
        raise ValidationError(f"No label column {label!r} in the data; pass --label-column "
                              f"(columns: {', '.join(map(str, frame.columns))}).")
    frame = sample_rows(frame, number_of_samples, random_seed)
    guessed = (predictions_from_file(predictions, frame) if predictions
               else predictions_from_scorer(load_scorer(scorer), frame))  # type: ignore[arg-type]
    result = evaluate(frame[label], guessed)
    profile = None
    if version is not None and not no_profile:
        profile = svc.profile_frame(version, frame, answer_columns=[label])
    if as_json:
        emit_json({"dataset": source, "label_column": label, "rows": len(frame),
                   "profile_id": profile.id if profile else None, **result.to_dict()})
        return
    _print_evaluation(source, label, len(frame), result, profile)


def _print_evaluation(source: str, label: str, rows: int, result: Any, profile: Any) -> None:
    from rich.table import Table

    console = _console()
    click.echo(f"Dataset: {source}")
    click.echo(f"Label column: {label}; rows: {rows:,}; evaluated: {result.total:,}"
               + (f"; without label: {result.without_label:,}" if result.without_label else "")
               + (f"; without prediction: {result.without_prediction:,}" if result.without_prediction else ""))
    click.echo(f"Accuracy: {result.accuracy:.4f} ({result.correct:,}/{result.total:,})")
    per_class = Table(title="Per class")
    for column in ("class", "precision", "recall", "support"):
        per_class.add_column(column)
    for c in result.classes:
        p, r = result.precision[c], result.recall[c]
        per_class.add_row(c, "-" if p is None else f"{p:.4f}", "-" if r is None else f"{r:.4f}", f"{result.support[c]:,}")
    console.print(per_class)
    matrix = Table(title="Confusion matrix (rows: actual, columns: predicted)")
    matrix.add_column("actual \\ predicted")
    for c in result.classes:
        matrix.add_column(c, justify="right")
    for actual in result.classes:
        matrix.add_row(actual, *[f"{result.confusion[actual][p]:,}" for p in result.classes])
    console.print(matrix)
    if profile is not None:
        click.echo(f"Recorded profile {profile.id} of the evaluated rows.")


# --- store and server ---------------------------------------------------------------------------


@cli.command("demo")
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Seed the store with the demo scorecard, datasets, versions and profiles."""
    from .demo import seed_demo

    svc = service(ctx)
    summary = seed_demo(svc)
    click.echo(f"Demo data in {svc.backend.description}: {summary}")


@cli.command("info")
@click.pass_context
def info_command(ctx: click.Context) -> None:
    """Show where the store is and how many records it holds."""
    svc = service(ctx)
    click.echo(f"store:      {svc.backend.description}")
    click.echo(f"scorecards: {len(svc.list_scorecards())}")
    click.echo(f"datasets:   {len(svc.list_datasets())}")


@cli.command("serve")
@click.option("--db", "db_option", help="Store to serve: SQLite file or SQLAlchemy URL (default: the embedded store).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--api-key", envvar="PLEXUS_API_KEY", help="Key clients must send in x-api-key [env: PLEXUS_API_KEY].")
@click.option("--insecure-no-auth", is_flag=True, help="Serve without an API key (only for a loopback-only server).")
@click.pass_context
def serve_command(ctx: click.Context, db_option: str | None, host: str, port: int, api_key: str | None,
                  insecure_no_auth: bool) -> None:
    """Serve the store over GraphQL, speaking the Amplify/AppSync contract.

    Point the package at it with PLEXUS_API_URL=http://HOST:PORT/graphql and
    PLEXUS_API_KEY=KEY.
    """
    from .server import serve
    from .settings import Settings

    api_key = api_key or ctx.find_root().obj.get("api_key")
    if not api_key and not insecure_no_auth:
        raise click.UsageError("serve needs --api-key KEY (or PLEXUS_API_KEY), or --insecure-no-auth.")
    db = db_option or ctx.find_root().obj.get("db") or Settings.from_env().database
    auth = "x-api-key required" if api_key else "NO AUTHENTICATION"
    click.echo(f"Serving {db} at http://{host}:{port}/graphql ({auth}); Ctrl+C stops.", err=True)
    serve(db, host=host, port=port, api_key=api_key or None, log_level="warning")


def main() -> None:
    cli(obj={}, prog_name="plexus-datasets")


if __name__ == "__main__":  # pragma: no cover
    main()
