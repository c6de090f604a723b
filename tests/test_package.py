"""The package surface: exports, import cost, README quickstart, CLI, demo."""

import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import plexus_datasets
from plexus_datasets.cli import cli
from plexus_datasets.demo import seed_demo
from plexus_datasets.errors import PlexusDatasetsError

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"pandas", "plotly", "ipywidgets", "gql", "boto3", "duckdb", "sqlalchemy"}


def test_public_api_is_pinned():
    assert sorted(plexus_datasets.__all__) == sorted([
        "AccountNotFoundError", "AmbiguousReferenceError", "AuthError", "BackendError", "BackendUnavailableError", "ConfigurationError",
        "ConflictError", "CorruptRecordError", "DataAccessError", "DataQualityWarning", "Dataset", "DatasetProfile",
        "DatasetService", "DatasetVersion", "DialectError", "LoaderError", "NotFoundError", "PlexusDatasetsError",
        "PlexusDatasetsWarning", "SchemaVersionError", "Score", "Scorecard", "ScorecardSection", "SnapshotMismatchError", "SnapshotNotFoundError",
        "StaleDataWarning",
        "UntrustedCodeError", "ValidationError", "__version__", "connect",
    ])
    for name in plexus_datasets.__all__:
        assert getattr(plexus_datasets, name) is not None


def test_every_error_and_warning_is_in_its_tree():
    from plexus_datasets import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, PlexusDatasetsError) or issubclass(cls, errors.PlexusDatasetsWarning), name
    assert issubclass(errors.PlexusDatasetsWarning, UserWarning)


def test_import_is_light():
    probe = "import sys, json, plexus_datasets; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                           check=True).stdout))
    assert loaded & HEAVY == set()
    assert "pydantic" not in loaded  # models load on first use too


def test_readme_quickstart_runs_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart \(Python\)\n\n```python\n(.*?)```", readme, re.S).group(1)
    assert len(block.strip().splitlines()) <= 14
    out = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["2 ['v1', 'v2']", "120"]
    assert (tmp_path / "quickstart.db").exists()


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/run.sh" in readme and "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_cli_demo_and_info(tmp_path):
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db, "demo"])
    assert result.exit_code == 0, result.output
    assert "3 datasets, 8 versions, 16 profiles" in result.output
    result = runner.invoke(cli, ["--db", db, "info"])
    assert result.exit_code == 0 and "datasets:   3" in result.output


def test_cli_errors_are_one_line_exit_1(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database" * 50)
    result = CliRunner().invoke(cli, ["--db", str(bogus), "info"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_demo_is_deterministic_and_idempotent(tmp_path):
    def dump(db):
        svc = plexus_datasets.connect(str(db))
        summary = seed_demo(svc)
        again = seed_demo(svc)  # a second call writes nothing
        assert again == summary
        rows = []
        for ds in svc.list_datasets():
            current = svc.current_version(ds)
            rows.append((ds.name, ds.created_at, current.version_number))
            for v in svc.list_versions(ds):
                rows.append((v.version_number, v.digest, v.note, v.created_at))
            rows += [(p.created_at, p.record_counts, p.answer_distribution) for p in svc.list_profiles(ds)]
        svc.close()
        return summary, rows

    first, second = dump(tmp_path / "a.db"), dump(tmp_path / "b.db")
    assert first == second
    summary, rows = first
    assert (summary.datasets, summary.versions, summary.profiles) == (3, 8, 16)
    dates = {r[0].date() for r in rows if len(r) == 3 and not isinstance(r[0], str)}
    assert len(dates) >= 6  # profiles spread over several dates


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_small_without_widget_state_and_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert [p.stem for p in NOTEBOOKS] == ["01_quickstart", "02_versions_and_diffs", "03_profiles_and_history",
                                           "04_cli_and_score_configs", "05_team_server"]
    for path in NOTEBOOKS:
        book = json.loads(path.read_text())
        assert path.stat().st_size <= 200_000, path.name
        assert "widgets" not in book["metadata"], f"{path.name} has saved widget state"
        assert book["metadata"]["kernelspec"]["name"] == "python3"
        outputs = [o for c in book["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        assert outputs and not [o for o in outputs if o["output_type"] == "error"], path.name
        assert f"(notebooks/{path.name})" in readme
    text = "".join(json.dumps(json.loads(p.read_text())["cells"]) for p in NOTEBOOKS)
    assert "NBVAL_IGNORE_OUTPUT" not in text


def test_every_test_the_plan_names_exists():
    """docs/dataset-management-plan.md marks items done by naming the tests that verify them."""
    plan = (ROOT / "docs" / "dataset-management-plan.md").read_text()
    named = set(re.findall(r"`((?:tests|widgets/tests)/[\w/]+\.py)::(test_\w+)", plan))
    assert len(named) > 30

    def defined(path: str, name: str) -> bool:
        source = ROOT / path
        return source.exists() and re.search(rf"^(async )?def {name}\(", source.read_text(), re.M) is not None

    assert [f"{path}::{name}" for path, name in sorted(named) if not defined(path, name)] == []
