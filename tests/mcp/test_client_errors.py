"""Every kind of tool error reaches the caller of each real client: the
TypeScript SDK 1.x (inside mcp-remote, Cursor, VS Code), the Python SDK 1.x
and the Python SDK 2.x, against /mcp of a live server over the sandbox."""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.accounts.services import api_key_create
from apps.airtable.models import AirtableConnection
from tests.mcp.support import FAST_CLIENT, UNLIMITED, synced_team
from tests.support.mcp_clients import run_inspector, run_python_sdk1, run_ts_sdk1, run_ts_tasks

pytestmark = pytest.mark.django_db

UNKNOWN_BASE = "appAAAAAAAAAAAAAA"
UNKNOWN_RECORD = "recAAAAAAAAAAAAAA"


@pytest.fixture(scope="module")
def server(platform_server_factory):
    return platform_server_factory(**UNLIMITED)


@pytest.fixture(scope="module")
def crm(server, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(**FAST_CLIENT):
        team, base_id = synced_team(server, "mcp-errors")
        return {"base_id": base_id,
                "ro": api_key_create(tenant=team.tenant, user=team.owner, name="ro",
                                     scopes=["read"])[1]}


def error_cases(base_id):
    """(what goes wrong, call, the code the caller must see)."""
    deals = {"baseId": base_id, "table": "Deals"}
    return [
        ("missing argument", ["list_records", {"baseId": base_id}], "ERROR_TOOL_ARGUMENTS"),
        ("wrong type", ["list_records", {**deals, "pageSize": "ten"}], "ERROR_TOOL_ARGUMENTS"),
        ("unknown base", ["list_tables", {"baseId": UNKNOWN_BASE}], "ERROR_BASE_NOT_FOUND"),
        ("unknown record", ["get_record", {**deals, "recordId": UNKNOWN_RECORD}],
         "ERROR_RECORD_NOT_FOUND"),
        ("bad formula", ["list_records", {**deals, "filterByFormula": "{Stage} = "}],
         "ERROR_FORMULA_INVALID"),
        ("read-only key writing", ["create_records", {
            **deals, "records": [{"fields": {"Deal": "nope"}}]}], "ERROR_READ_ONLY"),
    ]


def good_call(base_id):
    return ["list_records", {"baseId": base_id, "table": "Deals", "pageSize": 3}]


def assert_delivered(results, cases):
    good, *errors = results
    assert good.get("isError") is False, good
    assert len(good["structuredContent"]["records"]) == 3
    assert json.loads(good["text"]) == good["structuredContent"]
    for (kind, _call, code), result in zip(cases, errors, strict=True):
        assert "thrown" not in result, (kind, result)
        assert result["isError"] is True, (kind, result)
        assert result["structuredContent"] is None, (kind, result)
        error = json.loads(result["text"])["error"]
        assert error["code"] == code, (kind, error)
        assert error["message"], kind


def test_typescript_sdk1_client_shows_every_tool_error(server, crm, ts_client):
    cases = error_cases(crm["base_id"])
    answer = run_ts_sdk1(ts_client, server.url, crm["ro"],
                         [good_call(crm["base_id"])] + [call for _kind, call, _code in cases])
    assert answer["protocolVersion"] == "2025-11-25"
    assert "list_records" in {tool["name"] for tool in answer["tools"]}
    assert_delivered(answer["results"], cases)


def test_typescript_client2_shows_every_tool_error(server, crm, ts_tasks_client):
    """The TypeScript client 2.x on the 2026-07-28 protocol, through the Tasks
    extension's requester (which validates results with its own schemas)."""
    cases = error_cases(crm["base_id"])
    answer = run_ts_tasks(ts_tasks_client, server.url, crm["ro"],
                          [good_call(crm["base_id"])] + [call for _kind, call, _code in cases])
    assert answer["era"] == "modern"
    assert_delivered(answer["results"], cases)


def test_the_inspector_cli_shows_every_tool_error(server, crm, inspector):
    listed = run_inspector(inspector, server.url, crm["ro"], method="tools/list",
                           extra=("--strict",))
    assert listed["code"] == 0, listed
    assert "list_records" in {tool["name"] for tool in listed["json"]["tools"]}
    # A read-only connection is not offered the write tools, and the Inspector checks
    # tools/list before it calls: it refuses create_records itself.
    cases = [case for case in error_cases(crm["base_id"]) if case[2] != "ERROR_READ_ONLY"]
    writing = run_inspector(inspector, server.url, crm["ro"], method="tools/call",
                            tool="create_records", arguments={"baseId": crm["base_id"]})
    assert "tool_not_found" in writing["stderr"], writing
    results = []
    for name, arguments in [good_call(crm["base_id"])] + [call for _k, call, _c in cases]:
        ran = run_inspector(inspector, server.url, crm["ro"], method="tools/call", tool=name,
                            arguments=arguments)
        result = ran["json"]
        assert result is not None, (name, ran)
        # The Inspector prints a tool error's result and exits 5 ("tool_is_error"); 1 would
        # be a result it could not read.
        assert ran["code"] == (5 if result.get("isError") else 0), (name, ran)
        results.append({"isError": result.get("isError", False),
                        "structuredContent": result.get("structuredContent"),
                        "text": result["content"][0]["text"]})
    assert_delivered(results, cases)


def test_python_sdk1_client_shows_every_tool_error(server, crm, mcp1_python):
    cases = error_cases(crm["base_id"])
    answer = run_python_sdk1(mcp1_python, server.url, crm["ro"],
                             [good_call(crm["base_id"])] + [call for _kind, call, _code in cases])
    assert_delivered(answer["results"], cases)


async def _sdk2_calls(url, key, calls):
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http, \
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_), \
            ClientSession(read, write) as session:
        await session.initialize()
        await session.list_tools()
        results = []
        for name, arguments in calls:
            result = await session.call_tool(name, arguments)
            results.append({"isError": result.is_error,
                            "structuredContent": result.structured_content,
                            "text": result.content[0].text})
        return results


def test_python_sdk2_client_shows_every_tool_error(server, crm):
    cases = error_cases(crm["base_id"])
    results = asyncio.run(_sdk2_calls(server.url, crm["ro"], [good_call(crm["base_id"])] +
                                      [call for _kind, call, _code in cases]))
    assert_delivered(results, cases)


class _CountingAirtable(BaseHTTPRequestHandler):
    """Stands where Airtable was: counts every request and answers 503."""

    hits: list

    def _answer(self):
        self.hits.append(self.path)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def cut_off(server, django_db_blocker):
    """A synced base whose connection then points at a stand-in that counts requests."""
    with django_db_blocker.unblock(), override_settings(**FAST_CLIENT):
        team, base_id = synced_team(server, "mcp-mirror-only")
        key = api_key_create(tenant=team.tenant, user=team.owner, name="ro", scopes=["read"])[1]
        hits = []
        handler = type("Handler", (_CountingAirtable,), {"hits": hits})
        stand_in = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=stand_in.serve_forever, daemon=True).start()
        with tenant_context(team.tenant):
            AirtableConnection.objects.update(
                endpoint_url=f"http://127.0.0.1:{stand_in.server_port}")
    yield {"base_id": base_id, "key": key, "hits": hits}
    stand_in.shutdown()


def test_unknown_record_and_table_are_answered_from_the_mirror(server, cut_off):
    base_id, key, hits = cut_off["base_id"], cut_off["key"], cut_off["hits"]
    deals = {"baseId": base_id, "table": "Deals"}
    results = asyncio.run(_sdk2_calls(server.url, key, [
        ["get_record", {**deals, "recordId": UNKNOWN_RECORD}],
        ["list_records", {"baseId": base_id, "table": "No such table"}],
        ["search_records", {"baseId": base_id, "table": "tblAAAAAAAAAAAAAA", "query": "x"}],
        ["list_records", {**deals, "fields": ["No such field"]}],
        ["list_records", {**deals, "pageSize": 2}],
    ]))
    codes = [json.loads(result["text"])["error"]["code"] if result["isError"] else "ok"
             for result in results]
    assert codes == ["ERROR_RECORD_NOT_FOUND", "ERROR_TABLE_NOT_FOUND", "ERROR_TABLE_NOT_FOUND",
                     "ERROR_VALIDATION", "ok"], results
    assert hits == []
