"""The Backend contract, run against every backend in conftest.BACKENDS."""

import pytest

from plexus_datasets.errors import ConflictError, NotFoundError, ValidationError
from plexus_datasets.facts import ProfileFacts
from plexus_datasets.models import NOTE_KEY

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
    stored = backend.get("DatasetVersion", "v1")["configuration"]
    # Plexus stores YAML text and returns it beside the parsed mapping, under the metadata key
    assert {k: v for k, v in stored.items() if k != NOTE_KEY} == config
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


# --- summaries: stamps from the backend, the choice in the service ----------------------------

T2, T3 = "2025-02-01T00:00:00.000000Z", "2025-03-01T00:00:00.000000Z"


def version(id, dataset_id, number):
    return {"id": id, "datasetId": dataset_id, "versionNumber": number, "configuration": {"class": "X"},
            "createdAt": T, "updatedAt": T}


def stored_profile(id, dataset_id, version_id, when, rows=1):
    return {"id": id, "datasetId": dataset_id, "datasetVersionId": version_id, "columnList": ["a"],
            "recordCounts": {"rows": rows}, "answerDistribution": {}, "createdAt": when, "updatedAt": when}


def test_summaries_return_every_profile_as_a_stamp_and_pick_none(backend):
    backend.create("Dataset", dataset("d1", currentVersionId="v1"))
    backend.create("Dataset", dataset("d2", name="other", scorecard="sc2"))
    backend.create("DatasetVersion", version("v1", "d1", 1))
    backend.create("DatasetVersion", version("v2", "d1", 2))
    backend.create("DatasetProfile", stored_profile("p1", "d1", "v1", T))
    backend.create("DatasetProfile", stored_profile("p2", "d1", "v2", T3))
    backend.create("DatasetProfile", stored_profile("p3", "d1", "v1", T2))
    found = {s["dataset"]["id"]: s for s in backend.summaries()}
    d1 = found["d1"]
    assert d1["currentVersion"]["id"] == "v1" and d1["versionNumbers"] == [1, 2]
    assert "latestProfile" not in d1
    assert sorted(d1["profileStamps"], key=lambda s: s["id"]) == [
        {"id": "p1", "datasetId": "d1", "datasetVersionId": "v1", "createdAt": T},
        {"id": "p2", "datasetId": "d1", "datasetVersionId": "v2", "createdAt": T3},
        {"id": "p3", "datasetId": "d1", "datasetVersionId": "v1", "createdAt": T2},
    ]
    assert found["d2"]["profileStamps"] == [] and found["d2"]["currentVersion"] is None
    assert [s["dataset"]["id"] for s in backend.summaries(index=("scorecardId", "sc2"))] == ["d2"]


def test_get_many_answers_by_id_and_leaves_out_missing_ones(backend):
    backend.create("DatasetProfile", stored_profile("p1", "d1", "v1", T, rows=10))
    backend.create("DatasetProfile", stored_profile("p2", "d1", "v1", T2, rows=20))
    found = backend.get_many("DatasetProfile", ["p2", "nope", "p1", "p2"])
    assert set(found) == {"p1", "p2"} and found["p1"] == backend.get("DatasetProfile", "p1")
    assert found["p2"]["recordCounts"] == {"rows": 20}
    assert backend.get_many("DatasetProfile", []) == {}
    with pytest.raises(ValidationError, match="Unknown model"):
        backend.get_many("Nope", ["x"])


def _payload(rows, subject=None):
    """``record_profile`` keyword arguments of a real ``profile()`` of ``rows`` rows."""
    import pandas as pd

    from plexus_datasets.profiling import profile

    frame = pd.DataFrame({"label": ["Yes", "No"] * (rows // 2) + ["Yes"] * (rows % 2)})
    payload = profile(frame, answer_columns=["label"], subject=subject)
    return {"column_list": payload["columnList"], "record_counts": payload["recordCounts"],
            "answer_distribution": payload["answerDistribution"]}


def test_service_summaries_show_the_current_versions_newest_full_profile(backend):
    """On every backend: never another version's profile, never a sample's."""
    from plexus_datasets.service import DatasetService

    svc = DatasetService(backend)
    card = svc.create_scorecard("QA", key="qa")
    items = [{"label": "Yes"}]
    rolled_back = svc.create_dataset(card, "rolled-back", configuration={"class": "InlineItems", "items": items})
    svc.create_version(rolled_back, {"class": "InlineItems", "items": items * 2})  # v1 stays current
    svc.record_profile("rolled-back:v1", **_payload(40))
    svc.record_profile("rolled-back:v2", **_payload(80))  # newer, but v2 is not the current version
    svc.create_dataset(card, "evaluated", configuration={"class": "InlineItems", "items": items})
    svc.record_profile("evaluated:v1", **_payload(50))
    svc.record_profile("evaluated:v1", **_payload(10, {"kind": "sample", "rows": 10, "population": 50, "seed": 7,
                                                       "purpose": "evaluation"}))
    svc.create_dataset(card, "only-samples", configuration={"class": "InlineItems", "items": items})
    svc.record_profile("only-samples:v1", **_payload(4, {"kind": "sample", "rows": 4, "population": 9}))

    rows = {s.dataset.name: s for s in svc.dataset_summaries()}
    assert (rows["rolled-back"].record_count, rows["rolled-back"].profile_version.label) == (40, "v1")
    assert rows["evaluated"].record_count == 50 and rows["evaluated"].profile_version.label == "v1"
    assert ProfileFacts.of(rows["evaluated"].latest_profile).is_full
    assert rows["only-samples"].latest_profile is None and rows["only-samples"].record_count is None
    assert rows["only-samples"].sample_profiles_only and not rows["evaluated"].sample_profiles_only
    assert rows["only-samples"].profile_version is None
    assert svc.dataset_summaries().skipped == 0
