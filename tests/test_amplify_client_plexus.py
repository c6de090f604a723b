"""Amplify's own JavaScript data client (aws-amplify v6 generateClient), configured with Plexus's model
introspection as the dashboard is, against ``plexus-datasets serve --schema plexus``: models, relationship
loaders, index queries with key conditions (single and composite sort keys), filtered paging, conditions
and deletes, driven by ``tests/amplify_client/check_plexus.mjs``."""

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from plexus_datasets.server.contract import CONTRACT_FILES
from tests.servers import ServeProcess

HERE = Path(__file__).resolve().parent / "amplify_client"
NODE = shutil.which("node")
CALLS = [f"calls-{i}" for i in range(5)]


def plexus_time(day: int, minute: int = 0) -> str:
    """The timestamps check_plexus.mjs writes, as Plexus writes them (microseconds, +00:00)."""
    return f"2025-03-{day:02d}T10:{minute:02d}:00.123456+00:00"


def run_check(served: ServeProcess, api_key: str, account_key: str) -> dict:
    introspection = resources.files("plexus_datasets.server") / "contracts" / "plexus" / CONTRACT_FILES["plexus"][1]
    env = {**os.environ, "MODEL_INTROSPECTION": str(introspection)}  # the very file the server loaded
    done = subprocess.run([NODE, "check_plexus.mjs", served.url, api_key, account_key], cwd=HERE, env=env,
                          check=False, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_amplify_data_client_drives_the_plexus_schema(tmp_path):
    assert NODE, "Node.js is needed (scripts/test.sh installs it)"
    assert (HERE / "node_modules" / "aws-amplify").exists(), "run `npm ci` in tests/amplify_client (scripts/test.sh does)"
    extra = ["--schema", "plexus", "--account-key", "acme"]
    with ServeProcess(str(tmp_path / "plexus.db"), api_key="plexus-key", extra=extra) as served:
        result = run_check(served, "plexus-key", "acme")

    # Accounts: the one `--account-key` made, found through the generated listAccountByKey; AWSJSON settings.
    assert result["servedAccount"] == [{"name": "Plexus account acme", "key": "acme"}]
    assert result["accountSettings"] == {"theme": "dark"}
    assert result["withoutSortDirection"] == 1

    # Creates keep Plexus's client timestamps exactly as sent.
    assert result["sourceTimestamps"] == [plexus_time(1), plexus_time(1)]
    assert result["versionCreatedAt"] == [plexus_time(n) for n in (2, 3, 4, 5)]

    # Relationship loaders: belongsTo (get by FK), hasMany (list filtered on the FK), and a nested selection set.
    assert (result["scoreSection"], result["sectionScores"], result["scorecardSections"]) == ("Main", ["Greeting"],
                                                                                              ["Main"])
    assert result["sourceGot"] == {"name": "Support calls", "key": "support-calls",
                                   "attachedFiles": ["s3://bucket/calls.csv"], "currentVersionId": None}
    assert result["sourceVersions"] == ["v1", "v2", "v3", "v4"]
    assert result["sourceAccount"] == "js-account"
    assert result["sourceCurrentBefore"] is None  # null FK: no current version yet
    assert result["versionSource"] == "Support calls"
    assert (result["versionParent"], result["versionChildren"]) == ("v2", ["v4"])
    assert result["versionDataSets"] == ["extra", "holdout", "train"]
    assert (result["dataSetVersion"], result["dataSetScoreVersion"]) == ("v3", "sv1")
    assert result["buildContext"] == {"source": "Support calls", "rows": 120, "columns": ["text", "Greeting"],
                                      "split": {"train": 0.8}, "name": "train"}  # AWSJSON string round trip
    assert result["scorecardDataSources"] == ["Support calls"]
    assert result["scoreDataSets"] == ["extra", "holdout", "old", "train"]
    assert result["nested"] == {"account": "js-account", "versions": ["v1", "v2", "v3", "v4"],
                                "dataSetsPerVersion": {"v1": 1, "v2": 0, "v3": 3, "v4": 0}}

    # Index queries: sort-key conditions, sort direction, filters on top of them.
    assert result["versionsAsc"] == ["v1", "v2", "v3", "v4"]
    assert result["versionsDesc"] == ["v4", "v3", "v2", "v1"]
    assert result["versionsBetween"] == ["v2", "v3"]
    assert result["versionsGeDesc"] == ["v4", "v3", "v2"]
    assert result["versionsBeginsWith"] == ["v4"]
    assert result["versionsLtFiltered"] == ["v1", "v3"]  # createdAt < v4's, isFeatured only
    assert result["sourceByName"] == [True]
    assert result["sourceByKey"] == ["support-calls"]
    assert result["referenceSets"] == ["train"]
    assert result["scorecardByExternalId"] == ["support-qa"]
    assert result["keyedSources"] == sorted([*CALLS, "support-calls"])  # the key index is sparse
    # The composite sort key isFeatured#createdAt (listScoreVersionByScoreIdAndIsFeaturedAndCreatedAt).
    assert result["featuredScoreVersions"] == ["sv4", "sv3", "sv1"]
    assert result["featuredBetween"] == ["sv3", "sv4"]
    assert result["scoreVersionsUpToDay3Desc"] == ["sv3", "sv2", "sv1"]
    # sortDirection on an index without a sort key: AppSync's resolver error.
    assert result["noSortKeyError"] == {
        "type": "InvalidArgumentsError",
        "message": "sortDirection is not supported for List operations without a Sort key defined."}
    assert result["noSortKeySectionsError"] == "InvalidArgumentsError"

    # Filtered paging: the filter applies after the limit, so pages run short (even empty) while a
    # nextToken follows; following it to the end sees every match exactly once.
    index, index_desc, scan = result["indexPaging"], result["indexPagingDesc"], result["scanPaging"]
    assert index["names"] == CALLS and index_desc["names"] == CALLS[::-1]  # in sort-key order
    assert sorted(scan["names"]) == CALLS and len(set(scan["names"])) == 5
    assert all(size <= 2 for size in index["sizes"] + scan["sizes"]) and all(s <= 3 for s in index_desc["sizes"])
    assert index["sizes"][:4] == [1, 1, 1, 1] and index["shortPagesWithToken"] >= 4  # interleaved calls/other
    assert scan["shortPagesWithToken"] >= 1 and index_desc["shortPagesWithToken"] >= 1

    # Conditions. The models API sends no `condition` (so a stale one there goes unchecked: the client's doing)...
    assert result["modelsApiCondition"] == {"errorType": None, "currentVersion": "v1"}
    # ...and the pointer swap through client.graphql is a compare-and-set; updatedAt becomes server now.
    assert result["swap"] == {"currentVersion": "v3"} and result["swapUpdatedAtIsServerNow"] is True
    assert result["staleSwap"] == {"errorType": "DynamoDB:ConditionalCheckFailedException", "data": None}
    assert result["sourceCurrentAfter"] == "v3"
    assert result["conditionalCreate"] == "DynamoDB:ConditionalCheckFailedException"
    assert result["versionsAfterConditionalCreate"] == 4  # nothing written

    # Delete returns the old item; it is gone from get and from the loader; deleting it again fails.
    assert (result["deleted"], result["afterDelete"]) == ("extra", None)
    assert result["versionDataSetsAfterDelete"] == ["holdout", "train"]
    assert result["deleteMissingError"] == "DynamoDB:ConditionalCheckFailedException"
