"""The /plexus-datasets/ endpoints, through a real Jupyter server (pytest-jupyter)."""

import json

import pytest

from tornado.httpclient import HTTPClientError


async def get(jp_fetch, *path, **params):
    response = await jp_fetch("plexus-datasets", *path, params=params or None)
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def test_scorecards_and_datasets(jp_fetch, demo_db):
    cards = await get(jp_fetch, "scorecards")
    assert [c["key"] for c in cards] == ["demo-cc-qa"]
    rows = await get(jp_fetch, "datasets", scorecard=cards[0]["id"])
    assert [r["name"] for r in rows] == ["greeting-calls", "greeting-calls-balanced", "misrepresentation-review"]
    first = rows[0]
    assert (first["currentVersion"], first["versions"], first["records"]) == (3, 3, 80)
    assert first["lastProfile"].startswith("2025-02-10")
    assert [r["name"] for r in await get(jp_fetch, "datasets", name="BALANCED")] == ["greeting-calls-balanced"]


async def test_dataset_with_versions_and_profile_summary(jp_fetch, demo_db):
    rows = await get(jp_fetch, "datasets")
    detail = await get(jp_fetch, "datasets", rows[0]["id"])
    assert detail["dataset"]["name"] == "greeting-calls"
    assert [(v["number"], v["current"]) for v in detail["versions"]] == [(1, False), (2, False), (3, True)]
    assert detail["versions"][0]["note"] == "first cut"
    profile = await get(jp_fetch, "versions", detail["versions"][2]["id"], "profile")
    assert profile["rows"] == 80 and profile["columns"] == 3
    assert profile["answers"]["Greeting"]["counts"] == {"Yes": 51, "No": 25} and profile["answers"]["Greeting"]["null"] == 4


async def test_unknown_ids_are_json_404s(jp_fetch, demo_db):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("plexus-datasets", "datasets", "no-such-id")
    assert info.value.code == 404
    body = json.loads(info.value.response.body)
    assert body["status"] == 404 and "no-such-id" in body["message"]


@pytest.mark.parametrize("path", ["scorecards", "datasets", "datasets/x", "versions/x/profile"])
async def test_unauthenticated_requests_are_refused(http_server_client, jp_base_url, jp_serverapp, demo_db, path):
    # The same server jp_fetch talks to, without the token jp_fetch adds.
    response = await http_server_client.fetch(f"{jp_base_url}plexus-datasets/{path}", raise_error=False)
    assert response.code == 403
    assert b"Traceback" not in response.body and b"greeting" not in response.body


async def test_a_store_that_is_down_is_a_clear_json_error(jp_fetch, tmp_path, monkeypatch):
    broken = tmp_path / "plain-file"
    broken.write_text("")
    monkeypatch.setenv("PLEXUS_DATASETS_DB", str(broken / "sub" / "x.db"))  # can't exist: a file is in the way
    monkeypatch.delenv("PLEXUS_API_URL", raising=False)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("plexus-datasets", "scorecards")
    assert info.value.code == 503
    body = json.loads(info.value.response.body)
    assert body["status"] == 503
    assert body["message"].startswith("The dataset store is unavailable:") and "PLEXUS_DATASETS_DB" in body["message"]
    assert "Traceback" not in body["message"]


