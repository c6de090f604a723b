"""Every CLI command through click's CliRunner on a temporary SQLite file; one end-to-end run
against the stand-in GraphQL server in a subprocess."""

import csv
import json
import os
import subprocess
import sys
import textwrap

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from plexus_datasets import connect
from plexus_datasets.cli import cli, dataset_options, resolve_dataset_option
from plexus_datasets.demo import seed_demo
from tests.servers import ServeProcess


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "cli.db")
    svc = connect(path)
    seed_demo(svc)
    svc.close()
    return path


@pytest.fixture
def run(db):
    runner = CliRunner()

    def invoke(*args, input=None, expect=0):
        result = runner.invoke(cli, ["--db", db, *args], input=input, env={"COLUMNS": "200"})
        assert result.exit_code == expect, (result.output, result.exception)
        return result

    return invoke


def as_json(result):
    return json.loads(result.stdout)


def test_every_command_has_help_text():
    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])

    commands = list(walk(cli, []))
    assert len(commands) > 25
    for path, command in commands:
        assert (command.help or "").strip(), f"{' '.join(path)} has no help"
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
        for param in command.params:
            if isinstance(param, click.Option) and param.name not in ("help", "version"):
                assert param.help, f"{' '.join(path)} {param.opts} has no help"


def test_browse(run):
    assert [c["key"] for c in as_json(run("scorecards", "list", "--json"))] == ["demo-cc-qa"]
    assert [s["name"] for s in as_json(run("scores", "list", "--scorecard", "demo-cc-qa", "--json"))] == [
        "Greeting", "Agent Misrepresentation"]
    assert "Demo Call Center QA" in run("scorecards", "list").output


def test_datasets_list_show_create_delete(run, tmp_path):
    listed = as_json(run("datasets", "list", "--json"))
    assert [d["name"] for d in listed] == ["greeting-calls", "greeting-calls-balanced", "misrepresentation-review"]
    assert listed[0]["current"] == "v3" and listed[0]["versions"] == 3 and listed[0]["records"] == 80
    assert [d["name"] for d in as_json(run("datasets", "list", "--score", "agent-misrepresentation", "--json"))] == [
        "misrepresentation-review"]
    assert "greeting-calls-balanced" in run("datasets", "list", "--scorecard", "demo-cc-qa").output
    shown = run("datasets", "show", "greeting-calls:1").output
    assert "v1 (2025-01-06 09:00" in shown and "first cut" in shown and "class: InlineItems" in shown
    assert as_json(run("datasets", "show", "greeting-calls", "--json"))["version"]["version_number"] == 3

    config = tmp_path / "data.yaml"
    config.write_text("class: FileItems\npath: calls.csv\n")
    refused_here = run("datasets", "create", "--scorecard", "demo-cc-qa", "--name", "new", "--config", str(config),
                       expect=1)
    assert "calls.csv" in refused_here.output and "Created" not in refused_here.output  # checked before writing
    made = run("datasets", "create", "--scorecard", "demo-cc-qa", "--score", "greeting", "--name", "new",
               "--config", str(config), "--no-check")
    assert made.output.startswith("Created new:v1")
    from_stdin = run("datasets", "create", "--scorecard", "demo-cc-qa", "--name", "piped", "--config", "-",
                     "--json", "--no-check", input='{"class": "FileItems", "path": "x.csv"}')
    assert as_json(from_stdin)["name"] == "piped"
    refused = run("datasets", "delete", "new", "--yes", expect=1)
    assert refused.output.startswith("Error: ") and "--cascade" in refused.output
    assert run("datasets", "delete", "new", expect=1, input="n\n").exit_code == 1  # declined at the prompt
    assert "with 1 versions" in run("datasets", "delete", "new", "--cascade", "--yes").output
    assert "new" not in [d["name"] for d in as_json(run("datasets", "list", "--json"))]


def test_versions(run, tmp_path):
    config = tmp_path / "v4.yaml"
    config.write_text("class: FileItems\npath: a.csv\n")
    elsewhere = ("--config", str(config), "--no-check")  # a.csv lives on another machine
    assert run("versions", "create", "greeting-calls", *elsewhere, "--note", "files").output.startswith(
        "Created greeting-calls:v4")
    again = as_json(run("versions", "create", "greeting-calls", *elsewhere, "--json"))
    assert again["unchanged"] is True and again["version_number"] == 4
    assert as_json(run("versions", "create", "greeting-calls", *elsewhere, "--force", "--json"))[
        "version_number"] == 5
    rows = as_json(run("versions", "list", "greeting-calls", "--json"))
    assert [r["version"] for r in rows] == ["v1", "v2", "v3", "v4", "v5"] and rows[2]["current"] == "●"
    assert "current version is now v4" in run("versions", "set-current", "greeting-calls:4", "--expect", "v3").output
    stale = run("versions", "set-current", "greeting-calls:1", "--expect", "v3", expect=1)
    assert "now v4" in stale.output and len(stale.output.strip().splitlines()) == 1
    diff = as_json(run("versions", "diff", "greeting-calls:4", "greeting-calls:3", "--json"))
    assert {d["path"]: d["change"] for d in diff}["path"] == "removed"
    assert "No differences" in run("versions", "diff", "greeting-calls:4", "greeting-calls:5").output


def test_profiles(run, db):
    recorded = run("profiles", "record", "greeting-calls-balanced:1").output
    assert "Recorded a profile of greeting-calls-balanced:v1: 50 rows, 3 columns" in recorded
    assert "Greeting: " in recorded
    history = as_json(run("profiles", "history", "greeting-calls-balanced", "--json"))
    assert len(history) == 5 and history[-1]["version"] == "v1"
    text = run("profiles", "history", "greeting-calls", "--csv").output
    table = list(csv.DictReader(text.splitlines()))
    assert [r["version"] for r in table] == ["v1", "v1", "v2", "v2", "v3", "v3"]
    assert float(table[0]["Greeting=Yes %"]) + float(table[0]["Greeting=No %"]) == pytest.approx(100)
    assert len(as_json(run("profiles", "history", "greeting-calls:2", "--json"))) == 2
    compared = as_json(run("profiles", "compare", "greeting-calls:1", "greeting-calls:3", "--json"))
    assert compared["rows_a"] == 40 and compared["rows_b"] == 80 and compared["band"] in ("NO", "POSSIBLE", "DRIFT")
    assert "change (pp)" in run("profiles", "compare", "greeting-calls:1", "greeting-calls:3").output
    assert "has no version v9" in run("profiles", "compare", "greeting-calls:1", "greeting-calls:9", expect=1).output


def test_load(run, tmp_path):
    out = tmp_path / "g.parquet"
    assert "Wrote 80 rows of greeting-calls:v3" in run("load", "greeting-calls", "--out", str(out)).output
    assert len(pd.read_parquet(out)) == 80
    csv_out = tmp_path / "g.csv"
    run("load", "greeting-calls:1", "--out", str(csv_out))
    assert len(pd.read_csv(csv_out)) == 40
    assert run("load", "greeting-calls", "--out", str(tmp_path / "g.txt"), expect=2).exit_code == 2


def test_import_commands(run, tmp_path):
    folder = tmp_path / "scorecards" / "Imported QA"
    folder.mkdir(parents=True)
    (folder / "greet.yaml").write_text(textwrap.dedent("""\
        name: Polite Greeting
        key: polite-greeting
        id: "77"
        data:
          type: fixed
          items:
            - {text: hello, Polite Greeting: "Yes", content_id: 1}
            - {text: hey, Polite Greeting: "No", content_id: 2}
    """))
    first = as_json(run("import", "score-config", str(folder / "greet.yaml"), "--json"))
    assert first == [{"score": "Polite Greeting", "action": "created", "dataset": "Polite Greeting", "version": "v1",
                      "notes": []}]
    assert as_json(run("import", "scorecard", str(folder), "--json"))[0]["action"] == "unchanged"
    assert run("import", "score-config", str(tmp_path / "missing.yaml"), expect=2).exit_code == 2


def test_evaluate_accuracy_with_predictions_file(run, db, tmp_path):
    svc = connect(db)
    frame = svc.load("greeting-calls:2")
    predictions = tmp_path / "predictions.csv"
    truth = frame["Greeting"].fillna("No").tolist()
    flipped = ["No" if i % 10 == 0 else t for i, t in enumerate(truth)]  # every 10th row predicted "No"
    pd.DataFrame({"content_id": frame["content_id"], "prediction": flipped}).to_csv(predictions, index=False)
    before = len(svc.list_profiles("greeting-calls:2"))
    result = run("evaluate", "accuracy", "--dataset-id", svc.get_dataset("greeting-calls").id,
                 "--dataset-version", "2", "--predictions", str(predictions), "--json")
    report = as_json(result)
    labelled = frame["Greeting"].notna()
    expected_correct = sum(1 for t, p, ok in zip(frame["Greeting"], flipped, labelled) if ok and t == p)
    assert report["dataset"] == "greeting-calls:v2" and report["label_column"] == "Greeting"
    assert report["total"] == int(labelled.sum()) and report["correct"] == expected_correct
    assert report["without_label"] == int((~labelled).sum())
    assert report["recall"]["No"] == 1.0  # every true "No" was predicted "No"
    assert report["confusion"]["Yes"]["No"] == sum(1 for i, t in enumerate(frame["Greeting"]) if t == "Yes" and i % 10 == 0)
    assert len(svc.list_profiles("greeting-calls:2")) == before + 1  # recorded against that exact version
    text = run("evaluate", "accuracy", "--dataset", "greeting-calls:2", "--predictions", str(predictions),
               "--no-profile").output
    assert "Dataset: greeting-calls:v2" in text and "Accuracy: " in text and "Confusion matrix" in text
    assert len(svc.list_profiles("greeting-calls:2")) == before + 1
    sampled = as_json(run("evaluate", "accuracy", "--dataset", "greeting-calls:v2", "--predictions", str(predictions),
                          "--number-of-samples", "10", "--random-seed", "3", "--no-profile", "--json"))
    assert sampled["rows"] == 10 and sampled["dataset"] == "greeting-calls:v2"
    again = as_json(run("evaluate", "accuracy", "--dataset", "greeting-calls:v2", "--predictions", str(predictions),
                        "--number-of-samples", "10", "--random-seed", "3", "--no-profile", "--json"))
    assert again == sampled  # the seed makes the sample reproducible
    other = run("evaluate", "accuracy", "--dataset", "greeting-calls:v3", "--predictions", str(predictions), expect=1)
    assert "no prediction" in other.output  # v3's calls were never predicted: said plainly, not scored as 0


def test_evaluate_with_scorer_and_legacy_score_config(run, tmp_path, monkeypatch):
    (tmp_path / "my_scorer.py").write_text("def predict(batch):\n    return ['Yes'] * len(batch)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    score_yaml = tmp_path / "score.yaml"
    score_yaml.write_text(textwrap.dedent("""\
        name: TestScore
        label_field: Valid
        data:
          type: fixed
          items:
            - {text: a, TestScore Valid: "Yes", content_id: 1}
            - {text: b, TestScore Valid: "No", content_id: 2}
            - {text: c, TestScore Valid: "Yes", content_id: 3}
            - {text: d, TestScore Valid: "Yes", content_id: 4}
    """))
    report = as_json(run("evaluate", "accuracy", "--score-config", str(score_yaml), "--scorer", "my_scorer:predict",
                         "--json"))
    assert report["label_column"] == "TestScore Valid" and report["accuracy"] == 0.75
    assert report["precision"] == {"No": None, "Yes": 0.75} and report["recall"] == {"No": 0.0, "Yes": 1.0}
    assert report["profile_id"] is None  # no dataset version to record against
    assert run("evaluate", "accuracy", "--score-config", str(score_yaml), expect=2).exit_code == 2
    bad = run("evaluate", "accuracy", "--dataset", "greeting-calls", "--scorer", "my_scorer:nope", expect=1)
    assert "no callable 'nope'" in bad.output


def test_errors_are_one_line_and_debug_shows_tracebacks(run, db):
    result = run("datasets", "show", "nope", expect=1)
    assert result.output.startswith("Error: No dataset named or with id 'nope'") and "Traceback" not in result.output
    debug = CliRunner().invoke(cli, ["--db", db, "--debug", "datasets", "show", "nope"])
    assert debug.exit_code == 1 and type(debug.exception).__name__ == "NotFoundError"
    assert run("datasets", "frobnicate", expect=2).exit_code == 2


def test_dataset_options_for_plexus(db):
    @click.command()
    @dataset_options
    def evaluate(dataset_id, dataset, dataset_version):
        """A Plexus-style command."""
        version = resolve_dataset_option(dataset_id, dataset, dataset_version, service=connect(db))
        click.echo(version.label)

    runner = CliRunner()
    ds = connect(db).get_dataset("greeting-calls")
    assert runner.invoke(evaluate, ["--dataset-id", ds.id]).output.strip() == "v3"
    assert runner.invoke(evaluate, ["--dataset-id", ds.id, "--dataset-version", "latest"]).output.strip() == "v3"
    assert runner.invoke(evaluate, ["--dataset", "greeting-calls", "--dataset-version", "v1"]).output.strip() == "v1"
    assert runner.invoke(evaluate, ["--dataset", "greeting-calls:2"]).output.strip() == "v2"
    with pytest.raises(Exception, match="exactly one"):
        resolve_dataset_option(None, None, None, service=connect(db))


def test_end_to_end_against_the_stand_in_server(tmp_path):
    with ServeProcess(str(tmp_path / "team.db"), api_key="e2e-key") as served:
        env = {**os.environ, "PLEXUS_API_URL": served.url, "PLEXUS_API_KEY": "e2e-key",
               "PLEXUS_DATASETS_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
        env.pop("PLEXUS_DATASETS_DB", None)

        def cli_run(*args, expect=0):
            done = subprocess.run([sys.executable, "-m", "plexus_datasets.cli", *args], capture_output=True,
                                  text=True, env=env, timeout=120)
            assert done.returncode == expect, done.stderr
            return done

        cli_run("demo")
        listed = json.loads(cli_run("datasets", "list", "--json").stdout)
        assert [d["name"] for d in listed] == ["greeting-calls", "greeting-calls-balanced", "misrepresentation-review"]
        cli_run("versions", "set-current", "greeting-calls:1", "--expect", "v3")
        assert "Recorded a profile of greeting-calls:v1" in cli_run("profiles", "record", "greeting-calls").stdout
        wrong = cli_run("--api-key", "nope", "datasets", "list", expect=1)
        assert "UnauthorizedException" in wrong.stderr and "nope" not in wrong.stderr


def test_the_environment_picks_the_store_and_options_override_it(tmp_path, monkeypatch):
    """The CLI reads no environment itself: connect() does, with --db beating an env API URL."""
    for name in ("PLEXUS_API_URL", "PLEXUS_API_KEY", "PLEXUS_DATASETS_DB"):
        monkeypatch.delenv(name, raising=False)
    env_db, flag_db = tmp_path / "from-env.db", tmp_path / "from-flag.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["info"], obj={}, env={"PLEXUS_DATASETS_DB": str(env_db)})
    assert result.exit_code == 0 and f"sqlite:///{env_db}" in result.output
    unreachable = {"PLEXUS_API_URL": "http://127.0.0.1:9/graphql", "PLEXUS_API_KEY": "k"}
    result = runner.invoke(cli, ["--db", str(flag_db), "info"], obj={}, env=unreachable)
    assert result.exit_code == 0 and f"sqlite:///{flag_db}" in result.output
    result = runner.invoke(cli, ["info"], obj={}, env=unreachable)
    assert result.exit_code == 1 and "127.0.0.1:9" in result.output and "Traceback" not in result.output


def test_evaluate_says_when_nothing_names_the_label_column(tmp_path):
    db = str(tmp_path / "nolabel.db")
    svc = connect(db)
    items = [{"content_id": str(i), "Greeting": "Yes" if i % 2 else "No"} for i in range(6)]
    svc.create_dataset(svc.create_scorecard("QA", key="qa"), "calls", configuration={"class": "InlineItems",
                                                                                       "items": items})
    svc.close()
    preds = tmp_path / "preds.csv"
    pd.DataFrame({"content_id": [str(i) for i in range(6)], "prediction": ["Yes"] * 6}).to_csv(preds, index=False)
    runner = CliRunner()
    args = ["--db", db, "evaluate", "accuracy", "--dataset", "calls", "--predictions", str(preds), "--no-profile"]
    result = runner.invoke(cli, args, obj={}, env={"PLEXUS_DATASETS_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 1
    assert "calls:v1 names no label column" in result.output and "None" not in result.output
    assert "--label-column" in result.output and "Greeting" in result.output
    result = runner.invoke(cli, [*args, "--label-column", "Greeting"], obj={},
                           env={"PLEXUS_DATASETS_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 0 and "Accuracy: 0.5000" in result.output
