"""The workflow tools of the registry (as MCP and the chat call them), and a processed CSV
imported by a file_processed workflow into the sandbox."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.core.tools import READ, WRITE, ToolContext, tool_registry
from apps.files import services as files_services
from apps.workflows.models import WorkflowRun

from .conftest import WHOAMI_STEPS, connect

pytestmark = pytest.mark.django_db


def _context(team, scopes=(READ, WRITE)) -> ToolContext:
    return ToolContext(tenant=team.tenant, user=team.owner, scopes=frozenset(scopes),
                       channel="mcp")


def test_the_workflow_tools(team_a, team_b, django_capture_on_commit_callbacks):
    names = {tool.name for tool in tool_registry.all()}
    assert {"list_workflows", "get_workflow", "trigger_workflow", "get_workflow_run",
            "create_workflow", "update_workflow"} <= names
    created = tool_registry.call("create_workflow", {
        "name": "From a tool", "trigger": {"type": "manual"}, "steps": WHOAMI_STEPS},
        _context(team_a))
    assert not created.is_error, created.structured
    workflow_id = created.structured["id"]
    bad = tool_registry.call("create_workflow", {"name": "Bad", "trigger": {"type": "nope"},
                                                 "steps": []}, _context(team_a))
    assert bad.is_error and "trigger.type" in bad.structured["error"]["message"]
    updated = tool_registry.call("update_workflow", {"workflowId": workflow_id,
                                                     "description": "changed"}, _context(team_a))
    assert updated.structured["version"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        started = tool_registry.call("trigger_workflow", {"workflowId": workflow_id,
                                                          "idempotencyKey": "t-1"},
                                     _context(team_a))
    run = tool_registry.call("get_workflow_run", {"runId": started.structured["run_id"]},
                             _context(team_a))
    assert run.structured["status"] == "succeeded"
    listed = tool_registry.call("list_workflows", {}, _context(team_a, (READ,)))
    assert [item["id"] for item in listed.structured["workflows"]] == [workflow_id]
    read_only = tool_registry.call("trigger_workflow", {"workflowId": workflow_id},
                                   _context(team_a, (READ,)))
    assert read_only.is_error and read_only.error_code == "ERROR_READ_ONLY"
    # Another team's credential finds nothing.
    other = tool_registry.call("get_workflow", {"workflowId": workflow_id}, _context(team_b))
    assert other.is_error and other.error_code == "ERROR_WORKFLOW_NOT_FOUND"
    assert tool_registry.call("get_workflow_run", {"runId": started.structured["run_id"]},
                              _context(team_b)).error_code == "ERROR_WORKFLOW_RUN_NOT_FOUND"


def test_a_processed_csv_is_imported_by_a_file_processed_workflow(
        team_a, create, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(0)
    connect(team_a, server, sandbox.token)
    workflow = create(trigger={"type": "file_processed"}, steps=[
        {"id": "is_csv", "type": "condition",
         "params": {"formula": "'{{ trigger.file.extension }}' = 'csv'"}},
        {"id": "load", "type": "files_import",
         "params": {"file_id": "{{ trigger.file.id }}", "base_id": sandbox.base_id,
                    "table": "Items"}}])
    csv = b"Name,Qty\nBolt,4\nNut,12\nWasher,7\n"
    with schema_context(team_a.tenant.schema_name), \
            django_capture_on_commit_callbacks(execute=True):
        file, _ = files_services.file_upload(uploaded=SimpleUploadedFile("parts.csv", csv),
                                             user_id=team_a.owner.pk)
        files_services.file_extract(file_id=file.pk)
    with schema_context(team_a.tenant.schema_name):
        runs = list(WorkflowRun.objects.filter(workflow_id=workflow["id"]))
    assert [(r.status, r.trigger["file"]["id"]) for r in runs] == [("succeeded", str(file.pk))]
    records = sorted((r["fields"]["Name"], r["fields"]["Qty"]) for r in sandbox.all("Items"))
    assert records == [("Bolt", 4), ("Nut", 12), ("Washer", 7)]
