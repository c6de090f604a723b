"""Parsing configurations and Plexus YAML; canonical JSON and diffs (with hypothesis)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexus_datasets.configs import (
    canonical_json,
    config_digest,
    parse_configuration,
    parse_score_config,
    parse_scorecard,
    to_yaml,
)
from plexus_datasets.diff import apply_diff, diff_configs
from plexus_datasets.errors import ConfigurationError, ValidationError


def test_yaml_and_json_give_the_same_configuration():
    yaml_text = "class: FeedbackItems\nscorecard: 1438\ndays: 180\nbalance: false\n"
    json_text = '{"balance": false, "days": 180, "scorecard": 1438, "class": "FeedbackItems"}'
    assert parse_configuration(yaml_text) == parse_configuration(json_text)
    assert config_digest(parse_configuration(yaml_text)) == config_digest(parse_configuration(json_text))


def test_dates_stay_strings_and_yaml_round_trips():
    config = parse_configuration("class: CallCriteriaDBCache\nqueries:\n  - start_date: 2024-01-01\n    number: 5\n")
    assert config["queries"][0]["start_date"] == "2024-01-01"
    assert parse_configuration(to_yaml(config)) == config


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("class: X\nprocessors:\n  - class: A\n   parameters: {}\n", 4, 4),
        ("class: X\ndays: [1, 2\n", 3, 1),
        ('{"class": "X",\n "days": [1, }', 2, 14),
        ("class: X\ndays: 1\nclass: Y\n", 3, 1),
    ],
)
def test_syntax_errors_report_line_and_column(text, line, column):
    with pytest.raises(ConfigurationError) as info:
        parse_configuration(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(info.value)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just a string"])
def test_non_mappings_are_refused(text):
    with pytest.raises(ValidationError):
        parse_configuration(text)


def test_unsafe_yaml_tags_are_refused():
    with pytest.raises(ConfigurationError):
        parse_configuration("class: !!python/object/apply:os.system ['echo hi']\n")


def test_score_and_scorecard_yaml():
    spec = parse_score_config(
        "name: Greeting\nkey: greeting\nid: '4501'\nclass: LangGraphScore\nlabel_field: Valid\n"
        "data:\n  class: FeedbackItems\n  scorecard: 1438\n  score: Greeting\n  days: 30\n"
    )
    assert (spec.name, spec.key, spec.external_id, spec.score_class) == ("Greeting", "greeting", "4501", "LangGraphScore")
    assert spec.label_column == "Greeting Valid" and spec.data["days"] == 30
    card = parse_scorecard("name: QA\nkey: qa\nscores:\n  - name: A\n  - name: B\n    data: {type: fixed, items: []}\n")
    assert [(name, [s.name for s in scores]) for name, scores in card.sections] == [("Default", ["A", "B"])]
    with pytest.raises(ConfigurationError, match="name"):
        parse_score_config("key: x\n")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False, width=32),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
configs = st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=6)


@settings(max_examples=200, deadline=None)
@given(configs, st.randoms())
def test_canonical_json_ignores_key_order_and_whitespace(config, rnd):
    def shuffled(value):
        if isinstance(value, dict):
            items = list(value.items())
            rnd.shuffle(items)
            return {k: shuffled(v) for k, v in items}
        if isinstance(value, list):
            return [shuffled(v) for v in value]
        return value

    other = shuffled(config)
    pretty = json.loads(json.dumps(other, indent=rnd.randint(0, 4)))
    assert canonical_json(config) == canonical_json(other) == canonical_json(pretty)
    assert config_digest(config) == config_digest(pretty)


@settings(max_examples=300, deadline=None)
@given(configs, configs)
def test_applying_the_diff_turns_a_into_b(a, b):
    diff = diff_configs(a, b)
    assert apply_diff(a, diff) == b
    assert canonical_json(apply_diff(a, diff)) == canonical_json(b)
    assert bool(diff) == (canonical_json(a) != canonical_json(b) or a != b)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(c + 1)}: &{chr(c + 1)} [{', '.join([f'*{chr(c)}'] * 9)}]\n" for c in range(ord("a"), ord("a") + 8))


def test_a_yaml_alias_bomb_is_refused_before_it_is_built():
    assert len(BOMB) < 700
    with pytest.raises(ConfigurationError, match="aliases expand to more than 1,000,000 values"):
        parse_configuration(BOMB)
    with pytest.raises(ConfigurationError, match="refers to itself"):
        parse_configuration("class: X\nloop: &a [*a]\n")
    shared = parse_configuration("base: &b {class: X, days: 3}\nother: *b\n")  # ordinary aliases still work
    assert shared["other"] == {"class": "X", "days": 3}


@pytest.mark.parametrize("text", [
    "class: X\nx: " + "[" * 5000 + "\n",
    "class: X\nx: " + "[" * 70 + "]" * 70 + "\n",
    '{"class": "X", "x": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"class": "X", "x": ' + "[" * 70 + "]" * 70 + "}",
    "a: &a " + "[" * 40 + "]" * 40 + "\nb: &b " + "[" * 40 + "*a" + "]" * 40 + "\n",  # deep through an alias
])
def test_deep_nesting_is_refused(text):
    with pytest.raises(ConfigurationError, match="nested more than 64 levels deep"):
        parse_configuration(text)


def test_huge_integers_are_refused_not_parsed():
    for text in ("class: X\nn: " + "7" * 5000, '{"class": "X", "n": ' + "7" * 5000 + "}", "class: X\nn: -" + "1" * 40):
        with pytest.raises(ValidationError, match="digits"):
            parse_configuration(text)
    with pytest.raises(ValidationError, match="configuration.n is an integer of more than 38 digits"):
        parse_configuration({"class": "X", "n": 10**5000})
    assert parse_configuration({"class": "X", "n": 10**38 - 1})["n"] == 10**38 - 1


def test_a_mapping_sharing_sub_objects_is_measured_as_expanded():
    value: list = ["x"] * 9
    for _ in range(8):
        value = [value] * 9
    with pytest.raises(ValidationError, match="has more than 262,144 values"):
        parse_configuration({"class": "X", "bomb": value})
    cyclic: dict = {"class": "X"}
    cyclic["self"] = cyclic
    with pytest.raises(ValidationError):
        parse_configuration(cyclic)


@pytest.mark.parametrize("text", ["class: !!int abc", "class: !!timestamp soon", "class: !!bool perhaps",
                                  "? [a, b]\n: c\n", "class: !!float x"])
def test_values_yaml_cannot_construct_are_configuration_errors(text):
    with pytest.raises(ConfigurationError):
        parse_configuration(text)


def test_decode_text_accepts_utf8_only():
    from plexus_datasets.formats import decode_text

    assert decode_text("\ufeffclass: X".encode(), "f") == "class: X"
    for data, expected in [(b"\xff\xfec\x00", "UTF-16"), (b"a\x00b", "NUL bytes"), (b"caf\xe9", "byte 0xe9")]:
        with pytest.raises(ConfigurationError, match=expected):
            decode_text(data, "f")
