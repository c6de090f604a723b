"""Right answers on messy data (issue #13), through the service, the CLI, the form and
the magics: stale sources, configurations checked before anything is written,
re-imports, label columns, evaluations. Every file here is written by the test."""

import html
import json
import os
import re
import textwrap
import time
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

from plexus_datasets import connect
from plexus_datasets.cli import cli
from plexus_datasets.errors import DataQualityWarning, LoaderError, PlexusDatasetsError, StaleDataWarning
from plexus_datasets.facts import ProfileFacts
from plexus_datasets.importer import import_score_config

SMS = [("ham", "Go until jurong point, crazy.. Available only"), ("ham", "Ok lar... Joking wif u oni..."),
       ("spam", "Free entry in 2 a wkly comp to win FA Cup final tkts"), ("ham", "U dun say so early hor"),
       ("spam", "WINNER!! As a valued network customer you have been selected"), ("ham", "Nah I don't think he goes"),
       ("ham", "Even my brother is not like to speak with me."), ("spam", "Had your mobile 11 months or more? U R"),
       ("ham", "I'm gonna be home soon"), ("spam", "SIX chances to win CASH! From 100 to 20,000 pounds")]


def write_sms(path, rows=SMS, encoding="utf-8"):
    """The SMS spam corpus's shape: v1 label, v2 text, three empty trailing columns."""
    lines = ["v1,v2,,,"] + [f'{label},"{text}",,,' for label, text in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A working folder that is the data root, with the store and cache inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def store(here):
    svc = connect(str(here / "store.db"))
    card = svc.create_scorecard("SMS", key="sms")
    svc.create_score(svc.create_section(card, "Main"), "Spam Detection", key="spam")
    yield svc
    svc.close()


def cli_run(here, *args, expect=0, input=None):
    result = CliRunner().invoke(cli, ["--db", str(here / "store.db"), *args], obj={}, input=input,
                                env={"COLUMNS": "200", "PLEXUS_DATASETS_CACHE_DIR": str(here / "cache")})
    assert result.exit_code == expect, (result.output, result.exception)
    return result


# --- 4. the load cache notices changed sources ---------------------------------------------------


def test_a_changed_source_is_reported_and_fresh_rebuilds(store, here):
    write_sms(here / "sms.csv")
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv", "label_column": "v1"})
    assert len(store.load("sms")) == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(store.load("sms")) == 10  # unchanged source: served from the cache, no word
    write_sms(here / "sms.csv", SMS[:4])
    with pytest.warns(StaleDataWarning) as caught:
        stale = store.load("sms")
    assert len(stale) == 10  # the cached data, as its profiles describe it, never silently swapped
    message = str(caught[0].message)
    assert "sms:v1" in message and "sms.csv" in message and "materialized at 20" in message
    assert "fresh=True" in message and "changed size" in message
    with pytest.warns(StaleDataWarning):
        profile = store.profile("sms")
    assert ProfileFacts.of(profile).rows == 10
    with pytest.warns(StaleDataWarning, match=r"differs from what its newest full profile describes .*10 rows; "
                                              r"now 4 rows.*profiles record sms:v1"):
        assert len(store.load("sms", fresh=True)) == 4  # rebuilt: now the profile is the stale part
    assert ProfileFacts.of(store.profile("sms")).rows == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(store.load("sms")) == 4  # the rebuilt entry records the new fingerprint, the profile agrees
    os.utime(here / "sms.csv", ns=(time.time_ns(), time.time_ns() + 10**9))
    with pytest.warns(StaleDataWarning, match="was modified"):
        store.load("sms")


def test_a_glob_that_gains_a_file_and_a_source_that_disappears(store, here):
    (here / "parts").mkdir()
    write_sms(here / "parts" / "a.csv", SMS[:5])
    store.create_dataset("sms", "parts", configuration={"class": "FileItems", "path": "parts/*.csv"})
    assert len(store.load("parts")) == 5
    write_sms(here / "parts" / "b.csv", SMS[5:])
    with pytest.warns(StaleDataWarning, match=r"b\.csv is new"):
        assert len(store.load("parts")) == 5
    assert len(store.load("parts", fresh=True)) == 10
    for name in ("a.csv", "b.csv"):
        (here / "parts" / name).unlink()
    with pytest.warns(StaleDataWarning, match="can't be checked now"):
        assert len(store.load("parts")) == 10
    with pytest.raises(LoaderError):
        store.load("parts", fresh=True)


def test_an_entry_cached_before_fingerprints_is_rebuilt_once(store, here):
    write_sms(here / "sms.csv")
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv"})
    store.load("sms")
    version = store.resolve("sms")
    _, manifest = store.cache.paths(version.id, version.digest)
    old = json.loads(manifest.read_text())
    del old["sources"], old["built_at"]
    manifest.write_text(json.dumps(old))
    write_sms(here / "sms.csv", SMS[:3])
    assert len(store.load("sms")) == 3  # no fingerprint to compare: rebuilt rather than trusted
    assert json.loads(manifest.read_text())["sources"][0]["size"] == (here / "sms.csv").stat().st_size


def test_the_cli_prints_the_stale_warning_once_on_stderr(store, here):
    write_sms(here / "sms.csv")
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv"})
    cli_run(here, "load", "sms", "--out", str(here / "out.csv"))
    write_sms(here / "sms.csv", SMS[:2])
    result = cli_run(here, "load", "sms", "--out", str(here / "out.csv"))
    assert result.stderr.count("Warning: sms:v1 was materialized") == 1 and "Traceback" not in result.output
    assert "Wrote 10 rows" in result.stdout
    assert "Wrote 2 rows" in cli_run(here, "load", "sms", "--fresh", "--out", str(here / "out.csv")).stdout


def test_an_s3_object_replaced_under_the_same_key_is_noticed(store, here, s3):
    s3.create_bucket(Bucket="sms-data")
    s3.put_object(Bucket="sms-data", Key="sms.csv", Body=write_sms(here / "sms.csv").read_bytes())
    store.create_dataset("sms", "s3", configuration={"class": "FileItems", "path": "s3://sms-data/sms.csv"})
    assert len(store.load("s3")) == 10
    s3.put_object(Bucket="sms-data", Key="sms.csv", Body=write_sms(here / "sms.csv", SMS[:6]).read_bytes())
    with pytest.warns(StaleDataWarning, match="s3://sms-data/sms.csv"):
        assert len(store.load("s3")) == 10
    assert len(store.load("s3", fresh=True)) == 6


def test_a_full_profile_records_the_snapshot_it_describes(store, here):
    write_sms(here / "sms.csv")
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv", "label_column": "v1"})
    profile = store.profile("sms")
    subject = profile.record_counts["subject"]
    version = store.resolve("sms")
    assert subject["kind"] == "full" and subject["rows"] == 10
    entry = store.cache.entry(version.id, version.digest)
    assert subject["snapshot"]["sha256"] == entry.sha256 and subject["snapshot"]["rows"] == 10
    assert subject["snapshot"]["source_count"] == 1 and len(subject["snapshot"]["sources_digest"]) == 64
    assert str(here) not in json.dumps(profile.record_counts)  # local paths stay on this machine
    assert subject["snapshot"]["data_sha256"] == entry.data_sha256


# --- 9 and 10. one check before anything is written ----------------------------------------------

REFUSED = [  # (case, configuration, what the one-line error must say)
    ("empty", {}, "has no `class:`"),
    ("no class", {"path": "sms.csv"}, "has no `class:`"),
    ("class not text", {"class": 5, "path": "sms.csv"}, "must be a class name"),
    ("misspelt class", {"class": "FileItem", "path": "sms.csv"}, "did you mean 'FileItems'"),
    ("no path", {"class": "FileItems"}, "needs `path:`"),
    ("empty path", {"class": "FileItems", "path": ""}, "not empty text"),
    ("path a number", {"class": "FileItems", "path": 5}, "path must be a path"),
    ("missing file", {"class": "FileItems", "path": "nope.csv"}, "nope.csv does not exist"),
    ("a directory", {"class": "FileItems", "path": "folder"}, "is a directory"),
    ("a glob matching nothing", {"class": "FileItems", "path": "folder/*.parquet"}, "No file matches"),
    ("unknown format", {"class": "FileItems", "path": "sms.csv", "format": "xls"}, "format must be csv"),
    ("unknown encoding", {"class": "FileItems", "path": "sms.csv", "encoding": "klingon"}, "'klingon'"),
    ("misspelt parameter", {"class": "FileItems", "path": "sms.csv", "encodng": "latin-1"},
     "did you mean 'encoding'"),
    ("long delimiter", {"class": "FileItems", "path": "sms.csv", "delimiter": ";;"}, "delimiter must be one"),
    ("outside the data roots", {"class": "FileItems", "path": "/etc/hostname"}, "outside the data roots"),
    ("untrusted module", {"class": "evil_module_x.Loader"}, "does not trust"),
    ("inline without items", {"class": "InlineItems"}, "needs `items:`"),
    ("inline items not a list", {"class": "InlineItems", "items": "x"}, "items must be a list"),
    ("inline items not rows", {"class": "InlineItems", "items": [1, 2]}, "row 1 is a number"),
    ("processors not a list", {"class": "FileItems", "path": "sms.csv", "processors": "x"},
     "`processors` must be a list"),
    ("unknown processor", {"class": "FileItems", "path": "sms.csv", "processors": [{"class": "NoSuchFilter"}]},
     "'NoSuchFilter' can't be found"),
    ("processor parameter type", {"class": "FileItems", "path": "sms.csv",
                                  "processors": [{"class": "ColumnDatasetFilter", "parameters": {"columns": 5}}]},
     "columns must be a column name"),
    ("balance as text", {"class": "FileItems", "path": "sms.csv", "balance": "true"}, "`balance: true`"),
    ("seed as text", {"class": "FileItems", "path": "sms.csv", "balance": True, "random_seed": "abc"},
     "random_seed must be a whole number"),
    ("label column a number", {"class": "FileItems", "path": "sms.csv", "label_column": 5},
     "label_column must be a column name"),
]


@pytest.fixture
def checked_store(store, here):
    write_sms(here / "sms.csv")
    (here / "folder").mkdir()
    store.create_dataset("sms", "existing", configuration={"class": "FileItems", "path": "sms.csv"})
    return store


def _counts(svc):
    datasets = svc.list_datasets()
    return len(datasets), sum(len(svc.list_versions(d)) for d in datasets)


@pytest.mark.parametrize("case, config, says", REFUSED, ids=[c for c, _, _ in REFUSED])
def test_a_configuration_that_can_never_load_is_refused_everywhere(checked_store, here, case, config, says):
    svc = checked_store
    before = _counts(svc)
    with pytest.raises(PlexusDatasetsError, match=re.escape(says)):
        svc.create_dataset("sms", f"new {case}", configuration=config)
    with pytest.raises(PlexusDatasetsError, match=re.escape(says)):
        svc.create_version("existing", config)
    assert _counts(svc) == before
    (here / "config.json").write_text(json.dumps(config))
    created = cli_run(here, "datasets", "create", "--scorecard", "sms", "--name", f"cli {case}",
                      "--config", str(here / "config.json"), expect=1)
    assert created.output.startswith("Error: ") and says in created.output and "Created" not in created.output
    assert "Traceback" not in created.output and len(created.output.strip().splitlines()) == 1
    assert says in cli_run(here, "versions", "create", "existing", "--config", str(here / "config.json"),
                           expect=1).output
    from plexus_datasets.widgets import DatasetForm

    form = DatasetForm(svc)
    form.name.value = f"form {case}"
    form.configuration.value = json.dumps(config)
    assert form.submit() is None and form.created is None
    assert html.escape(says) in form.problems.value
    assert _counts(svc) == before


def test_no_check_keeps_the_structure_rules_only(checked_store, here):
    svc = checked_store
    meant_elsewhere = {"class": "FileItems", "path": "/data/on/the/team/server.csv"}
    with pytest.raises(LoaderError):
        svc.create_dataset("sms", "elsewhere", configuration=meant_elsewhere)
    ds = svc.create_dataset("sms", "elsewhere", configuration=meant_elsewhere, check=False)
    assert svc.current_version(ds).configuration == meant_elsewhere
    with pytest.raises(LoaderError, match="did you mean 'encoding'"):  # a typo is wrong on every machine
        svc.create_version(ds, {**meant_elsewhere, "encodng": "latin-1"}, check=False)
    (here / "plexus.yaml").write_text("class: FeedbackItems\nscorecard: 1438\ndays: 30\n")
    cli_run(here, "datasets", "create", "--scorecard", "sms", "--name", "plexus", "--config",
            str(here / "plexus.yaml"), expect=1)
    made = cli_run(here, "datasets", "create", "--scorecard", "sms", "--name", "plexus", "--config",
                   str(here / "plexus.yaml"), "--no-check")
    assert "Created plexus:v1" in made.output
    from plexus_datasets.widgets import DatasetForm

    form = DatasetForm(svc)
    form.name.value = "from the form"
    form.configuration.value = "class: FeedbackItems\ndays: 30\n"
    assert form.submit() is None
    form.allow_missing_loader.value = True
    assert form.submit() is not None and svc.resolve("from the form").configuration["class"] == "FeedbackItems"


def test_the_cell_magic_checks_too(checked_store, here, capsys):
    from IPython.testing.globalipapp import get_ipython

    from plexus_datasets.magics import DatasetMagics

    magics = DatasetMagics(get_ipython(), service=checked_store)
    assert magics.dataset_config("existing", "class: FileItems\npath: nope.csv\n") is None
    assert "Error:" in capsys.readouterr().out and len(checked_store.list_versions("existing")) == 1
    made = magics.dataset_config("existing --current", "class: FileItems\npath: sms.csv\nlabel_column: v1\n")
    assert made.version_number == 2 and checked_store.current_version("existing").id == made.id
    assert magics.dataset_config("existing --no-check", "class: FileItems\npath: elsewhere.csv\n").version_number == 3


def test_errors_name_the_fix(checked_store, here):
    svc = checked_store
    with pytest.raises(LoaderError, match="did you mean 'FileItems'"):
        svc.check_configuration({"class": "FileItem", "path": "sms.csv"})
    with pytest.raises(LoaderError, match="directory"):
        svc.check_configuration({"class": "FileItems", "path": "folder"})
    with pytest.raises(LoaderError) as caught:
        svc.check_configuration({"class": "FileItems", "path": "sms.csv",
                                 "processors": [{"class": "ColumnFilter", "parameters": {"columns": ["v1"]}}]})
    assert "ColumnDatasetFilter" in str(caught.value) and "data loader" not in str(caught.value)
    (here / "tabs.yaml").write_text("class: FileItems\npath: sms.csv\nprocessors:\n\t- class: ColumnDatasetFilter\n")
    tabs = cli_run(here, "versions", "create", "existing", "--config", str(here / "tabs.yaml"), expect=1)
    assert "indented with a tab" in tabs.output and "spaces" in tabs.output


# --- 6 and 16. versions: identical to any version, make_current ----------------------------------


def test_a_configuration_identical_to_an_older_version_returns_it(store, here):
    write_sms(here / "sms.csv")
    a = {"class": "FileItems", "path": "sms.csv"}
    b = {**a, "label_column": "v1"}
    ds = store.create_dataset("sms", "sms", configuration=a)
    v2 = store.create_version(ds, b)
    assert store.create_version(ds, a).version_number == 1  # not a v3 identical to v1
    assert [v.version_number for v in store.list_versions(ds)] == [1, 2]
    assert store.create_version(ds, a, force=True).version_number == 3
    assert store.current_version(ds).version_number == 1
    assert store.create_version(ds, b, make_current=True).id == v2.id
    assert store.current_version(ds).id == v2.id
    v4 = store.create_version(ds, {**b, "format": "csv"}, make_current=True)
    assert store.current_version(ds).id == v4.id
    (here / "b.yaml").write_text("class: FileItems\npath: sms.csv\n")
    said = cli_run(here, "versions", "create", "sms", "--config", str(here / "b.yaml"), "--current")
    # v3 is the forced copy of v1's configuration: the newest version holding it answers
    assert "Unchanged: sms:v3 already has this configuration" in said.output and "it is current" in said.output
    assert store.current_version(ds).version_number == 3


def test_reimporting_old_yaml_returns_the_old_version_and_says_what_happened(store, here):
    write_sms(here / "sms.csv")
    folder = here / "SMS"
    folder.mkdir()
    score = folder / "spam.yaml"

    def write(label):
        score.write_text(f"name: Spam Detection\nkey: spam\ndata:\n  class: FileItems\n  path: sms.csv\n"
                         f"  label_column: {label}\n")

    write("v1")
    assert import_score_config(store, score).action == "created"
    write("v2")
    assert import_score_config(store, score).action == "new-version"
    write("v1")
    back = import_score_config(store, score)
    assert (back.action, back.version.version_number) == ("existing-version", 1)
    assert store.current_version("Spam Detection").version_number == 1 and "current now" in back.notes[0]
    store.create_version("Spam Detection", {"class": "FileItems", "path": "sms.csv"})  # someone's own v3
    store.set_current_version("Spam Detection", 1)
    write("v2")  # current v1 is pinned (v3, not an import, came after it): it stays, and the note says so
    pinned = import_score_config(store, score)
    assert (pinned.action, pinned.version.version_number) == ("existing-version", 2)
    assert store.current_version("Spam Detection").version_number == 1 and "pinned" in pinned.notes[0]
    assert len(store.list_versions("Spam Detection")) == 3


# --- 15. the importer's scorecard --------------------------------------------------------------------


def test_the_importer_uses_the_scorecard_it_is_given_or_can_see(here):
    svc = connect(str(here / "import.db"))
    downloads = here / "Downloads"
    downloads.mkdir()
    yaml_text = "name: Spam\nkey: spam\ndata:\n  class: FeedbackItems\n  scorecard: 1438\n  days: 30\n"
    (downloads / "spam.yaml").write_text(yaml_text)
    guessed = import_score_config(svc, downloads / "spam.yaml")
    assert svc.scorecard_of_score(guessed.score).name == "1438"
    assert any("data section's scorecard id" in n for n in guessed.notes)
    assert any("can't load on this machine" in n and "FeedbackItems" in n for n in guessed.notes)
    assert "Downloads" not in [c.name for c in svc.list_scorecards()]
    named = import_score_config(svc, downloads / "spam.yaml", scorecard="SMS Quality")
    assert svc.scorecard_of_score(named.score).name == "SMS Quality"  # created when missing
    beside = here / "cards"
    beside.mkdir()
    (beside / "scorecard.yaml").write_text("name: Messaging QA\nkey: messaging\nscores:\n  - name: Spam\n    key: spam\n")
    (beside / "spam.yaml").write_text(yaml_text)
    found = import_score_config(svc, beside / "spam.yaml")
    assert svc.scorecard_of_score(found.score).name == "Messaging QA" and not any("scorecard id" in n
                                                                                 for n in found.notes)
    (here / "orphan.yaml").write_text("name: Orphan\ndata:\n  class: InlineItems\n  items: [{a: 1}]\n")
    with pytest.raises(PlexusDatasetsError, match="--scorecard"):
        import_score_config(svc, here / "orphan.yaml")
    svc.close()


# --- 13. the label column -----------------------------------------------------------------------------


def test_a_missing_label_column_is_said_with_likely_ones(store, here):
    write_sms(here / "sms.csv")
    store.create_dataset("sms", "sms", score="spam", configuration={"class": "FileItems", "path": "sms.csv"})
    with pytest.warns(DataQualityWarning) as caught:
        profile = store.profile("sms")
    message = str(caught[0].message)
    assert "'Spam Detection'" in message and "the score's name" in message and "'v1' (2 values)" in message
    assert "label_column:" in message and "'v2'" not in message  # free text is not a likely label
    assert ProfileFacts.of(profile).answer_columns == ()
    labelled = store.create_version("sms", {"class": "FileItems", "path": "sms.csv", "label_column": "v1"},
                                    make_current=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        assert ProfileFacts.of(store.profile(labelled)).answer("v1").counts == {"ham": 6, "spam": 4}


# --- 14 and 11. evaluations -----------------------------------------------------------------------------


@pytest.fixture
def sms_dataset(store, here):
    write_sms(here / "sms.csv")
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv", "label_column": "v1"})
    store.profile("sms")
    return store


def test_predictions_without_ids_match_by_row_order_said_aloud(sms_dataset, here):
    pd.DataFrame({"prediction": [label for label, _ in SMS]}).to_csv(here / "preds.csv", index=False)
    report = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--predictions",
                                str(here / "preds.csv"), "--json").stdout)
    assert report["accuracy"] == 1.0 and report["matched_by"].startswith("row order")
    text = cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--predictions", str(here / "preds.csv")).stdout
    assert "Predictions matched by row order" in text
    pd.DataFrame({"prediction": ["ham"] * 3}).to_csv(here / "short.csv", index=False)
    short = cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--predictions", str(here / "short.csv"),
                    expect=1)
    assert "3 predictions for 10 rows" in short.output


def test_ids_unmatched_and_duplicated_are_counted(store, here):
    rows = [{"msg_id": f"m{i}", "v1": label, "v2": text} for i, (label, text) in enumerate(SMS)]
    pd.DataFrame(rows).to_csv(here / "ids.csv", index=False)
    store.create_dataset("sms", "ids", configuration={"class": "FileItems", "path": "ids.csv", "label_column": "v1"})
    preds = [{"msg_id": f"m{i}", "prediction": label} for i, (label, _) in enumerate(SMS[:8])]
    preds += [{"msg_id": "m0", "prediction": "spam"}, {"msg_id": "zz1", "prediction": "ham"},
              {"msg_id": "zz2", "prediction": "ham"}]
    pd.DataFrame(preds).to_csv(here / "preds.csv", index=False)
    cli_run(here, "evaluate", "accuracy", "--dataset", "ids", "--predictions", str(here / "preds.csv"), expect=1)
    report = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "ids", "--predictions",
                                str(here / "preds.csv"), "--id-column", "msg_id", "--json").stdout)
    assert (report["unmatched_predictions"], report["duplicate_prediction_ids"]) == (2, 1)
    assert report["total"] == 8 and report["without_prediction"] == 2 and report["accuracy"] == 1.0  # first m0 used
    text = cli_run(here, "evaluate", "accuracy", "--dataset", "ids", "--predictions", str(here / "preds.csv"),
                   "--id-column", "msg_id").stdout
    assert "2 prediction id(s) not in the data" in text and "1 prediction id(s) listed more than once" in text


def test_labels_that_differ_only_in_case_get_a_hint_and_an_opt_in(sms_dataset, here):
    pd.DataFrame({"prediction": [label.upper() for label, _ in SMS]}).to_csv(here / "upper.csv", index=False)
    text = cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--predictions", str(here / "upper.csv")).stdout
    assert "Accuracy: 0.0000" in text and "differ only in case" in text and "--normalize-labels" in text
    normalized = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--predictions",
                                    str(here / "upper.csv"), "--normalize-labels", "--json").stdout)
    assert normalized["accuracy"] == 1.0 and "hints" not in normalized


def test_a_sampled_evaluation_reports_its_seed_and_never_replaces_the_profile(sms_dataset, here):
    svc = sms_dataset
    text = cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--number-of-samples", "4", "--scorer",
                   "sms_scorer_for_test:predict", expect=1).output
    assert "sms_scorer_for_test" in text  # not there yet
    (here / "sms_scorer_for_test.py").write_text("def predict(batch):\n    return ['ham'] * len(batch)\n")
    report = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--number-of-samples", "4",
                                "--scorer", "sms_scorer_for_test:predict", "--json").stdout)
    assert report["rows"] == 4 and report["population"] == 10 and isinstance(report["seed"], int)
    assert report["profile_kind"] == "sample"
    again = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--number-of-samples", "4",
                               "--scorer", "sms_scorer_for_test:predict", "--random-seed", str(report["seed"]),
                               "--json").stdout)
    assert again["correct"] == report["correct"] and again["seed"] == report["seed"]
    sample = [p for p in svc.list_profiles("sms") if p.id == report["profile_id"]][0]
    subject = sample.record_counts["subject"]
    assert (subject["kind"], subject["rows"], subject["population"], subject["seed"], subject["purpose"]) == (
        "sample", 4, 10, report["seed"], "evaluation")
    assert ProfileFacts.of(svc.latest_profile("sms:v1")).rows == 10
    listed = json.loads(cli_run(here, "datasets", "list", "--json").stdout)
    assert [row["records"] for row in listed if row["name"] == "sms"] in ([10], ["10 (v1)"])
    text = cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--number-of-samples", "4", "--scorer",
                   "sms_scorer_for_test:predict").stdout
    assert "a sample of 4 of 10 rows (seed " in text


# --- 16. load previews -----------------------------------------------------------------------------------


def test_load_without_out_prints_a_preview(sms_dataset, here):
    text = cli_run(here, "load", "sms", "--head", "3").stdout
    assert text.startswith("sms:v1: 10 rows x 5 columns") and "v1 (" in text
    assert "Go until jurong point" in text and "I'm gonna be home soon" not in text
    assert "--out FILE.parquet" in text


def test_a_latin1_file_loads_with_its_encoding(store, here):
    write_sms(here / "latin.csv", [("ham", "Café crème à 5e"), *SMS[1:]], encoding="latin-1")
    store.create_dataset("sms", "latin", configuration={"class": "FileItems", "path": "latin.csv"})
    with pytest.raises(LoaderError, match="encoding: "):
        store.load("latin")
    store.create_version("latin", {"class": "FileItems", "path": "latin.csv", "encoding": "latin-1"},
                         make_current=True)
    assert store.load("latin")["v2"][0] == "Café crème à 5e"


def test_profile_history_and_compare_in_the_cli_ignore_samples(sms_dataset, here):
    svc = sms_dataset
    version = svc.resolve("sms")
    frame = svc.load(version)
    svc.profile_frame(version, frame.head(3), population=len(frame), seed=1, purpose="evaluation")
    compared = json.loads(cli_run(here, "profiles", "compare", "sms:v1", "sms:v1", "--json").stdout)
    assert compared["rows_a"] == compared["rows_b"] == 10  # the full profile, not the newer 3-row sample
    assert compared["subject_a"]["kind"] == compared["subject_b"]["kind"] == "full"
    history = json.loads(cli_run(here, "profiles", "history", "sms", "--json").stdout)
    assert [row["subject"] for row in history] == ["full", "sample 3/10 seed 1"]
    assert ProfileFacts.of(svc.latest_profile("sms")).rows == 10


def test_compare_without_a_full_profile_names_the_cli_command(store, here):
    store.create_dataset("sms", "inline", configuration={"class": "InlineItems", "items": [{"v1": "ham"}]})
    said = cli_run(here, "profiles", "compare", "inline:v1", "inline:v1", expect=1)
    assert "plexus-datasets profiles record inline:v1" in said.output


def test_scorer_modules_are_imported_from_the_working_directory(sms_dataset, here):
    (here / "cwd_scorer_xyz.py").write_text(textwrap.dedent("""\
        def predict(batch):
            return ["spam" if "win" in str(t).lower() else "ham" for t in batch["v2"]]
    """))
    report = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--scorer",
                                "cwd_scorer_xyz:predict", "--json").stdout)
    assert report["total"] == 10 and report["matched_by"] == "scorer"


# --- review follow-ups --------------------------------------------------------------------------


def test_a_fresh_build_that_differs_from_the_profile_is_said_without_a_cache(store, here, monkeypatch):
    write_sms(here / "sms.csv")
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv", "label_column": "v1"})
    store.profile("sms")
    write_sms(here / "sms.csv", SMS[:7])
    teammate = connect(str(here / "store.db"))  # another machine: an empty cache of its own
    monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(here / "teammate-cache"))
    with pytest.warns(StaleDataWarning, match=r"sms:v1 differs from what its newest full profile .*10 rows; now 7"):
        assert len(teammate.load("sms")) == 7
    said = cli_run(here, "load", "sms", "--fresh", "--out", str(here / "x.csv"))  # rebuilt here too: said again
    assert "Warning: The data of sms:v1 differs" in said.stderr and "profiles record sms:v1" in said.stderr
    teammate.close()


def test_a_glob_of_many_files_profiles_with_its_sources_as_a_digest(store, here):
    (here / "many").mkdir()
    for i in range(1500):
        (here / "many" / f"part-{i:04}.csv").write_text(f"v1,v2\nham,message {i}\n")
    store.create_dataset("sms", "many", configuration={"class": "FileItems", "path": "many/*.csv", "label_column": "v1"})
    profile = store.profile("many")
    snapshot = profile.record_counts["subject"]["snapshot"]
    assert snapshot["source_count"] == 1500 and snapshot["rows"] == 1500
    assert len(json.dumps(profile.record_counts)) < 20_000


def test_evaluation_samples_after_matching_and_normalizes_float_ids(store, here):
    rows = [{"msg_id": i if i != 3 else None, "v1": label, "v2": text} for i, (label, text) in enumerate(SMS)]
    pd.DataFrame(rows).to_csv(here / "ids.csv", index=False)  # one blank id: the column reads as floats
    store.create_dataset("sms", "ids", configuration={"class": "FileItems", "path": "ids.csv", "label_column": "v1"})
    pd.DataFrame({"msg_id": [str(i) for i in range(10) if i != 3],
                  "prediction": [label for i, (label, _) in enumerate(SMS) if i != 3]}).to_csv(here / "p.csv",
                                                                                              index=False)
    report = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "ids", "--predictions",
                                str(here / "p.csv"), "--id-column", "msg_id", "--json").stdout)
    assert report["total"] == 9 and report["accuracy"] == 1.0 and report["unmatched_predictions"] == 0
    sampled = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "ids", "--predictions",
                                 str(here / "p.csv"), "--id-column", "msg_id", "--number-of-samples", "3",
                                 "--random-seed", "5", "--json").stdout)
    assert sampled["rows"] == 3 and sampled["unmatched_predictions"] == 0  # counted against the whole data
    pd.DataFrame({"prediction": [label for label, _ in SMS]}).to_csv(here / "ordered.csv", index=False)
    store.create_dataset("sms", "plain", configuration={"class": "FileItems", "path": "sms.csv", "label_column": "v1"},
                         check=False)
    write_sms(here / "sms.csv")
    by_order = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "plain", "--predictions",
                                  str(here / "ordered.csv"), "--number-of-samples", "4", "--json").stdout)
    assert by_order["rows"] == 4 and by_order["accuracy"] == 1.0 and by_order["matched_by"].startswith("row order")


def test_a_cp1252_predictions_file_says_where_and_reads_with_its_encoding(sms_dataset, here):
    (here / "p.csv").write_bytes(("prediction,comment\n" + "".join(f"{label},caf\u00e9\n" for label, _ in SMS))
                                 .encode("cp1252"))
    failed = cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--predictions", str(here / "p.csv"), expect=1)
    assert "line 2" in failed.output and "encoding" in failed.output
    report = json.loads(cli_run(here, "evaluate", "accuracy", "--dataset", "sms", "--predictions",
                                str(here / "p.csv"), "--predictions-encoding", "cp1252", "--json").stdout)
    assert report["accuracy"] == 1.0


def test_an_import_after_a_revert_says_the_dataset_now_counts_as_pinned(store, here):
    write_sms(here / "sms.csv")
    folder = here / "SMS"
    folder.mkdir()
    score = folder / "spam.yaml"
    results = []
    for label in ("v1", "v2", "v1", "v2 "):  # A, B, A again (a revert), then C
        score.write_text(f"name: Spam Detection\nkey: spam\ndata:\n  class: FileItems\n  path: sms.csv\n"
                         f"  label_column: {label!r}\n")
        results.append(import_score_config(store, score))
    assert "later imports will treat it as pinned" in results[2].notes[0]  # said when it happens...
    assert results[3].version.version_number == 3 and "pinned" in results[3].notes[0]  # ...and again after
    assert "`plexus-datasets versions set-current 'Spam Detection:v3'`" in results[3].notes[0]
    assert store.current_version("Spam Detection").version_number == 1


def test_a_scorecard_yaml_listing_another_score_of_the_same_name_is_not_used(here):
    svc = connect(str(here / "cards.db"))
    (here / "cards").mkdir()
    (here / "cards" / "billing.yaml").write_text("name: Billing QA\nscores:\n  - name: Greeting\n"
                                                 "    key: billing-greeting\n")
    (here / "cards" / "greeting.yaml").write_text("name: Greeting\nkey: support-greeting\ndata:\n"
                                                  "  class: InlineItems\n  items: [{a: 1}]\n")
    with pytest.raises(PlexusDatasetsError, match="--scorecard"):
        import_score_config(svc, here / "cards" / "greeting.yaml")
    assert [c.name for c in svc.list_scorecards()] == []
    svc.close()


def test_make_current_that_loses_a_race_says_the_version_exists(store, here):
    write_sms(here / "sms.csv")
    ds = store.create_dataset("sms", "race", configuration={"class": "FileItems", "path": "sms.csv"})
    other = connect(str(here / "store.db"))
    v2 = other.create_version("race", {"class": "FileItems", "path": "sms.csv", "label_column": "v1"})

    class Racing:  # another writer moves the pointer between our read and our compare-and-set
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def update(self, model, id, changes, condition=None):
            if model == "Dataset" and condition:
                other.set_current_version("race", v2)
            return self.inner.update(model, id, changes, condition=condition)

    from plexus_datasets.service import DatasetService

    racing = DatasetService(Racing(store.backend))
    with pytest.raises(PlexusDatasetsError, match=r"race:v3 was created \(or found\), but it was not made current"):
        racing.create_version(ds, {"class": "FileItems", "path": "sms.csv", "format": "csv"}, make_current=True)
    assert [v.version_number for v in store.list_versions(ds)] == [1, 2, 3]
    assert store.current_version(ds).id == v2.id
    other.close()


# --- a newcomer's trial ---------------------------------------------------------------------------


def test_what_a_newcomer_tripped_on_is_said_plainly(store, here):
    write_sms(here / "sms.csv", [*SMS, ("ham", "short")])
    with open(here / "sms.csv", "a") as f:
        f.write("ham\n")  # one row with too few fields
    score = here / "Spam.yaml"
    score.write_text("name: Spam\nclass: LangGraphScore\ndata:\n  class: FileItems\n  path: sms.csv\n"
                     "  label_column: v1\n")
    whole = cli_run(here, "datasets", "create", "--scorecard", "sms", "--name", "t", "--config", str(score), expect=1)
    assert "whole Plexus score YAML" in whole.output and "import score-config" in whole.output
    (here / "plexus.yaml").write_text("class: FeedbackItems\ndays: 30\n")
    elsewhere = cli_run(here, "datasets", "create", "--scorecard", "sms", "--name", "t", "--config",
                        str(here / "plexus.yaml"), expect=1)
    assert "--no-check" in elsewhere.output
    (here / "scorer_newcomer.py").write_text("def predict(batch):\n    return ['ham'] * len(batch)\n"
                                             "def boom(batch):\n    raise RuntimeError('model server down')\n")
    legacy = json.loads(cli_run(here, "evaluate", "accuracy", "--score-config", str(score), "--scorer",
                                "scorer_newcomer:predict", "--json").stdout)
    assert legacy["label_column"] == "v1"  # the data: section's own label_column
    boom = cli_run(here, "evaluate", "accuracy", "--score-config", str(score), "--scorer", "scorer_newcomer:boom",
                   expect=1)
    assert "RuntimeError: model server down" in boom.output and "Traceback" not in boom.output
    typo = cli_run(here, "evaluate", "accuracy", "--score-config", str(score), "--scorer", "scorer_newcomer:predcit",
                   expect=1)
    assert "Did you mean 'predict'?" in typo.output
    case = cli_run(here, "evaluate", "accuracy", "--score-config", str(score), "--scorer", "scorer_newcomer:predict",
                   "--label-column", "V1", expect=1)
    assert "Did you mean 'v1'?" in case.output
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv", "label_column": "v1"})
    first, again = (cli_run(here, "load", "sms", "--head", "0") for _ in range(2))
    assert "fewer fields" in first.stderr and "fewer fields" in again.stderr  # the cached load says it too
    assert "said when sms:v1 was built" in again.stderr
    (here / "v2.yaml").write_text("class: FileItems\npath: sms.csv\n")
    made = cli_run(here, "versions", "create", "sms", "--config", str(here / "v2.yaml")).output
    assert "the current version is still v1" in made and "--current" in made
    refused = cli_run(here, "datasets", "delete", "sms", expect=1)  # refused before asking anything
    assert "--cascade" in refused.output and "?" not in refused.output.splitlines()[0][:-1]


def test_files_stacked_with_other_columns_or_named_twice_are_said(store, here):
    write_sms(here / "sms.csv")
    pd.DataFrame({"content_id": [1, 2], "prediction": ["ham", "spam"]}).to_csv(here / "preds.csv", index=False)
    store.create_dataset("sms", "mixed", configuration={"class": "FileItems", "path": ["sms.csv", "preds.csv"]})
    with pytest.warns(DataQualityWarning, match=r"1 of 2 files have other columns .*preds\.csv.*missing v1"):
        store.load("mixed")
    store.create_dataset("sms", "twice", configuration={"class": "FileItems", "path": ["sms.csv", "*.csv"]},
                         check=False)
    (here / "preds.csv").unlink()
    with pytest.warns(DataQualityWarning, match="matched more than one path; each file is read once"):
        assert len(store.load("twice")) == 10


def test_a_cached_entrys_warnings_reach_the_terminal_without_control_characters(store, here):
    write_sms(here / "sms.csv", [*SMS, ("ham", "x")])
    with open(here / "sms.csv", "a") as f:
        f.write("ham\n")
    store.create_dataset("sms", "sms", configuration={"class": "FileItems", "path": "sms.csv"})
    store.load("sms")
    version = store.resolve("sms")
    _, manifest = store.cache.paths(version.id, version.digest)
    meta = json.loads(manifest.read_text())
    meta["warnings"] = ["\x1b[2J\x1b[Hall good\x07"]  # a mirrored manifest is someone else's file
    manifest.write_text(json.dumps(meta))
    with pytest.warns(DataQualityWarning) as caught:
        store.load("sms")
    said = [str(w.message) for w in caught]
    assert any("all good" in m for m in said) and not any("\x1b" in m or "\x07" in m for m in said)
