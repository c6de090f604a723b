"""The SQLite store itself: file placement, WAL, migrations, indexes, error translation."""

import sqlite3

import pytest
import sqlalchemy as sa

from plexus_datasets import BackendError, BackendUnavailableError, SchemaVersionError, connect
from plexus_datasets.backends.sql import SCHEMA_VERSION, SQLBackend, sqlalchemy_url
from plexus_datasets.settings import Settings


def test_default_path_comes_from_env(monkeypatch, tmp_path):
    target = tmp_path / "nested" / "dir" / "my.db"
    monkeypatch.setenv("PLEXUS_DATASETS_DB", str(target))
    svc = connect()
    svc.create_scorecard("QA")
    assert target.exists() and str(target) in svc.backend.description
    svc.close()
    monkeypatch.delenv("PLEXUS_DATASETS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Settings.from_env().database.endswith("plexus-datasets/datasets.db")


def test_sqlalchemy_url_accepts_paths_and_urls(tmp_path):
    assert sqlalchemy_url("sqlite:///:memory:") == "sqlite:///:memory:"
    assert sqlalchemy_url(":memory:") == "sqlite:///:memory:"
    assert sqlalchemy_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path}/a.db"
    assert sqlalchemy_url("postgresql+psycopg://u@127.0.0.1/db").startswith("postgresql")


def test_wal_and_indexes_for_every_lookup(db_path):
    SQLBackend(str(db_path)).close()
    con = sqlite3.connect(db_path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexed = {(table, col) for table, in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
               for idx in con.execute(f"PRAGMA index_list('{table}')")
               for col in [r[2] for r in con.execute(f"PRAGMA index_info('{idx[1]}')")][:1]}
    for needed in [("datasets", "scorecardId"), ("datasets", "scoreId"), ("dataset_versions", "datasetId"),
                   ("dataset_profiles", "datasetId"), ("dataset_profiles", "datasetVersionId"),
                   ("scorecard_sections", "scorecardId"), ("scores", "sectionId"), ("scores", "key")]:
        assert needed in indexed, needed
    plan = " ".join(str(r) for r in con.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM dataset_versions WHERE datasetId = ? ORDER BY id", ("x",)))
    assert "USING INDEX" in plan


def test_migrations_are_recorded_and_idempotent(db_path):
    SQLBackend(str(db_path)).close()
    backend = SQLBackend(str(db_path))  # second open applies nothing
    assert backend.schema_version() == SCHEMA_VERSION
    backend.close()
    rows = sqlite3.connect(db_path).execute("SELECT version FROM plexus_datasets_schema").fetchall()
    assert rows == [(SCHEMA_VERSION,)]


def test_newer_schema_is_refused_untouched(db_path):
    svc = connect(str(db_path))
    svc.create_scorecard("QA")
    svc.close()
    con = sqlite3.connect(db_path)
    con.execute("UPDATE plexus_datasets_schema SET version = 99")
    con.commit()
    con.close()
    with pytest.raises(SchemaVersionError, match="schema version 99.*Upgrade plexus-datasets"):
        SQLBackend(str(db_path))
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT version FROM plexus_datasets_schema").fetchone() == (99,)
    assert con.execute("SELECT count(*) FROM scorecards").fetchone() == (1,)


def test_unwritable_location_is_a_clear_error(tmp_path):
    a_file = tmp_path / "plain-file"
    a_file.write_text("")  # a folder can't be made under a file, even by root
    with pytest.raises(BackendUnavailableError, match="PLEXUS_DATASETS_DB"):
        SQLBackend(str(a_file / "sub" / "x.db"))


def test_a_file_that_is_not_a_database(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_text("this is not sqlite " * 100)
    with pytest.raises(BackendError, match="not a database.*PLEXUS_DATASETS_DB") as info:
        SQLBackend(str(bogus))
    assert isinstance(info.value.__cause__, sa.exc.SQLAlchemyError)
    assert bogus.read_text().startswith("this is not sqlite")


def test_directory_path_is_a_clear_error(tmp_path):
    with pytest.raises(BackendUnavailableError):
        SQLBackend(str(tmp_path))


def test_summaries_take_a_fixed_number_of_queries_and_read_profiles_only_when_shown(db_path):
    """Three queries for the listing (profiles as stamps, no JSON), then the service's batched reads:
    the current versions' newest profiles, and once more for those whose newest is a sample."""
    from plexus_datasets.service import DatasetService

    backend = SQLBackend(str(db_path))
    svc = DatasetService(backend)
    card = svc.create_scorecard("QA", key="qa")
    sample = {"spec": 2, "rows": 1, "subject": {"kind": "sample", "rows": 1, "population": 5, "seed": 1,
                                                "purpose": "evaluation"}}
    with backend.transaction():
        for d in range(30):
            svc.create_dataset(card, f"ds-{d:02}", configuration={"class": "InlineItems", "items": [{"d": d}]})
            svc.record_profile(f"ds-{d:02}:1", ["d"], {"spec": 1, "rows": d}, {})
            if d % 2:
                svc.record_profile(f"ds-{d:02}:1", ["d"], sample, {})
    statements: list[str] = []
    sa.event.listen(backend._engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *args: statements.append(statement))
    summaries = svc.dataset_summaries()
    assert [s.record_count for s in summaries] == list(range(30))
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    profile_reads = [s for s in selects if "dataset_profiles" in s]
    assert len(selects) == 6, selects  # datasets, version numbers, profile stamps, current versions, round 1, round 2
    assert len(profile_reads) == 3
    assert '"recordCounts"' not in profile_reads[0] and '"recordCounts"' in profile_reads[1]  # stamps, then records
    svc.close()
