"""Long tool calls as tasks of the MCP Tasks extension (2026-07-28): a sync and a
workflow run answer a task a client follows with tasks/get, a run can be cancelled,
clients that don't declare the extension get the immediate answer, and a task is
seen only by the connection that started it. Driven over raw HTTP and with the
official TypeScript client 2.x and Tasks requester."""

import json

import httpx
import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.accounts.services import api_key_create
from apps.mcp.models import McpTask
from apps.workflows.services import workflow_create
from tests.conftest import committed_team
from tests.files.helpers import store
from tests.mcp.support import FAST_CLIENT, UNLIMITED, synced_team
from tests.support.mcp_clients import run_ts_tasks

pytestmark = pytest.mark.django_db

PROTOCOL = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"


@pytest.fixture(scope="module")
def server(platform_server_factory):
    return platform_server_factory(**UNLIMITED)


@pytest.fixture(scope="module")
def crm(server, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(**FAST_CLIENT):
        team, base_id = synced_team(server, "mcp-tasks")
        with tenant_context(team.tenant):
            quick = workflow_create(actor_id=team.owner.pk, data={
                "name": "Who runs", "trigger": {"type": "manual"}, "is_active": True,
                "steps": [{"id": "who", "type": "whoami", "params": {}}]})
            waits = workflow_create(actor_id=team.owner.pk, data={
                "name": "Waits an hour", "trigger": {"type": "manual"}, "is_active": True,
                "steps": [{"id": "wait", "type": "delay", "params": {"seconds": 3600}},
                          {"id": "who", "type": "whoami", "params": {}}]})
        csv = store(team, "deals.csv", b"Deal\nImported by a task 1\nImported by a task 2\n")
        other = committed_team("mcp-tasks-other")
        return {
            "tenant": team.tenant, "base_id": base_id, "quick": quick.pk, "waits": waits.pk,
            "csv": str(csv.pk),
            "rw": api_key_create(tenant=team.tenant, user=team.owner, name="rw",
                                 scopes=["read", "write"])[1],
            "rw2": api_key_create(tenant=team.tenant, user=team.owner, name="rw2",
                                  scopes=["read", "write"])[1],
            "other": api_key_create(tenant=other.tenant, user=other.owner, name="other",
                                    scopes=["read", "write"])[1],
        }


def rpc(server, key, method, params, tasks=True):
    """One 2026-07-28 request; `tasks` declares the Tasks extension in the client's
    capabilities."""
    capabilities = {"extensions": {TASKS: {}}} if tasks else {}
    meta = {"io.modelcontextprotocol/protocolVersion": PROTOCOL,
            "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": capabilities}
    headers = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {key}",
               "MCP-Protocol-Version": PROTOCOL, "Mcp-Method": method}
    if method == "tools/call":
        headers["Mcp-Name"] = params["name"]
    response = httpx.post(f"{server.url}/mcp", headers=headers, timeout=60, json={
        "jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}})
    assert response.status_code in (200, 400), response.text
    return response.json()


def call(server, key, name, arguments, tasks=True):
    return rpc(server, key, "tools/call", {"name": name, "arguments": arguments}, tasks)


def test_the_server_declares_the_tasks_extension(server, crm):
    found = rpc(server, crm["rw"], "server/discover", {})["result"]
    assert found["capabilities"]["extensions"] == {TASKS: {}}


def test_a_sync_is_a_task_followed_to_its_result(server, crm):
    answer = call(server, crm["rw"], "sync_base", {"baseId": crm["base_id"]})
    assert "result" in answer, (answer, server.output())
    created = answer["result"]
    assert created["resultType"] == "task"
    assert created["status"] in ("working", "completed")
    assert created["ttlMs"] == 24 * 3600 * 1000
    assert {"taskId", "createdAt", "lastUpdatedAt", "statusMessage"} <= set(created)
    assert "result" not in created

    task = rpc(server, crm["rw"], "tasks/get", {"taskId": created["taskId"]})["result"]
    assert task["resultType"] == "complete"
    assert task["status"] == "completed", task
    result = task["result"]
    assert result["resultType"] == "complete" and result["isError"] is False
    assert result["structuredContent"]["status"] == "succeeded"
    assert result["structuredContent"]["progress"]["done"] > 0
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]
    with tenant_context(crm["tenant"]):
        stored = McpTask.objects.get(pk=created["taskId"])
    assert stored.tool == "sync_base" and stored.job_kind == "airtable.sync_job"
    assert stored.job_id == result["structuredContent"]["jobId"]


def test_a_file_import_is_a_task_whose_result_counts_the_rows(server, crm):
    created = call(server, crm["rw"], "import_file", {
        "fileId": crm["csv"], "baseId": crm["base_id"], "table": "Deals"})["result"]
    assert created["resultType"] == "task", created
    task = rpc(server, crm["rw"], "tasks/get", {"taskId": created["taskId"]})["result"]
    assert task["status"] == "completed", task
    assert task["result"]["isError"] is False, task
    job = task["result"]["structuredContent"]
    assert job["status"] == "succeeded" and job["created"] == 2 and job["failed"] == 0
    assert job["progress"] == {"done": 2, "total": 2}
    found = call(server, crm["rw"], "list_records", {
        "baseId": crm["base_id"], "table": "Deals",
        "filterByFormula": "FIND('Imported by a task', {Deal})"})["result"]
    assert len(found.get("structuredContent", {}).get("records", [])) == 2, found


def test_a_client_without_the_extension_gets_the_immediate_answer(server, crm):
    result = call(server, crm["rw"], "sync_base", {"baseId": crm["base_id"]},
                  tasks=False)["result"]
    assert result["resultType"] == "complete"
    assert result["isError"] is False and result["structuredContent"]["jobId"]


def test_a_failed_call_is_a_tool_error_not_a_task(server, crm):
    result = call(server, crm["rw"], "sync_base", {"baseId": "appAAAAAAAAAAAAAA"})["result"]
    assert result["resultType"] == "complete" and result["isError"] is True
    assert "ERROR_BASE_NOT_FOUND" in result["content"][0]["text"]


def test_a_waiting_workflow_run_is_working_until_cancelled(server, crm):
    created = call(server, crm["rw"], "trigger_workflow", {"workflowId": crm["waits"]})["result"]
    assert created["resultType"] == "task"
    task_id = created["taskId"]
    task = rpc(server, crm["rw"], "tasks/get", {"taskId": task_id})["result"]
    assert task["status"] == "working"
    assert task["pollIntervalMs"] == 1000
    assert "Waits an hour" in task["statusMessage"]
    assert "result" not in task

    assert rpc(server, crm["rw"], "tasks/cancel", {"taskId": task_id})["result"][
        "resultType"] == "complete"
    cancelled = rpc(server, crm["rw"], "tasks/get", {"taskId": task_id})["result"]
    assert cancelled["status"] == "cancelled"
    assert "pollIntervalMs" not in cancelled


def test_a_sync_cannot_be_cancelled_and_no_task_takes_input(server, crm):
    created = call(server, crm["rw"], "sync_base", {"baseId": crm["base_id"]})["result"]
    refused = rpc(server, crm["rw"], "tasks/cancel", {"taskId": created["taskId"]})["error"]
    assert refused["code"] == -32602 and refused["data"]["code"] == "ERROR_TASK_NOT_CANCELLABLE"
    refused = rpc(server, crm["rw"], "tasks/update",
                  {"taskId": created["taskId"], "inputResponses": {}})["error"]
    assert refused["code"] == -32602 and "never asks for input" in refused["message"]


def test_a_task_is_seen_only_by_the_connection_that_started_it(server, crm):
    created = call(server, crm["rw"], "sync_base", {"baseId": crm["base_id"]})["result"]
    for key in ("other", "rw2"):  # another tenant; another key of the same team
        for method in ("tasks/get", "tasks/cancel"):
            error = rpc(server, crm[key], method, {"taskId": created["taskId"]})["error"]
            assert error["code"] == -32602
            assert error["data"]["code"] == "ERROR_TASK_NOT_FOUND", (key, method)
    error = rpc(server, crm["rw"], "tasks/get", {"taskId": "not-a-task"})["error"]
    assert error["data"]["code"] == "ERROR_TASK_NOT_FOUND"


def test_the_typescript_tasks_requester_follows_sync_and_run(server, crm, ts_tasks_client):
    out = run_ts_tasks(ts_tasks_client, server.url, crm["rw"], [
        ["sync_base", {"baseId": crm["base_id"], "full": True}],
        ["trigger_workflow", {"workflowId": crm["quick"]}],
        ["list_bases", {}],
    ])
    assert out.get("era") == "modern" and out["tasksDeclared"] is True, out
    sync, run, bases = out["results"]
    assert sync["kind"] == "task" and sync["taskId"], sync
    assert sync["isError"] is False and sync["structuredContent"]["status"] == "succeeded"
    assert run["kind"] == "task", run
    assert run["structuredContent"]["status"] == "succeeded"
    assert bases["kind"] == "immediate" and bases["structuredContent"]["bases"]
