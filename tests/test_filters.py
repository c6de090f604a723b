import pytest

from plexus_datasets.backends.filters import matches, validate_filter
from plexus_datasets.backends.specs import MODEL_SPECS
from plexus_datasets.errors import ValidationError

REC = {"id": "a", "name": "greeting calls", "scoreId": None, "versionNumber": 3, "columnList": ["text", "label"]}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (None, True),
        ({"name": {"eq": "greeting calls"}}, True),
        ({"name": {"eq": "other"}}, False),
        ({"name": {"ne": "other"}}, True),
        ({"name": {"beginsWith": "greet"}}, True),
        ({"name": {"contains": "calls"}}, True),
        ({"name": {"notContains": "calls"}}, False),
        ({"versionNumber": {"gt": 2, "lt": 4}}, True),
        ({"versionNumber": {"between": [4, 9]}}, False),
        ({"versionNumber": {"ge": 3}}, True),
        ({"columnList": {"contains": "label"}}, True),
        ({"columnList": {"size": {"eq": 2}}}, True),
        # Missing and null attributes fail comparisons but pass `ne` (DynamoDB semantics).
        ({"scoreId": {"eq": "s1"}}, False),
        ({"scoreId": {"ne": "s1"}}, True),
        ({"scoreId": {"attributeExists": False}}, True),
        ({"name": {"attributeExists": False}}, False),
        ({"missing": {"gt": 1}}, False),
        ({"or": [{"name": {"eq": "x"}}, {"versionNumber": {"eq": 3}}]}, True),
        ({"and": [{"name": {"eq": "x"}}, {"versionNumber": {"eq": 3}}]}, False),
        ({"not": {"name": {"eq": "x"}}}, True),
        ({"name": {"attributeType": "string"}}, True),
        ({"versionNumber": {"attributeType": "string"}}, False),
    ],
)
def test_matches_follows_appsync_semantics(expression, expected):
    assert matches(REC, expression) is expected


def test_unknown_fields_and_operators_are_refused():
    fields = MODEL_SPECS["Dataset"].fields
    validate_filter({"name": {"eq": "x"}, "or": [{"scoreId": {"eq": "y"}}]}, fields)
    with pytest.raises(ValidationError, match="Unknown field 'nmae'"):
        validate_filter({"nmae": {"eq": "x"}}, fields)
    with pytest.raises(ValidationError, match="operator"):
        validate_filter({"name": {"like": "x"}}, fields)


def test_a_stored_null_exists_only_when_the_caller_says_nulls_are_stored():
    record = {"description": None}
    for condition, stored, by_default in [
        ({"description": {"attributeExists": True}}, True, False),
        ({"description": {"attributeExists": False}}, False, True),
        ({"description": {"attributeType": "_null"}}, True, False),
        ({"description": {"eq": "x"}}, False, False),
        ({"description": {"ne": "x"}}, True, True),
        ({"description": {"beginsWith": ""}}, False, False),
        ({"description": {"eq": None}}, True, True),
        ({"missing": {"attributeExists": False}}, True, True),
        ({"not": {"description": {"attributeExists": True}}}, False, True),
    ]:
        assert matches(record, condition, stored_nulls=True) is stored, condition
        assert matches(record, condition) is by_default, condition
