from datetime import UTC, datetime, timedelta, timezone

import pydantic
import pytest

from plexus_datasets import ConflictError, ValidationError
from plexus_datasets.backends.specs import MODEL_SPECS
from plexus_datasets.formats import format_datetime
from plexus_datasets.models import Dataset, DatasetProfile, DatasetVersion
from tests.conftest import CONFIG


def test_wire_names_are_camel_case_and_datetimes_carry_utc_offset():
    ds = Dataset(
        id="d1", name="n", scorecard_id="s1", created_at=datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))),
        updated_at=datetime(2025, 1, 1),
    )
    wire = ds.to_wire()
    assert wire["scorecardId"] == "s1" and wire["currentVersionId"] is None
    assert wire["createdAt"] == "2025-01-01T10:00:00.000000Z"  # converted to UTC
    assert wire["updatedAt"].endswith("Z")  # naive input is taken as UTC
    assert Dataset.model_validate(wire) == ds


def test_requiredness_follows_the_contract():
    assert MODEL_SPECS["Dataset"].required == {"name", "scorecardId"}
    assert MODEL_SPECS["DatasetVersion"].required == {"datasetId", "versionNumber", "configuration"}
    assert MODEL_SPECS["DatasetProfile"].required == {
        "datasetId", "datasetVersionId", "columnList", "recordCounts", "answerDistribution"}
    with pytest.raises(pydantic.ValidationError):
        Dataset.model_validate({"id": "x", "name": "n", "createdAt": "2025-01-01T00:00:00Z",
                                "updatedAt": "2025-01-01T00:00:00Z"})


def test_versions_and_profiles_are_immutable(svc, card):
    ds = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    version = svc.resolve("calls")
    with pytest.raises(pydantic.ValidationError):
        version.configuration = {"class": "Other"}
    profile = svc.record_profile(version, ["text"], {"rows": 1}, {})
    with pytest.raises(pydantic.ValidationError):
        profile.column_list = []
    assert isinstance(version, DatasetVersion) and isinstance(profile, DatasetProfile)
    assert ds.current_version_id is not None


def test_relationships_dataset_versions_profiles_current_scorecard_and_score(svc, card, score):
    ds = svc.create_dataset(card, "calls", score=score, configuration=CONFIG, check=False)
    v2 = svc.create_version(ds, {**CONFIG, "days": 60}, check=False)
    p1 = svc.record_profile(svc.resolve("calls:1"), ["a"], {"rows": 1}, {})
    p2 = svc.record_profile(v2, ["a"], {"rows": 2}, {})

    ds = svc.get_dataset(ds.id)
    assert ds.scorecard_id == card.id and ds.score_id == score.id
    assert svc.scorecard_of_score(score).id == card.id
    assert [v.version_number for v in svc.list_versions(ds)] == [1, 2]
    assert all(v.dataset_id == ds.id for v in svc.list_versions(ds))
    assert svc.current_version(ds).version_number == 1  # the first version stays current
    assert [p.id for p in svc.list_profiles(ds)] == [p1.id, p2.id]
    assert [p.id for p in svc.list_profiles(v2)] == [p2.id]
    assert p2.dataset_id == ds.id and p2.dataset_version_id == v2.id
    assert [d.id for d in svc.list_datasets(scorecard=card)] == [ds.id]
    assert [d.id for d in svc.list_datasets(score=score)] == [ds.id]


def test_cascade_rules(svc, card):
    ds = svc.create_dataset(card, "calls", configuration=CONFIG, check=False)
    other = svc.create_dataset(card, "other", configuration=CONFIG, check=False)
    svc.record_profile(svc.resolve("calls"), ["a"], {"rows": 1}, {})
    svc.record_profile(svc.resolve("other"), ["a"], {"rows": 1}, {})
    if not svc.backend.deletes_versions:  # Plexus: a version's number is its position, so none is ever deleted
        for cascade in (False, True):
            with pytest.raises(ValidationError, match="renumber"):
                svc.delete_dataset(ds, cascade=cascade)
        assert len(svc.list_versions(ds)) == 1 and len(svc.list_profiles(ds)) == 1  # nothing changed
        empty = svc.create_dataset(card, "empty")
        svc.delete_dataset(empty)  # no versions: nothing renumbers
        assert sorted(d.name for d in svc.list_datasets()) == ["calls", "other"]
        return
    with pytest.raises(ConflictError, match="cascade=True"):
        svc.delete_dataset(ds)
    assert len(svc.list_versions(ds)) == 1  # refused delete changed nothing
    svc.delete_dataset(ds, cascade=True)
    assert svc.backend.list("DatasetVersion", index=("datasetId", ds.id)) == []
    assert svc.backend.list("DatasetProfile", index=("datasetId", ds.id)) == []
    # the other dataset is untouched
    assert len(svc.list_versions(other)) == 1 and len(svc.list_profiles(other)) == 1
    empty = svc.create_dataset(card, "empty")
    svc.delete_dataset(empty)  # no versions: no cascade needed
    assert [d.name for d in svc.list_datasets()] == ["other"]


def test_format_datetime_always_has_offset():
    assert format_datetime(datetime(2025, 5, 1, tzinfo=UTC)) == "2025-05-01T00:00:00.000000Z"


WHEN = {"createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-01T00:00:00Z"}


def test_a_version_carries_its_digest_and_a_mismatch_is_tampering():
    from plexus_datasets.errors import CorruptRecordError
    from plexus_datasets.formats import config_digest
    from plexus_datasets.models import NOTE_KEY, read_record

    wire = {"id": "v1", "datasetId": "d1", "versionNumber": 1, **WHEN,
            "configuration": DatasetVersion.wire_configuration(CONFIG, None)}
    assert wire["configuration"][NOTE_KEY] == {"digest": config_digest(CONFIG)}  # always, note or not
    version = read_record(DatasetVersion, wire)
    assert version.configuration == CONFIG and version.note is None and version.to_wire() == {
        **wire, "createdAt": "2025-01-01T00:00:00.000000Z", "updatedAt": "2025-01-01T00:00:00.000000Z"}
    legacy = read_record(DatasetVersion, {**wire, "configuration": {**CONFIG, NOTE_KEY: {"note": "old"}}})
    assert legacy.configuration == CONFIG and legacy.note == "old"  # written before digests: read as is
    edited = {**wire, "configuration": {**wire["configuration"], "days": 365}}
    with pytest.raises(CorruptRecordError, match="id 'v1'.*edited in place"):
        read_record(DatasetVersion, edited)
    with pytest.raises(CorruptRecordError, match=f"{NOTE_KEY} must be an object"):
        read_record(DatasetVersion, {**wire, "configuration": {**CONFIG, NOTE_KEY: "x"}})


def test_read_record_names_model_id_and_field_never_a_pydantic_traceback():
    from plexus_datasets.errors import CorruptRecordError
    from plexus_datasets.models import read_record

    cases = [
        (DatasetVersion, {"id": "v", "datasetId": "d", "versionNumber": 0, "configuration": {}}, "versionNumber"),
        (DatasetVersion, {"id": "v", "datasetId": "d", "versionNumber": "3", "configuration": {}}, "versionNumber"),
        (DatasetVersion, {"id": "v", "datasetId": "d", "versionNumber": 1, "configuration": [1]}, "configuration"),
        (DatasetVersion, {"id": "v", "datasetId": "../d", "versionNumber": 1, "configuration": {}}, "datasetId"),
        (Dataset, {"id": "d", "name": "a\u202eb", "scorecardId": "s"}, "name: the text contains the character U\\+202E"),
        (Dataset, {"id": "d", "name": "n" * 300, "scorecardId": "s"}, "name: the text is 300 characters"),
        (Dataset, {"id": "d", "name": "n", "scorecardId": "s", "currentVersionId": "a:b"}, "currentVersionId"),
        (DatasetProfile, "not a record", "DatasetProfile record \\(id None\\)"),
    ]
    for cls, wire, expected in cases:
        record = {**wire, **WHEN} if isinstance(wire, dict) else wire
        with pytest.raises(CorruptRecordError, match=expected) as info:
            read_record(cls, record)
        assert "\n" not in str(info.value) and "pydantic" not in str(info.value)


def test_names_not_in_nfc_are_refused_when_read():
    """Every writer of this package stores NFC; a decomposed look-alike of a name is corrupt."""
    from plexus_datasets.errors import CorruptRecordError
    from plexus_datasets.models import read_record

    assert read_record(Dataset, {"id": "d", "name": "Caf\u00e9", "scorecardId": "s", **WHEN}).name == "Caf\u00e9"
    with pytest.raises(CorruptRecordError, match="NFC"):
        read_record(Dataset, {"id": "d", "name": "Cafe\u0301", "scorecardId": "s", **WHEN})
