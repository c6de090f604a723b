"""Amplify's own JavaScript data client (aws-amplify v6 generateClient, as the Plexus dashboard
uses it) against the stand-in server, unchanged: models API, relationship loaders, index queries,
filtered paging, conditions, and records the Python package wrote."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from plexus_datasets import connect
from plexus_datasets.formats import config_digest
from tests.servers import ServeProcess

HERE = Path(__file__).resolve().parent / "amplify_client"
NODE = shutil.which("node")


@pytest.mark.slow
def test_amplify_data_client_works_against_the_stand_in(tmp_path):
    assert NODE, "Node.js is needed (scripts/test.sh installs it)"
    assert (HERE / "node_modules" / "aws-amplify").exists(), "run `npm ci` in tests/amplify_client (scripts/test.sh does)"
    introspection = tmp_path / "model-introspection.json"
    subprocess.run([NODE, "gen.mjs", str(introspection)], cwd=HERE, check=True, timeout=120)
    models = json.loads(introspection.read_text())["models"]
    assert set(models) == {"Scorecard", "ScorecardSection", "Score", "Dataset", "DatasetVersion", "DatasetProfile"}

    with ServeProcess(str(tmp_path / "team.db"), api_key="amplify-key") as served:
        py = connect(api_url=served.url, api_key="amplify-key")
        card = py.create_scorecard("Python QA", key="py-qa")
        written = py.create_dataset(card, "from-python", configuration={"class": "InlineItems", "items": [{"a": 1}]},
                                    note="written by plexus_datasets")
        py.close()
        env = {**os.environ, "API_URL": served.url, "API_KEY": "amplify-key",
               "MODEL_INTROSPECTION": str(introspection), "PY_DATASET_ID": written.id}
        done = subprocess.run([NODE, "check.mjs"], cwd=HERE, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["lazyVersionNumbers"] == [1, 2, 3]  # dataset.versions(): the hasMany loader
    assert result["currentVersionNumber"] == 3  # dataset.currentVersion(): belongsTo
    assert result["currentConfiguration"] == {"class": "FileItems", "path": "v3.csv"}  # AWSJSON round trip
    assert result["scorecardName"] == "JS QA"
    assert result["pagedNames"] == [f"calls-{i}" for i in range(5)]  # no duplicates, no gaps
    assert all(size <= 2 for size in result["pageSizes"]) and sum(result["pageSizes"]) == 5
    assert result["byScorecard"] == 5  # client.models.Dataset.listDatasetByScorecardId
    assert result["staleErrorType"] == "DynamoDB:ConditionalCheckFailedException"
    assert result["deleted"] == "calls-4" and result["afterDelete"] is None
    # What Python wrote reads in the dashboard's client (the note rides inside the configuration).
    assert result["python"]["name"] == "from-python" and result["python"]["versionNumber"] == 1
    assert result["python"]["configuration"]["class"] == "InlineItems"
    # Its metadata rides there too: the configuration digest recorded at creation, and the note.
    assert result["python"]["configuration"]["_plexus_datasets"] == {
        "digest": config_digest({"class": "InlineItems", "items": [{"a": 1}]}), "note": "written by plexus_datasets"}
