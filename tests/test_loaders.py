"""Loaders, processors and the materialization cache, on real files and moto's S3 server."""

import sys
import textwrap
import uuid

import pandas as pd
import pytest

from plexus_datasets import LoaderError, connect
from plexus_datasets.errors import DataQualityWarning, UntrustedCodeError
from plexus_datasets.loaders import TrustPolicy, check_loader, materialize
from plexus_datasets.loaders.cache import MaterializationCache

ROWS = [
    {"id": 1, "text": "hello", "label": "Yes", "channel": "phone"},
    {"id": 2, "text": "hi", "label": "No", "channel": "chat"},
    {"id": 3, "text": "hey", "label": "NA", "channel": "phone"},
    {"id": 4, "text": "yo", "label": "Yes", "channel": "email"},
    {"id": 5, "text": "hola", "label": "Yes", "channel": "phone"},
    {"id": 6, "text": "", "label": None, "channel": "chat"},
]


def inline(**extra):
    return {"class": "InlineItems", "items": ROWS, **extra}


# --- loader resolution ------------------------------------------------------------------

def test_type_fixed_and_inline_items():
    plexus_style = materialize({"type": "fixed", "items": ROWS})
    assert list(plexus_style["id"]) == [1, 2, 3, 4, 5, 6]
    assert plexus_style.equals(materialize(inline()))


@pytest.mark.parametrize("name", ["FeedbackItems", "CallCriteriaDBCache", "no.such.module.Loader"])
def test_unknown_class_names_it_and_says_how_to_fix(name):
    with pytest.raises(LoaderError) as info:
        check_loader({"class": name}, TrustPolicy.of(trusted_modules=["no"]))  # trusted, so it is looked up
    message = str(info.value)
    assert repr(name) in message and "install Plexus" in message and "entry-point group" in message


def test_dotted_path_and_entry_point_loaders(tmp_path, monkeypatch):
    module = f"pdtest_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent("""
        import pandas as pd
        class Squares:
            def __init__(self, n=3, **_):
                self.n = n
            def load_dataframe(self, *, data, fresh=False):
                return pd.DataFrame({"x": range(self.n), "y": [i * i for i in range(self.n)]})
    """))
    dist = tmp_path / f"{module}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[plexus_datasets.loaders]\nSquaresEP = {module}:Squares\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(UntrustedCodeError):  # a dotted path needs the loading user's trust
        materialize({"class": f"{module}.Squares", "n": 4})
    trusted = TrustPolicy.of(trusted_modules=[module])
    assert list(materialize({"class": f"{module}.Squares", "n": 4}, trust=trusted)["y"]) == [0, 1, 4, 9]
    assert list(materialize({"class": "SquaresEP", "n": 2})["y"]) == [0, 1]  # installed: trusted as is
    sys.modules.pop(module, None)


def test_empty_data_is_an_error():
    with pytest.raises(LoaderError, match="no rows"):
        materialize({"class": "InlineItems", "items": []})
    with pytest.raises(LoaderError, match="removed every row"), \
            pytest.warns(DataQualityWarning, match="no row has label = 'Maybe', so every row is removed"):
        materialize(inline(processors=[{"class": "ByColumnValueDatasetFilter",
                                         "parameters": {"column-name": "label", "value": "Maybe"}}]))


# --- files --------------------------------------------------------------------------------

def test_csv_parquet_jsonl_and_globs(tmp_path):
    files = TrustPolicy.of(data_roots=[tmp_path])  # the files live in the test's temporary folder
    frame = pd.DataFrame(ROWS)
    frame.iloc[:3].to_csv(tmp_path / "part1.csv", index=False)
    frame.iloc[3:].to_csv(tmp_path / "part2.csv", index=False)
    frame.to_parquet(tmp_path / "all.parquet")
    frame.to_json(tmp_path / "all.jsonl", orient="records", lines=True)
    from_glob = materialize({"class": "FileItems", "path": str(tmp_path / "part*.csv")}, trust=files)
    assert list(from_glob["id"]) == [1, 2, 3, 4, 5, 6]
    assert from_glob["label"].tolist()[:3] == ["Yes", "No", "NA"]  # the literal "NA" is not null
    assert from_glob["label"].isna().tolist() == [False] * 5 + [True]  # an empty cell is
    parquet = materialize({"class": "FileItems", "path": str(tmp_path / "all.parquet")}, trust=files)
    jsonl = materialize({"class": "FileItems", "path": str(tmp_path / "all.jsonl")}, trust=files)
    for loaded in (parquet, jsonl):
        assert loaded["label"].tolist()[:5] == ["Yes", "No", "NA", "Yes", "Yes"] and loaded["label"].isna().iloc[5]
    both = materialize({"class": "FileItems", "path": [str(tmp_path / "part1.csv"), str(tmp_path / "part2.csv")]},
                       trust=files)
    assert len(both) == 6


def test_file_errors_are_loader_errors(tmp_path):
    files = TrustPolicy.of(data_roots=[tmp_path])
    with pytest.raises(LoaderError, match="No file matches"):
        materialize({"class": "FileItems", "path": str(tmp_path / "missing.csv")}, trust=files)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(LoaderError, match="Can't read .*bad.parquet as parquet"):
        materialize({"class": "FileItems", "path": str(tmp_path / "bad.parquet")}, trust=files)
    (tmp_path / "data.txt").write_text("a,b\n1,2\n")
    with pytest.raises(LoaderError, match="format"):
        materialize({"class": "FileItems", "path": str(tmp_path / "data.txt")}, trust=files)
    with pytest.raises(LoaderError, match="needs `path:`"):
        materialize({"class": "FileItems"}, trust=files)


def test_s3_files_through_moto(s3):
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    frame = pd.DataFrame(ROWS)
    s3.put_object(Bucket=bucket, Key="calls/2025-01.csv", Body=frame.iloc[:3].to_csv(index=False).encode())
    s3.put_object(Bucket=bucket, Key="calls/2025-02.csv", Body=frame.iloc[3:].to_csv(index=False).encode())
    one = materialize({"class": "FileItems", "path": f"s3://{bucket}/calls/2025-01.csv"})
    assert one["label"].tolist() == ["Yes", "No", "NA"]
    assert len(materialize({"class": "FileItems", "path": f"s3://{bucket}/calls/*.csv"})) == 6
    with pytest.raises(LoaderError, match="does not exist"):
        materialize({"class": "FileItems", "path": f"s3://{bucket}/calls/nope.csv"})
    with pytest.raises(LoaderError, match="No S3 object matches"):
        materialize({"class": "FileItems", "path": f"s3://{bucket}/other/*.csv"})


# --- processors (expected results worked out by hand from ROWS) ----------------------------

def processed(*processors, **extra):
    return materialize(inline(processors=list(processors), **extra))


def test_column_filter():
    kept = processed({"class": "ColumnDatasetFilter", "parameters": {"filter-type": "include", "columns": ["id", "label"]}})
    assert list(kept.columns) == ["id", "label"]
    dropped = processed({"class": "ColumnDatasetFilter", "parameters": {"filter-type": "exclude", "columns": ["text"]}})
    assert list(dropped.columns) == ["id", "label", "channel"]


def test_by_column_value_filter():
    phone = processed({"class": "ByColumnValueDatasetFilter",
                       "parameters": {"filter-type": "include", "column-name": "channel", "value": "phone"}})
    assert phone["id"].tolist() == [1, 3, 5]
    not_phone = processed({"class": "ByColumnValueDatasetFilter",
                           "parameters": {"filter-type": "exclude", "column-name": "channel", "value": "phone"}})
    assert not_phone["id"].tolist() == [2, 4, 6]
    by_number = processed({"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "id", "value": "4"}})
    assert by_number["id"].tolist() == [4]


def test_downsample_class():
    # 3 "Yes" rows and 3 others: nothing to do; then "phone" (3) vs others (3) the same.
    same = processed({"class": "DownsampleClassDatasetFilter", "parameters": {"column-name": "label", "value": "Yes"}})
    assert len(same) == 6
    # Drop two non-Yes rows first: 3 Yes vs 1 other -> 1 Yes kept, order preserved.
    out = processed(
        {"class": "ByColumnValueDatasetFilter",
         "parameters": {"filter-type": "exclude", "column-name": "channel", "value": "chat"}},
        {"class": "DownsampleClassDatasetFilter", "parameters": {"column-name": "label", "value": "Yes"}},
    )
    assert (out["label"] == "Yes").sum() == 1 and (out["label"] == "NA").sum() == 1
    assert out["id"].tolist() == sorted(out["id"].tolist())


def test_merge_columns():
    out = processed({"class": "MergeColumnsDatasetFilter", "parameters": {
        "new_column_name": "verdict",
        "columns_to_merge": {"label": {"labels": ["Yes"], "new_label": "pass"},
                             "channel": {"labels": ["chat", "email"], "new_label": "written"}}}})
    # id1 Yes->pass, id2 No/chat->written, id3 NA/phone->null, id4 Yes->pass (first rule wins),
    # id5 Yes->pass, id6 null/chat->written
    assert out["verdict"].tolist()[:2] == ["pass", "written"]
    assert pd.isna(out["verdict"].iloc[2])
    assert out["verdict"].tolist()[3:] == ["pass", "pass", "written"]


def test_balance_and_processor_errors():
    balanced = materialize(inline(balance=True, label_column="label"))
    assert balanced["label"].value_counts().to_dict() == {"Yes": 1, "No": 1, "NA": 1}
    with pytest.raises(LoaderError, match="needs a label column"):
        materialize(inline(balance=True))
    with pytest.raises(LoaderError, match=r"column\(s\) 'labl' not in the data\. Columns are: id, text"):
        processed({"class": "ByColumnValueDatasetFilter", "parameters": {"column-name": "labl", "value": "x"}})
    with pytest.raises(LoaderError, match="filter-type"):
        processed({"class": "ColumnDatasetFilter", "parameters": {"filter-type": "keep", "columns": ["id"]}})
    with pytest.raises(LoaderError, match="can't be found"):
        processed({"class": "NoSuchFilter", "parameters": {}})


# --- the service's load and its cache -------------------------------------------------------

@pytest.fixture
def csv_dataset(tmp_path):
    svc = connect(str(tmp_path / "store.db"), data_roots=[tmp_path])
    source = tmp_path / "calls.csv"
    pd.DataFrame(ROWS).to_csv(source, index=False)
    card = svc.create_scorecard("QA", key="qa")
    score = svc.create_score(svc.create_section(card, "Main"), "Greeting", key="greeting",
                             metadata={"label_column": "label"})
    svc.create_dataset(card, "calls", score=score, configuration={"class": "FileItems", "path": str(source)})
    yield svc, source
    svc.close()


def test_load_caches_and_fresh_rebuilds(csv_dataset):
    svc, source = csv_dataset
    first = svc.load("calls")
    assert first["id"].tolist() == [1, 2, 3, 4, 5, 6]
    source.write_text("id,text,label,channel\n9,new,Yes,phone\n")
    assert svc.load("calls").equals(first)  # served from the cache
    assert svc.load("calls", fresh=True)["id"].tolist() == [9]
    source.unlink()
    assert svc.load("calls")["id"].tolist() == [9]  # the rebuilt cache
    with pytest.raises(LoaderError, match="No file matches"):
        svc.load("calls", fresh=True)


@pytest.mark.parametrize("damage", ["truncate", "flip", "no-manifest", "garbage-manifest"])
def test_damaged_cache_is_rebuilt_never_returned(csv_dataset, damage):
    svc, source = csv_dataset
    svc.load("calls")
    version = svc.resolve("calls")
    data, manifest = svc.cache.paths(version.id, version.digest)
    payload = data.read_bytes()
    if damage == "truncate":
        data.write_bytes(payload[: len(payload) // 2])
    elif damage == "flip":
        data.write_bytes(payload[:100] + bytes([payload[100] ^ 0xFF]) + payload[101:])
    elif damage == "no-manifest":
        manifest.unlink()
    else:
        manifest.write_text("{not json")
    source.write_text("id,text,label,channel\n7,rebuilt,No,chat\n")
    assert svc.load("calls")["id"].tolist() == [7]  # rebuilt from the source, not the damaged file
    assert svc.cache.get(version.id, version.digest)["id"].tolist() == [7]


def test_cache_writes_are_atomic_and_leave_no_temporaries(csv_dataset):
    svc, _ = csv_dataset
    snap = svc.snapshot("calls")
    files = sorted(p.name for p in svc.cache.directory.iterdir())
    entry = [f for f in files if not f.startswith("snap-")]
    assert len(entry) == 2 and entry[0].endswith(".json") and entry[1].endswith(".parquet")
    # the same data kept by its content too (a hard link here), and nothing else
    assert sorted(set(files) - set(entry)) == [f"snap-{snap.sha256}.json", f"snap-{snap.sha256}.parquet"]
    kept = svc.cache.directory / f"snap-{snap.sha256}.parquet"
    assert kept.read_bytes() == (svc.cache.directory / entry[1]).read_bytes()


def test_cache_mirrors_to_s3_and_restores_from_it(csv_dataset, s3, tmp_path):
    svc, source = csv_dataset
    bucket = f"cache-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    svc._cache = MaterializationCache(tmp_path / "local-a", f"s3://{bucket}/materialized")
    snap = svc.snapshot("calls")
    first = snap.frame
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    entry = [k for k in keys if "/snapshots/" not in k]
    assert len(entry) == 2 and all(k.startswith("materialized/") for k in keys)
    # content-addressed keys: a teammate can ask for these very bytes
    assert sorted(set(keys) - set(entry)) == [f"materialized/snapshots/{snap.sha256}.{ext}" for ext in ("json", "parquet")]
    source.unlink()  # the data is gone; a teammate with an empty local cache still gets it from S3
    svc._cache = MaterializationCache(tmp_path / "local-b", f"s3://{bucket}/materialized")
    assert svc.load("calls").equals(first)
    # and by its pinned reference, from a third empty cache
    svc._cache = MaterializationCache(tmp_path / "local-c", f"s3://{bucket}/materialized")
    assert svc.load(f"calls@sha256:{snap.sha256[:10]}").equals(first)
    assert (tmp_path / "local-c" / f"snap-{snap.sha256}.parquet").is_file()  # kept locally once fetched


def test_a_stored_version_with_parameters_now_refused_still_loads(csv_dataset):
    """A version written before built-in loaders declared their parameters carries `limit:` and
    `description:`: versions are immutable, so loading it warns and ignores them, while writing
    such a configuration again is refused."""
    from plexus_datasets.formats import format_datetime, utcnow
    from plexus_datasets.models import DatasetVersion
    from plexus_datasets.service import version_id

    svc, source = csv_dataset
    legacy = {"class": "FileItems", "path": str(source), "limit": 2, "description": "old calls",
              "processors": [{"class": "ColumnDatasetFilter", "parameters": {"columns": ["id", "label"], "keep": 1}}]}
    dataset = svc.resolve("calls").dataset_id
    now = format_datetime(utcnow())
    vid = version_id(dataset, 2)
    svc.backend.create("DatasetVersion", {  # straight into the store, as an older release wrote it
        "id": vid, "datasetId": dataset, "versionNumber": 2, "createdAt": now, "updatedAt": now,
        "configuration": DatasetVersion.wire_configuration(legacy, None)})
    svc.backend.update("Dataset", dataset, {"currentVersionId": vid, "updatedAt": now})
    with pytest.warns(DataQualityWarning) as caught:
        frame = svc.load("calls")
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert [m.split(":")[0] for m in messages] == ["FileItems ignores the parameter 'limit' (did you mean 'delimiter'?)",
                                                   "FileItems ignores the parameter 'description'",
                                                   "ColumnDatasetFilter ignores the parameter 'keep'"]
    assert list(frame.columns) == ["id", "label"] and frame["id"].tolist() == [1, 2, 3, 4, 5, 6]
    with pytest.raises(LoaderError, match="FileItems has no parameter 'limit'"):
        svc.create_version("calls", legacy)
