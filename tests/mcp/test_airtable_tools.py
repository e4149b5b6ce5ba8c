"""The Airtable and file tools end to end: an MCP client over HTTP against a
real server, whose answers match what the sandbox itself says; every tool's
structuredContent validates against its output schema."""

import asyncio
import json

import httpx
import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context
from jsonschema import Draft202012Validator
from pyairtable import Api

from apps.accounts.services import api_key_create
from apps.airtable import services as airtable
from apps.core.tools import tool_registry
from apps.sandbox.services import sandbox_seed_demo
from tests.conftest import committed_team

pytestmark = pytest.mark.django_db

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}
FAST_CLIENT = {"AIRTABLE_RATE_LIMIT_PER_BASE": 1000.0, "AIRTABLE_RATE_LIMIT_PER_TOKEN": 5000.0,
               "AIRTABLE_RATE_LIMIT_WAIT_SECONDS": 0.2, "AIRTABLE_RETRY_BACKOFF_SECONDS": 0.01}
WON = "{Stage} = 'Won'"


@pytest.fixture(scope="module")
def server(platform_server_factory):
    return platform_server_factory(**UNLIMITED)


@pytest.fixture(scope="module")
def air(server, django_db_blocker):
    """A tenant of its own with the demo base connected and synced, all committed."""
    with django_db_blocker.unblock(), override_settings(**FAST_CLIENT):
        team = committed_team("mcp-air")
        base_id, token = sandbox_seed_demo(records=120)
        endpoint = f"{server.url}/sandbox/airtable"
        with tenant_context(team.tenant):
            airtable.connection_create(name="Demo CRM", token=token, endpoint_url=endpoint)
            job = airtable.base_sync(base_id=base_id, full=True)
            assert job.pk
        other = committed_team("mcp-air-other")
        return {
            "team": team, "base_id": base_id, "token": token, "endpoint": endpoint,
            "rw": api_key_create(tenant=team.tenant, user=team.owner, name="rw",
                                 scopes=["read", "write"])[1],
            "ro": api_key_create(tenant=team.tenant, user=team.owner, name="ro",
                                 scopes=["read"])[1],
            "other": api_key_create(tenant=other.tenant, user=other.owner, name="other",
                                    scopes=["read", "write"])[1],
        }


def sandbox_table(air, name):
    return Api(air["token"], endpoint_url=air["endpoint"]).table(air["base_id"], name)


async def _session(url, key, steps):
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http, \
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write, *_), \
            ClientSession(read, write) as session:
        await session.initialize()
        return [await step(session) for step in steps]


def call(name, arguments):
    async def step(session):
        return await session.call_tool(name, arguments)
    return step


def test_list_records_with_formula_matches_the_sandbox(server, air):
    (result,) = asyncio.run(_session(server.url, air["ro"], [call("list_records", {
        "baseId": air["base_id"], "table": "Deals", "filterByFormula": WON,
        "pageSize": 100, "sort": [{"field": "Deal", "direction": "asc"}]})]))
    assert result.is_error is False, result.content[0].text
    mirror = result.structured_content["records"]
    truth = sandbox_table(air, "Deals").all(formula=WON, sort=["Deal"])
    assert [r["id"] for r in mirror] == [r["id"] for r in truth]
    assert mirror and all(r["fields"]["Stage"] == "Won" for r in mirror)
    assert [r["fields"] for r in mirror] == [r["fields"] for r in truth]


def test_create_then_delete_a_record(server, air):
    created, = asyncio.run(_session(server.url, air["rw"], [call("create_records", {
        "baseId": air["base_id"], "table": "Companies",
        "records": [{"fields": {"Name": "Zeta Made By MCP", "Employees": 7}}]})]))
    assert created.is_error is False, created.content[0].text
    record_id = created.structured_content["records"][0]["id"]
    assert sandbox_table(air, "Companies").get(record_id)["fields"]["Name"] == "Zeta Made By MCP"

    found, deleted, after = asyncio.run(_session(server.url, air["rw"], [
        call("list_records", {"baseId": air["base_id"], "table": "Companies",
                              "filterByFormula": "{Name} = 'Zeta Made By MCP'"}),
        call("delete_records", {"baseId": air["base_id"], "table": "Companies",
                                "recordIds": [record_id]}),
        call("get_record", {"baseId": air["base_id"], "table": "Companies",
                            "recordId": record_id}),
    ]))
    assert [r["id"] for r in found.structured_content["records"]] == [record_id]
    assert deleted.structured_content == {"records": [{"id": record_id, "deleted": True}]}
    assert after.is_error is True
    with pytest.raises(Exception) as gone:
        sandbox_table(air, "Companies").get(record_id)
    assert "404" in str(gone.value)


def test_read_only_key_sees_and_calls_only_read_tools(server, air):
    async def tools(session):
        return await session.list_tools()

    listed, refused = asyncio.run(_session(server.url, air["ro"], [tools, call(
        "create_records", {"baseId": air["base_id"], "table": "Companies",
                           "records": [{"fields": {"Name": "nope"}}]})]))
    names = {tool.name for tool in listed.tools}
    assert "list_records" in names and "create_records" not in names
    assert all(tool.annotations.read_only_hint for tool in listed.tools)
    assert refused.is_error is True
    assert refused.structured_content is None
    assert json.loads(refused.content[0].text)["error"]["code"] == "ERROR_READ_ONLY"
    assert not sandbox_table(air, "Companies").all(formula="{Name} = 'nope'")


def test_another_tenant_never_sees_the_base(server, air):
    bases, records, record = asyncio.run(_session(server.url, air["other"], [
        call("list_bases", {}),
        call("list_records", {"baseId": air["base_id"], "table": "Deals"}),
        call("describe_table", {"baseId": air["base_id"], "table": "Deals"}),
    ]))
    assert bases.structured_content == {"bases": []}
    for answer in (records, record):
        assert answer.is_error is True
        assert answer.structured_content is None
        assert "Stage" not in answer.content[0].text


def test_rest_mirror_gives_the_same_answer(server, air):
    arguments = {"baseId": air["base_id"], "table": "Deals", "filterByFormula": WON,
                 "pageSize": 100, "sort": [{"field": "Deal"}]}
    rest = httpx.post(f"{server.url}/api/v1/mcp/tools/call", timeout=30,
                      headers={"X-API-Key": air["ro"]},
                      json={"name": "list_records", "arguments": arguments}).json()
    (mcp,) = asyncio.run(_session(server.url, air["ro"], [call("list_records", arguments)]))
    assert rest["isError"] is False
    assert rest["structuredContent"] == mcp.structured_content


def _sample_arguments(base_id, record_id, file_id):
    table = "Companies"
    return {
        "whoami": {},
        "list_bases": {},
        "list_tables": {"baseId": base_id, "detailLevel": "identifiersOnly"},
        "describe_table": {"baseId": base_id, "table": "Deals"},
        "list_records": {"baseId": base_id, "table": "Deals", "pageSize": 5},
        "search_records": {"baseId": base_id, "table": table, "query": "a", "maxRecords": 3},
        "get_record": {"baseId": base_id, "table": table, "recordId": record_id},
        "create_records": {"baseId": base_id, "table": table,
                           "records": [{"fields": {"Name": "Schema Check Co"}}]},
        "update_records": {"baseId": base_id, "table": table,
                           "records": [{"id": record_id, "fields": {"Employees": 42}}]},
        "upsert_records": {"baseId": base_id, "table": table, "fieldsToMergeOn": ["Name"],
                           "records": [{"fields": {"Name": "Schema Check Co", "Employees": 3}}]},
        "create_table": {"baseId": base_id, "name": "Schema Check",
                         "fields": [{"name": "Title", "type": "singleLineText"}]},
        "update_table": {"baseId": base_id, "table": "Schema Check",
                         "description": "made by the registry test"},
        "create_field": {"baseId": base_id, "table": "Schema Check", "name": "Count",
                         "type": "number", "options": {"precision": 0}},
        "update_field": {"baseId": base_id, "table": "Schema Check", "field": "Count",
                         "name": "Total"},
        "sync_base": {"baseId": base_id},
        "list_files": {},
        "get_file_content": {"fileId": file_id},
        "import_file": {"fileId": file_id, "baseId": base_id, "table": table,
                        "mapping": {"name": "Name", "age": "Employees"}},
        "create_workflow": {"name": "Schema check", "trigger": {"type": "manual"},
                            "steps": [{"id": "me", "type": "whoami", "params": {}}]},
        # Later calls name what an earlier one made: a function of the answers so far.
        "get_workflow": lambda done: {"workflowId": done["create_workflow"]["id"]},
        "update_workflow": lambda done: {"workflowId": done["create_workflow"]["id"],
                                         "description": "made by the registry test"},
        "list_workflows": {},
        "trigger_workflow": lambda done: {"workflowId": done["create_workflow"]["id"]},
        "get_workflow_run": lambda done: {"runId": done["trigger_workflow"]["run_id"]},
        "delete_records": {"baseId": base_id, "table": table, "recordIds": [record_id]},
    }


def test_every_tool_output_validates_against_its_schema(server, air):
    """Every registered tool, called for real through the REST mirror of a server process."""
    http = httpx.Client(base_url=server.url, timeout=60, headers={"X-API-Key": air["rw"]})
    uploaded = http.post("/api/v1/files", files={
        "file": ("people.csv", b"name,age\nAda,36\nAlan,41\n", "text/csv")})
    assert uploaded.status_code in (200, 201), uploaded.text
    made = http.post("/api/v1/mcp/tools/call", json={"name": "create_records", "arguments": {
        "baseId": air["base_id"], "table": "Companies",
        "records": [{"fields": {"Name": "Registry Probe"}}]}}).json()
    record_id = made["structuredContent"]["records"][0]["id"]
    samples = _sample_arguments(air["base_id"], record_id, uploaded.json()["id"])
    registered = {tool.name for tool in tool_registry.all()}
    assert registered == set(samples), registered ^ set(samples)
    done = {}
    for name, arguments in samples.items():
        arguments = arguments(done) if callable(arguments) else arguments
        answer = http.post("/api/v1/mcp/tools/call", json={"name": name, "arguments": arguments})
        assert answer.status_code == 200, (name, answer.text)
        result = answer.json()
        assert result["isError"] is False, (name, result["content"][0]["text"])
        schema = tool_registry.get(name).output_schema
        errors = list(Draft202012Validator(schema).iter_errors(result["structuredContent"]))
        assert not errors, (name, [e.message for e in errors])
        assert json.loads(result["content"][0]["text"]) == result["structuredContent"]
        done[name] = result["structuredContent"]
