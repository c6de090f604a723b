"""Datasets inside Plexus's own CLI: ``plexus_dataset_options`` beside every option of Plexus's
``evaluate accuracy``, and ``dataset_for_evaluation`` giving the rows and their provenance,
through click's CliRunner against an embedded SQLite store the test writes."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from plexus_datasets import connect
from plexus_datasets.errors import ValidationError
from plexus_datasets.plexus_cli import (
    PROVENANCE_LAYOUT,
    EvaluationData,
    click_errors,
    dataset_for_evaluation,
    plexus_dataset_options,
)


@click.group()
def evaluate() -> None:
    """Plexus's `evaluate` group, as its CLI has it."""


# The option declarations below are copied verbatim from Plexus (MIT License), file
# plexus/cli/evaluation/evaluations.py at commit 4b8c4272f7521a87fb40d267fab5d4fb9ce1c6a7
# (release 1.50.1): every option of `plexus evaluate accuracy`, so that a collision with any
# of them would show here. Only the function body is ours.
@evaluate.command()
@plexus_dataset_options  # ours, above Plexus's options: its clash check sees every one of them
@click.option('--scorecard', 'scorecard', default=None, help='Scorecard identifier (ID, name, key, or external ID)')
@click.option('--yaml', is_flag=True, help='Load scorecard from individual YAML files (from fetch_score_configurations) instead of the API')
@click.option('--use-langsmith-trace', is_flag=True, default=False, help='Activate LangSmith trace client for LangGraphScore')
@click.option('--number-of-samples', default=1, type=int, help='Number of texts to sample')
@click.option('--sampling-method', default='random', type=str, help='Method for sampling texts')
@click.option('--random-seed', default=None, type=int, help='Random seed for sampling')
@click.option('--content-ids-to-sample', default='', type=str, help='Comma-separated list of content IDs to sample')
@click.option('--score', 'score', default='', type=str, help='Score identifier (ID, name, key, or external ID). Can be comma-separated for multiple scores.')
@click.option('--version', default=None, type=str, help='Specific score version ID to evaluate (defaults to champion version)')
@click.option('--latest', is_flag=True, help='Use the most recent score version (overrides --version)')
@click.option('--experiment-label', default='', type=str, help='Label for the experiment')
@click.option('--fresh', is_flag=True, help='Pull fresh, non-cached data from the data lake.')
@click.option('--reload', is_flag=True, help='Reload existing dataset by refreshing values for current records only.')
@click.option('--visualize', is_flag=True, default=False, help='Generate PNG visualization of LangGraph scores')
@click.option('--task-id', default=None, type=str, help='Task ID for progress tracking')
@click.option('--dry-run', is_flag=True, help='Skip database operations (for testing API loading)')
@click.option('--data-source-name', default=None, type=str, help='Name of the cloud data source to use (overrides score data config)')
@click.option('--data-source-key', default=None, type=str, help='Key of the cloud data source to use (overrides score data config)')
@click.option('--data-source-id', default=None, type=str, help='ID of the cloud data source to use (overrides score data config)')
@click.option('--dataset-id', default=None, type=str, help='Specific dataset ID to use (overrides score data config)')
@click.option('--use-score-associated-dataset', is_flag=True, default=False, help='Use the latest dataset associated with the score.')
@click.option('--all-score-associated-datasets', is_flag=True, default=False, help='Run one evaluation per dataset associated with the score.')
@click.option('--allow-no-labels', is_flag=True, default=False, help='Allow evaluation without ground truth labels (creates score results and distribution metrics only)')
@click.option('--baseline', default=None, type=str, help='Baseline evaluation ID for before/after dashboard comparison.')
@click.option('--current-baseline', default=None, type=str, help='Current baseline evaluation ID (latest accepted version) for dual baseline dashboard display.')
@click.option('--json-only', is_flag=True, default=False, help='Emit JSON summary payload instead of rich console output.')
@click.option('--notes', default=None, type=str, help='Freeform notes explaining why this evaluation is being run. Stored in evaluation parameters.')
@click.option('--procedure-id', default=None, type=str, help='Procedure ID to associate with the evaluation task metadata.')
@click.option('--emit-id-file', default=None, type=str, help='Write the evaluation ID to this file as soon as the record is created (used by programmatic dispatch).')
def accuracy(**params: Any) -> None:
    """Plexus's accuracy command, reduced to what a dataset from here changes."""
    report: dict[str, Any] = {"plexus": {k: params[k] for k in ("dataset_id", "version", "fresh", "score")}}
    if params["dataset"]:
        with click_errors():
            data = dataset_for_evaluation(dataset=params["dataset"], dataset_version=params["dataset_version"],
                                          fresh=params["fresh"])
        report.update(rows=len(data.frame), columns=list(data.frame.columns), provenance=data.provenance,
                      labels=data.frame["Greeting"].tolist())
    click.echo(json.dumps(report))


PLEXUS_OPTIONS = 29


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded store with the dataset `calls` (v1 reads calls.csv, v2 only its "Yes" rows);
    the environment points connect() at it, as a Plexus user's would."""
    (tmp_path / "calls.csv").write_text("content_id,text,Greeting\n1,hello,Yes\n2,hi there,No\n3,good day,Yes\n",
                                        encoding="utf-8")
    db = tmp_path / "datasets.db"
    with connect(str(db), data_roots=[tmp_path]) as svc:
        card = svc.create_scorecard("Call Center QA", key="cc-qa")
        score = svc.create_score(svc.create_section(card, "Compliance"), "Greeting", key="greeting")
        ds = svc.create_dataset(card, "calls", score=score, configuration="class: FileItems\npath: calls.csv\n")
        svc.create_version(ds, "class: FileItems\npath: calls.csv\nprocessors:\n  - class: ByColumnValueDatasetFilter\n"
                               "    parameters: {filter-type: include, column-name: Greeting, value: 'Yes'}\n",
                           note="only greetings")
    monkeypatch.setenv("PLEXUS_DATASETS_DB", str(db))
    monkeypatch.setenv("PLEXUS_DATASETS_DATA_ROOTS", str(tmp_path))
    return db


def invoke(*args: str, expect: int = 0) -> click.testing.Result:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # click warns when an option is defined twice
        result = CliRunner().invoke(evaluate, ["accuracy", *args])
    assert result.exit_code == expect, (result.output, result.exception)
    return result


def test_the_options_sit_beside_every_option_of_plexus_evaluate_accuracy():
    names = [opt for param in accuracy.params for opt in param.opts]
    assert len(accuracy.params) == PLEXUS_OPTIONS + 2
    assert len(names) == len(set(names)) and len({p.name for p in accuracy.params}) == len(accuracy.params)
    assert {"--dataset", "--dataset-version"} <= set(names)
    assert "--dataset-id" in names  # Plexus's own, untouched
    shown = CliRunner().invoke(evaluate, ["accuracy", "--help"]).output
    assert "--dataset NAME[:VERSION][@sha256:DIGEST]" in shown and "--dataset-version VERSION" in shown


def test_a_plexus_command_gets_the_rows_and_their_provenance(store):
    report = json.loads(invoke("--dataset", "calls:v1", "--dataset-id", "plexus-data-set-7", "--version", "sv-3",
                               "--score", "Greeting").stdout)
    assert report["plexus"] == {"dataset_id": "plexus-data-set-7", "version": "sv-3", "fresh": False,
                                "score": "Greeting"}  # Plexus's options keep their own values
    assert report["rows"] == 3 and report["columns"] == ["content_id", "text", "Greeting"]
    assert report["labels"] == ["Yes", "No", "Yes"]
    provenance = report["provenance"]
    with connect(str(store)) as svc:
        version, ds = svc.resolve("calls:v1"), svc.get_dataset("calls")
        snapshot = svc.snapshot("calls:v1")
    assert provenance == {
        "layout": PROVENANCE_LAYOUT, "source": "plexus-datasets",
        "reference": f"calls:v1@sha256:{snapshot.sha256[:12]}",
        "dataset_id": ds.id, "dataset_name": "calls", "scorecard_id": ds.scorecard_id, "score_id": ds.score_id,
        "version_id": version.id, "version_number": 1, "configuration_digest": version.digest,
        "snapshot": {"sha256": snapshot.sha256, "rows": 3, "built_at": snapshot.built_at},
    }
    # --dataset-version, and the pinned reference the provenance holds, give the same rows again
    again = json.loads(invoke("--dataset", "calls", "--dataset-version", "1").stdout)["provenance"]
    pinned = json.loads(invoke("--dataset", provenance["reference"]).stdout)["provenance"]
    assert again["snapshot"]["sha256"] == pinned["snapshot"]["sha256"] == provenance["snapshot"]["sha256"]
    current = json.loads(invoke("--dataset", "calls").stdout)["provenance"]  # no version: the current one (v1)
    assert current["version_number"] == 1


def test_another_version_and_fresh_data(store):
    v2 = json.loads(invoke("--dataset", "Call Center QA/calls:v2", "--fresh").stdout)
    assert v2["provenance"]["version_number"] == 2 and v2["plexus"]["fresh"] is True
    assert v2["labels"] == ["Yes", "Yes"] and v2["provenance"]["snapshot"]["rows"] == 2


def test_mistakes_are_one_line_errors(store):
    bad = invoke("--dataset", "calls@sha256:xyz", expect=2)
    assert "A snapshot digest is the start of its sha256" in bad.output
    assert "Invalid value for '--dataset'" in invoke("--dataset", "calls:v0", expect=2).output
    twice = invoke("--dataset", "calls:v1", "--dataset-version", "2", expect=1)
    assert "Error: Give the version either in --dataset (calls:v1) or in --dataset-version (2)" in twice.output
    unknown = invoke("--dataset", "cals", expect=1)
    assert "Error: No dataset" in unknown.output and "calls" in unknown.output  # candidates listed
    gone = invoke("--dataset", "calls:v1@sha256:0123456789ab", expect=1)
    assert "Error:" in gone.output and "Traceback" not in gone.output
    pinned_fresh = invoke("--dataset", "calls:v1@sha256:0123456789ab", "--fresh", expect=1)
    assert "pins a snapshot (exact data); --fresh would build other data" in pinned_fresh.output
    assert invoke().stdout.startswith('{"plexus"')  # without --dataset, Plexus's own data path is untouched


def test_dataset_for_evaluation_with_a_service_of_ones_own(store, tmp_path):
    with connect(str(store), data_roots=[tmp_path]) as svc:
        data = dataset_for_evaluation("calls", "latest", service=svc)
        assert isinstance(data, EvaluationData) and isinstance(data.frame, pd.DataFrame)
        assert data.reference.startswith("calls:v2@sha256:") and repr(data).startswith("EvaluationData(calls:v2@")
        assert json.loads(json.dumps(data.provenance)) == data.provenance  # JSON as it is
        with pytest.raises(ValidationError, match="Give --dataset NAME"):
            dataset_for_evaluation(None, "2", service=svc)


def test_decorating_a_command_that_already_has_the_options_is_refused():
    with pytest.raises(ValidationError, match="already has --dataset; plexus_dataset_options would define it twice"):
        @plexus_dataset_options
        @click.option("--dataset")
        def clash(dataset: str) -> None: ...
