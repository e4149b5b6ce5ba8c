"""The official MCP client (2.x SDK) against /mcp of a real server process."""

import asyncio
import json

import httpx
import pytest
from django.db import connection

from tests.conftest import committed_team

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def live_keys(django_db_setup, django_db_blocker):
    """Committed keys of two tenants of their own, so the server process sees them."""
    from apps.accounts.services import api_key_create

    with django_db_blocker.unblock():
        keys = {}
        for slug in ("alpha", "bravo"):
            team = committed_team(f"mcp-{slug}")
            tenant, user = team.tenant, team.owner
            keys[slug] = {
                "rw": api_key_create(tenant=tenant, user=user, name="mcp rw",
                                     scopes=["read", "write"])[1],
                "ro": api_key_create(tenant=tenant, user=user, name="mcp ro",
                                     scopes=["read"])[1],
            }
        connection.close()
    return keys


async def _session_call(url, key, calls, header="bearer"):
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-API-Key": key}
    results = []
    import httpx2

    async with httpx2.AsyncClient(headers=headers, timeout=30) as http, \
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_), \
            ClientSession(read, write) as session:
        await session.initialize()
        for call in calls:
            results.append(await call(session))
    return results


def test_client_lists_tools_and_calls_whoami(platform_server, live_keys):
    async def list_tools(session):
        return await session.list_tools()

    async def whoami(session):
        return await session.call_tool("whoami", {})

    tools, result = asyncio.run(_session_call(platform_server.url, live_keys["alpha"]["rw"],
                                              [list_tools, whoami]))
    assert "whoami" in [tool.name for tool in tools.tools]
    assert result.is_error is False
    assert result.structured_content["tenant"]["slug"] == "mcp-alpha"
    assert result.structured_content["scopes"] == ["read", "write"]


def test_read_only_key_sees_read_scope(platform_server, live_keys):
    async def whoami(session):
        return await session.call_tool("whoami", {})

    (result,) = asyncio.run(_session_call(platform_server.url, live_keys["bravo"]["ro"],
                                          [whoami], header="x-api-key"))
    assert result.structured_content["tenant"]["slug"] == "mcp-bravo"
    assert result.structured_content["scopes"] == ["read"]


def test_unknown_tool_and_bad_arguments_are_tool_errors(platform_server, live_keys):
    async def unknown(session):
        return await session.call_tool("no_such_tool", {})

    async def bad(session):
        return await session.call_tool("whoami", {"surprise": 1})

    missing, invalid = asyncio.run(_session_call(platform_server.url, live_keys["alpha"]["ro"],
                                                 [unknown, bad]))
    assert missing.is_error and "no_such_tool" in missing.content[0].text
    assert invalid.is_error and "surprise" in invalid.content[0].text


def test_no_credential_is_401_with_challenge(platform_server):
    response = httpx.post(f"{platform_server.url}/mcp", json={
        "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={"Accept": "application/json, text/event-stream"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_bad_origin_is_refused(platform_server, live_keys):
    response = httpx.post(f"{platform_server.url}/mcp", json={
        "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
        headers={"Accept": "application/json, text/event-stream",
                 "Authorization": f"Bearer {live_keys['alpha']['ro']}",
                 "Origin": "https://evil.example.com"})
    assert response.status_code == 403


def test_same_host_origin_is_allowed(platform_server, live_keys):
    response = httpx.post(f"{platform_server.url}/mcp", json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "probe", "version": "1"}}},
        headers={"Accept": "application/json, text/event-stream",
                 "Authorization": f"Bearer {live_keys['alpha']['ro']}",
                 "Origin": platform_server.url})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["serverInfo"]["name"] == "pyairtable-platform"


def test_handshake_client_2025_11_25_over_raw_http(platform_server, live_keys):
    headers = {"Accept": "application/json, text/event-stream",
               "Authorization": f"Bearer {live_keys['alpha']['rw']}"}
    with httpx.Client(base_url=platform_server.url, headers=headers, timeout=30) as http:
        init = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "initialize",
                                       "params": {"protocolVersion": "2025-11-25",
                                                  "capabilities": {},
                                                  "clientInfo": {"name": "raw", "version": "1"}}})
        assert init.status_code == 200
        assert init.json()["result"]["protocolVersion"] == "2025-11-25"
        version = {"MCP-Protocol-Version": "2025-11-25"}
        http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                  headers=version)
        listed = http.post("/mcp", json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                           headers=version)
        assert "whoami" in [t["name"] for t in listed.json()["result"]["tools"]]


def test_revoked_key_is_refused_at_once(platform_server, live_keys):
    api = httpx.Client(base_url=platform_server.url, timeout=30,
                       headers={"X-API-Key": live_keys["alpha"]["rw"]})
    response = api.post("/api/v1/api-keys", json={"name": "soon revoked"})
    assert response.status_code == 201, response.text[:500]
    created = response.json()
    headers = {"Accept": "application/json, text/event-stream",
               "Authorization": f"Bearer {created['key']}", "MCP-Protocol-Version": "2025-11-25"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert httpx.post(f"{platform_server.url}/mcp", json=body, headers=headers).status_code == 200
    assert api.delete(f"/api/v1/api-keys/{created['id']}").status_code == 204
    assert httpx.post(f"{platform_server.url}/mcp", json=body, headers=headers).status_code == 401


def _raw(platform_server, key, method="POST", **kwargs):
    headers = {"Accept": "application/json, text/event-stream",
               "Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    return httpx.request(method, f"{platform_server.url}/mcp", headers=headers, timeout=30,
                         **kwargs)


def test_get_and_delete_answer_405_on_a_stateless_server(platform_server, live_keys):
    for method in ("GET", "DELETE"):
        response = _raw(platform_server, live_keys["alpha"]["ro"], method)
        assert response.status_code == 405, method
        assert response.headers["allow"] == "POST"
        assert response.json()["error"]["data"]["code"] == "ERROR_METHOD_NOT_ALLOWED"


def test_a_json_rpc_batch_is_an_invalid_request(platform_server, live_keys):
    response = _raw(platform_server, live_keys["alpha"]["ro"], json=[
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == -32600
    assert "batch" in error["message"].lower()


def test_an_unknown_protocol_version_is_named_with_the_supported_ones(platform_server,
                                                                      live_keys):
    response = _raw(platform_server, live_keys["alpha"]["ro"],
                    headers={"MCP-Protocol-Version": "2099-01-01"},
                    json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"})
    assert response.status_code == 400
    answer = response.json()
    assert answer["id"] == 7
    assert answer["error"]["code"] == -32022
    assert "2099-01-01" in answer["error"]["message"]
    assert "2025-11-25" in answer["error"]["data"]["supported"]
    assert answer["error"]["data"]["requested"] == "2099-01-01"


def test_tools_list_has_portable_schemas_and_honest_hints(platform_server, live_keys):
    async def list_tools(session):
        return await session.list_tools()

    (listed,) = asyncio.run(_session_call(platform_server.url, live_keys["alpha"]["rw"],
                                          [list_tools]))
    tools = {tool.name: tool for tool in listed.tools}
    for tool in tools.values():
        text = json.dumps([tool.input_schema, tool.output_schema])
        assert '"type": [' not in text, tool.name
    nullable = tools["list_records"].output_schema["properties"]["offset"]
    assert nullable["anyOf"] == [{"type": "string"}, {"type": "null"}]
    for name in ("update_records", "upsert_records", "update_field", "update_table",
                 "delete_records"):
        assert tools[name].annotations.destructive_hint is True, name
        assert tools[name].annotations.open_world_hint is True, name
    for name in ("create_records", "create_table", "create_field", "sync_base"):
        assert tools[name].annotations.destructive_hint is False, name
        assert tools[name].annotations.open_world_hint is True, name
    for name in ("list_records", "get_record", "search_records", "whoami", "list_files"):
        assert tools[name].annotations.read_only_hint is True, name
        assert tools[name].annotations.open_world_hint is False, name
