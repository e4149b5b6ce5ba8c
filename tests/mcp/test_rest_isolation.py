"""The REST mirror of the registry and the audit, per tenant."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_tool_calls_are_recorded_per_tenant(team_a, team_b, client_for):
    alpha = client_for(key=team_a.api_key(scopes=("read",)))
    answer = alpha.post("/api/v1/mcp/tools/call", {"name": "whoami", "arguments": {}},
                        format="json").json()
    assert answer["structuredContent"]["tenant"]["slug"] == "alpha"
    assert [c["tool"] for c in alpha.get("/api/v1/mcp/tool-calls").json()["results"]] == \
        ["whoami"]
    bravo = client_for(jwt=team_b.jwt())
    assert bravo.get("/api/v1/mcp/tool-calls").json()["results"] == []
    mismatch = client_for(jwt=team_b.jwt(), host=team_a.host).get("/api/v1/mcp/tool-calls")
    assert mismatch.status_code == 403
    assert "whoami" not in mismatch.content.decode()


def test_read_only_key_lists_only_read_tools_and_cannot_call_write(team_a, client_for):
    client = client_for(key=team_a.api_key(scopes=("read",)))
    names = {t["name"] for t in client.post("/api/v1/mcp/tools/list", {},
                                            format="json").json()["tools"]}
    assert "list_records" in names and "delete_records" not in names
    refused = client.post("/api/v1/mcp/tools/call", {"name": "delete_records", "arguments": {
        "baseId": "app00000000000000", "table": "T", "recordIds": ["rec00000000000000"]}},
        format="json").json()
    assert refused["isError"] is True
    assert refused["structuredContent"] is None
    assert json.loads(refused["content"][0]["text"])["error"]["code"] == "ERROR_READ_ONLY"


def test_bad_tool_call_bodies_are_400(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    for body in ({}, {"name": ""}, {"name": "x" * 500}, ["whoami"], {"name": None}):
        response = client.post("/api/v1/mcp/tools/call", body, format="json")
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/problem+json"
    bad_args = client.post("/api/v1/mcp/tools/call",
                           {"name": "list_records", "arguments": {"baseId": 5}}, format="json")
    assert bad_args.status_code == 200
    assert bad_args.json()["isError"] is True
    assert "baseId" in bad_args.json()["content"][0]["text"]


def test_no_credential_is_401(anon):
    assert anon.post("/api/v1/mcp/tools/list", {}, format="json").status_code == 401
