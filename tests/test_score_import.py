"""Score configurations stored in Plexus's API import like files: a score's champion ScoreVersion
YAML becomes its dataset's versions (``svc.import_score``, ``plexus-datasets import score``).
Against the stand-in in Plexus's schema; raw documents play Plexus's dashboard."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from plexus_datasets.backends.graphql import GraphQLBackend, RetryPolicy
from plexus_datasets.backends.plexus import PlexusBackend
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.cli import cli
from plexus_datasets.configs import IMPORT_NOTE
from plexus_datasets.errors import (
    AmbiguousReferenceError,
    ConfigurationError,
    CorruptRecordError,
    NotFoundError,
    ValidationError,
)
from plexus_datasets.formats import parse_yaml
from plexus_datasets.importer import import_score_config
from plexus_datasets.loaders import TrustPolicy
from plexus_datasets.server import create_app
from plexus_datasets.service import DatasetService
from tests.conftest import API_KEY, PLEXUS_ACCOUNT_KEY, create_account, plexus_transport
from tests.servers import ThreadedServer

MODELS = ("Account", "Scorecard", "ScorecardSection", "Score", "ScoreVersion", "DataSource", "DataSourceVersion",
          "DataSet")

GREETING = """\
# The Greeting score, as Plexus's dashboard keeps it
name: Greeting
key: greeting
class: LangGraphScore
item:
  processors:
    - class: RemoveSpeakerIdentifiersTranscriptFilter
      parameters: {}
data:
  class: FeedbackItems
  scorecard: cc-qa
  score: Greeting
  days: DAYS
"""


def greeting_yaml(days: int) -> str:
    return GREETING.replace("DAYS", str(days))


from tests.test_plexus_backend import account, raw, url  # noqa: E402,F401  (the stand-in, Plexus's side, an account)


@pytest.fixture
def svc(url: str, account: str, tmp_path: Path) -> Iterator[DatasetService]:
    service = DatasetService(PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY),
                             trust=TrustPolicy.of(data_roots=[tmp_path]))
    yield service
    service.close()


@pytest.fixture
def greeting(svc: DatasetService):
    card = svc.create_scorecard("Call Center QA", key="cc-qa")
    return svc.create_score(svc.create_section(card, "Compliance"), "Greeting", key="greeting")


def make_champion(raw, score_id: str, text: str) -> str:
    """A new ScoreVersion of the score, made its champion, as Plexus's dashboard does; its id."""
    version = raw.execute("mutation V($input: CreateScoreVersionInput!) { createScoreVersion(input: $input) { id } }",
                          {"input": {"scoreId": score_id, "configuration": text, "isFeatured": "true"}})
    version_id = version["createScoreVersion"]["id"]
    raw.execute("mutation S($input: UpdateScoreInput!) { updateScore(input: $input) { id } }",
                {"input": {"id": score_id, "championVersionId": version_id}})
    return version_id


def everything(raw) -> dict[str, list[tuple[str, str]]]:
    """Every record of every model, by (id, updatedAt): what a write would change."""
    out = {}
    for model in MODELS:
        items, token = [], None
        while True:
            page = raw.execute(f"query L($t: String) {{ list{model}s(limit: 1000, nextToken: $t) "
                               "{ items { id updatedAt } nextToken } }", {"t": token})[f"list{model}s"]
            items += [(i["id"], i["updatedAt"]) for i in page["items"]]
            token = page["nextToken"]
            if token is None:
                break
        out[model] = sorted(items)
    return out


# --- importing a score's champion configuration -------------------------------------------------

def test_a_scores_champion_configuration_imports_like_its_file(svc, raw, greeting):
    champion = make_champion(raw, greeting.id, greeting_yaml(30))
    assert svc.score_configuration("greeting") == greeting_yaml(30)  # the text as stored
    result = svc.import_score("greeting")
    assert (result.action, result.dataset.name, result.version.version_number) == ("created", "Greeting", 1)
    assert result.dataset.score_id == greeting.id and result.version.note == IMPORT_NOTE
    assert result.version.configuration == {  # data:, with the score's item: beside class: (as a DataSource has it)
        "class": "FeedbackItems", "scorecard": "cc-qa", "score": "Greeting", "days": 30,
        "item": {"processors": [{"class": "RemoveSpeakerIdentifiersTranscriptFilter", "parameters": {}}]}}
    assert any("can't load on this machine" in note for note in result.notes)  # no Plexus here: said, not refused
    source = raw.execute("query D($id: ID!) { getDataSource(id: $id) { scoreId yamlConfiguration } }",
                         {"id": result.dataset.id})["getDataSource"]
    assert source["scoreId"] == greeting.id and parse_yaml(source["yamlConfiguration"])["days"] == 30
    assert champion not in json.dumps(result.version.configuration)

    before = everything(raw)
    again = svc.import_score("Greeting")
    assert (again.action, again.version.id) == ("unchanged", result.version.id)
    assert everything(raw) == before  # re-importing unchanged content writes nothing


def test_a_new_champion_is_the_next_version_and_an_old_one_its_version_again(svc, raw, greeting):
    first = make_champion(raw, greeting.id, greeting_yaml(30))
    svc.import_score("greeting")
    make_champion(raw, greeting.id, greeting_yaml(60))
    changed = svc.import_score("greeting")
    assert (changed.action, changed.version.version_number) == ("new-version", 2)
    assert changed.version.configuration["days"] == 60 and svc.current_version("Greeting").version_number == 2
    raw.execute("mutation S($input: UpdateScoreInput!) { updateScore(input: $input) { id } }",
                {"input": {"id": greeting.id, "championVersionId": first}})  # rolled back in Plexus
    back = svc.import_score("greeting")
    assert (back.action, back.version.version_number) == ("existing-version", 1)
    assert svc.current_version("Greeting").version_number == 1 and "pinned" in back.notes[-1]
    assert [v.version_number for v in svc.list_versions("Greeting")] == [1, 2]


def test_the_cli_imports_a_score_through_the_api(url, raw, svc, greeting, monkeypatch):
    make_champion(raw, greeting.id, greeting_yaml(30))
    monkeypatch.setenv("PLEXUS_ACCOUNT_KEY", PLEXUS_ACCOUNT_KEY)
    runner = CliRunner()
    base = ["--api-url", url, "--api-key", API_KEY, "import", "score"]
    made = runner.invoke(cli, [*base, "Call Center QA/Greeting", "--json"])
    assert made.exit_code == 0, made.output
    assert [(r["score"], r["action"], r["dataset"], r["version"]) for r in json.loads(made.stdout)] == [
        ("Greeting", "created", "Greeting", "v1")]
    same = runner.invoke(cli, [*base, "greeting", "--scorecard", "cc-qa"], env={"COLUMNS": "200"})
    assert same.exit_code == 0 and "unchanged" in same.output
    missing = runner.invoke(cli, [*base, "Gretting"])
    assert missing.exit_code == 1 and "Error: No score 'Gretting'" in missing.output and "Greeting" in missing.output


# --- which score ----------------------------------------------------------------------------------

def test_scores_by_id_key_name_or_scorecard_slash_name(svc, raw, greeting):
    other_card = svc.create_scorecard("Sales QA", key="sales-qa")
    other = svc.create_score(svc.create_section(other_card, "Opening"), "Greeting", key="sales-greeting")
    make_champion(raw, greeting.id, greeting_yaml(30))
    make_champion(raw, other.id, greeting_yaml(7))
    with pytest.raises(AmbiguousReferenceError, match="name it as SCORECARD/SCORE") as info:
        svc.import_score("Greeting")
    assert sorted(info.value.candidates) == ["Call Center QA/Greeting", "Sales QA/Greeting"]
    assert svc.import_score("Sales QA/Greeting").version.configuration["days"] == 7
    assert svc.import_score("Greeting", scorecard="cc-qa").version.configuration["days"] == 30
    assert svc.import_score(other.id).action == "unchanged"
    with pytest.raises(NotFoundError, match="No score 'Greting'") as missing:
        svc.import_score("Greting")
    assert "Greeting" in missing.value.candidates


# --- what is refused --------------------------------------------------------------------------------

def test_no_champion_or_no_data_section_is_a_clear_error_and_writes_nothing(svc, raw, greeting):
    before = everything(raw)
    with pytest.raises(NotFoundError, match="Score 'Greeting' has no champion version .* Choose its champion version "
                                            "in Plexus's dashboard, or import the score's YAML file"):
        svc.import_score("greeting")
    assert everything(raw) == before
    version = make_champion(raw, greeting.id, "name: Greeting\nclass: LangGraphScore\n")
    before = everything(raw)
    with pytest.raises(ValidationError, match=f"score 'Greeting' \\(champion ScoreVersion {version}\\) has no "
                                              "`data:` section"):
        svc.import_score("greeting")
    assert everything(raw) == before


def test_a_champion_that_is_gone_or_another_scores_is_corrupt(svc, raw, greeting):
    other = svc.create_score(svc.list_sections("cc-qa")[0], "Tone", key="tone")
    theirs = make_champion(raw, other.id, greeting_yaml(1))
    raw.execute("mutation S($input: UpdateScoreInput!) { updateScore(input: $input) { id } }",
                {"input": {"id": greeting.id, "championVersionId": theirs}})
    with pytest.raises(CorruptRecordError, match="which is another score's"):
        svc.import_score("greeting")
    raw.execute("mutation S($input: UpdateScoreInput!) { updateScore(input: $input) { id } }",
                {"input": {"id": greeting.id, "championVersionId": "no-such-version"}})
    with pytest.raises(CorruptRecordError, match="'no-such-version', which does not exist"):
        svc.import_score("greeting")


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))


@pytest.mark.parametrize("text, error, match", [
    ("name: Greeting\ndata: !!python/object/apply:os.system ['touch {marker}']\n", ConfigurationError,
     "could not determine a constructor for the tag"),
    ("name: Greeting\ndata:\n  class: FeedbackItems\n  days: 30\n  days: 60\n", ConfigurationError, "uplicate"),
    ("name: Greeting\n" + BOMB + "data:\n  class: FeedbackItems\n", ConfigurationError, "aliases expand to more"),
    ("- name: Greeting\n", ConfigurationError, "must be a mapping"),
    ("name: Greeting\ndata:\n  class: InlineItems\n  items:\n" + ("    - {text: '" + "x" * 300 + "'}\n") * 1000,
     ValidationError, "over the 262,144-byte limit"),
    ("name: Greeting\ndata: [class, FeedbackItems]\n", ConfigurationError, "must be a mapping"),
])
def test_hostile_score_yaml_is_refused_cleanly_and_writes_nothing(svc, raw, greeting, tmp_path, text, error, match):
    marker = tmp_path / "RAN"
    version = make_champion(raw, greeting.id, text.replace("{marker}", str(marker)))
    before = everything(raw)
    with pytest.raises(error, match=match) as info:
        svc.import_score("greeting")
    assert f"score 'Greeting' (champion ScoreVersion {version})" in str(info.value)
    assert everything(raw) == before and not marker.exists()


def test_score_yaml_over_the_size_limit_is_not_parsed(svc, greeting):
    from plexus_datasets.configs import MAX_SCORE_YAML_BYTES

    huge = "name: Greeting\ndata:\n  class: FeedbackItems\n# " + "x" * MAX_SCORE_YAML_BYTES + "\n"
    with pytest.raises(ValidationError, match="The score YAML is .* bytes, over the 1,048,576-byte limit"):
        svc.import_score("greeting", configuration=huge)
    assert svc.list_datasets() == []


def test_a_class_outside_the_trusted_namespaces_is_stored_but_never_imported(svc, raw, greeting):
    make_champion(raw, greeting.id, "name: Greeting\ndata:\n  class: antigravity.Fly\n")
    result = svc.import_score("greeting")
    assert result.action == "created" and "antigravity" not in sys.modules
    assert any("does not trust" in note for note in result.notes)


def test_another_accounts_score_is_absent(svc, raw, url, greeting):
    make_champion(raw, greeting.id, greeting_yaml(30))
    create_account(raw, "stranger")
    with DatasetService(PlexusBackend(plexus_transport(url), account_key="stranger")) as stranger:
        with pytest.raises(NotFoundError, match="No score 'greeting'"):
            stranger.import_score("greeting")
        with pytest.raises(NotFoundError):
            stranger.backend.score_configuration(greeting.id)


def test_stores_that_keep_no_score_configurations_say_how_to_import_instead(tmp_path):
    served = SQLBackend(str(tmp_path / "served.db"))
    stores = [SQLBackend("sqlite:///:memory:")]
    with ThreadedServer(create_app(served, API_KEY)) as server:
        stores.append(GraphQLBackend(server.url, API_KEY, retry=RetryPolicy(max_attempts=2, max_elapsed=5)))
        for backend in stores:
            with DatasetService(backend) as svc:
                card = svc.create_scorecard("Call Center QA", key="cc-qa")
                svc.create_score(svc.create_section(card, "Compliance"), "Greeting", key="greeting")
                for call in (lambda: svc.import_score("greeting"), lambda: svc.score_configuration("greeting")):
                    with pytest.raises(ValidationError, match="keeps no score configurations: only Plexus's API "
                                                              "does .* `plexus-datasets import score-config FILE`"):
                        call()
    served.close()


# --- the score's item: section, from a file too -------------------------------------------------------

def test_a_score_files_item_section_joins_its_dataset(tmp_path):
    with DatasetService(SQLBackend("sqlite:///:memory:"), trust=TrustPolicy.of(data_roots=[tmp_path])) as svc:
        path = tmp_path / "Greeting.yaml"
        path.write_text(greeting_yaml(30), encoding="utf-8")
        plexus = import_score_config(svc, path, scorecard="Call Center QA")
        assert plexus.version.configuration["item"]["processors"][0]["class"] == \
            "RemoveSpeakerIdentifiersTranscriptFilter"
        (tmp_path / "calls.csv").write_text("text,Tone\nhi,Yes\n", encoding="utf-8")
        path = tmp_path / "Tone.yaml"
        path.write_text("name: Tone\nitem:\n  processors: []\ndata:\n  class: FileItems\n  path: calls.csv\n",
                        encoding="utf-8")
        built_in = import_score_config(svc, path, scorecard="Call Center QA")
        assert "item" not in built_in.version.configuration and built_in.action == "created"
        assert any("item: section is not part of the dataset" in note for note in built_in.notes)
