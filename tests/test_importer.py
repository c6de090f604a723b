"""Importing Plexus score and scorecard YAML (backwards compatibility)."""

import textwrap
from pathlib import Path

import pytest

from plexus_datasets import ConfigurationError, NotFoundError, ValidationError, connect
from plexus_datasets.importer import import_score_config, import_scorecard, read_score_config
from tests.test_service import snapshot

EXAMPLES = Path(__file__).resolve().parent / "data" / "plexus"  # copies of ../shared/examples/plexus (MIT)

FEEDBACK_SCORE = textwrap.dedent("""\
    name: Agent Misrepresentation
    key: agent-misrepresentation
    id: "45813"
    version: 8946e945-68c1-4f41-a94c-bf3c279c2113
    class: LangGraphScore
    model_provider: ChatOpenAI
    graph:
      - name: misrepresentation_analysis
        class: Classifier
        valid_classes: ["Yes", "No"]
    data:
      class: FeedbackItems
      scorecard: 1438
      score: Agent Misrepresentation
      days: 180
      limit: 200
      limit_per_cell: 50
      balance: false
      processors:
        - class: ColumnDatasetFilter
          parameters:
            filter-type: include
            columns: [text, Agent Misrepresentation]
        - class: ByColumnValueDatasetFilter
          parameters:
            filter-type: exclude
            column-name: Agent Misrepresentation
            value: "NA"
""")

FIXED_SCORE = textwrap.dedent("""\
    name: Greeting
    key: greeting
    id: "4501"
    class: Score
    label_field: Valid
    data:
      type: fixed
      items:
        - {text: "Thanks for calling Acme", Greeting Valid: "Yes", content_id: 1}
        - {text: "What do you want", Greeting Valid: "No", content_id: 2}
        - {text: "Hello, Acme support here", Greeting Valid: "Yes", content_id: 3}
""")


@pytest.fixture
def svc(tmp_path):
    service = connect(str(tmp_path / "import.db"))
    yield service
    service.close()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_score_config_round_trip_and_reimport(svc, tmp_path):
    path = write(tmp_path / "scorecards" / "Call Criteria", "Agent Misrepresentation.yaml", FEEDBACK_SCORE)
    result = import_score_config(svc, path)
    assert result.action == "created"
    assert result.version.version_number == 1
    import yaml
    assert result.version.configuration == yaml.safe_load(FEEDBACK_SCORE)["data"]  # verbatim
    card = svc.get_scorecard("Call Criteria")  # from the folder name...
    assert card.external_id == "1438"  # ...with Plexus's id from data.scorecard
    assert (result.score.key, result.score.external_id, result.score.type) == (
        "agent-misrepresentation", "45813", "LangGraphScore")
    assert svc.label_column(result.dataset) == "Agent Misrepresentation"

    before = snapshot(svc)
    again = import_score_config(svc, path)
    assert again.action == "unchanged" and again.version.id == result.version.id
    assert snapshot(svc) == before  # re-importing an unchanged file writes nothing

    path.write_text(FEEDBACK_SCORE.replace("days: 180", "days: 90"))
    changed = import_score_config(svc, str(path))
    assert changed.action == "new-version" and changed.version.version_number == 2
    assert changed.version.configuration["days"] == 90
    assert svc.current_version(changed.dataset).version_number == 2  # it followed the YAML
    assert [c.path_text for c in svc.diff_versions(f"{result.dataset.id}:1", f"{result.dataset.id}:2")] == ["days"]


def test_pinned_current_version_is_left_alone(svc, tmp_path):
    path = write(tmp_path / "Call Criteria", "score.yaml", FEEDBACK_SCORE)
    first = import_score_config(svc, path)
    path.write_text(FEEDBACK_SCORE.replace("days: 180", "days: 90"))
    import_score_config(svc, path)
    svc.set_current_version(first.dataset, 1)  # rolled back on purpose
    path.write_text(FEEDBACK_SCORE.replace("days: 180", "days: 30"))
    third = import_score_config(svc, path)
    assert third.version.version_number == 3 and svc.current_version(first.dataset).version_number == 1


def test_fixed_items_import_loads_and_profiles(svc, tmp_path):
    result = import_score_config(svc, FIXED_SCORE, scorecard=svc.create_scorecard("QA", key="qa"))
    assert svc.label_column(result.dataset) == "Greeting Valid"
    frame = svc.load("Greeting")
    assert frame["Greeting Valid"].tolist() == ["Yes", "No", "Yes"]
    profile = svc.profile("Greeting")
    assert profile.answer_distribution["columns"]["Greeting Valid"]["counts"] == {"Yes": 2, "No": 1}
    assert svc.latest_profile("Greeting").id == profile.id


def test_text_without_a_scorecard_is_refused(svc):
    before = snapshot(svc)
    with pytest.raises(ValidationError, match="Which scorecard"):
        import_score_config(svc, FIXED_SCORE)  # text has no folder, and fixed data names no scorecard
    assert snapshot(svc) == before


def test_bad_score_yaml(svc, tmp_path):
    with pytest.raises(ConfigurationError, match="line 2"):
        import_score_config(svc, "name: X\n  bad: [", scorecard=svc.create_scorecard("QA"))
    with pytest.raises(NotFoundError, match="No such file"):
        import_score_config(svc, tmp_path / "missing.yaml")


def test_scorecard_folder(svc, tmp_path):
    folder = tmp_path / "scorecards" / "Call Criteria"
    write(folder, "agent.yaml", FEEDBACK_SCORE)
    write(folder, "greeting.yaml", FIXED_SCORE)
    results = import_scorecard(svc, folder)
    assert sorted(r.action for r in results) == ["created", "created"]
    assert [d.name for d in svc.list_datasets("Call Criteria")] == ["Agent Misrepresentation", "Greeting"]
    assert [r.action for r in import_scorecard(svc, folder)] == ["unchanged", "unchanged"]


def test_real_plexus_scorecards():
    svc = connect(":memory:")
    results = import_scorecard(svc, EXAMPLES / "test_scorecard.yaml")
    assert [(r.score.name, r.action) for r in results] == [("TestScore", "created")]
    assert [s.name for s in svc.list_sections("test_scorecard")] == ["Test Section"]
    assert svc.load("TestScore")["TestScore Valid"].tolist() == ["Yes", "No"]
    complex_results = import_scorecard(svc, EXAMPLES / "test_scorecard_complex.yaml")
    assert len(complex_results) == 7 and {r.action for r in complex_results} == {"no-data"}
    card = svc.get_scorecard("complex-scorecard-external-id")
    assert card.key == "complex_dependency_scorecard"
    assert len(svc.list_scores(card)) == 7
    assert svc.get_score("branch-a-score-external-id").name == "Branch A Score"
    production = import_score_config(svc, EXAMPLES / "agent_misrepresentation_score.yaml", scorecard=card)
    assert production.version.configuration["class"] == "FeedbackItems"


def test_read_score_config_reads_identity_and_data(tmp_path):
    path = tmp_path / "Greeting.yaml"
    path.write_text("name: Greeting\nkey: greeting\ndata:\n  class: FeedbackItems\n  days: 30\n", encoding="utf-8")
    spec = read_score_config(path)
    assert (spec.name, spec.key, spec.data) == ("Greeting", "greeting", {"class": "FeedbackItems", "days": 30})
    with pytest.raises(NotFoundError, match="No such file"):
        read_score_config(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        read_score_config(latin)
