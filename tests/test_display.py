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
    lines = [p for p in display.evaluation_parts("calls:v2", "label", 4, result, "p-1") if isinstance(p, str)]
    assert lines == ["Dataset: calls:v2", "Label column: label; rows: 4; evaluated: 3; without label: 1",
                     "Accuracy: 0.6667 (2/3)", "Recorded profile p-1 of the evaluated rows."]
    per_class, matrix = [p for p in display.evaluation_parts("x", "label", 4, result) if not isinstance(p, str)]
    assert per_class.cells() == [["No", "0.5000", "1.0000", "1"], ["Yes", "1.0000", "0.5000", "2"]]
    assert matrix.cells() == [["No", "1", "0"], ["Yes", "1", "1"]] and matrix.right == ("No", "Yes")
