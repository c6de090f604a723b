"""The SQL store's schema history. Append-only, frozen as written.

Each migration is a named step that spells out the tables and indexes it
creates with its own ``sa.MetaData``: it never reads today's table definitions
(``specs`` / ``sql.TABLES``), so a released migration means the same thing
forever. ``tests/test_schema_agreement.py`` checks that applying them all gives
exactly the tables the models describe today.

Never edit a released migration; add the next one.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["MIGRATIONS"]


def _v1_tables(metadata: sa.MetaData) -> list[sa.Table]:
    """Version 1 (0.1.0): the six contract models, column names as on the wire."""

    def table(name: str, *columns: sa.Column, indexes: tuple[str, ...] = ()) -> sa.Table:
        t = sa.Table(
            name, metadata,
            sa.Column("id", sa.String(255), primary_key=True),
            *columns,
            sa.Column("createdAt", sa.String(40), nullable=False),
            sa.Column("updatedAt", sa.String(40), nullable=False),
        )
        for column in indexes:
            sa.Index(f"ix_{name}_{column}", t.c[column])
        return t

    scorecards = table("scorecards", sa.Column("name", sa.Text, nullable=False),
                       sa.Column("key", sa.Text, nullable=False), sa.Column("description", sa.Text),
                       sa.Column("externalId", sa.Text), sa.Column("accountId", sa.Text, nullable=False),
                       indexes=("key", "externalId", "accountId"))
    sections = table("scorecard_sections", sa.Column("name", sa.Text, nullable=False),
                     sa.Column("order", sa.Integer, nullable=False),
                     sa.Column("scorecardId", sa.String(255), nullable=False), indexes=("scorecardId",))
    scores = table("scores", sa.Column("name", sa.Text, nullable=False), sa.Column("key", sa.Text),
                   sa.Column("description", sa.Text), sa.Column("order", sa.Integer, nullable=False),
                   sa.Column("type", sa.Text, nullable=False), sa.Column("externalId", sa.Text),
                   sa.Column("sectionId", sa.String(255), nullable=False), sa.Column("metadata", sa.Text),
                   indexes=("sectionId", "key", "externalId"))
    datasets = table("datasets", sa.Column("name", sa.Text, nullable=False), sa.Column("description", sa.Text),
                     sa.Column("scorecardId", sa.String(255), nullable=False),
                     sa.Column("scoreId", sa.String(255)), sa.Column("currentVersionId", sa.String(255)),
                     indexes=("scorecardId", "scoreId"))
    versions = table("dataset_versions", sa.Column("datasetId", sa.String(255), nullable=False),
                     sa.Column("versionNumber", sa.Integer, nullable=False),
                     sa.Column("configuration", sa.Text, nullable=False), indexes=("datasetId",))
    profiles = table("dataset_profiles", sa.Column("datasetId", sa.String(255), nullable=False),
                     sa.Column("datasetVersionId", sa.String(255), nullable=False),
                     sa.Column("columnList", sa.Text, nullable=False),
                     sa.Column("recordCounts", sa.Text, nullable=False),
                     sa.Column("answerDistribution", sa.Text, nullable=False),
                     indexes=("datasetId", "datasetVersionId"))
    # Dataset names are looked up within a scorecard on every create and rename.
    sa.Index("ix_datasets_scorecard_name", datasets.c.scorecardId, datasets.c.name)
    # Belt and braces on version numbers: one (dataset, number) pair, whatever the ids.
    sa.Index("ux_dataset_versions_number", versions.c.datasetId, versions.c.versionNumber, unique=True)
    return [scorecards, sections, scores, datasets, versions, profiles]


def create_contract_tables(conn: Connection) -> None:
    """1: the six models of the dataset plan's contract."""
    metadata = sa.MetaData()
    metadata.create_all(conn, tables=_v1_tables(metadata))


def index_names(conn: Connection) -> None:
    """2: names are looked up directly (``resolve("calls:v2")``), not by listing."""
    for table in ("scorecards", "scores", "datasets"):
        conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS "ix_{table}_name" ON "{table}" ("name")'))


#: Append-only. Never edit a released migration; add the next one.
MIGRATIONS: list[Callable[[Connection], None]] = [create_contract_tables, index_names]
