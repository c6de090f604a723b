"""Pinned snapshots: a reference with a digest (``calls:v1@sha256:ab12cd34``) names the exact
rows, which stay loadable after the source changed and a fresh build replaced the newest
data; a snapshot that is gone or altered is a typed error, never silently rebuilt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from plexus_datasets.cli import cli
from plexus_datasets.errors import (
    AmbiguousReferenceError,
    NotFoundError,
    SnapshotMismatchError,
    SnapshotNotFoundError,
    ValidationError,
)
from plexus_datasets.facts import ProfileFacts
from plexus_datasets.service import connect

FIRST = "content_id,text,label\n1,Grüße aus Köln,Yes\n2,\"comma, inside\",No\n3,,Yes\n"
SECOND = "content_id,text,label\n1,Grüße aus Köln,No\n2,\"comma, inside\",No\n4,ragged\n"


def rewrite(path: Path, text: str) -> None:
    """Change the source so its fingerprint changes (size and mtime)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


@pytest.fixture
def calls(tmp_path):
    svc = connect(str(tmp_path / "store.db"), data_roots=[tmp_path])
    source = tmp_path / "calls.csv"
    rewrite(source, FIRST)
    card = svc.create_scorecard("QA", key="qa")
    score = svc.create_score(svc.create_section(card, "Main"), "Greeting", key="greeting",
                             metadata={"label_column": "label"})
    svc.create_dataset(card, "calls", score=score, configuration={"class": "FileItems", "path": str(source)})
    yield svc, source
    svc.close()


def profiled_before_and_after_change(svc, source):
    """A profile of the first data, its snapshot's sha256, then the source changed and a
    profile of a fresh build (the newest snapshot)."""
    first = svc.profile("calls")
    rewrite(source, SECOND)
    with pytest.warns(Warning):  # the ragged row
        newer = svc.profile("calls", fresh=True)
    return first, ProfileFacts.of(first).subject.snapshot_sha256, newer


def newest_after_change(svc, source):
    """The first snapshot, then the source changed and a fresh build (the newest snapshot)."""
    first = svc.snapshot("calls:v1")
    rewrite(source, SECOND)
    with pytest.warns(Warning):  # the ragged row
        second = svc.snapshot("calls:v1", fresh=True)
    return first, second


def test_a_pinned_reference_reproduces_the_same_rows_after_the_source_changed(calls):
    svc, source = calls
    first, second = newest_after_change(svc, source)
    assert first.sha256 != second.sha256 and (first.rows, second.rows) == (3, 3)
    assert first.reference == f"calls:v1@sha256:{first.sha256[:12]}"
    assert svc.load("calls:v1").equals(second.frame)  # the newest, without a pin
    again = svc.load(first.reference)
    assert again.equals(first.frame) and again["label"].tolist() == ["Yes", "No", "Yes"]
    assert again.attrs["plexus_datasets"]["sha256"] == first.sha256
    assert again.attrs["plexus_datasets"]["built_at"] == first.built_at
    # the same snapshot by snapshot=, with the full digest, and by a bare pin without a version
    assert svc.load("calls:v1", snapshot=first.sha256[:8]).equals(first.frame)
    assert svc.load("calls", snapshot=f"sha256:{first.sha256}").equals(first.frame)
    assert svc.load(f"calls@sha256:{first.sha256[:8].upper()}").equals(first.frame)
    assert svc.resolve(f"calls@sha256:{first.sha256[:8]}").version_number == 1
    listed = svc.snapshots("calls:v1")
    assert [(s.sha256, s.where) for s in listed] == [(second.sha256, "cache"), (first.sha256, "cache")]


def test_a_profile_pins_the_snapshot_it_describes(calls):
    svc, source = calls
    profile = svc.profile("calls")
    described = ProfileFacts.of(profile).subject.snapshot_sha256
    rewrite(source, SECOND)
    with pytest.warns(Warning):
        svc.profile("calls", fresh=True)
    assert svc.load("calls", snapshot=profile).attrs["plexus_datasets"]["sha256"] == described
    assert svc.load("calls", snapshot=profile)["label"].tolist() == ["Yes", "No", "Yes"]
    # "fresh" builds anew, as fresh=True
    assert svc.snapshot("calls", snapshot="fresh").rows == 3


def test_a_bare_pin_finds_its_version_after_current_moved(calls, tmp_path):
    svc, source = calls
    first = svc.snapshot("calls:v1")
    other = tmp_path / "other.csv"
    rewrite(other, "content_id,label\n9,No\n")
    svc.create_version("calls", {"class": "FileItems", "path": str(other)}, make_current=True)
    assert svc.current_version("calls").version_number == 2
    assert svc.resolve(f"calls@sha256:{first.sha256[:10]}").version_number == 1
    assert svc.load(f"calls@sha256:{first.sha256[:10]}").equals(first.frame)
    # with the wrong version named, the error says whose snapshot it is
    with pytest.raises(NotFoundError, match=r"is a snapshot of calls:v1, not of calls:v2.*calls:v1@sha256"):
        svc.load(f"calls:v2@sha256:{first.sha256[:10]}")


def test_an_altered_snapshot_is_refused_and_left_alone(calls):
    svc, source = calls
    first, _ = newest_after_change(svc, source)
    kept = svc.cache.directory / f"snap-{first.sha256}.parquet"
    os.unlink(kept)  # a hard link: replace it rather than write through to the other names
    kept.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(SnapshotMismatchError, match=rf"sha256:{first.sha256[:12]}.*not the data that was recorded"):
        svc.load(first.reference)
    assert kept.read_bytes() == b"PAR1 not really parquet"  # not rebuilt, not replaced
    # a different, valid Parquet file under that name is refused as well
    pd.DataFrame({"content_id": [1]}).to_parquet(kept)
    with pytest.raises(SnapshotMismatchError):
        svc.load(first.reference)


def test_a_gone_snapshot_is_a_typed_error_naming_what_is_there(calls):
    svc, source = calls
    profile = svc.profile("calls")
    sha = ProfileFacts.of(profile).subject.snapshot_sha256
    rewrite(source, SECOND)
    with pytest.warns(Warning):
        newest = svc.snapshot("calls", fresh=True)
    for suffix in ("parquet", "json"):
        (svc.cache.directory / f"snap-{sha}.{suffix}").unlink()
    before = sorted(p.name for p in svc.cache.directory.iterdir())
    with pytest.raises(SnapshotNotFoundError, match="can't be rebuilt byte for byte") as caught:
        svc.load(f"calls:v1@sha256:{sha[:8]}")
    assert newest.reference in str(caught.value)  # what can be loaded instead
    assert sorted(p.name for p in svc.cache.directory.iterdir()) == before  # nothing was built in its place
    gone = [s for s in svc.snapshots("calls") if s.sha256 == sha]
    assert [s.where for s in gone] == ["gone"]
    with pytest.raises(SnapshotNotFoundError, match="has no snapshot whose sha256 starts with 00000000"):
        svc.load("calls:v1@sha256:00000000")


def test_malformed_pins_and_disagreements_are_validation_errors(calls):
    svc, _ = calls
    snap = svc.snapshot("calls")
    for bad in ("calls@sha256:xyz", "calls:v1@sha256:abc", "calls@sha256:" + "a" * 65, "calls@sha256:"):
        with pytest.raises(ValidationError, match="8 to 64 hexadecimal digits"):
            svc.load(bad)
    with pytest.raises(ValidationError, match="give only one"):
        svc.load(snap.reference, snapshot="0" * 8)
    with pytest.raises(ValidationError, match="snapshot= takes"):
        svc.load("calls", snapshot=12345678)
    assert svc.load(snap.reference, snapshot=snap.sha256).equals(snap.frame)  # the same, longer: agrees


def test_a_hostile_manifest_in_the_cache_is_ignored_or_refused(calls):
    svc, _ = calls
    snap = svc.snapshot("calls")
    folder = svc.cache.directory
    fake = snap.sha256[:8] + "f" * 56 if not snap.sha256.startswith(snap.sha256[:8] + "f" * 56) else "0" * 64
    # a manifest that claims the prefix for this very version, but whose bytes are nowhere
    manifest = json.loads((folder / f"snap-{snap.sha256}.json").read_text())
    (folder / f"snap-{fake}.json").write_text(json.dumps({**manifest, "entry": f"snap-{fake}", "sha256": fake}))
    with pytest.raises(AmbiguousReferenceError, match="give more digits"):
        svc.load(f"calls@sha256:{snap.sha256[:8]}")
    assert svc.load(f"calls@sha256:{snap.sha256[:12]}").equals(snap.frame)  # more digits settle it
    with pytest.raises(SnapshotNotFoundError, match="can't be read"):  # a manifest whose bytes are nowhere
        svc.load(f"calls@sha256:{fake[:12]}")
    # manifests that are not JSON, or bound to another name, are passed over
    (folder / f"snap-{snap.sha256[:8]}{'e' * 56}.json").write_text("{not json")
    (folder / f"snap-{snap.sha256[:8]}{'d' * 56}.json").write_text(json.dumps(manifest))
    (folder / f"snap-{fake}.json").unlink()
    assert svc.load(f"calls@sha256:{snap.sha256[:8]}").equals(snap.frame)


def test_evaluate_prints_and_records_the_snapshot_and_a_rerun_gets_the_same_rows(calls, tmp_path):
    svc, source = calls
    predictions = tmp_path / "predictions.csv"
    predictions.write_text("content_id,prediction\n1,Yes\n2,No\n3,No\n4,No\n")
    runner = CliRunner()
    db = str(tmp_path / "store.db")
    env = {"COLUMNS": "100", "PLEXUS_DATASETS_DATA_ROOTS": str(tmp_path)}

    def evaluate(ref: str, *more: str):
        result = runner.invoke(cli, ["--db", db, "evaluate", "accuracy", "--dataset", ref, "--predictions",
                                     str(predictions), *more], env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    first = json.loads(evaluate("calls:v1", "--json").stdout)
    snap = svc.snapshot("calls:v1")
    assert first["snapshot"] == snap.reference and first["sha256"] == snap.sha256
    assert first["accuracy"] == pytest.approx(2 / 3)
    profile = svc.latest_profile("calls:v1")
    assert ProfileFacts.of(profile).subject.snapshot_sha256 == snap.sha256  # the profile names that snapshot
    rewrite(source, SECOND)
    changed = json.loads(evaluate("calls:v1", "--fresh", "--json", "--no-profile").stdout)
    assert changed["sha256"] != snap.sha256 and changed["accuracy"] == pytest.approx(1 / 2)  # other rows now
    rerun = evaluate(first["snapshot"])
    assert f"Snapshot: {snap.reference}" in rerun.output and "Accuracy: 0.6667 (2/3)" in rerun.output
    again = json.loads(evaluate(first["snapshot"], "--json", "--no-profile").stdout)
    assert (again["sha256"], again["correct"], again["total"]) == (snap.sha256, first["correct"], first["total"])
    # a sample's profile records the snapshot it was drawn from
    sampled = json.loads(evaluate(first["snapshot"], "--number-of-samples", "2", "--random-seed", "5",
                                  "--json").stdout)
    facts = ProfileFacts.of(svc.list_profiles("calls:v1")[-1])
    assert facts.subject.is_sample and facts.subject.snapshot_sha256 == snap.sha256 and sampled["rows"] == 2


def test_cli_load_and_snapshots_show_the_pinned_reference(calls, tmp_path):
    svc, source = calls
    runner = CliRunner()
    env = {"COLUMNS": "80", "PLEXUS_DATASETS_DATA_ROOTS": str(tmp_path)}
    db = str(tmp_path / "store.db")
    shown = runner.invoke(cli, ["--db", db, "load", "calls"], env=env)
    assert shown.exit_code == 0, shown.output
    snap = svc.snapshot("calls")
    first, second = shown.output.splitlines()[:2]
    assert first == "calls:v1: 3 rows x 3 columns" and second.startswith("  snapshot built ")
    assert second.endswith(f": {snap.reference}")
    assert f"plexus-datasets load {snap.reference} --out" in shown.output
    listed = runner.invoke(cli, ["--db", db, "snapshots", "calls", "--json"], env=env)
    assert [row["sha256"] for row in json.loads(listed.stdout)] == [snap.sha256]
    text = runner.invoke(cli, ["--db", db, "snapshots", "calls"], env=env).output
    line = next(line for line in text.splitlines() if snap.reference in line)
    assert " 3 " in line and " cache " in line and all(len(line) <= 80 for line in text.splitlines())
    bad = runner.invoke(cli, ["--db", db, "load", "calls@sha256:0000000000"], env=env)
    assert bad.exit_code != 0 and "has no snapshot whose sha256 starts with 0000000000" in bad.output
    assert "Traceback" not in bad.output


# --- Plexus's schema: a snapshot is a DataSet's file, fetched by a teammate by its digest ----------

from tests.test_plexus_backend import account, bucket, catalog, plexus, raw, url  # noqa: E402,F401  (fixtures)


def test_on_plexus_a_teammate_loads_a_pinned_snapshot_from_its_data_set(url, plexus, s3, bucket, tmp_path,
                                                                        monkeypatch):
    from plexus_datasets.backends.plexus import PlexusBackend
    from plexus_datasets.compose import trust_policy
    from plexus_datasets.service import DatasetService
    from tests.conftest import PLEXUS_ACCOUNT_KEY, PLEXUS_BUCKET, plexus_transport

    trust = trust_policy(data_roots=[tmp_path])
    svc = DatasetService(plexus, trust=trust)
    card, score = catalog(svc)
    source = tmp_path / "calls.csv"
    rewrite(source, FIRST)
    svc.create_dataset(card, "calls", score=score, configuration={"class": "FileItems", "path": str(source),
                                                                  "label_column": "label"})
    first, first_sha, _ = profiled_before_and_after_change(svc, source)
    stored = {s.sha256 for s in plexus.snapshots(first.dataset_version_id)}
    assert first_sha in stored and len(stored) == 2  # each snapshot is a DataSet with its file

    def teammate(cache: str) -> DatasetService:
        monkeypatch.setenv("PLEXUS_DATASETS_CACHE_DIR", str(tmp_path / cache))  # an empty cache, no mirror
        return DatasetService(PlexusBackend(plexus_transport(url), account_key=PLEXUS_ACCOUNT_KEY,
                                            datasets_bucket=PLEXUS_BUCKET), trust=trust)

    other = teammate("teammate-cache")
    pinned = other.load(f"calls:v1@sha256:{first_sha[:10]}")
    assert pinned["label"].tolist() == ["Yes", "No", "Yes"] and pinned.attrs["plexus_datasets"]["sha256"] == first_sha
    assert {s.where for s in other.snapshots("calls:v1")} == {"cache", "store"}
    assert len(plexus.snapshots(first.dataset_version_id)) == 2  # nothing new was recorded for a pinned load
    other.close()
    # the DataSet's file altered in S3: refused, not replaced by a fresh build
    file = next(s for s in plexus.snapshots(first.dataset_version_id) if s.sha256 == first_sha)
    key = file.location.split(f"s3://{bucket}/", 1)[-1]
    s3.put_object(Bucket=bucket, Key=key, Body=b"PAR1 altered")
    third = teammate("third-cache")
    with pytest.raises(SnapshotMismatchError, match="not the snapshot that was recorded"):
        third.load(f"calls@sha256:{first_sha[:10]}")
    third.close()


def test_widgets_take_pinned_references(calls, tmp_path):
    from plexus_datasets.widgets import DatasetSelector, ProfileView

    svc, source = calls
    first, first_sha, newer = profiled_before_and_after_change(svc, source)
    other = tmp_path / "other.csv"
    rewrite(other, "content_id,label\n9,No\n")
    svc.create_version("calls", {"class": "FileItems", "path": str(other)}, make_current=True)
    # the view of a pinned reference shows the profile of that snapshot, not the newest one
    assert ProfileView(f"calls:v1@sha256:{first_sha[:8]}", service=svc).profile.id == first.id
    assert svc.latest_profile("calls:v1").id == newer.id
    with pytest.raises(SnapshotNotFoundError):  # a pin that names nothing is refused, wherever it is given
        svc.latest_profile(f"calls:v1@sha256:{'0' * 8}")
    # the selector picks the version a bare pin names (v1), not the current one (v2)
    selector = DatasetSelector(svc, ref=f"calls@sha256:{first_sha[:8]}")
    assert selector.value.version_number == 1 and selector.ref == f"calls:v1@sha256:{first_sha[:8]}"
    assert "Pinned to snapshot" in selector.status.value
    assert svc.load(selector.ref).attrs["plexus_datasets"]["sha256"] == first_sha  # the pin survives the widget
    selector.version_dropdown.value = "current"  # another version picked: unpinned
    assert selector.ref == "calls:v2" and selector.snapshot is None


def test_rows_diff_between_two_snapshots_of_one_version(calls, tmp_path):
    svc, source = calls
    first, second = newest_after_change(svc, source)
    diff = svc.diff_rows(first.reference, "calls:v1", key="content_id")
    assert diff.names == (first.reference, "calls:v1")
    assert f"Compared snapshots {first.reference} and {second.reference}" in diff.notes[0]  # which data, exactly
    assert (diff.added, diff.removed, diff.changed, diff.unchanged) == (1, 1, 1, 1)  # 4 new, 3 gone, 1 flipped
    assert [(f.column, f.before, f.after, f.count) for f in diff.label_flips] == [("label", "Yes", "No", 1)]
    runner = CliRunner()
    shown = runner.invoke(cli, ["--db", str(tmp_path / "store.db"), "versions", "diff", first.reference, "calls:v1",
                                "--rows", "--json"], env={"PLEXUS_DATASETS_DATA_ROOTS": str(tmp_path)})
    assert shown.exit_code == 0, shown.output
    counts = json.loads(shown.stdout)["counts"]
    assert (counts["added"], counts["removed"], counts["changed"]) == (1, 1, 1)


def test_the_diff_table_compares_two_snapshots_of_one_version(calls):
    from plexus_datasets.widgets import VersionDiffTable

    svc, source = calls
    first, first_sha, newer = profiled_before_and_after_change(svc, source)
    newer_sha = ProfileFacts.of(newer).subject.snapshot_sha256
    table = VersionDiffTable("calls", a=f"calls:v1@sha256:{first_sha[:8]}", b=f"calls@sha256:{newer_sha[:8]}",
                             service=svc, key="content_id")
    assert table.a_dropdown.label == f"v1 @{first_sha[:8]}" and table.b_dropdown.label == f"v1 @{newer_sha[:8]}"
    plain = VersionDiffTable("calls", a=f"calls:v1@sha256:{first_sha[:8]}", b="calls:v1", service=svc)
    assert plain.b_dropdown.value == newer.dataset_version_id and plain.row_diff is not None  # a whole reference
    assert table.diff is not None and len(table.diff) == 0  # one configuration
    assert table.comparison is not None and table.comparison.to_dict()["rows_a"] == 3  # each snapshot's profile
    diff = table.row_diff  # both cached: compared without asking
    assert diff is not None and (diff.added, diff.removed, diff.changed) == (1, 1, 1)
    assert diff.names == (f"calls:v1@sha256:{first_sha[:12]}", f"calls:v1@sha256:{newer_sha[:12]}")
    svc.create_dataset(svc.list_scorecards()[0], "other", configuration={"class": "FileItems", "path": str(source)})
    with pytest.warns(Warning):
        other = svc.snapshot("other")
    # another dataset's snapshot is said in the widget, not raised
    bad = VersionDiffTable("calls", a=other.reference, service=svc)
    assert "another dataset&#x27;s version" in bad.status.value  # escaped, as all user text


def test_identical_bytes_built_for_two_versions_stay_pinned_for_both(calls):
    svc, source = calls
    first = svc.snapshot("calls:v1")
    svc.create_version("calls", {"class": "FileItems", "path": str(source), "balance": False})  # the same rows
    second = svc.snapshot("calls:v2")
    assert second.sha256 == first.sha256
    for ref in (f"calls:v1@sha256:{first.sha256[:10]}", f"calls:v2@sha256:{first.sha256[:10]}"):
        assert svc.load(ref).equals(first.frame)
    assert [s.sha256 for s in svc.snapshots("calls:v1")] == [first.sha256]
    assert [s.sha256 for s in svc.snapshots("calls:v2")] == [first.sha256]
    manifest = json.loads((svc.cache.directory / f"snap-{first.sha256}.json").read_text())
    assert len(manifest["keys"]) == 2 and manifest["built_at"] == first.built_at  # the first build time kept


def test_a_damaged_entry_is_rebuilt_and_its_pin_repaired(calls):
    svc, _ = calls
    snap = svc.snapshot("calls")
    version = svc.resolve("calls")
    entry = svc.cache.paths(version.id, version.digest)[0]
    with open(entry, "r+b") as handle:  # damaged in place: the pin (the same file) is damaged too
        handle.truncate(10)
    with pytest.raises(SnapshotMismatchError):
        svc.load(snap.reference)
    assert svc.load("calls").equals(snap.frame)  # the entry is rebuilt from the source...
    assert svc.load(snap.reference).equals(snap.frame)  # ...and the pin with it (same bytes)


def test_pins_reach_every_face_that_takes_a_reference(calls, tmp_path):
    svc, source = calls
    first, first_sha, newer = profiled_before_and_after_change(svc, source)
    pinned = f"calls:v1@sha256:{first_sha[:10]}"
    runner = CliRunner()
    db = str(tmp_path / "store.db")
    env = {"COLUMNS": "100", "PLEXUS_DATASETS_DATA_ROOTS": str(tmp_path)}
    # profiles record REF@sha256 profiles that snapshot, not the newest
    recorded = runner.invoke(cli, ["--db", db, "profiles", "record", pinned, "--json"], env=env)
    assert recorded.exit_code == 0, recorded.output
    assert json.loads(recorded.stdout)["record_counts"]["subject"]["snapshot"]["sha256"] == first_sha
    # dated when that older snapshot was built: the newest data's profile stays "the version's profile"
    assert svc.latest_profile("calls:v1").id == newer.id
    assert [s.latest_profile.id for s in svc.dataset_summaries()] == [newer.id]
    # compare_profiles of two pins compares those snapshots' profiles
    newest = svc.snapshot("calls:v1")
    compared = svc.compare_profiles(pinned, f"calls:v1@sha256:{newest.sha256[:10]}").to_dict()
    assert compared["subject_a"]["snapshot_sha256"] == first_sha
    assert compared["subject_b"]["snapshot_sha256"] == newest.sha256 != first_sha
    # evaluate --dataset-id ID@sha256 evaluates that snapshot
    predictions = tmp_path / "predictions.csv"
    predictions.write_text("content_id,prediction\n1,Yes\n2,No\n3,No\n4,No\n")
    dataset_id = svc.get_dataset("calls").id
    evaluated = runner.invoke(cli, ["--db", db, "evaluate", "accuracy", "--dataset-id", f"{dataset_id}@sha256:"
                                    f"{first_sha[:10]}", "--predictions", str(predictions), "--json", "--no-profile"],
                              env=env)
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["sha256"] == first_sha
    # a pin and --fresh contradict each other
    both = runner.invoke(cli, ["--db", db, "load", pinned, "--fresh"], env=env)
    assert both.exit_code == 1 and "give one or the other" in both.output
    with pytest.raises(ValidationError, match="give one or the other"):
        svc.load(pinned, fresh=True)
    # a sample's profile can't pin (it is not a snapshot), and says which snapshot it was drawn from
    sample = svc.profile_frame("calls:v1", newest.frame.head(2), population=3, seed=4, drawn_from=newest)
    with pytest.raises(ValidationError, match=f"sample of 2 rows drawn from snapshot sha256:{newest.sha256}"):
        svc.load("calls:v1", snapshot=sample)


def test_the_snapshot_list_is_a_table_in_a_notebook_and_a_dataframe(tmp_path):
    svc = connect(str(tmp_path / "store.db"), data_roots=[tmp_path])
    source = tmp_path / "calls.csv"
    rewrite(source, FIRST)
    card = svc.create_scorecard("QA", key="qa")
    svc.create_dataset(card, "<b>calls</b>", configuration={"class": "FileItems", "path": str(source)})
    snap = svc.snapshot("<b>calls</b>")
    listed = svc.snapshots("<b>calls</b>")
    frame = listed.to_dataframe()
    assert frame["sha256"].tolist() == [snap.sha256] and frame["rows"].tolist() == [3]
    shown = listed._repr_html_()
    assert "&lt;b&gt;calls&lt;/b&gt;:v1@sha256:" in shown and "<b>calls</b>" not in shown  # escaped
    svc.close()
