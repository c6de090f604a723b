"""The faces (demo, README quickstart, the notebooks' flows, widgets, CLI, lab sidebar) on Plexus's
dialect: ``PLEXUS_API_URL`` / ``PLEXUS_API_KEY`` / ``PLEXUS_ACCOUNT_KEY`` pointing at the stand-in
serving ``--schema plexus`` (issue #14, "Tests" and "Done when").

Nothing here names the dialect: ``connect()`` detects it, as it would for a Plexus user. Most tests
run the stand-in in a thread over a copy of a demo-seeded item store (seeding through AppSync
round trips takes seconds); the "done when" tests start ``plexus-datasets serve --schema plexus
--account-key ...`` as a subprocess and drive it with the README's own code and the CLI. Raw
documents (``raw``) play Plexus's side: what its dashboard and CLI read and write.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import plexus_datasets as pds
from plexus_datasets.backends.plexus import OUR_KEY, PlexusBackend
from plexus_datasets.cli import cli
from plexus_datasets.demo import seed_demo
from plexus_datasets.service import DatasetService
from tests.conftest import API_KEY, PLEXUS_BUCKET, create_account, plexus_stand_in, plexus_transport
from tests.servers import JupyterLab, ServeProcess

ACCOUNT = "acme-faces"
ROOT = Path(__file__).resolve().parent.parent
#: Variables that choose a store or say where its files go: unset unless a test sets them.
STORE_VARIABLES = ("PLEXUS_API_URL", "PLEXUS_API_KEY", "PLEXUS_ACCOUNT_KEY", "PLEXUS_DATASETS_DIALECT",
                   "PLEXUS_DATASETS_DB", "AMPLIFY_STORAGE_DATASETS_BUCKET_NAME", "PLEXUS_GRAPHQL_AUTH_MODE")


# --- stores ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_store_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in STORE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def demo_items_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An item store (``serve --schema plexus``) holding the account and the demo, seeded once."""
    folder = tmp_path_factory.mktemp("plexus-demo")
    with pytest.MonkeyPatch.context() as patch, plexus_stand_in(folder / "demo.db") as url:
        patch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(folder / "cache"))  # before the per-test isolation exists
        transport = plexus_transport(url)
        create_account(transport, ACCOUNT)
        svc = DatasetService(PlexusBackend(transport, account_key=ACCOUNT))
        seed_demo(svc)
        svc.close()
    return folder / "demo.db"


@contextlib.contextmanager
def stand_in(db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The stand-in over ``db`` (with our account) and the three variables a Plexus user sets pointing at it."""
    with plexus_stand_in(db) as url:
        transport = plexus_transport(url)
        found = transport.execute("query A($key: String!) { listAccountByKey(key: $key) { items { id } } }",
                                  {"key": ACCOUNT})["listAccountByKey"]["items"]
        if not found:
            create_account(transport, ACCOUNT)
        transport.close()
        monkeypatch.setenv("PLEXUS_API_URL", url)
        monkeypatch.setenv("PLEXUS_API_KEY", API_KEY)
        monkeypatch.setenv("PLEXUS_ACCOUNT_KEY", ACCOUNT)
        yield url


@pytest.fixture
def demo_url(demo_items_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The seeded demo on its own stand-in (a copy of the seeded store: tests may write)."""
    db = tmp_path / "plexus.db"
    shutil.copy(demo_items_db, db)
    with stand_in(db, monkeypatch) as url:
        yield url


@pytest.fixture
def empty_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with stand_in(tmp_path / "empty.db", monkeypatch) as url:
        yield url


@pytest.fixture
def svc(demo_url: str) -> Iterator[DatasetService]:
    """What a Plexus user's ``connect()`` gives on the demo store."""
    service = pds.connect()
    yield service
    service.close()


@pytest.fixture
def raw(demo_url: str):
    transport = plexus_transport(demo_url)
    yield transport
    transport.close()


@pytest.fixture
def raw_empty(empty_url: str):
    transport = plexus_transport(empty_url)
    yield transport
    transport.close()


@pytest.fixture
def bucket(s3, monkeypatch: pytest.MonkeyPatch) -> str:
    """Plexus's datasets bucket on moto, named where Plexus's own CLI reads it."""
    s3.create_bucket(Bucket=PLEXUS_BUCKET)
    monkeypatch.setenv("AMPLIFY_STORAGE_DATASETS_BUCKET_NAME", PLEXUS_BUCKET)
    return PLEXUS_BUCKET


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder (the data root), as the notebooks make one."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def get(raw, model: str, id: str, fields: str) -> dict | None:
    return raw.execute(f"query G($id: ID!) {{ get{model}(id: $id) {{ {fields} }} }}", {"id": id})[f"get{model}"]


def raw_data_sets(raw, version_id: str) -> list[dict]:
    """The DataSets of a DataSourceVersion, as Plexus's own index query lists them."""
    found = raw.execute("query L($v: String!) { listDataSetByDataSourceVersionIdAndCreatedAt(dataSourceVersionId: $v) "
                        "{ items { id file buildContext } nextToken } }", {"v": version_id})
    return found["listDataSetByDataSourceVersionIdAndCreatedAt"]["items"]


def listing(summaries) -> list[tuple]:
    """What a dataset listing shows, without the ids (two stores differ only in those)."""
    return [(s.dataset.name, s.current_version.version_number if s.current_version else None, s.version_numbers,
             s.latest_profile.created_at if s.latest_profile else None, s.record_count) for s in summaries]


def invoke(*args: str, input: str | None = None, expect: int = 0):
    """The CLI in this process (CliRunner), reading the store from the environment like a user's shell."""
    result = CliRunner().invoke(cli, list(args), obj={}, input=input, env={"COLUMNS": "200"})
    assert result.exit_code == expect, (result.output, result.exception)
    return result


# --- 1. the demo ------------------------------------------------------------------------------------


def test_the_demo_seeds_plexus_like_sqlite_and_seeding_again_writes_nothing(bucket, empty_url, tmp_path):
    plexus = pds.connect()
    sqlite = pds.connect(str(tmp_path / "demo.db"))
    summary = seed_demo(plexus)
    assert summary == seed_demo(sqlite)
    assert str(summary) == "scorecard 'Demo Call Center QA': 3 datasets, 8 versions, 16 profiles"
    assert listing(plexus.dataset_summaries()) == listing(sqlite.dataset_summaries())
    for name in ("greeting-calls", "greeting-calls-balanced", "misrepresentation-review"):
        ours, theirs = plexus.list_versions(name), sqlite.list_versions(name)
        assert [(v.version_number, v.note, v.created_at, v.digest) for v in ours] == [
            (v.version_number, v.note, v.created_at, v.digest) for v in theirs]
        assert [(p.created_at, p.record_counts["rows"]) for p in plexus.list_profiles(name)] == [
            (p.created_at, p.record_counts["rows"]) for p in sqlite.list_profiles(name)]
    assert plexus.label_column("misrepresentation-review") == "Agent Misrepresentation"

    assert len(plexus.load("greeting-calls")) == 80  # keeps its file as a DataSet: data, not a profile
    sent = plexus.backend.requests_sent
    assert seed_demo(plexus) == summary
    assert invoke("demo").output.endswith(f"{summary}\n")
    again = pds.connect()
    assert listing(again.dataset_summaries()) == listing(sqlite.dataset_summaries())
    assert plexus.backend.requests_sent - sent < 20  # a second seeding only reads
    # what Plexus's dashboard reads: the head copy of each DataSource is its current version's YAML
    raw = plexus_transport(empty_url)
    for ds in plexus.list_datasets():
        assert get(raw, "DataSource", ds.id, "yamlConfiguration")["yamlConfiguration"] == \
            plexus.current_version(ds).text
    raw.close()
    for svc in (plexus, sqlite, again):
        svc.close()


# --- 2. "done when": the README quickstart, the CLI and evaluate against serve --schema plexus ---------


def readme_quickstart() -> str:
    """The README's "Quickstart (Python)" code, connecting the way a Plexus user does (``connect()``
    alone: an explicit file would win over PLEXUS_API_URL)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart (Python)", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    line = 'svc = pds.connect("quickstart.db")'
    assert line in code  # the README still starts that way
    return code.replace(line, "svc = pds.connect()")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServeProcess]:
    with ServeProcess(str(tmp_path / "served.db"), api_key=API_KEY,
                      extra=["--schema", "plexus", "--account-key", ACCOUNT]) as server:
        yield server


def test_done_when_the_quickstart_cli_and_evaluate_work_against_serve_schema_plexus(served, bucket, here):
    env = {**os.environ, "PLEXUS_API_URL": served.url, "PLEXUS_API_KEY": API_KEY, "PLEXUS_ACCOUNT_KEY": ACCOUNT,
           "COLUMNS": "200"}

    def python(code: str) -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def cli_run(*args: str, expect: int = 0, environ: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "plexus_datasets.cli", *args], capture_output=True, text=True,
                              env=environ or env, timeout=120, check=False)
        assert done.returncode == expect, done.stderr
        return done

    assert python(readme_quickstart()).splitlines() == ["2 ['v1', 'v2']", "120"]

    listed = json.loads(cli_run("datasets", "list", "--json").stdout)
    assert [(d["name"], d["current"], d["versions"], d["records"]) for d in listed] == [
        ("greeting-calls", "v2", 2, 120)]
    (here / "always_yes.py").write_text("def predict(batch):\n    return ['Yes'] * len(batch)\n")
    report = json.loads(cli_run("evaluate", "accuracy", "--dataset", "greeting-calls", "--scorer",
                                "always_yes:predict", "--json").stdout)
    assert (report["dataset"], report["label_column"], report["rows"], report["accuracy"]) == (
        "greeting-calls:v2", "Greeting", 120, 0.5)
    assert report["profile_kind"] == "full"
    text = cli_run("evaluate", "accuracy", "--dataset", "greeting-calls", "--scorer", "always_yes:predict",
                   "--number-of-samples", "10", "--random-seed", "7").stdout
    assert "greeting-calls:v2" in text and "seed 7" in text

    # every record written is one Plexus's own code reads: the profile is a DataSet with its file
    raw = plexus_transport(served.url)
    stored = get(raw, "DataSet", report["profile_id"], "accountId dataSourceVersionId file buildContext")
    assert stored["file"].endswith(f"/{report['profile_id']}/dataset.parquet")
    assert json.loads(stored["buildContext"])[OUR_KEY]["profile"]["recordCounts"]["rows"] == 120
    raw.close()

    # a Plexus user who forgot the account gets one line naming the variable
    missing = {k: v for k, v in env.items() if k != "PLEXUS_ACCOUNT_KEY"}
    refused = cli_run("datasets", "list", expect=1, environ=missing)
    assert refused.stdout == "" and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("Error: No Plexus account chosen") and "PLEXUS_ACCOUNT_KEY" in refused.stderr


def test_the_quickstart_without_a_datasets_bucket_records_profiles_without_files(empty_url, here):
    """The three "done when" variables are enough: without Plexus's datasets bucket a load builds from
    the configuration and keeps nothing, and a profile is a DataSet without a file."""
    import warnings

    svc = pds.connect()
    card = svc.create_scorecard("Call Center QA", key="cc-qa")
    calls = [{"text": "Hello, thanks for calling!", "Greeting": "Yes"}, {"text": "What?", "Greeting": "No"}]
    svc.create_dataset(card, "greeting-calls", configuration={"class": "InlineItems", "items": calls})
    with warnings.catch_warnings():
        warnings.simplefilter("error", pds.PlexusDatasetsWarning)  # nothing to warn about
        assert len(svc.load("greeting-calls")) == 2
    profile = svc.profile("greeting-calls")
    assert svc.latest_profile("greeting-calls").id == profile.id and profile.record_counts["rows"] == 2
    transport = plexus_transport(empty_url)
    stored = get(transport, "DataSet", profile.id, "file dataSourceVersionId buildContext")
    transport.close()
    assert stored["file"] is None and stored["dataSourceVersionId"] == svc.resolve("greeting-calls").id
    assert json.loads(stored["buildContext"])["plexusDatasets"]["profile"]["recordCounts"]["rows"] == 2
    assert [p.id for p in svc.list_profiles("greeting-calls")] == [profile.id]  # the load kept no DataSet
    svc.close()


# --- 3. the five notebooks' flows -------------------------------------------------------------------


def test_notebook_01_quickstart_browse_load_and_profile_view(bucket, svc, raw):
    from plexus_datasets.widgets import DatasetSelector, ProfileView

    frame = svc.dataset_summaries().to_dataframe()[["name", "current", "versions", "last_profile", "records"]]
    assert frame.values.tolist() == [["greeting-calls", "v3", 3, "2025-02-10 10:00", 80],
                                     ["greeting-calls-balanced", "v2", 2, "2025-01-28 10:00", 70],
                                     ["misrepresentation-review", "v2", 3, "2025-01-29 10:00", 45]]
    selector = DatasetSelector(svc, ref="greeting-calls:current")
    version = selector.value
    assert (selector.ref, version.note, str(version.created_at.date())) == (
        "greeting-calls:v3", "added weekend calls", "2025-02-03")
    df = svc.load(version)
    assert df.shape == (80, 3) and df["Greeting"].value_counts().to_dict() == {"Yes": 51, "No": 25}
    assert df["Greeting"].isna().sum() == 4
    # the load kept its file as a DataSet Plexus can read; it is not a profile
    kept = svc.list_profiles(version)[-1]
    assert get(raw, "DataSet", kept.id, "file")["file"].endswith(f"/{kept.id}/dataset.parquet")
    profile = svc.latest_profile(version)
    assert profile.id != kept.id and profile.record_counts["rows"] == 80
    assert profile.answer_distribution["columns"]["Greeting"]["counts"] == {"Yes": 51, "No": 25}
    view = ProfileView(profile)
    assert "80</b> records" in view.summary.value and "content_id" in view.columns_table.value
    assert dict(zip(view.figure.data[0].x, view.figure.data[0].y)) == {"Yes": 51, "No": 25, "(null)": 4}
    # the listing still describes the version by its profile, not by the file the load kept
    assert listing(svc.dataset_summaries(name="greeting-calls"))[0][4] == 80


SCORE_YAML = """\
name: Greeting
key: greeting
id: "4501"
class: LangGraphScore
data:
  class: FileItems
  path: calls-2025-01.csv
"""


def test_notebook_02_versions_from_yaml_text_diffs_current_pointer_and_references(bucket, here, svc, raw):
    from plexus_datasets.demo import demo_items
    from plexus_datasets.importer import import_score_config
    from plexus_datasets.widgets import VersionDiffTable, VersionManager

    pd.DataFrame(demo_items(60, "Greeting", seed=101)).to_csv("calls-2025-01.csv", index=False)
    pd.DataFrame(demo_items(50, "Greeting", seed=102, yes_share=0.6)).to_csv("calls-2025-02.csv", index=False)
    svc.create_scorecard("Call Criteria", key="call-criteria", external_id="1438")
    folder = here / "scorecards" / "Call Criteria"
    folder.mkdir(parents=True)
    (folder / "Greeting.yaml").write_text(SCORE_YAML)
    result = import_score_config(svc, folder / "Greeting.yaml")
    assert result.action == "created" and result.version.configuration == {"class": "FileItems",
                                                                           "path": "calls-2025-01.csv"}
    text = textwrap.dedent("""\
        # January only, fewer Yes calls
        class: FileItems
        path: calls-2025-01.csv
        processors:
          - class: DownsampleClassDatasetFilter   # Plexus's own filter
            parameters: {column-name: Greeting, value: "Yes"}
        """)
    v2 = svc.create_version("Greeting", text, note="fewer Yes calls")
    v3 = svc.create_version("Greeting", {"class": "FileItems", "path": "calls-2025-*.csv", "balance": True,
                                         "label_column": "Greeting"}, note="both months, balanced")
    same = svc.create_version("Greeting", {"path": "calls-2025-*.csv", "class": "FileItems",
                                           "label_column": "Greeting", "balance": True})
    assert (v2.label, v3.label, same.id) == ("v2", "v3", v3.id)
    assert svc.get_version(v2.id).text == text  # comments kept, in Plexus's yamlConfiguration
    assert get(raw, "DataSourceVersion", v2.id, "yamlConfiguration note parentVersionId") == {
        "yamlConfiguration": text, "note": "fewer Yes calls", "parentVersionId": result.version.id}
    shapes = {ref: svc.load(ref)["Greeting"].value_counts().to_dict() for ref in ("Greeting:1", "Greeting:2",
                                                                                 "Greeting:3")}
    assert shapes["Greeting:2"]["Yes"] < shapes["Greeting:1"]["Yes"]
    assert shapes["Greeting:3"]["Yes"] == shapes["Greeting:3"]["No"]
    diff = svc.diff_versions("Greeting:1", "Greeting:3")
    assert {c.path_text: c.kind for c in diff} == {"path": "changed", "balance": "added", "label_column": "added"}

    svc.profile("Greeting:1")
    svc.profile("Greeting:3")
    table = VersionDiffTable("Greeting", a="v1", b="v3", service=svc)
    assert len(table.diff) == 3 and table.comparison is not None
    assert "pds-changed" in table.table.value and "calls-2025-*.csv" in table.table.value
    assert "pp" in table.profiles.value

    assert svc.current_version("Greeting").label == "v1"
    svc.set_current_version("Greeting", "v3", expected_current="v1")
    with pytest.raises(pds.ConflictError, match="expected current version v1, but it is now v3"):
        svc.set_current_version("Greeting", "v2", expected_current="v1")
    svc.set_current_version("Greeting", "v1")  # roll back
    assert svc.current_version("Greeting").label == "v1"
    source = svc.get_dataset("Greeting").id
    assert get(raw, "DataSource", source, "yamlConfiguration")["yamlConfiguration"] == svc.resolve("Greeting:1").text

    manager = VersionManager("Greeting", svc)
    assert [label for label, _ in manager.picker.options] == ["v3", "v2", "v1 ●"]
    assert "fewer Yes calls" in manager.table.value and "● current" in manager.table.value

    refs = {ref: svc.resolve(ref).label for ref in ["Greeting", "Greeting:current", "Greeting:latest", "Greeting:2",
                                                    "Greeting:v3", "call-criteria/Greeting:v2",
                                                    "Call Criteria/Greeting:latest"]}
    assert list(refs.values()) == ["v1", "v1", "v3", "v2", "v3", "v2", "v3"]
    with pytest.raises(pds.NotFoundError, match="has no version v9. Candidates: v1, v2, v3"):
        svc.resolve("Greeting:v9")
    svc.create_dataset("demo-cc-qa", "Greeting", configuration={"class": "FileItems", "path": "calls-2025-02.csv"})
    with pytest.raises(pds.AmbiguousReferenceError):
        svc.resolve("Greeting")
    assert svc.resolve("demo-cc-qa/Greeting").configuration["path"] == "calls-2025-02.csv"


def test_notebook_03_profiles_history_and_drift(bucket, svc):
    from datetime import UTC, datetime, timedelta

    from plexus_datasets.profiling import profile
    from plexus_datasets.widgets import ProfileHistory, ProfileView

    start = datetime(2025, 3, 3, 9, tzinfo=UTC)
    data = {ref: svc.load(ref) for ref in ["greeting-calls-balanced:1", "greeting-calls-balanced:2"]}
    weeks = ["greeting-calls-balanced:1", "greeting-calls-balanced:1", "greeting-calls-balanced:2",
             "greeting-calls-balanced:2"]
    for week, ref in enumerate(weeks):
        payload = profile(data[ref].sample(frac=0.9, random_state=week), answer_columns=["Greeting"])
        svc.record_profile(ref, payload["columnList"], payload["recordCounts"], payload["answerDistribution"],
                           created_at=start + timedelta(weeks=week))
    full = svc.list_profiles("greeting-calls-balanced", samples=False)
    assert [p.created_at for p in full][-4:] == [start + timedelta(weeks=w) for w in range(4)]
    latest = svc.profile("greeting-calls-balanced:2")
    assert latest.record_counts["rows"] == 70 and latest.record_counts["duplicate_rows"] == 0
    assert svc.latest_profile("greeting-calls-balanced").id == latest.id

    view = ProfileView("greeting-calls", svc)
    assert "80</b> records" in view.summary.value
    history = ProfileHistory("greeting-calls", svc)
    assert repr(history) == "ProfileHistory(6 profiles, answer column 'Greeting')"
    assert list(history.rows_figure.data[0].y) == [35, 40, 55, 60, 75, 80]
    assert {t.name for t in history.answers_figure.data} == {"Yes", "No"}
    comparison = svc.compare_profiles("greeting-calls:1", "greeting-calls:3")
    assert (comparison.rows_a, comparison.rows_b) == (40, 80)
    assert comparison.band in ("NO", "POSSIBLE", "DRIFT")
    answers = comparison.answer_dataframe()
    assert set(zip(answers["column"], answers["class"])) == {("Greeting", "Yes"), ("Greeting", "No")}
    drift = comparison.to_dataframe()[["column", "kind", "null_change_pp", "histogram_psi", "band"]]
    assert set(drift["column"]) == {"content_id", "text", "Greeting"}


def test_notebook_04_cli_and_score_configs(bucket, here, svc, raw):
    assert "greeting-calls-balanced" in invoke("datasets", "list").output
    assert "added weekend calls" in invoke("versions", "list", "greeting-calls").output
    assert "No differences" in invoke("versions", "diff", "greeting-calls:1", "greeting-calls:1").output
    folder = here / "scorecards" / "Sales QA"
    folder.mkdir(parents=True)
    (folder / "Upsell.yaml").write_text(textwrap.dedent('''\
        name: Upsell
        key: upsell
        id: "9001"
        data:
          type: fixed
          items:
            - {content_id: 1, text: "Would you like the premium plan?", Upsell: "Yes"}
            - {content_id: 2, text: "Your order is confirmed.", Upsell: "No"}
            - {content_id: 3, text: "We also offer an extended warranty.", Upsell: "Yes"}
            - {content_id: 4, text: "Goodbye.", Upsell: "No"}
        '''))
    (folder / "Politeness.yaml").write_text("name: Politeness\nkey: politeness\nid: '9002'\n")
    first = json.loads(invoke("import", "scorecard", str(folder), "--json").stdout)
    assert sorted(r["action"] for r in first) == ["created", "no-data"]
    again = json.loads(invoke("import", "scorecard", str(folder), "--json").stdout)
    assert sorted(r["action"] for r in again) == ["no-data", "unchanged"]
    # Plexus's Score has no metadata: the score is Plexus's own record, with the fields it requires
    upsell = svc.get_score("upsell")
    assert upsell.metadata is None and upsell.external_id == "9001"
    assert get(raw, "Score", upsell.id, "externalId scorecardId type")["externalId"] == "9001"

    pd.DataFrame({"content_id": [1, 2, 3, 4], "prediction": ["Yes", "No", "No", "No"]}).to_csv("predictions.csv",
                                                                                              index=False)
    dataset_id = svc.get_dataset("Upsell").id
    report = json.loads(invoke("evaluate", "accuracy", "--dataset-id", dataset_id, "--dataset-version", "current",
                               "--predictions", "predictions.csv", "--json").stdout)
    assert (report["dataset"], report["label_column"], report["accuracy"]) == ("Upsell:v1", "Upsell", 0.75)
    assert [p.record_counts["rows"] for p in svc.list_profiles("Upsell", samples=False)] == [4]
    legacy = json.loads(invoke("evaluate", "accuracy", "--score-config", str(folder / "Upsell.yaml"), "--predictions",
                               "predictions.csv", "--json").stdout)
    assert legacy["accuracy"] == 0.75 and legacy["profile_id"] is None
    typo = invoke("datasets", "show", "Upsel", expect=1)
    assert typo.output.startswith("Error: ") and "Upsell" in typo.output and "Traceback" not in typo.output


def test_the_importer_puts_a_plexus_score_label_column_in_the_dataset_configuration(bucket, here, svc, raw):
    """Plexus scores have no metadata, so a label column other than the score's name (Plexus's
    ``label_field``) has to live in the dataset's configuration on this dialect."""
    from plexus_datasets.importer import import_score_config

    folder = here / "scorecards" / "Call Criteria"
    folder.mkdir(parents=True)
    (folder / "Valid Call.yaml").write_text(textwrap.dedent("""\
        name: Valid Call
        key: valid-call
        id: "7001"
        label_field: Valid
        class: LangGraphScore
        data:
          type: fixed
          items:
            - {content_id: 1, text: "hello", "Valid Call Valid": "Yes"}
            - {content_id: 2, text: "bye", "Valid Call Valid": "No"}
        """))
    result = import_score_config(svc, folder / "Valid Call.yaml")
    assert result.score.metadata is None
    assert result.version.configuration["label_column"] == "Valid Call Valid"
    assert "label_column: Valid Call Valid" in get(raw, "DataSourceVersion", result.version.id,
                                                   "yamlConfiguration")["yamlConfiguration"]
    assert svc.label_column("Valid Call") == "Valid Call Valid"
    assert svc.profile("Valid Call").answer_distribution["columns"]["Valid Call Valid"]["counts"] == {
        "Yes": 1, "No": 1}
    assert import_score_config(svc, folder / "Valid Call.yaml").action == "unchanged"


def test_notebook_05_team_server_with_schema_plexus_and_two_services(served, bucket):
    first = pds.connect(api_url=served.url, api_key=API_KEY, account_key=ACCOUNT)
    second = pds.connect(api_url=served.url, api_key=API_KEY, account_key=ACCOUNT)
    assert type(first.backend).__name__ == "DetectedBackend" and first.backend.dialect == "plexus"
    assert str(seed_demo(first)) == "scorecard 'Demo Call Center QA': 3 datasets, 8 versions, 16 profiles"
    assert listing(second.dataset_summaries()) == listing(first.dataset_summaries())
    v4 = first.create_version("greeting-calls", {"class": "InlineItems", "items": [
        {"content_id": 1, "text": "Thanks for calling Acme", "Greeting": "Yes"},
        {"content_id": 2, "text": "What?", "Greeting": "No"}]}, note="hand-picked")
    first.set_current_version("greeting-calls", v4, expected_current="v3")
    seen = second.resolve("greeting-calls")
    assert (seen.id, seen.label, seen.note) == (v4.id, "v4", "hand-picked")
    assert len(second.load("greeting-calls")) == 2
    counts = second.profile("greeting-calls").answer_distribution["columns"]["Greeting"]["counts"]
    assert counts == {"Yes": 1, "No": 1} and first.latest_profile("greeting-calls").record_counts["rows"] == 2
    before = first.backend.requests_sent
    first.dataset_summaries()
    assert first.backend.requests_sent - before <= 6
    with pytest.raises(pds.AuthError):
        pds.connect(api_url=served.url, api_key="wrong", account_key=ACCOUNT).list_datasets()
    with pytest.raises(pds.ConflictError, match="now v4"):
        second.set_current_version("greeting-calls", "v1", expected_current="v3")
    first.close()
    second.close()


# --- 4. widgets --------------------------------------------------------------------------------------


def test_selector_and_browser_on_plexus_datasources(svc):
    from plexus_datasets.widgets import DatasetBrowser, DatasetSelector

    selector = DatasetSelector(svc)
    assert selector.dataset.name == "greeting-calls" and selector.value.version_number == 3
    selector.score_dropdown.value = svc.get_score("agent-misrepresentation").id
    assert [label for label, _ in selector.dataset_dropdown.options] == ["misrepresentation-review"]
    assert selector.value.version_number == 2  # its current version, not its latest
    selector.version_dropdown.value = "latest"
    assert selector.ref == "misrepresentation-review:v3"
    labels = [label for label, _ in selector.version_dropdown.options]
    assert labels[:2] == ["current (v2)", "latest (v3)"] and labels[2].startswith("v3 · 2025-")

    browser = DatasetBrowser(svc)
    frame = browser.to_dataframe()
    assert frame[["name", "scorecard", "score", "current version", "versions", "records"]].values.tolist() == [
        ["greeting-calls", "Demo Call Center QA", "Greeting", 3, 3, 80],
        ["greeting-calls-balanced", "Demo Call Center QA", "Greeting", 2, 2, 70],
        ["misrepresentation-review", "Demo Call Center QA", "Agent Misrepresentation", 2, 3, 45]]
    browser.search.value = "misrep"
    assert browser.to_dataframe()["name"].tolist() == ["misrepresentation-review"]
    browser.search.value = ""
    assert browser.select("greeting-calls-balanced").id == svc.get_dataset("greeting-calls-balanced").id


def test_version_manager_saves_the_editor_text_with_its_parent(svc, raw):
    from plexus_datasets.widgets import VersionManager

    manager = VersionManager("greeting-calls", svc)
    assert [label for label, _ in manager.picker.options] == ["v3 ●", "v2", "v1"]
    manager.picker.value = manager.picker.options[1][1]  # v2
    manager.make_current()
    assert svc.current_version("greeting-calls").label == "v2" and "v2 is now" in manager.status.value
    svc.set_current_version("greeting-calls", 3)  # a teammate moves it back
    manager.picker.value = manager.picker.options[2][1]
    manager.make_current()
    assert "ConflictError" in manager.status.value and svc.current_version("greeting-calls").label == "v3"

    manager.refresh()
    manager.picker.value = svc.resolve("greeting-calls:1").id
    manager.start_new_version()
    base = svc.resolve("greeting-calls:1")
    assert manager.editor.value == base.text and "label_column: Greeting" in manager.editor.value
    edited = "# v1 again, balanced (tried in the notebook)\n" + manager.editor.value.replace(
        "label_column: Greeting", "label_column: Greeting\nbalance: true  # same share of Yes and No")
    manager.editor.value = edited
    manager.note.value = "balanced v1"
    saved = manager.save_new_version()
    assert (saved.version_number, saved.note, saved.parent_version_id) == (4, "balanced v1", base.id)
    assert saved.text == edited and manager.selected.id == saved.id
    assert get(raw, "DataSourceVersion", saved.id, "yamlConfiguration note parentVersionId isFeatured") == {
        "yamlConfiguration": edited, "note": "balanced v1", "parentVersionId": base.id, "isFeatured": False}
    manager.show_diff()
    assert "pds-added" in manager.diff_view.value and "balance" in manager.diff_view.value
    manager.start_new_version()
    manager.editor.value = "class: [broken"
    assert manager.save_new_version() is None and "line 1" in manager.status.value


def create_unprofiled_data_set(raw, svc, ref: str) -> str:
    """A DataSet as Plexus makes one: a raw createDataSet with a file and no buildContext."""
    version = svc.resolve(ref)
    account = svc.get_scorecard("demo-cc-qa").account_id
    made = raw.execute("mutation C($input: CreateDataSetInput!) { createDataSet(input: $input) { id } }",
                       {"input": {"accountId": account, "dataSourceVersionId": version.id, "name": "from Plexus",
                                  "file": f"datasets/{account}/plexus-made/dataset.parquet"}})
    return made["createDataSet"]["id"]


def test_profile_view_and_history_show_a_plexus_data_set_as_not_profiled(svc, raw):
    from plexus_datasets.widgets import ProfileHistory, ProfileView

    made = create_unprofiled_data_set(raw, svc, "greeting-calls:3")
    history = ProfileHistory("greeting-calls", svc)
    assert [p.id for p in history.unprofiled] == [made]
    assert repr(history) == "ProfileHistory(6 profiles, 1 not profiled, answer column 'Greeting')"
    assert list(history.rows_figure.data[0].y) == [35, 40, 55, 60, 75, 80]
    assert history.samples_toggle.layout.display == "none"  # a data file is no sample
    assert "1 data file not profiled: v3 · " in history.status.value
    history.show_samples = True
    assert [t.name for t in history.rows_figure.data] == ["records"]
    assert ProfileView("greeting-calls", svc).profile.record_counts["rows"] == 80  # still the version's profile

    v4 = svc.create_version("greeting-calls", {"class": "InlineItems", "items": [{"text": "hi", "Greeting": "Yes"}]},
                            make_current=True)
    create_unprofiled_data_set(raw, svc, "greeting-calls:4")
    only_files = ProfileHistory("greeting-calls:4", svc)
    assert only_files.profiles == [] and only_files.version_filter.value == v4.id
    assert "greeting-calls v4 has no profiles yet (1 data file not profiled: v4 · " in only_files.status.value
    view = ProfileView("greeting-calls", svc)
    assert view.profile is None
    assert "greeting-calls (v4) has no profile yet: 1 data file(s), not profiled" in view.status.value
    assert "sample" not in view.status.value
    listed = invoke("profiles", "history", "greeting-calls").output
    assert listed.count("not profiled") == 2
    summary = svc.dataset_summaries(name="greeting-calls")[0]
    assert summary.latest_profile is None and not summary.sample_profiles_only


def test_profile_view_counts_the_current_versions_samples_not_the_datasets(svc):
    """A dataset whose current version has only a sample profile: the count is that version's."""
    from plexus_datasets.widgets import ProfileView

    svc.create_version("greeting-calls", {"class": "InlineItems", "items": [{"text": "a", "Greeting": "Yes"},
                                                                          {"text": "b", "Greeting": "No"}]},
                       make_current=True)
    svc.profile_frame("greeting-calls:4", pd.DataFrame([{"text": "a", "Greeting": "Yes"}]), population=2, seed=1)
    view = ProfileView("greeting-calls", svc)
    assert view.profile is None and "greeting-calls (v4) has only sample profiles (1)" in view.status.value


def test_dataset_form_creates_a_data_source_with_its_score(svc, raw):
    from plexus_datasets.widgets import DatasetForm

    form = DatasetForm(svc)
    assert [label for label, _ in form.scorecard_dropdown.options] == ["Demo Call Center QA"]
    form.name.value = "form-calls"
    form.configuration.value = "class: InlineItems\nitems: [{text: hi, Greeting: 'Yes'}\n"
    assert form.submit() is None and "line" in form.problems.value
    form.configuration.value = "class: InlineItems\nitems:\n  - {text: hi, Greeting: 'Yes'}\n"
    form.score_dropdown.value = svc.get_score("greeting").id
    created = form.submit()
    assert created is not None and "Created form-calls" in form.status.value
    stored = get(raw, "DataSource", created.id, "name accountId scoreId currentVersionId yamlConfiguration")
    assert (stored["name"], stored["scoreId"]) == ("form-calls", svc.get_score("greeting").id)
    assert stored["accountId"] == svc.get_scorecard("demo-cc-qa").account_id
    assert stored["currentVersionId"] == svc.resolve("form-calls:1").id and "class: InlineItems" in \
        stored["yamlConfiguration"]
    assert form.submit() is None and "already has a dataset" in form.status.value


def test_dataset_form_keeps_the_yaml_text_as_typed(svc, raw):
    from plexus_datasets.widgets import DatasetForm

    form = DatasetForm(svc)
    form.name.value = "commented"
    form.configuration.value = "# one call for now\nclass: InlineItems\nitems:\n  - {text: hi}  # the only one\n"
    created = form.submit()
    assert created is not None
    assert svc.current_version(created).text == form.configuration.value


# --- 5. the CLI --------------------------------------------------------------------------------------


def test_cli_commands_on_plexus(bucket, here, svc, raw, monkeypatch):
    listed = json.loads(invoke("datasets", "list", "--json").stdout)
    assert [(d["name"], d["current"], d["versions"], d["records"]) for d in listed] == [
        ("greeting-calls", "v3", 3, 80), ("greeting-calls-balanced", "v2", 2, 70),
        ("misrepresentation-review", "v2", 3, 45)]
    assert "misrepresentation-review" in invoke("datasets", "list", "--score", "agent-misrepresentation").output
    shown = invoke("datasets", "show", "greeting-calls:1").output
    assert "v1 (2025-01-06 09:00" in shown and "first cut" in shown and "class: InlineItems" in shown

    text = textwrap.dedent("""\
        # hand-picked calls for the greeting score
        class: InlineItems
        label_column: Greeting
        items:
          - {content_id: 1, text: "Thanks for calling Acme", Greeting: "Yes"}   # a model greeting
          - {content_id: 2, text: "What?", Greeting: "No"}
          - {content_id: 3, text: "Acme, how can I help?", Greeting: "Yes"}
        """)
    (here / "calls.yaml").write_text(text)
    made = invoke("versions", "create", "greeting-calls", "--config", "calls.yaml", "--note", "hand-picked")
    assert "Created greeting-calls:v4; the current version is still v3" in made.output
    v4 = svc.resolve("greeting-calls:4")
    assert get(raw, "DataSourceVersion", v4.id, "yamlConfiguration note dataSourceId") == {
        "yamlConfiguration": text, "note": "hand-picked", "dataSourceId": v4.dataset_id}
    assert "Unchanged" in invoke("versions", "create", "greeting-calls", "--config", "calls.yaml").output
    assert invoke("versions", "set-current", "greeting-calls:4", "--expect", "v3").output == \
        "greeting-calls: current version is now v4\n"
    stale = invoke("versions", "set-current", "greeting-calls:1", "--expect", "v3", expect=1)
    assert "now v4" in stale.output and "Traceback" not in stale.output
    assert get(raw, "DataSource", v4.dataset_id, "yamlConfiguration")["yamlConfiguration"] == text  # the head copy
    diff = json.loads(invoke("versions", "diff", "greeting-calls:3", "greeting-calls:4", "--json").stdout)
    kinds = {row["path"]: row["change"] for row in diff}
    assert kinds["items[0].text"] == "changed" and kinds["items[79]"] == "removed"
    preview = invoke("load", "greeting-calls:4", "--head", "2").output
    assert preview.startswith("greeting-calls:v4: 3 rows x 3 columns") and "Thanks for calling" in preview
    recorded = invoke("profiles", "record", "greeting-calls:4").output
    assert "Recorded a profile of greeting-calls:v4" in recorded
    history = invoke("profiles", "history", "greeting-calls", "--csv").output.splitlines()
    # The load kept its file as a DataSet without a profile; recording a profile of the same file
    # fills that DataSet instead of uploading the file again under a second one.
    assert history[0].startswith("created,version,subject,snapshot,rows") and len(history) == 1 + 6 + 1
    version, subject, snapshot, rows = history[-1].split(",")[1:5]
    assert (version, subject, rows) == ("v4", "full", "3") and len(snapshot) == 12  # the snapshot profiled
    kept = raw_data_sets(raw, svc.resolve("greeting-calls:4").id)
    assert len(kept) == 1 and kept[0]["file"].endswith(f"/{kept[0]['id']}/dataset.parquet")

    for args in (("datasets", "delete", "greeting-calls", "--yes"),
                 ("datasets", "delete", "greeting-calls", "--cascade", "--yes")):
        refused = invoke(*args, expect=1)
        assert refused.output.startswith("Error: Dataset 'greeting-calls' has 4 version(s)")
        assert "numbers versions by their position" in refused.output and "Nothing was deleted" in refused.output
        assert "--cascade" not in refused.output and "Traceback" not in refused.output
    assert svc.get_dataset("greeting-calls").current_version_id == v4.id

    (here / "team_scorer.py").write_text("def predict(batch):\n    return ['Yes'] * len(batch)\n")
    monkeypatch.syspath_prepend(str(here))
    report = json.loads(invoke("evaluate", "accuracy", "--dataset", "greeting-calls", "--scorer",
                               "team_scorer:predict", "--json").stdout)
    assert (report["dataset"], report["label_column"], report["rows"], report["accuracy"]) == (
        "greeting-calls:v4", "Greeting", 3, pytest.approx(2 / 3))
    stored = get(raw, "DataSet", report["profile_id"], "dataSourceVersionId file buildContext")
    assert stored["dataSourceVersionId"] == v4.id and stored["file"].endswith("/dataset.parquet")
    assert json.loads(stored["buildContext"])[OUR_KEY]["profile"]["recordCounts"]["rows"] == 3
    sampled = json.loads(invoke("evaluate", "accuracy", "--dataset", "greeting-calls-balanced", "--scorer",
                                "team_scorer:predict", "--number-of-samples", "10", "--random-seed", "5",
                                "--json").stdout)
    assert (sampled["rows"], sampled["population"], sampled["seed"], sampled["profile_kind"]) == (10, 70, 5, "sample")
    assert svc.latest_profile("greeting-calls-balanced").record_counts["rows"] == 70  # a sample never stands for it


def test_cli_without_an_account_names_the_variable(demo_url, monkeypatch):
    monkeypatch.delenv("PLEXUS_ACCOUNT_KEY")
    refused = invoke("datasets", "list", expect=1)
    assert refused.output.count("\n") == 1 and "Traceback" not in refused.output
    assert refused.output.startswith("Error: No Plexus account chosen") and "set PLEXUS_ACCOUNT_KEY" in refused.output
    monkeypatch.setenv("PLEXUS_ACCOUNT_KEY", "no-such-account")
    unknown = invoke("datasets", "list", expect=1)
    assert "No Plexus account with key 'no-such-account'" in unknown.output and unknown.output.count("\n") == 1


# --- 6. the lab sidebar --------------------------------------------------------------------------------


def test_lab_sidebar_payloads_on_plexus(bucket, svc, raw):
    from plexus_datasets_lab.handlers import dataset_rows, version_profile

    rows = dataset_rows(svc, None, None, None)
    assert [(r["name"], r["currentVersion"], r["versions"], r["records"], r["profileVersion"]) for r in rows] == [
        ("greeting-calls", 3, 3, 80, 3), ("greeting-calls-balanced", 2, 2, 70, 2),
        ("misrepresentation-review", 2, 3, 45, 2)]
    assert rows[0]["lastProfile"].startswith("2025-02-10") and not rows[0]["sampleProfilesOnly"]
    card = svc.get_scorecard("demo-cc-qa").id
    assert [r["name"] for r in dataset_rows(svc, card, None, "BALANCED")] == ["greeting-calls-balanced"]
    create_unprofiled_data_set(raw, svc, "greeting-calls:3")  # newer than every profile: still not "the profile"
    profile = version_profile(svc, svc.resolve("greeting-calls:3").id)
    assert (profile["rows"], profile["columns"], profile["subject"]["kind"]) == (80, 3, "full")
    assert profile["answers"]["Greeting"] == {"counts": {"Yes": 51, "No": 25}, "null": 4, "other": 0}
    v4 = svc.create_version("greeting-calls", {"class": "InlineItems", "items": [{"text": "a", "Greeting": "Yes"}]})
    create_unprofiled_data_set(raw, svc, "greeting-calls:4")
    assert version_profile(svc, v4.id) is None  # a data file nobody profiled is no profile


def test_lab_sidebar_endpoints_in_a_jupyter_server_on_plexus(demo_url, tmp_path):
    """The server extension's own connect(), in Jupyter's environment, reaches the Plexus stand-in."""
    import requests

    root = tmp_path / "lab"
    root.mkdir()
    with JupyterLab(root, env={"PLEXUS_DATASETS_CACHE_DIR": str(tmp_path / "lab-cache")}) as lab:
        def fetch(path: str):
            response = requests.get(f"{lab.url}/plexus-datasets/{path}", params={"token": lab.token}, timeout=60)
            assert response.status_code == 200, response.text
            return response.json()

        assert [c["key"] for c in fetch("scorecards")] == ["demo-cc-qa"]
        rows = fetch("datasets")
        assert [(r["name"], r["currentVersion"], r["records"]) for r in rows] == [
            ("greeting-calls", 3, 80), ("greeting-calls-balanced", 2, 70), ("misrepresentation-review", 2, 45)]
        detail = fetch(f"datasets/{rows[2]['id']}")
        assert detail["dataset"]["name"] == "misrepresentation-review"
        assert [(v["number"], v["current"], v["note"]) for v in detail["versions"]] == [
            (1, False, "initial review"), (2, True, "relabelled two calls"), (3, False, "second review batch")]
        profile = fetch(f"versions/{detail['versions'][1]['id']}/profile")
        assert profile["rows"] == 45 and profile["subject"]["kind"] == "full"
        missing = requests.get(f"{lab.url}/plexus-datasets/datasets/no-such-id", params={"token": lab.token},
                               timeout=60)
        assert missing.status_code == 404 and "no-such-id" in missing.json()["message"]


def test_magics_on_plexus_keep_the_cells_yaml(svc, raw, capsys):
    from IPython.core.getipython import get_ipython
    from IPython.testing import globalipapp

    globalipapp.start_ipython()
    ip = get_ipython()
    ip.run_line_magic("load_ext", "plexus_datasets")
    ip.run_line_magic("datasets", "connect")  # connect(): the Plexus variables
    listed = ip.run_line_magic("datasets", "list")
    assert [s.dataset.name for s in listed] == ["greeting-calls", "greeting-calls-balanced", "misrepresentation-review"]
    cell = "# from a notebook cell\nclass: InlineItems\nitems:\n  - {text: hi, Greeting: 'Yes'}  # one call\n"
    created = ip.run_cell_magic("dataset_config", 'greeting-calls --note "from a cell" --current', cell)
    assert (created.version_number, created.text) == (4, cell)
    assert get(raw, "DataSourceVersion", created.id, "yamlConfiguration note")["yamlConfiguration"] == cell
    assert svc.current_version("greeting-calls").id == created.id
    assert ip.run_line_magic("datasets", "show nope") is None
    assert capsys.readouterr().out.splitlines()[-1].startswith("Error: No dataset named or with id 'nope'")


# --- what a newcomer trial ran into -------------------------------------------------------------------


def test_a_dialect_set_to_the_other_schema_is_one_clear_line(empty_url, monkeypatch):
    monkeypatch.setenv("PLEXUS_DATASETS_DIALECT", "plan")  # the API speaks Plexus's schema
    result = invoke("datasets", "list", expect=1)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: The GraphQL API at http://127.0.0.1:")
    assert "speaks another schema" in lines[0] and "PLEXUS_DATASETS_DIALECT" in lines[0]
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output


def test_versions_made_without_moving_the_pointer_say_how_to_pick_one(empty_url, raw_empty, here):
    svc = pds.connect()
    card = svc.create_scorecard("QA", key="qa")
    account = card.account_id
    source = raw_empty.execute("mutation M($i: CreateDataSourceInput!) { createDataSource(input: $i) { id } }",
                               {"i": {"name": "dashboard-calls", "accountId": account, "scorecardId": card.id}})
    source_id = source["createDataSource"]["id"]
    raw_empty.execute("mutation M($i: CreateDataSourceVersionInput!) { createDataSourceVersion(input: $i) { id } }",
                      {"i": {"dataSourceId": source_id, "isFeatured": True,
                             "yamlConfiguration": "class: InlineItems\nitems:\n  - {text: hi}\n"}})
    message = invoke("load", "dashboard-calls", expect=1).output
    assert "has 1 version(s) but no current one" in message
    assert "plexus-datasets versions set-current dashboard-calls:v1" in message and "create_version" not in message
    assert len(svc.load("dashboard-calls:latest")) == 1  # naming one works
    svc.close()


def test_a_dataset_with_versions_is_refused_before_any_question(svc, raw):
    before = len(svc.list_versions("greeting-calls"))
    for args in (("datasets", "delete", "greeting-calls"), ("datasets", "delete", "greeting-calls", "--cascade")):
        result = invoke(*args, input="y\n", expect=1)
        assert "[y/N]" not in result.output and "renumber" in result.output  # no prompt it would then refuse
    assert len(svc.list_versions("greeting-calls")) == before


def test_datasets_show_prints_the_text_as_written(svc, here):
    text = "# picked by hand\nclass: InlineItems   # no loader needed\nitems:\n  - {text: \"hi\\u001b[31m\"}\n"
    version = svc.create_version("greeting-calls", text, check=False)
    shown = invoke("datasets", "show", f"greeting-calls:{version.label}").output
    assert "# picked by hand" in shown and "# no loader needed" in shown
    assert "\x1b" not in shown  # a stored text never drives the terminal


def test_a_data_source_without_a_scorecard_is_left_out_saying_why(empty_url, raw_empty, caplog):
    svc = pds.connect()
    account = svc.create_scorecard("QA", key="qa").account_id
    raw_empty.execute("mutation M($i: CreateDataSourceInput!) { createDataSource(input: $i) { id } }",
                      {"i": {"name": "loose", "accountId": account}})
    with caplog.at_level("WARNING", logger="plexus_datasets.records"):
        listed = svc.list_datasets()
    assert listed == [] and listed.skipped == 1
    said = caplog.text  # what the CLI prints on stderr, once per listing
    assert "'loose'" in said and "has no scorecard" in said and "Attach it to a scorecard in Plexus" in said
    assert "corrupt" not in said and "delete it" not in said
    svc.close()
