"""profile(): exact counts on hand-made frames, both engines, size cap; and compare_profiles."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from plexus_datasets import ValidationError
from plexus_datasets.diff import compare_profiles, psi
from plexus_datasets.profiling import MAX_PROFILE_BYTES, TARGET_PROFILE_BYTES, payload_size, profile


@pytest.fixture
def frame():
    return pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 5],
        "text": ["hello world foo", "  \t", "", None, "one two  three\nfour", "one two  three\nfour"],
        "label": ["Yes", "No", "NA", None, "Yes", "Yes"],
        "score": [0.1, 2.5, np.nan, -3.0, 1000.0, 1000.0],
        "when": pd.to_datetime(["2024-01-05", "2024-02-01", None, "2024-03-03", "2024-03-04", "2024-03-04"]),
        "flag": [True, False, True, True, False, False],
    })


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_exact_counts_by_hand(frame, engine):
    payload = profile(frame, answer_columns=["label"], text_columns=["text"], engine=engine)
    counts = payload["recordCounts"]
    assert payload["columnList"] == ["id", "text", "label", "score", "when", "flag"]
    assert counts["spec"] == 2 and counts["engine"] == engine and payload["answerDistribution"]["spec"] == 1
    assert counts["subject"] == {"kind": "full", "rows": 6}  # no subject given: the whole version
    assert (counts["rows"], counts["duplicate_rows"]) == (6, 1)  # the last row repeats the fifth
    text = counts["columns"]["text"]
    assert (text["kind"], text["non_null"], text["null"], text["distinct"]) == ("text", 5, 1, 4)
    assert (text["empty"], text["whitespace_only"]) == (1, 1)
    assert text["length"]["min"] == 0 and text["length"]["max"] == 19
    assert text["words"]["min"] == 0 and text["words"]["max"] == 4 and text["words"]["mean"] == pytest.approx(11 / 5)
    assert text["length_histogram"] == {"scheme": "length", "counts": {"0": 1, "5": 1, "25": 3}}
    score = counts["columns"]["score"]
    assert (score["null"], score["min"], score["max"]) == (1, -3.0, 1000.0)
    assert score["mean"] == pytest.approx((0.1 + 2.5 - 3 + 2000) / 5)
    assert score["histogram"] == {"scheme": "log125", "counts": {"-2": 1, "0.1": 1, "5": 1, "1000": 2}}
    when = counts["columns"]["when"]
    assert when["kind"] == "datetime" and when["min"] == "2024-01-05T00:00:00"
    assert when["histogram"]["counts"] == {"2024-01": 1, "2024-02": 1, "2024-03": 3}
    assert counts["columns"]["flag"]["top"] == {"values": {"false": 3, "true": 3}, "other": 0}
    answers = payload["answerDistribution"]["columns"]["label"]
    assert answers == {"counts": {"Yes": 3, "NA": 1, "No": 1}, "null": 1, "other": 0, "distinct": 3}


def test_engines_agree(frame):
    def without_engine(p):
        p = json.loads(json.dumps(p))
        p["recordCounts"].pop("engine")
        return p

    assert without_engine(profile(frame, ["label"], engine="duckdb")) == without_engine(
        profile(frame, ["label"], engine="pandas"))


def test_na_string_stays_distinct_from_null():
    answers = profile(pd.DataFrame({"a": ["NA", "NA", None, "Yes"]}), ["a"])["answerDistribution"]["columns"]["a"]
    assert answers["counts"] == {"NA": 2, "Yes": 1} and answers["null"] == 1


def test_high_cardinality_becomes_top_k_plus_other_under_50kb():
    n = 200_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "answer": [f"class-{i}-" + "x" * 40 for i in rng.integers(0, 5000, n)],
        "category": [f"cat-{i}" for i in rng.integers(0, 20000, n)],
        **{f"col{i}": rng.integers(0, 10, n) for i in range(20)},
    })
    payload = profile(df, answer_columns=["answer"], text_columns=[])
    size = len(json.dumps(payload))
    assert size <= TARGET_PROFILE_BYTES
    answer = payload["answerDistribution"]["columns"]["answer"]
    assert len(answer["counts"]) <= 50 and answer["distinct"] == df["answer"].nunique()
    assert sum(answer["counts"].values()) + answer["other"] == n  # exact, nothing lost
    top = df["answer"].value_counts()
    assert answer["counts"][top.index[0]] == top.iloc[0]


def test_bad_input():
    with pytest.raises(ValidationError, match="empty"):
        profile(pd.DataFrame())
    with pytest.raises(ValidationError, match="No answer column"):
        profile(pd.DataFrame({"a": [1]}), answer_columns=["b"])
    with pytest.raises(ValidationError, match="DataFrame"):
        profile([1, 2, 3])


def test_compare_profiles_by_hand():
    before = profile(pd.DataFrame({"label": ["Yes"] * 70 + ["No"] * 30, "n": [1.0] * 100}), ["label"])
    after = profile(pd.DataFrame({"label": ["Yes"] * 40 + ["No"] * 40 + [None] * 20, "n": [1.0] * 90 + [None] * 10,
                                  "extra": [0] * 100}), ["label"])
    result = compare_profiles(before, after)
    assert (result.rows_a, result.rows_b, result.row_change) == (100, 100, 0)
    assert result.columns_added == ["extra"] and result.columns_removed == []
    shift = result.answers[0]
    assert shift.change_pp == {"No": pytest.approx(20.0), "Yes": pytest.approx(-20.0)}  # 30%->50%, 70%->50%
    expected_psi = (0.5 - 0.3) * math.log(0.5 / 0.3) + (0.5 - 0.7) * math.log(0.5 / 0.7)
    assert shift.psi == pytest.approx(expected_psi)
    assert shift.chi2_p_value < 0.01
    m = [0.5, 0.5]  # JS distance: sqrt of the mean KL to the midpoint, base 2
    mid = [(0.3 + 0.5) / 2, (0.7 + 0.5) / 2]
    js = math.sqrt(0.5 * sum(p * math.log2(p / q) for p, q in zip([0.3, 0.7], mid))
                   + 0.5 * sum(p * math.log2(p / q) for p, q in zip(m, mid)))
    assert shift.js_distance == pytest.approx(js)
    columns = {c.column: c for c in result.columns}
    assert columns["label"].null_change_pp == pytest.approx(20.0) and columns["label"].band == "DRIFT"
    assert columns["n"].null_change_pp == pytest.approx(10.0) and columns["n"].band == "DRIFT"
    assert result.band == "DRIFT"
    same = compare_profiles(before, before)
    assert same.band == "NO" and same.answers[0].js_distance == 0 and same.answers[0].chi2_p_value == pytest.approx(1)
    assert psi({"a": 1}, {"a": 5}) == 0


def test_histogram_psi_detects_a_shift_in_numbers():
    rng = np.random.default_rng(0)
    a = profile(pd.DataFrame({"x": rng.normal(10, 1, 5000)}))
    b = profile(pd.DataFrame({"x": rng.normal(10, 1, 5000)}))
    c = profile(pd.DataFrame({"x": rng.normal(300, 50, 5000)}))
    assert compare_profiles(a, b).columns[0].band == "NO"
    assert compare_profiles(a, c).columns[0].band == "DRIFT"


@pytest.mark.parametrize("storage", ["object", "string", "large_string"])
def test_word_counts_across_chunks_and_string_layouts(storage):
    import pyarrow as pa

    from plexus_datasets.profiling import word_counts

    texts = ["hello  world", "", "  \t", None, "a\tb\nc ", "x", "ünïcode wörds here", None, " lead trail "]
    if storage == "object":
        series = pd.Series(texts, dtype=object)
    else:
        series = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(texts, type=getattr(pa, storage)())))
    expected = [len(t.split()) for t in texts if t is not None]
    for chunk_rows in (1, 2, 3, 100):
        assert word_counts(series, chunk_rows=chunk_rows).tolist() == expected


def test_a_wide_frame_profiles_and_records_over_the_target_size(tmp_path):
    """150 numeric columns outgrow the 50 KB target but are a normal profile: it is recorded."""
    from plexus_datasets.backends.sql import SQLBackend
    from plexus_datasets.service import DatasetService

    rng = np.random.default_rng(7)
    df = pd.DataFrame({f"feature_{i:03}": rng.normal(i, 1 + i % 5, 500) for i in range(150)})
    df["label"] = rng.choice(["Yes", "No", "NA"], 500)
    payload = profile(df, answer_columns=["label"])
    size = payload_size(payload["columnList"], payload["recordCounts"], payload["answerDistribution"])
    assert TARGET_PROFILE_BYTES < size <= MAX_PROFILE_BYTES
    svc = DatasetService(SQLBackend(str(tmp_path / "wide.db")))
    ds = svc.create_dataset(svc.create_scorecard("QA"), "wide",
                            configuration={"class": "InlineItems", "items": [{"label": "Yes"}]})
    stored = svc.profile_frame(svc.resolve("wide:v1"), df, answer_columns=["label"])
    assert stored.record_counts["columns"]["feature_149"]["max"] == pytest.approx(df["feature_149"].max())
    assert len(svc.list_profiles(ds)) == 1
    svc.close()


def test_a_profile_no_store_accepts_is_refused_with_advice():
    rng = np.random.default_rng(8)
    # Absurdly long column names blow any budget: 160 columns of 1,200-character names.
    df = pd.DataFrame({f"c{i:04}_" + "x" * 1200: rng.normal(size=20) for i in range(160)})
    with pytest.raises(ValidationError, match="profile fewer columns"):
        profile(df)
