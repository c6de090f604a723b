"""display: every rendering escapes user text, and the text forms read as notebooks and the CLI show them."""

import html

import pandas as pd
import pytest

from plexus_datasets import display
from plexus_datasets.diff import compare_profiles, diff_configs
from plexus_datasets.evaluation import evaluate
from plexus_datasets.facts import ProfileFacts
from plexus_datasets.profiling import profile

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = html.escape(HOSTILE)


@pytest.fixture
def payloads():
    before = pd.DataFrame({HOSTILE: ["Yes"] * 7 + [HOSTILE] * 3, "text": [HOSTILE] * 10})
    after = pd.DataFrame({HOSTILE: ["Yes"] * 4 + [HOSTILE] * 6, "text": [HOSTILE] * 10})
    return profile(before, answer_columns=[HOSTILE]), profile(after, answer_columns=[HOSTILE])


def test_every_html_rendering_escapes_user_text(payloads):
    facts = ProfileFacts.of(payloads[0])
    rendered = {
        "config diff": display.diff_html(diff_configs({HOSTILE: HOSTILE}, {HOSTILE: [HOSTILE]}), HOSTILE, HOSTILE),
        "no differences": display.diff_html(diff_configs({}, {}), HOSTILE, HOSTILE),
        "comparison": display.comparison_html(compare_profiles(*payloads)),
        "profile summary": display.profile_summary_html(facts, None),
        "profile columns": display.profile_columns_html(facts),
        "problems": display.problems_html([HOSTILE]),
        "message": display.message_html("error", HOSTILE, title=HOSTILE),
        "browser": display.browser_html(["name", "records"], [{"name": HOSTILE, "records": 1200}], "name", False, 10),
    }
    for what, text in rendered.items():
        assert HOSTILE not in text, what
        assert ESCAPED in text or what == "profile summary", what
    assert "1,200" in rendered["browser"] and "▴" in rendered["browser"]
    assert "pds-band-DRIFT" in rendered["comparison"] and "+30.0 pp" in rendered["comparison"]
    assert display.plot_text(HOSTILE) == "&lt;img src=x onerror=alert(1)&gt;"


def test_reprs_read_as_in_the_notebooks(payloads):
    assert repr(diff_configs({"path": "a.csv"}, {"path": "b.csv", "balance": True})) == (
        "ConfigDiff(\n  changed  path: 'a.csv' -> 'b.csv'\n  added    balance: None -> True\n)")
    assert repr(diff_configs({"a": 1}, {"a": 1})) == "ConfigDiff(no differences)"
    comparison = compare_profiles(*payloads)
    shift = comparison.answers[0]
    assert repr(comparison) == (f"ProfileComparison(rows 10 -> 10 (+0.0%), drift DRIFT\n"
                                f"  {HOSTILE}: {HOSTILE} +30.0pp, Yes -30.0pp; JS {shift.js_distance:.3f}, "
                                f"PSI {shift.psi:.3f})")


def test_terminal_tables(payloads):
    empty = display.diff_table(diff_configs({"a": 1}, {"a": 1}), "calls:1", "calls:2")
    assert not empty.rows and empty.empty_text == "No differences between calls:1 and calls:2."
    assert display.TextTable(("a",), [], "Imported").empty_text == "(no imported)"
    parts = display.comparison_parts(compare_profiles(*payloads))
    assert parts[0] == "Records: 10 -> 10 (+0.0%); drift: DRIFT"
    shares = parts[1]
    assert shares.columns == ("class", "A %", "B %", "change (pp)")
    assert {row["class"]: row["change (pp)"] for row in shares.rows} == {HOSTILE: "+30.0", "Yes": "-30.0"}
    assert [row["drift"] for row in parts[2].rows] == ["DRIFT", "NO"]


def test_evaluation_report():
    labels = pd.Series(["Yes", "Yes", "No", None])
    result = evaluate(labels, pd.Series(["Yes", "No", "No", "Yes"]))
    report = {"dataset": "calls:v2", "label_column": "label", "rows": 4, "population": 4, "seed": None,
              "profile_id": "p-1", "profile_kind": "full", "matched_by": "the 'content_id' column",
              "unmatched_predictions": 2, "duplicate_prediction_ids": 0, "duplicate_data_ids": 1}
    lines = [p for p in display.evaluation_parts(report, result) if isinstance(p, str)]
    assert lines == ["Dataset: calls:v2", "Label column: label; rows: 4; evaluated: 3; without label: 1",
                     "Predictions matched by the 'content_id' column: 2 prediction id(s) not in the data; "
                     "1 id(s) repeated in the data.",
                     "Accuracy: 0.6667 (2/3)", "Recorded a profile (p-1) of the evaluated rows."]
    sampled = {**report, "rows": 2, "population": 40, "seed": 7, "profile_kind": "sample", "matched_by": "scorer"}
    lines = [p for p in display.evaluation_parts(sampled, result) if isinstance(p, str)]
    assert lines[1].startswith("Label column: label; a sample of 2 of 40 rows (seed 7; --random-seed 7 draws it")
    assert lines[-1] == "Recorded an evaluation-sample profile (p-1) of the evaluated rows."
    per_class, matrix = [p for p in display.evaluation_parts({**report, "profile_id": None}, result)
                         if not isinstance(p, str)]
    assert per_class.cells() == [["No", "0.5000", "1.0000", "1"], ["Yes", "1.0000", "0.5000", "2"]]
    assert matrix.cells() == [["No", "1", "0"], ["Yes", "1", "1"]] and matrix.right == ("No", "Yes")


def test_what_a_profile_describes_is_shown_and_escaped():
    frame = pd.DataFrame({"label": ["Yes", "No"] * 5})
    full = profile(frame, answer_columns=["label"])
    sample = profile(frame.head(4), answer_columns=["label"],
                     subject={"kind": "sample", "rows": 4, "population": 10, "seed": 3, "purpose": "evaluation"})
    comparison = compare_profiles(full, sample, labels=(HOSTILE, HOSTILE))
    html_text = display.comparison_html(comparison)
    assert HOSTILE not in html_text and f"Note: {ESCAPED} is a sample of 4 of 10 rows" in html_text
    assert display.comparison_parts(compare_profiles(full, sample))[1].startswith("Note: B is a sample of 4 of 10")
    header = display.profile_summary_html(ProfileFacts.of(sample), None, HOSTILE)
    assert HOSTILE not in header and f"Sample profile of {ESCAPED}: sample of 4 of 10 rows (seed 3" in header
    assert "Full profile of v2" in display.profile_summary_html(ProfileFacts.of(full), None, "v2")
    assert display.subject_text(ProfileFacts.of(sample).subject, short=True) == "sample 4/10 seed 3"
    assert display.profile_lines("Recorded", ProfileFacts.of(sample))[0] == (
        "Recorded: 4 rows, 1 columns; sample of 4 of 10 rows (seed 3, for an evaluation)")
    assert display.profile_lines("Recorded", ProfileFacts.of(full))[0] == "Recorded: 10 rows, 1 columns"


def test_text_rows_change_what_the_terminal_shows_not_the_data():
    table = display.TextTable(("n",), [{"n": 5572}], text_rows=[{"n": "5,572 (v1)"}])
    assert table.cells() == [["5,572 (v1)"]] and table.rows == [{"n": 5572}]
    assert display.TextTable(("n",), [{"n": 5572}]).cells() == [["5572"]]
