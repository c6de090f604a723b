"""Facts about the plan's GraphQL contract (``server/contracts/plan/amplify_datasets.graphql``) shared by client and server.

Operation names follow Amplify's generator: ``get{Model}``, ``list{Model}s``,
``list{Model}By{IndexField}``, ``create|update|delete{Model}``. ``RELATIONS``
lists each model's relationship fields: ``belongsTo`` ones resolve a foreign
key with ``get``, ``hasMany`` ones list the target by the field that points
back (through its index when it has one).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from .specs import MODEL_SPECS

__all__ = ["AWSJSON_FIELDS", "RELATIONS", "Relation", "index_query", "list_query", "scalar_fields", "schema_text"]


@dataclass(frozen=True)
class Relation:
    kind: Literal["belongsTo", "hasMany"]
    target: str
    key: str  # belongsTo: our field holding the target id; hasMany: the target's field holding our id


RELATIONS: dict[str, dict[str, Relation]] = {
    "Scorecard": {
        "sections": Relation("hasMany", "ScorecardSection", "scorecardId"),
        "datasets": Relation("hasMany", "Dataset", "scorecardId"),
    },
    "ScorecardSection": {
        "scorecard": Relation("belongsTo", "Scorecard", "scorecardId"),
        "scores": Relation("hasMany", "Score", "sectionId"),
    },
    "Score": {
        "section": Relation("belongsTo", "ScorecardSection", "sectionId"),
        "datasets": Relation("hasMany", "Dataset", "scoreId"),
    },
    "Dataset": {
        "scorecard": Relation("belongsTo", "Scorecard", "scorecardId"),
        "score": Relation("belongsTo", "Score", "scoreId"),
        "currentVersion": Relation("belongsTo", "DatasetVersion", "currentVersionId"),
        "versions": Relation("hasMany", "DatasetVersion", "datasetId"),
        "profiles": Relation("hasMany", "DatasetProfile", "datasetId"),
    },
    "DatasetVersion": {
        "dataset": Relation("belongsTo", "Dataset", "datasetId"),
        "profiles": Relation("hasMany", "DatasetProfile", "datasetVersionId"),
        "datasetsAsCurrentVersion": Relation("hasMany", "Dataset", "currentVersionId"),
    },
    "DatasetProfile": {
        "dataset": Relation("belongsTo", "Dataset", "datasetId"),
        "datasetVersion": Relation("belongsTo", "DatasetVersion", "datasetVersionId"),
    },
}

AWSJSON_FIELDS: dict[str, set[str]] = {
    name: {f for f, kind in spec.fields.items() if kind == "json"} for name, spec in MODEL_SPECS.items()
}


def scalar_fields(model: str) -> list[str]:
    """The contract's scalar fields of a model, in a stable order."""
    return list(MODEL_SPECS[model].fields)


def list_query(model: str) -> str:
    return f"list{model}s"


def index_query(model: str, field: str) -> str:
    return f"list{model}By{field[0].upper()}{field[1:]}"


@lru_cache(maxsize=1)
def schema_text() -> str:
    """The plan's SDL: the copy packaged with the stand-in's contracts (read as a file: backends never
    import the server)."""
    folder = resources.files("plexus_datasets").joinpath("server").joinpath("contracts").joinpath("plan")
    return folder.joinpath("amplify_datasets.graphql").read_text(encoding="utf-8")
