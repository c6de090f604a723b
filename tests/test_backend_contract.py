"""The Backend contract, run against every backend in conftest.BACKENDS."""

import pytest

from plexus_datasets.errors import ConflictError, NotFoundError, ValidationError

T = "2025-01-01T00:00:00.000000Z"


def dataset(id, name="calls", scorecard="sc1", **extra):
    return {"id": id, "name": name, "scorecardId": scorecard, "createdAt": T, "updatedAt": T, **extra}


def test_create_get_roundtrip_and_duplicate_id(backend):
    created = backend.create("Dataset", dataset("d1", description="Ünïcode <b>"))
    assert created["description"] == "Ünïcode <b>" and created["scoreId"] is None
    assert backend.get("Dataset", "d1") == created
    with pytest.raises(ConflictError):
        backend.create("Dataset", dataset("d1", name="again"))
    assert backend.get("Dataset", "d1")["name"] == "calls"  # unchanged
    assert backend.get("Dataset", "nope") is None


def test_json_fields_roundtrip(backend):
    config = {"class": "X", "nested": {"list": [1, 2.5, None, True, "ü"]}}
    backend.create("DatasetVersion", {"id": "v1", "datasetId": "d1", "versionNumber": 1,
                                      "configuration": config, "createdAt": T, "updatedAt": T})
    assert backend.get("DatasetVersion", "v1")["configuration"] == config
    backend.create("DatasetProfile", {"id": "p1", "datasetId": "d1", "datasetVersionId": "v1",
                                      "columnList": ["a", "b"], "recordCounts": {"rows": 3},
                                      "answerDistribution": {}, "createdAt": T, "updatedAt": T})
    assert backend.get("DatasetProfile", "p1")["columnList"] == ["a", "b"]


def test_update_condition_and_null_removes(backend):
    backend.create("Dataset", dataset("d1", description="x", currentVersionId="v1"))
    updated = backend.update("Dataset", "d1", {"currentVersionId": "v2"}, condition={"currentVersionId": {"eq": "v1"}})
    assert updated["currentVersionId"] == "v2"
    with pytest.raises(ConflictError):
        backend.update("Dataset", "d1", {"currentVersionId": "v3"}, condition={"currentVersionId": {"eq": "v1"}})
    assert backend.get("Dataset", "d1")["currentVersionId"] == "v2"
    assert backend.update("Dataset", "d1", {"description": None})["description"] is None
    with pytest.raises(NotFoundError):
        backend.update("Dataset", "missing", {"name": "x"})
    with pytest.raises(ValidationError, match="can't be removed"):
        backend.update("Dataset", "d1", {"name": None})


def test_delete_honours_condition(backend):
    backend.create("Dataset", dataset("d1"))
    with pytest.raises(ConflictError):
        backend.delete("Dataset", "d1", condition={"name": {"eq": "other"}})
    assert backend.get("Dataset", "d1") is not None
    assert backend.delete("Dataset", "d1")["id"] == "d1"
    assert backend.get("Dataset", "d1") is None
    with pytest.raises(NotFoundError):
        backend.delete("Dataset", "d1")


def test_list_by_index_and_filter(backend):
    for i in range(5):
        backend.create("Dataset", dataset(f"d{i}", name=f"calls-{i}", scorecard="sc1" if i < 3 else "sc2"))
    assert {r["id"] for r in backend.list("Dataset")} == {f"d{i}" for i in range(5)}
    assert {r["id"] for r in backend.list("Dataset", index=("scorecardId", "sc2"))} == {"d3", "d4"}
    hits = backend.list("Dataset", index=("scorecardId", "sc1"), filter={"name": {"beginsWith": "calls-1"}})
    assert [r["id"] for r in hits] == ["d1"]
    with pytest.raises(ValidationError, match="no index"):
        backend.list("Dataset", index=("name", "x"))


def test_pages_cover_everything_once(backend):
    ids = {f"d{i:02d}" for i in range(23)}
    for id in ids:
        backend.create("Dataset", dataset(id))
    seen, token, pages = [], None, 0
    while True:
        page = backend.page("Dataset", limit=5, next_token=token)
        seen += [r["id"] for r in page.items]
        pages += 1
        token = page.next_token
        if token is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids) and pages == 5
    with pytest.raises(ValidationError, match="nextToken"):
        backend.page("Dataset", next_token="not-a-token")


def test_transaction_rolls_back_every_write(backend):
    if not backend.atomic_transactions:
        pytest.skip("this store has no transactions; the service orders its writes instead")
    with pytest.raises(RuntimeError):
        with backend.transaction():
            backend.create("Dataset", dataset("d1"))
            backend.create("Dataset", dataset("d2"))
            raise RuntimeError("boom")
    assert backend.list("Dataset") == []


def test_unknown_model_and_field(backend):
    with pytest.raises(ValidationError, match="Unknown model"):
        backend.get("Nope", "x")
    with pytest.raises(ValidationError, match="no field"):
        backend.create("Dataset", dataset("d1", colour="red"))


def test_json_fields_refuse_what_json_cannot_hold(backend):
    from plexus_datasets import ValidationError

    record = {"id": "nan-1", "createdAt": "2025-01-01T00:00:00.000000Z", "updatedAt": "2025-01-01T00:00:00.000000Z",
              "name": "x", "order": 0, "type": "Score", "sectionId": "s1", "metadata": {"x": float("nan")}}
    with pytest.raises(ValidationError):
        backend.create("Score", record)
    assert backend.get("Score", "nan-1") is None
