"""Events from each app reach the summary with the right counts, and carry nothing private."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.airtable import services as airtable
from tests.analytics.helpers import ingest, rows
from tests.chat.conftest import ask, conversation
from tests.conftest import PASSWORD
from tests.support.openai_server import text_reply

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/analytics/summary"
CANARY = "CANARY-7f3e-row-value"


def _summary(client, **params):
    response = client.get(SUMMARY, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_api_requests_sign_ins_and_tool_calls(team_a, client_for, anon):
    signed_in = anon.post("/api/v1/auth/login", {"email": team_a.owner.email,
                                                  "password": PASSWORD}, format="json")
    assert signed_in.status_code == 200
    client = client_for(key=team_a.api_key())
    for _ in range(3):
        assert client.post("/api/v1/mcp/tools/call", {"name": "list_bases", "arguments": {}},
                           format="json").status_code == 200
    assert client.post("/api/v1/mcp/tools/call", {"name": "describe_table", "arguments": {
        "baseId": "appNOTHERE0000000", "table": "x"}}, format="json").status_code == 200
    assert client.get("/api/v1/files/not-a-uuid").status_code == 404
    assert ingest() >= 10

    summary = _summary(client_for(jwt=team_a.jwt()))
    counts = summary["counts"]
    assert counts["auth.login"] == 1
    assert counts["tool.call"] == 4
    assert counts["api.request"] == 5
    tools = {tool["tool"]: tool for tool in summary["tools"]["top"]}
    assert tools["list_bases"]["calls"] == 3 and tools["list_bases"]["errors"] == 0
    assert tools["describe_table"]["error_rate"] == 1.0
    routes = {route["route"]: route for route in summary["api"]["routes"]}
    assert routes["POST /api/v1/mcp/tools/call"]["requests"] == 4
    assert routes["POST /api/v1/mcp/tools/call"]["p95_ms"] > 0
    # A path that matches no route counts under one name, whatever the path was.
    assert routes["GET (unmatched)"]["client_errors"] == 1
    assert summary["active_users"]["period"] == 1 and summary["active_users"]["new"] == 1
    with schema_context(team_a.tenant.schema_name):
        (key_id,) = rows(team_a.tenant.schema_name, "SELECT DISTINCT api_key_id FROM "
                         "{schema}.analytics_event WHERE type = 'tool.call'")[0]
    assert key_id is not None


def test_chat_tokens_and_cost_by_model(team_a, client_for, openai_env):
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client, title="numbers")
    openai_env.plan(text_reply("Hello.", prompt_tokens=120, completion_tokens=30))
    assert ask(client, chat["id"], "Hi").status_code == 201
    ingest()
    llm = _summary(client)["llm"]
    assert (llm["prompt_tokens"], llm["completion_tokens"], llm["turns"]) == (120, 30, 1)
    assert llm["models"][0]["model"] == "openai/gpt-4o-mini"
    assert llm["cost"] > 0


def test_syncs_uploads_and_extractions(team_a, client_for, server, make_base, sandbox_token,
                                       django_capture_on_commit_callbacks, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    sandbox = make_base(records=25)
    with schema_context(team_a.tenant.schema_name):
        airtable.connection_create(name="Sandbox", token=sandbox_token,
                                   endpoint_url=f"{server.url}/sandbox/airtable")
        with django_capture_on_commit_callbacks(execute=True):
            airtable.base_sync(base_id=sandbox.base_id, full=True)
    client = client_for(jwt=team_a.jwt())
    with django_capture_on_commit_callbacks(execute=True):
        uploaded = client.post("/api/v1/files", {"file": SimpleUploadedFile(
            "notes.txt", b"quarterly notes\n" * 20)}, format="multipart")
    assert uploaded.status_code == 201, uploaded.content
    records = client.get(f"/api/v1/airtable/bases/{sandbox.base_id}/tables/Items/records")
    assert records.status_code == 200
    ingest()

    summary = _summary(client)
    assert summary["syncs"]["runs"] == 1 and summary["syncs"]["failed"] == 0
    assert summary["syncs"]["records"] == 25
    assert summary["files"]["uploaded"] == 1
    assert summary["files"]["uploaded_bytes"] == len(b"quarterly notes\n" * 20)
    assert summary["files"]["processed"] == 1
    assert summary["files"]["storage"]["files"] == 1
    assert summary["tables"] == [{"table": f"{sandbox.base_id}/Items", "queries": 1}]


def test_events_carry_no_row_values_and_no_tool_arguments(team_a, client_for):
    client = client_for(key=team_a.api_key())
    arguments = {"baseId": "appNOTHERE0000000", "table": CANARY,
                 "filterByFormula": f"{{Name}} = '{CANARY}'"}
    client.post("/api/v1/mcp/tools/call", {"name": "list_records", "arguments": arguments},
                format="json")
    client.get("/api/v1/airtable/bases/appNOTHERE0000000/tables/tblX/records",
               {"filterByFormula": f"{{Name}} = '{CANARY}'"})
    client.post("/api/v1/files", {"file": SimpleUploadedFile("x.txt", CANARY.encode())},
                format="multipart")
    assert ingest() >= 3
    schema = team_a.tenant.schema_name
    stored = rows(schema, "SELECT type, data::text FROM {schema}.analytics_event")
    assert {kind for kind, _data in stored} >= {"tool.call", "api.request"}
    assert not [data for _kind, data in stored if CANARY in data or "filterByFormula" in data]
    assert rows(schema, "SELECT count(*) FROM {schema}.analytics_rollup WHERE dim LIKE %s",
                [f"%{CANARY}%"]) == [(0,)]
    tool_data = [data for kind, data in stored if kind == "tool.call"]
    assert '"tool":"list_records"' in tool_data[0] or '"tool": "list_records"' in tool_data[0]


def test_workflow_runs_by_status_success_rate_and_failing_workflows(
        team_a, client_for, django_capture_on_commit_callbacks):
    client = client_for(jwt=team_a.jwt())

    def workflow(name, steps):
        made = client.post("/api/v1/workflows", {"name": name, "trigger": {"type": "manual"},
                                                 "steps": steps, "is_active": True},
                           format="json")
        assert made.status_code == 201, made.content
        return made.json()["id"]

    fine = workflow("Fine", [{"id": "me", "type": "whoami", "params": {}}])
    broken = workflow("Broken", [{"id": "gone", "type": "describe_table", "params": {
        "baseId": "appNOTHERE0000000", "table": "x"}}])
    for workflow_id in (fine, fine, broken):
        with django_capture_on_commit_callbacks(execute=True):
            answer = client.post(f"/api/v1/workflows/{workflow_id}/trigger", {}, format="json")
        assert answer.status_code == 202, answer.content
    ingest()
    runs = _summary(client)["workflows"]
    assert runs["by_status"] == {"succeeded": 2, "failed": 1}
    assert runs["runs"] == 3 and runs["success_rate"] == round(2 / 3, 4)
    assert runs["failing"] == [{"workflow": "Broken", "failures": 1, "runs": 1}]
    assert runs["p95_ms"] is not None
