"""The workflow pages: list with search and status, the editor with errors by step and
field, run now and test, the runs page, a run with its steps and replay; another team's
workflows are a 404."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from apps.workflows.models import Workflow, WorkflowRun

from .conftest import WHOAMI_STEPS

pytestmark = pytest.mark.django_db


def browser(team) -> Client:
    client = Client()
    client.force_login(team.owner)
    session = client.session
    session["active_tenant_id"] = team.tenant.pk
    session.save()
    return client


def test_the_nav_links_to_workflows(team_a):
    assert '<a href="/workflows/">Workflows</a>' in browser(team_a).get("/").content.decode()


def test_editor_saves_shows_errors_and_lists(team_a, django_capture_on_commit_callbacks):
    client = browser(team_a)
    bad = client.post("/workflows/new", {
        "name": "Nightly", "is_active": "on", "trigger": '{"type": "cron", "cron": "0 3 * * *",'
                                                         ' "timezone": "Europe/Paris"}',
        "steps": json.dumps([{"id": "x", "type": "list_records", "params": {"table": 1}}])})
    page = bad.content.decode()
    assert bad.status_code == 200 and "steps[0].params.baseId" in page
    assert "steps[0].params.table" in page
    assert "<code>list_records</code>" in page  # the palette
    good = client.post("/workflows/new", {"name": "Nightly", "is_active": "on",
                                          "trigger": '{"type": "manual"}',
                                          "steps": json.dumps(WHOAMI_STEPS)})
    assert good.status_code == 302
    with schema_context(team_a.tenant.schema_name):
        workflow = Workflow.objects.get(name="Nightly")
    edit = client.get(good["Location"]).content.decode()
    assert "version 1" in edit and "definition-json" in edit
    listed = client.get("/workflows/?q=night&state=active").content.decode()
    assert "Nightly" in listed and "never" in listed
    assert "Nightly" not in client.get("/workflows/?state=inactive").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/workflows/{workflow.pk}/run")
    text = client.get(started["Location"]).content.decode()
    assert 'id="run-status">succeeded' in text, text[text.find("run-status") - 50:][:800]
    assert "<code>me</code>" in text
    assert "Replay from the start" in text
    runs = client.get(f"/workflows/{workflow.pk}/runs").content.decode()
    assert "succeeded" in runs and 'hx-trigger' not in runs  # nothing live, no polling
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/workflows/{workflow.pk}/test")
    with schema_context(team_a.tenant.schema_name):
        assert WorkflowRun.objects.filter(workflow=workflow, test=True).count() == 1
    client.post(f"/workflows/{workflow.pk}/disable")
    with schema_context(team_a.tenant.schema_name):
        workflow.refresh_from_db()
        assert workflow.is_active is False and workflow.version == 2


def test_a_queued_run_page_polls_and_can_be_cancelled(team_a):
    client = browser(team_a)
    client.post("/workflows/new", {"name": "Q", "is_active": "on",
                                   "trigger": '{"type": "manual"}', "steps": "[]"})
    with schema_context(team_a.tenant.schema_name):
        workflow = Workflow.objects.get(name="Q")
    run_page = client.post(f"/workflows/{workflow.pk}/run", follow=True).content.decode()
    assert 'hx-trigger="every 2s"' in run_page and "Cancel" in run_page
    with schema_context(team_a.tenant.schema_name):
        run = WorkflowRun.objects.get(workflow=workflow)
    client.post(f"/workflows/runs/{run.pk}/cancel")
    with schema_context(team_a.tenant.schema_name):
        run.refresh_from_db()
    assert run.status == "cancelled"


def test_another_team_gets_404s(team_a, team_b):
    browser(team_a).post("/workflows/new", {"name": "Mine", "is_active": "on",
                                            "trigger": '{"type": "manual"}', "steps": "[]"})
    with schema_context(team_a.tenant.schema_name):
        workflow = Workflow.objects.get(name="Mine")
    other = browser(team_b)
    assert "Mine" not in other.get("/workflows/").content.decode()
    assert other.get(f"/workflows/{workflow.pk}/").status_code == 404
    assert other.get(f"/workflows/{workflow.pk}/runs").status_code == 404
    assert other.post(f"/workflows/{workflow.pk}/run").status_code == 404
    assert other.post(f"/workflows/{workflow.pk}/delete").status_code == 404
