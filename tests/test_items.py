"""The stand-in's DynamoDB-like item store (``plexus_datasets.server.items``), on SQLite and PostgreSQL.

Real models of the Plexus contract; the expected orders and pages are computed here from the items written,
as DynamoDB would return them (sort-key string, then id; UTF-8 byte order).
"""

from __future__ import annotations

import base64
import itertools
import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from plexus_datasets.backends.base import item_size
from plexus_datasets.backends.sql import SQLBackend
from plexus_datasets.errors import ValidationError
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ConditionFailed, ItemStore, Page, relation_index_name

T0 = "2024-05-01T10:00:00.000Z"
BY_NAME = "dataSourcesByAccountIdAndName"
BY_KEY = "dataSourcesByAccountIdAndKey"
BY_SCORECARD = "dataSourcesByScorecardIdAndUpdatedAt"
BY_CURRENT = "gsi-DataSourceVersion.dataSourcesAsCurrentVersion"
FEATURED = "byScoreIdAndIsFeaturedAndCreatedAt"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "items.db")
    return request.getfixturevalue("postgres").fresh_schema_url()


@pytest.fixture
def store(url: str) -> Iterator[ItemStore]:
    items = ItemStore(url, load_contract("plexus"), token_secret=b"test-secret")
    yield items
    items.close()


def data_source(id: str, **fields) -> dict:
    return {"id": id, "__typename": "DataSource", "accountId": "acc-1", "name": f"name-{id}",
            "createdAt": T0, "updatedAt": T0, **fields}


def ids(page_or_items) -> list[str]:
    items = page_or_items.items if isinstance(page_or_items, Page) else page_or_items
    return [item["id"] for item in items]


def everything(store: ItemStore, model: str, index: str | None, pk: str | None = None, **options) -> list[list[str]]:
    """Every page of a query (or of a scan when ``index`` is None), as lists of ids."""
    pages, token = [], None
    while True:
        if index is None:
            page = store.scan(model, next_token=token, **options)
        else:
            page = store.query(model, index, pk, next_token=token, **options)
        pages.append(ids(page))
        token = page.next_token
        if token is None:
            return pages


# --- put, get ------------------------------------------------------------------------------------


def test_put_returns_and_stores_the_item_with_its_nulls(store):
    written = store.put("DataSource", data_source("ds-1", description=None, attachedFiles=["a.csv"],
                                                  yamlConfiguration="class: X\n"))
    assert written["description"] is None and written["attachedFiles"] == ["a.csv"]
    assert store.get("DataSource", "ds-1") == written
    assert store.get("DataSource", "nope") is None
    assert store.get("DataSet", "ds-1") is None  # ids are per model
    assert store.count("DataSource") == 1


def test_awsjson_values_are_kept_as_given(store):
    item = {"id": "set-1", "accountId": "acc-1", "dataSourceVersionId": "v-1", "buildContext": {"a": [1, "é"]},
            "provenance": '{"raw": true}'}
    store.put("DataSet", item)
    assert store.get("DataSet", "set-1") == item


def test_get_many_returns_the_items_that_exist(store):
    for n in range(3):
        store.put("DataSource", data_source(f"ds-{n}"))
    found = store.get_many("DataSource", ["ds-2", "ds-0", "missing", "ds-2"])
    assert sorted(found) == ["ds-0", "ds-2"] and found["ds-2"]["name"] == "name-ds-2"
    assert store.get_many("DataSource", []) == {}


def test_a_second_put_of_an_id_fails_and_leaves_the_first(store):
    store.put("DataSource", data_source("ds-1", name="first"))
    with pytest.raises(ConditionFailed):
        store.put("DataSource", data_source("ds-1", name="second"))
    assert store.get("DataSource", "ds-1")["name"] == "first"
    assert ids(store.query("DataSource", BY_NAME, "acc-1")) == ["ds-1"]
    assert store.query("DataSource", BY_NAME, "acc-1", sk=("eq", "second")).items == []


def test_a_put_condition_is_evaluated_against_the_empty_item(store):
    store.put("DataSource", data_source("ds-1"), condition={"name": {"attributeExists": False}})
    with pytest.raises(ConditionFailed):
        store.put("DataSource", data_source("ds-2"), condition={"name": {"eq": "name-ds-2"}})
    assert store.get("DataSource", "ds-2") is None


def test_unknown_models_indexes_and_ids_are_validation_errors(store):
    with pytest.raises(ValidationError, match="Unknown model"):
        store.get("Dataset", "x")
    with pytest.raises(ValidationError, match="no index"):
        store.query("DataSource", "listDataSourceByAccountIdAndName", "acc-1")
    with pytest.raises(ValidationError, match="no sort key"):
        store.query("Account", "accountsByKey", "k", sk=("eq", "x"))
    with pytest.raises(ValidationError):
        store.put("DataSource", {"name": "no id"})
    with pytest.raises(ValidationError):
        store.query("DataSource", BY_NAME, "acc-1", limit=0)


# --- sparse indexes ------------------------------------------------------------------------------


def test_an_item_is_in_an_index_only_when_every_key_attribute_is_there(store):
    store.put("DataSource", data_source("with-all", scorecardId="card-1", key="k1"))
    store.put("DataSource", data_source("no-card-no-key"))
    assert ids(store.query("DataSource", BY_SCORECARD, "card-1")) == ["with-all"]
    assert ids(store.query("DataSource", BY_KEY, "acc-1")) == ["with-all"]
    assert ids(store.query("DataSource", BY_NAME, "acc-1")) == ["no-card-no-key", "with-all"]
    assert ("dataSourcesByScorecardIdAndUpdatedAt", "card-1", T0) in store.index_keys(
        "DataSource", store.get("DataSource", "with-all"))
    assert not [k for k in store.index_keys("DataSource", store.get("DataSource", "no-card-no-key"))
                if k[0] in (BY_SCORECARD, BY_KEY)]


def test_has_many_relations_get_their_amplify_gsi(store):
    name = relation_index_name("DataSourceVersion", "childVersions")
    assert name == "gsi-DataSourceVersion.childVersions"
    assert store.indexes("DataSourceVersion")[name].partition_key == "parentVersionId"
    store.put("DataSourceVersion", {"id": "v-1", "dataSourceId": "ds-1", "isFeatured": True, "createdAt": T0})
    store.put("DataSourceVersion", {"id": "v-2", "dataSourceId": "ds-1", "isFeatured": False, "createdAt": T0,
                                    "parentVersionId": "v-1"})
    assert ids(store.query("DataSourceVersion", name, "v-1")) == ["v-2"]
    assert ids(store.query("DataSourceVersion", "gsi-DataSource.versions", "ds-1")) == ["v-1", "v-2"]


# --- sort keys -----------------------------------------------------------------------------------

# Code-point (UTF-8 byte) order: uppercase before lowercase, "%" is no wildcard, astral after the BMP.
NAMES = ["Zed", "a", "a%b", "ab", "abc", "axb", "b", "ba", "c", "é", "\uff21", "\U0001f600"]


@pytest.fixture
def named(store) -> ItemStore:
    for n, name in enumerate(reversed(NAMES)):
        store.put("DataSource", data_source(f"ds-{n:02}", name=name))
    return store


def names(page: Page) -> list[str]:
    return [item["name"] for item in page.items]


@pytest.mark.parametrize("condition, expected", [
    (None, NAMES),
    (("eq", "ab"), ["ab"]),
    (("lt", "ab"), ["Zed", "a", "a%b"]),
    (("le", "ab"), ["Zed", "a", "a%b", "ab"]),
    (("gt", "b"), ["ba", "c", "é", "\uff21", "\U0001f600"]),
    (("ge", "b"), ["b", "ba", "c", "é", "\uff21", "\U0001f600"]),
    (("between", ["ab", "b"]), ["ab", "abc", "axb", "b"]),
    (("beginsWith", "a"), ["a", "a%b", "ab", "abc", "axb"]),
    (("beginsWith", "a%"), ["a%b"]),
    (("beginsWith", "ab"), ["ab", "abc"]),
    (("beginsWith", "\U0001f600"), ["\U0001f600"]),
    (("beginsWith", ""), NAMES),
    (("beginsWith", "zz"), []),
])
def test_sort_key_conditions_compare_the_stored_strings(named, condition, expected):
    assert expected == sorted(expected)  # the test's own premise: code-point order
    page = named.query("DataSource", BY_NAME, "acc-1", sk=condition)
    assert names(page) == expected and page.next_token is None
    descending = named.query("DataSource", BY_NAME, "acc-1", sk=condition, descending=True)
    assert names(descending) == expected[::-1]


def test_between_needs_two_ordered_bounds(named):
    with pytest.raises(ValidationError):
        named.query("DataSource", BY_NAME, "acc-1", sk=("between", ["b", "a"]))
    with pytest.raises(ValidationError):
        named.query("DataSource", BY_NAME, "acc-1", sk=("between", ["a"]))
    with pytest.raises(ValidationError):
        named.query("DataSource", BY_NAME, "acc-1", sk=("contains", "a"))


def test_equal_sort_keys_are_ordered_by_id_both_ways(store):
    for id in ["ds-b", "ds-c", "ds-a"]:
        store.put("DataSource", data_source(id, name="same"))
    store.put("DataSource", data_source("ds-0", name="other"))
    assert ids(store.query("DataSource", BY_NAME, "acc-1")) == ["ds-0", "ds-a", "ds-b", "ds-c"]
    assert ids(store.query("DataSource", BY_NAME, "acc-1", descending=True)) == ["ds-c", "ds-b", "ds-a", "ds-0"]


def test_composite_sort_key_of_score_versions(store):
    versions = [("sv-1", "true", "2024-01-03T00:00:00.000Z"), ("sv-2", "false", "2024-01-01T00:00:00.000Z"),
                ("sv-3", "true", "2024-01-01T00:00:00.000Z"), ("sv-4", "false", "2024-01-02T00:00:00.000Z")]
    for id, featured, created in versions:
        store.put("ScoreVersion", {"id": id, "scoreId": "score-1", "configuration": "c", "isFeatured": featured,
                                   "createdAt": created, "updatedAt": created})
    store.put("ScoreVersion", {"id": "sv-5", "scoreId": "score-1", "configuration": "c", "createdAt": T0})
    assert ("byScoreIdAndIsFeaturedAndCreatedAt", "score-1", "true#2024-01-03T00:00:00.000Z") in store.index_keys(
        "ScoreVersion", store.get("ScoreVersion", "sv-1"))
    assert ids(store.query("ScoreVersion", FEATURED, "score-1")) == ["sv-2", "sv-4", "sv-3", "sv-1"]
    assert ids(store.query("ScoreVersion", FEATURED, "score-1", sk=("beginsWith", "true#"),
                           descending=True)) == ["sv-1", "sv-3"]
    assert ids(store.query("ScoreVersion", FEATURED, "score-1",
                           sk=("between", ["false#2024-01-02", "true#2024-01-02"]))) == ["sv-4", "sv-3"]
    # sv-5 has no isFeatured: absent from the composite index, present in the createdAt one
    assert "sv-5" in ids(store.query("ScoreVersion", "scoreVersionsByScoreIdAndCreatedAt", "score-1"))


def test_boolean_key_values_are_stored_as_true_and_false(store):
    item = {"id": "sv-1", "scoreId": "s", "configuration": "c", "isFeatured": True, "createdAt": T0}
    store.put("ScoreVersion", item)
    assert ids(store.query("ScoreVersion", FEATURED, "s", sk=("eq", f"true#{T0}"))) == ["sv-1"]
    assert ids(store.query("ScoreVersion", FEATURED, "s", sk=("beginsWith", "false"))) == []


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def many(store) -> ItemStore:
    # ten distinct updatedAt values, three items on each: ties exercise the id tie-break across pages
    for n in range(30):
        store.put("DataSource", data_source(f"ds-{n:02}", updatedAt=f"2024-05-{n % 10 + 1:02}T00:00:00.000Z",
                                            scorecardId="card-1", description="x" * (10 * n)))
    return store


def expected_order(store: ItemStore, descending: bool = False) -> list[str]:
    items = store.get_many("DataSource", [f"ds-{n:02}" for n in range(30)]).values()
    return [i["id"] for i in sorted(items, key=lambda i: (i["updatedAt"], i["id"]), reverse=descending)]


@pytest.mark.parametrize("limit", [1, 4, 7, 10, 30, 100])
@pytest.mark.parametrize("descending", [False, True])
def test_paging_by_limit_reads_every_item_once(many, limit, descending):
    pages = everything(many, "DataSource", BY_SCORECARD, "card-1", limit=limit, descending=descending)
    assert all(len(page) == limit for page in pages[:-1]) and 1 <= len(pages[-1]) <= limit
    assert [id for page in pages for id in page] == expected_order(many, descending)


def test_the_last_full_page_carries_no_token(many):
    page = many.query("DataSource", BY_SCORECARD, "card-1", limit=30)
    assert len(page.items) == 30 and page.next_token is None


def test_paging_by_bytes_stops_before_the_item_that_would_overflow(many):
    budget = 1000
    sizes = {item["id"]: item_size(item) for item in many.get_many("DataSource", expected_order(many)).values()}
    pages = everything(many, "DataSource", BY_SCORECARD, "card-1", max_bytes=budget)
    flat = [id for page in pages for id in page]
    assert flat == expected_order(many)
    assert len(pages) > 2
    for page, following in itertools.pairwise(pages):
        assert sum(sizes[id] for id in page) <= budget  # no item here is bigger than the budget
        assert sum(sizes[id] for id in page) + sizes[following[0]] > budget  # and the page is as full as fits


def test_an_item_bigger_than_the_byte_budget_still_makes_a_page(many):
    pages = everything(many, "DataSource", BY_SCORECARD, "card-1", max_bytes=10, limit=5)
    assert [len(page) for page in pages] == [1] * 30


def test_scan_pages_through_the_model_in_id_order(many):
    many.put("DataSourceVersion", {"id": "v-1", "dataSourceId": "ds-00", "isFeatured": True})
    pages = everything(many, "DataSource", None, limit=8)
    assert [id for page in pages for id in page] == [f"ds-{n:02}" for n in range(30)]
    assert [len(page) for page in pages] == [8, 8, 8, 6]
    by_bytes = everything(many, "DataSource", None, max_bytes=2000)
    assert len(by_bytes) > 1 and [id for page in by_bytes for id in page] == [f"ds-{n:02}" for n in range(30)]


def test_query_many_equals_the_first_page_of_each_query(many):
    for n in range(3):
        many.put("DataSource", data_source(f"other-{n}", scorecardId="card-2"))
    pks = ["card-2", "card-1", "card-none", "card-1"]
    for options in ({"limit": 4}, {"limit": 100}, {"max_bytes": 700}):
        pages = many.query_many("DataSource", BY_SCORECARD, pks, **options)
        assert sorted(pages) == ["card-1", "card-2", "card-none"]
        for pk, page in pages.items():
            assert page == many.query("DataSource", BY_SCORECARD, pk, **options)
    rest = many.query("DataSource", BY_SCORECARD, "card-1", limit=4,
                      next_token=many.query_many("DataSource", BY_SCORECARD, ["card-1"], limit=4)["card-1"].next_token)
    assert ids(rest) == expected_order(many)[4:8]


def test_query_many_over_more_partitions_than_one_statement_holds(store):
    for n in range(250):
        store.put("DataSourceVersion", {"id": f"v-{n:03}", "dataSourceId": f"ds-{n % 125:03}", "isFeatured": True,
                                        "createdAt": f"2024-01-01T00:00:{n % 60:02}.000Z"})
    index = "dataSourceVersionsByDataSourceIdAndCreatedAt"
    pks = [f"ds-{n:03}" for n in range(125)]
    pages = store.query_many("DataSourceVersion", index, pks, limit=1)
    assert all(pages[pk] == store.query("DataSourceVersion", index, pk, limit=1) for pk in pks)
    assert all(len(page.items) == 1 and page.next_token for page in pages.values())


# --- tokens --------------------------------------------------------------------------------------


def _reencoded(token: str, change) -> str:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    tag, body = raw[:16], json.loads(raw[16:])
    change(body)
    return base64.urlsafe_b64encode(tag + json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def test_bad_forged_and_foreign_tokens_are_validation_errors(many, url):
    token = many.query("DataSource", BY_SCORECARD, "card-1", limit=3).next_token
    assert token and ids(many.query("DataSource", BY_SCORECARD, "card-1", limit=3, next_token=token))
    forged = _reencoded(token, lambda body: body["after"].__setitem__(1, "ds-29"))
    other_partition = _reencoded(token, lambda body: body["q"].__setitem__(3, "card-2"))
    for bad in ["", "not a token", "%%%", token[:-4], token + "AAAA", forged, other_partition, 17]:
        with pytest.raises(ValidationError, match="Invalid nextToken"):
            many.query("DataSource", BY_SCORECARD, "card-1", next_token=bad)
    for other_query in [
        lambda: many.query("DataSource", BY_SCORECARD, "card-2", next_token=token),
        lambda: many.query("DataSource", BY_SCORECARD, "card-1", next_token=token, descending=True),
        lambda: many.query("DataSource", BY_NAME, "card-1", next_token=token),
        lambda: many.query("DataSet", "dataSetsByScorecardIdAndUpdatedAt", "card-1", next_token=token),
        lambda: many.scan("DataSource", next_token=token),
    ]:
        with pytest.raises(ValidationError, match="another query"):
            other_query()
    scan_token = many.scan("DataSource", limit=2).next_token
    with pytest.raises(ValidationError, match="another query"):
        many.query("DataSource", BY_SCORECARD, "card-1", next_token=scan_token)
    other_process = ItemStore(url, load_contract("plexus"))  # the database's secret, not the test's
    try:
        with pytest.raises(ValidationError, match="Invalid nextToken"):
            other_process.query("DataSource", BY_SCORECARD, "card-1", next_token=token)
    finally:
        other_process.close()


def test_tokens_work_on_every_store_over_the_database_and_forged_ones_nowhere(url):
    first, second = (ItemStore(url, load_contract("plexus")) for _ in range(2))
    try:
        for n in range(5):
            first.put("DataSource", data_source(f"ds-{n}", scorecardId="card-1"))
        token = first.query("DataSource", BY_SCORECARD, "card-1", limit=2).next_token
        assert ids(second.query("DataSource", BY_SCORECARD, "card-1", next_token=token)) == ["ds-2", "ds-3", "ds-4"]
        forged = _reencoded(token, lambda body: body["after"].__setitem__(1, "ds-3"))
        with pytest.raises(ValidationError, match="Invalid nextToken"):
            second.query("DataSource", BY_SCORECARD, "card-1", next_token=forged)
    finally:
        first.close()
        second.close()


def test_a_token_is_bound_to_its_sort_key_condition(many):
    token = many.query("DataSource", BY_SCORECARD, "card-1", sk=("ge", T0), limit=2).next_token
    assert token and many.query("DataSource", BY_SCORECARD, "card-1", sk=("ge", T0), next_token=token).items
    for other in [None, ("le", T0), ("ge", "2020")]:
        with pytest.raises(ValidationError, match="another query"):
            many.query("DataSource", BY_SCORECARD, "card-1", sk=other, next_token=token)


# --- namespaces ----------------------------------------------------------------------------------


def test_both_schemas_share_a_database_without_seeing_each_others_items(url):
    plan, plexus = ItemStore(url, load_contract("plan")), ItemStore(url, load_contract("plexus"))
    try:
        plan.put("Score", {"id": "s-1", "name": "plan", "key": "k", "order": 1, "type": "t", "sectionId": "x"})
        plexus.put("Score", {"id": "s-1", "name": "plexus", "key": "k", "order": 1, "type": "t", "sectionId": "x",
                             "scorecardId": "c", "externalId": "e"})
        plexus.put("Score", {"id": "s-2", "name": "plexus", "key": "k", "order": 2, "type": "t", "sectionId": "x",
                             "scorecardId": "c", "externalId": "e2"})
        assert plan.get("Score", "s-1")["name"] == "plan" and plan.get("Score", "s-2") is None
        assert ids(plan.query("Score", "scoresByKey", "k")) == ["s-1"]
        assert ids(plexus.query("Score", "scoresByKey", "k")) == ["s-1", "s-2"]
        assert [i["name"] for i in plexus.query("Score", "scoresByKey", "k").items] == ["plexus", "plexus"]
        assert plan.count("Score") == 1 and ids(plan.scan("Score")) == ["s-1"]
        plan.update("Score", "s-1", {"key": "k2"})  # the plan's update leaves Plexus's entries alone
        assert ids(plexus.query("Score", "scoresByName", "plexus")) == ["s-1", "s-2"]
        assert ids(plexus.query("Score", "scoresByKey", "k")) == ["s-1", "s-2"]
        plexus.delete("Score", "s-1")
        assert plan.get("Score", "s-1")["key"] == "k2" and ids(plan.query("Score", "scoresByKey", "k2")) == ["s-1"]
    finally:
        plan.close()
        plexus.close()


def test_rows_written_before_namespaces_are_given_one_on_open(tmp_path):
    path = str(tmp_path / "old.db")
    for schema in ("plan", "plexus"):
        ItemStore(path, load_contract(schema)).close()
    old = [("Dataset", "d-1", {"id": "d-1", "name": "a", "key": "a"}),
           ("Score", "s-1", {"id": "s-1", "name": "plan score", "key": "k", "sectionId": "x"}),
           ("Score", "s-2", {"id": "s-2", "name": "plexus score", "key": "k", "scorecardId": "c"}),
           ("DataSource", "ds-1", {"id": "ds-1", "name": "n", "accountId": "acc-1"})]
    with sqlite3.connect(path) as db:  # as an older version left them: bare model names, entries shared
        db.execute("DELETE FROM appsync_markers")
        db.execute("INSERT INTO appsync_markers VALUES ('sql-tables-copied', '{}')")
        for model, id, item in old:
            db.execute("INSERT INTO appsync_items VALUES (?, ?, ?, 10)", (model, id, json.dumps(item)))
            db.execute("INSERT INTO appsync_index_entries VALUES (?, 'stale', 'x', '', ?)", (model, id))
    db.close()
    plan, plexus = ItemStore(path, load_contract("plan")), ItemStore(path, load_contract("plexus"))
    try:
        assert ids(plan.scan("Score")) == ["s-1"] and ids(plan.scan("Dataset")) == ["d-1"]
        assert ids(plan.query("Score", "scoresByKey", "k")) == ["s-1"]
        assert ids(plexus.scan("Score")) == ["s-2"] and ids(plexus.query("Score", "scoresByKey", "k")) == ["s-2"]
        assert ids(plexus.query("DataSource", BY_NAME, "acc-1")) == ["ds-1"]
    finally:
        plan.close()
        plexus.close()


# --- update, delete ------------------------------------------------------------------------------


def test_an_update_check_runs_on_the_new_item_and_refusing_writes_nothing(store):
    store.put("DataSource", data_source("ds-1", description="old"))
    seen = []

    def refuse(item):
        seen.append(dict(item))
        raise ValidationError("too big")

    with pytest.raises(ValidationError, match="too big"):
        store.update("DataSource", "ds-1", {"description": "new"}, check=refuse)
    assert seen[0]["description"] == "new" and store.get("DataSource", "ds-1")["description"] == "old"


def test_update_sets_and_removes_and_moves_index_entries(store):
    store.put("DataSource", data_source("ds-1", scorecardId="card-1", currentVersionId="v-1", key="k"))
    updated = store.update("DataSource", "ds-1", {"currentVersionId": "v-2", "updatedAt": "2025-01-01T00:00:00Z",
                                                  "key": None, "id": "ignored"}, remove=["scorecardId"])
    assert updated == store.get("DataSource", "ds-1")
    assert updated["id"] == "ds-1" and updated["currentVersionId"] == "v-2"
    assert "key" not in updated and "scorecardId" not in updated and updated["name"] == "name-ds-1"
    assert store.query("DataSource", BY_CURRENT, "v-1").items == []
    assert ids(store.query("DataSource", BY_CURRENT, "v-2")) == ["ds-1"]
    assert store.query("DataSource", BY_SCORECARD, "card-1").items == []
    assert store.query("DataSource", BY_KEY, "acc-1").items == []
    assert ids(store.query("DataSource", "dataSourcesByAccountIdAndUpdatedAt", "acc-1",
                           sk=("eq", "2025-01-01T00:00:00Z"))) == ["ds-1"]
    store.update("DataSource", "ds-1", {"scorecardId": "card-9"})
    assert ids(store.query("DataSource", BY_SCORECARD, "card-9")) == ["ds-1"]


def test_conditional_update_and_delete(store):
    store.put("DataSource", data_source("ds-1", currentVersionId="v-1"))
    with pytest.raises(ConditionFailed):
        store.update("DataSource", "ds-1", {"currentVersionId": "v-3"}, condition={"currentVersionId": {"eq": "v-0"}})
    assert store.get("DataSource", "ds-1")["currentVersionId"] == "v-1"
    store.update("DataSource", "ds-1", {"currentVersionId": "v-2"}, condition={"currentVersionId": {"eq": "v-1"}})
    with pytest.raises(ConditionFailed):
        store.delete("DataSource", "ds-1", condition={"currentVersionId": {"eq": "v-1"}})
    assert store.get("DataSource", "ds-1") is not None
    old = store.delete("DataSource", "ds-1", condition={"or": [{"currentVersionId": {"eq": "v-2"}},
                                                               {"currentVersionId": {"attributeExists": False}}]})
    assert old["currentVersionId"] == "v-2"
    assert store.get("DataSource", "ds-1") is None and store.count("DataSource") == 0
    assert store.query("DataSource", BY_CURRENT, "v-2").items == []
    assert store.query("DataSource", BY_NAME, "acc-1").items == []


def test_update_and_delete_of_a_missing_id_fail(store):
    with pytest.raises(ConditionFailed):
        store.update("DataSource", "ghost", {"name": "x"})
    with pytest.raises(ConditionFailed):
        store.delete("DataSource", "ghost")
    assert store.get("DataSource", "ghost") is None


def test_a_transaction_is_all_or_nothing(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.put("DataSource", data_source("ds-1"))
        store.update("DataSource", "ds-1", {"name": "renamed"})
        raise RuntimeError("boom")
    assert store.get("DataSource", "ds-1") is None
    assert store.query("DataSource", BY_NAME, "acc-1").items == []
    with store.transaction():
        store.put("DataSource", data_source("ds-1"))
        with pytest.raises(ConditionFailed):  # a failed condition leaves the transaction usable
            store.put("DataSource", data_source("ds-1"))
        store.put("DataSource", data_source("ds-2"))
    assert store.count("DataSource") == 2


# --- concurrency ---------------------------------------------------------------------------------


def _race(count: int, attempt) -> list[bool]:
    """Run ``attempt(n)`` on ``count`` threads released together; True where it did not raise ConditionFailed."""
    barrier = threading.Barrier(count)
    results: list[bool | BaseException] = [False] * count

    def run(n: int) -> None:
        barrier.wait()
        try:
            attempt(n)
            results[n] = True
        except ConditionFailed:
            results[n] = False
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [r for r in results if isinstance(r, BaseException)], results
    return results  # type: ignore[return-value]


def test_concurrent_puts_of_one_id_have_exactly_one_winner(store):
    for round in range(3):
        results = _race(8, lambda n, round=round: store.put("DataSource",
                                                             data_source(f"ds-{round}", name=f"r{round}-t{n}")))
        assert results.count(True) == 1
        winner = f"r{round}-t{results.index(True)}"
        assert store.get("DataSource", f"ds-{round}")["name"] == winner
        assert names(store.query("DataSource", BY_NAME, "acc-1", sk=("beginsWith", f"r{round}-"))) == [winner]
    assert store.count("DataSource") == 3


def test_concurrent_compare_and_set_has_exactly_one_winner(store):
    store.put("DataSource", data_source("ds-1", currentVersionId="v-old"))
    results = _race(8, lambda n: store.update("DataSource", "ds-1", {"currentVersionId": f"v-{n}"},
                                              condition={"currentVersionId": {"eq": "v-old"}}))
    assert results.count(True) == 1
    winner = f"v-{results.index(True)}"
    assert store.get("DataSource", "ds-1")["currentVersionId"] == winner
    assert ids(store.query("DataSource", BY_CURRENT, winner)) == ["ds-1"]
    assert store.query("DataSource", BY_CURRENT, "v-old").items == []
    assert all(store.query("DataSource", BY_CURRENT, f"v-{n}").items == [] for n in range(8) if f"v-{n}" != winner)


PUTTER = """
import sys
from plexus_datasets.server.contract import load_contract
from plexus_datasets.server.items import ConditionFailed, ItemStore
store = ItemStore(sys.argv[1], load_contract("plexus"))
won = []
for n in range(40):
    try:
        store.put("DataSource", {"id": f"ds-{n}", "accountId": "acc-1", "name": sys.argv[2]})
        won.append(n)
    except ConditionFailed:
        pass
print(" ".join(map(str, won)))
"""


def test_concurrent_puts_from_processes_have_exactly_one_winner_per_id(url):
    procs = [subprocess.Popen([sys.executable, "-c", PUTTER, url, f"p{n}"], stdout=subprocess.PIPE, text=True)
             for n in range(4)]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 4
    won = sorted(int(n) for out in outputs for n in out.split())
    assert won == list(range(40))
    store = ItemStore(url, load_contract("plexus"))
    try:
        assert store.count("DataSource") == 40
        assert len(store.query("DataSource", BY_NAME, "acc-1", limit=100).items) == 40
    finally:
        store.close()


# --- the database ------------------------------------------------------------------------------


def test_items_share_a_database_file_with_the_sql_backend(tmp_path):
    path = str(tmp_path / "shared.db")
    backend = SQLBackend(path)
    store = ItemStore(path, load_contract("plexus"))
    try:
        store.put("DataSource", data_source("ds-1"))
        assert backend.list("Scorecard") == [] and store.get("DataSource", "ds-1")
        assert store.description == backend.description
    finally:
        store.close()
        backend.close()


def test_in_memory_sqlite_works(tmp_path):
    store = ItemStore("sqlite:///:memory:", load_contract("plexus"))
    store.put("DataSource", data_source("ds-1"))
    assert ids(store.query("DataSource", BY_NAME, "acc-1")) == ["ds-1"]
    store.close()


def test_queries_read_the_covering_index_not_the_items(tmp_path):
    path = tmp_path / "plan.db"
    ItemStore(str(path), load_contract("plexus")).close()
    con = sqlite3.connect(path)
    plan = " ".join(row[-1] for row in con.execute(
        "EXPLAIN QUERY PLAN SELECT e.sk, e.id, i.size FROM appsync_index_entries e JOIN appsync_items i "
        "ON i.model = e.model AND i.id = e.id WHERE e.model = 'DataSource' AND e.index_name = 'x' AND e.pk = 'a' "
        "AND e.sk >= 'b' ORDER BY e.sk, e.id LIMIT 5"))
    con.close()
    assert "COVERING INDEX" in plan and "SCAN" not in plan and "TEMP B-TREE" not in plan, plan
