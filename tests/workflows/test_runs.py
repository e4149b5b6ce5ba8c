"""Runs against the sandbox over real HTTP: the steps change exactly the expected records;
record triggers fire once per change from a sync and from a write-through; chains stop;
retries honour Retry-After; the owner is re-read at every step."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tenants.utils import schema_context

from apps.airtable import services as airtable
from apps.workflows import services, tasks
from apps.workflows.models import WorkflowRun

from .conftest import connect, sync

pytestmark = pytest.mark.django_db

OVERDUE = "AND(IS_BEFORE({Due}, '2026-04-01'), {Status} != 'Done')"


def _runs(team, workflow_id) -> list[WorkflowRun]:
    with schema_context(team.tenant.schema_name):
        return list(WorkflowRun.objects.filter(workflow_id=workflow_id).order_by("id"))


def _wait_for_end(team, run_id, timeout=20.0) -> WorkflowRun:
    """Run the run's task whenever it is due (eager Celery cannot count down), until it ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with schema_context(team.tenant.schema_name):
            run = WorkflowRun.objects.get(pk=run_id)
        if run.finished:
            return run
        time.sleep(0.1)
        tasks.run_step(schema_name=team.tenant.schema_name, run_id=run_id)
    raise AssertionError(f"run {run_id} did not end: {run.status}")


def test_list_condition_update_changes_exactly_the_overdue_records(
        team_a, api, create, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(30)
    connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    before = {r["id"]: r["fields"] for r in sandbox.all("Items")}
    expected = {r["id"] for r in sandbox.all("Items", filterByFormula=OVERDUE)}
    assert 0 < len(expected) < len(before)
    workflow = create(steps=[
        {"id": "find", "type": "list_records",
         "params": {"baseId": sandbox.base_id, "table": "Items", "filterByFormula": OVERDUE,
                    "pageSize": 100}},
        {"id": "any", "type": "condition",
         "params": {"formula": "{{ steps.find.records | length }} > 0"}},
        {"id": "close", "type": "for_each", "params": {
            "items": "{{ steps.find.records }}",
            "steps": [{"id": "done", "type": "update_records", "params": {
                "baseId": sandbox.base_id, "table": "Items",
                "records": [{"id": "{{ item.id }}",
                             "fields": {"Status": "Done",
                                        "Notes": "closed by run {{ run.id }}"}}]}}]}}])
    with django_capture_on_commit_callbacks(execute=True):
        run_id = api.post(f"/api/v1/workflows/{workflow['id']}/trigger", {},
                          format="json").json()["run_id"]
    run = api.get(f"/api/v1/workflow-runs/{run_id}").json()
    assert run["status"] == "succeeded", (run["error"], run["steps"][-1])
    done = [s for s in run["steps"] if s["id"] == "done"]
    assert len(done) == len(expected) and {s["attempts"] for s in done} == {1}
    assert sorted(s["iteration"] for s in done) == sorted(str(i) for i in range(len(expected)))
    after = {r["id"]: r["fields"] for r in sandbox.all("Items")}
    changed = {rid for rid in before if before[rid] != after[rid]}
    assert changed == expected
    for rid in expected:
        assert after[rid]["Status"] == "Done"
        assert after[rid]["Notes"] == f"closed by run {run_id}"
    # Running the task again (a redelivery) repeats nothing.
    tasks.run_step(schema_name=team_a.tenant.schema_name, run_id=run_id)
    assert api.get(f"/api/v1/workflow-runs/{run_id}").json()["steps"] == run["steps"]


def test_record_created_fires_once_after_a_sync_and_once_after_a_write_through(
        team_a, api, create, server, make_base, settings, django_capture_on_commit_callbacks):
    settings.AIRTABLE_SYNC_OVERLAP_SECONDS = 0
    sandbox = make_base(5)
    connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    workflow = create(trigger={"type": "record_created", "base_id": sandbox.base_id,
                               "table": "Items", "condition": "{Qty} > 0"},
                      steps=[{"id": "name", "type": "condition",
                              "params": {"formula": "'{{ trigger.record.fields.Name }}' != ''"}}])
    assert _runs(team_a, workflow["id"]) == []
    time.sleep(1.1)
    from_airtable = sandbox.create("Items", {"Name": "Made in Airtable", "Qty": 3})
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)  # sees nothing new
    with schema_context(team_a.tenant.schema_name), \
            django_capture_on_commit_callbacks(execute=True):
        created = airtable.records_create(base_id=sandbox.base_id, table="Items",
                                          records=[{"Name": "Made here", "Qty": 2},
                                                   {"Name": "Not matching", "Qty": 0}])
    runs = _runs(team_a, workflow["id"])
    assert [(r.trigger["record"]["id"], r.trigger["source"], r.status) for r in runs] == [
        (from_airtable["id"], "sync", "succeeded"), (created[0]["id"], "api", "succeeded")]
    assert runs[0].trigger["record"]["fields"]["Name"] == "Made in Airtable"
    # A second dispatch of the outbox starts nothing.
    with schema_context(team_a.tenant.schema_name):
        assert services.record_events_dispatch() == 0
    assert len(_runs(team_a, workflow["id"])) == 2


def test_record_updated_with_fields_fires_only_when_one_of_them_changed(
        team_a, api, create, server, make_base, settings, django_capture_on_commit_callbacks):
    settings.AIRTABLE_SYNC_OVERLAP_SECONDS = 0
    sandbox = make_base(3)
    connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    first, second = [r["id"] for r in sandbox.all("Items")][:2]
    trigger = {"type": "record_updated", "base_id": sandbox.base_id, "table": "Items"}
    steps = [{"id": "ok", "type": "condition", "params": {"formula": "1"}}]
    watching = create(trigger={**trigger, "fields": ["Status", "Qty"]}, steps=steps)
    every = create(trigger=trigger, steps=steps)  # no fields: any change fires

    def write_through(record_id, fields):
        with schema_context(team_a.tenant.schema_name), \
                django_capture_on_commit_callbacks(execute=True):
            airtable.records_update(base_id=sandbox.base_id, table="Items",
                                    records=[{"id": record_id, "fields": fields}])

    def in_airtable(record_id, fields):
        time.sleep(1.1)  # the next sync asks for records modified after the last one
        sandbox.update("Items", record_id, fields)
        sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)

    write_through(first, {"Notes": "only the notes"})
    in_airtable(second, {"Notes": "only the notes, in Airtable"})
    assert _runs(team_a, watching["id"]) == []
    assert [(r.trigger["record"]["id"], r.trigger["source"], r.trigger["changed_fields"])
            for r in _runs(team_a, every["id"])] == [
        (first, "api", ["Notes"]), (second, "sync", ["Notes"])]
    write_through(first, {"Status": "Done", "Notes": "closed"})
    in_airtable(second, {"Qty": 99})
    # The same values again change nothing, so nothing fires (with or without fields).
    write_through(first, {"Status": "Done"})
    runs = _runs(team_a, watching["id"])
    assert [(r.trigger["record"]["id"], r.trigger["source"], r.trigger["changed_fields"],
             r.status) for r in runs] == [
        (first, "api", ["Notes", "Status"], "succeeded"),
        (second, "sync", ["Qty"], "succeeded")]
    # The run sees only the fields it watches.
    assert set(runs[0].trigger["record"]["fields"]) <= {"Status", "Qty"}
    assert runs[0].trigger["record"]["fields"]["Status"] == "Done"
    assert len(_runs(team_a, every["id"])) == 4


def test_a_workflow_that_triggers_itself_stops_at_depth_five(
        team_a, create, server, make_base, settings, django_capture_on_commit_callbacks):
    sandbox = make_base(1)
    connect(team_a, server, sandbox.token)
    workflow = create(trigger={"type": "record_created", "base_id": sandbox.base_id,
                               "table": "Items"},
                      steps=[{"id": "again", "type": "create_records", "params": {
                          "baseId": sandbox.base_id, "table": "Items",
                          "records": [{"fields": {"Name": "child of {{ trigger.record.id }}"}}]}}])
    with schema_context(team_a.tenant.schema_name), \
            django_capture_on_commit_callbacks(execute=True):
        airtable.records_create(base_id=sandbox.base_id, table="Items",
                                records=[{"Name": "seed"}])
    runs = _runs(team_a, workflow["id"])
    assert [(r.depth, r.status) for r in runs] == [(0, "succeeded"), (1, "succeeded"),
                                                   (2, "succeeded"), (3, "succeeded"),
                                                   (4, "succeeded"), (5, "failed")]
    assert runs[-1].error_code == "ERROR_WORKFLOW_CHAIN_DEPTH"
    assert len(sandbox.all("Items")) == 1 + 1 + 5


class _Flaky(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append((time.monotonic(), self.headers.get("Idempotency-Key")))
        self.send_response(503)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_503_with_retry_after_is_retried_then_the_run_fails_with_the_reason(
        team_a, api, create, settings, django_capture_on_commit_callbacks):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Flaky.seen = []
    try:
        workflow = create(steps=[{"id": "post", "type": "http_request",
                                  "retry": {"max": 2, "backoff_seconds": 0.1},
                                  "params": {"url": f"http://127.0.0.1:{httpd.server_port}/hook",
                                             "method": "POST", "json": {"a": 1}}}])
        with django_capture_on_commit_callbacks(execute=True):
            run_id = api.post(f"/api/v1/workflows/{workflow['id']}/trigger", {},
                              format="json").json()["run_id"]
        run = _wait_for_end(team_a, run_id)
    finally:
        httpd.shutdown()
    assert run.status == "failed" and run.error_code == "ERROR_HTTP_STATUS"
    assert "HTTP 503" in run.error and "after 3 attempts" in run.error
    assert len(_Flaky.seen) == 3
    assert len({key for _, key in _Flaky.seen}) == 1  # one key for every attempt of the step
    gaps = [b[0] - a[0] for a, b in zip(_Flaky.seen, _Flaky.seen[1:], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # Retry-After: 1 beats the 0.1 s backoff


def test_http_request_refuses_loopback_unless_allowed(team_a, api, create, settings,
                                                      django_capture_on_commit_callbacks):
    settings.URLGUARD_ALLOWED_NETWORKS = []  # the test settings allow loopback
    workflow = create(steps=[{"id": "post", "type": "http_request",
                              "params": {"url": "http://127.0.0.1:9/x"}}])
    with django_capture_on_commit_callbacks(execute=True):
        run_id = api.post(f"/api/v1/workflows/{workflow['id']}/trigger", {},
                          format="json").json()["run_id"]
    run = api.get(f"/api/v1/workflow-runs/{run_id}").json()
    assert run["status"] == "failed" and run["error_code"] == "ERROR_HTTP_TARGET_REFUSED"


def test_a_removed_owner_fails_the_run_with_a_reason(team_a, client_for, create,
                                                     django_capture_on_commit_callbacks):
    from apps.accounts.selectors import membership_get

    member = team_a.add_member("leaver@alpha.example.com", "member")
    client = client_for(key=team_a.api_key(user=member))
    workflow = create(client=client)
    membership_get(user_id=member.pk, tenant=team_a.tenant).delete()  # the member leaves
    with schema_context(team_a.tenant.schema_name), \
            django_capture_on_commit_callbacks(execute=True):
        run, _ = services.workflow_trigger(workflow_id=workflow["id"])
    with schema_context(team_a.tenant.schema_name):
        run.refresh_from_db()
    assert run.status == "failed" and run.error_code == "ERROR_OWNER_NOT_MEMBER"


def test_llm_prompt_without_a_provider_fails_clearly(team_a, api, create, settings,
                                                     django_capture_on_commit_callbacks):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = settings.GEMINI_API_KEY = ""
    workflow = create(steps=[{"id": "ask", "type": "llm_prompt",
                              "params": {"prompt": "Classify {{ input.text }}"}}])
    with django_capture_on_commit_callbacks(execute=True):
        run_id = api.post(f"/api/v1/workflows/{workflow['id']}/trigger",
                          {"input": {"text": "a deal"}}, format="json").json()["run_id"]
    run = api.get(f"/api/v1/workflow-runs/{run_id}").json()
    assert run["status"] == "failed" and run["error_code"] == "ERROR_LLM_NOT_CONFIGURED"
    assert run["steps"][0]["input"] == {"prompt": "Classify a deal"}


def test_a_write_cut_short_by_a_dead_worker_is_not_repeated_blindly(
        team_a, create, django_capture_on_commit_callbacks):
    from apps.workflows.models import StepResult
    from apps.workflows.selectors import workflow_get

    workflow = create(steps=[
        {"id": "me", "type": "whoami", "params": {}},
        {"id": "make", "type": "create_records",
         "params": {"baseId": "appAAAAAAAAAAAAAA", "table": "Deals",
                    "records": [{"fields": {"Name": "x"}}]}}])
    with schema_context(team_a.tenant.schema_name):
        run, _ = services.run_start(workflow=workflow_get(workflow_id=workflow["id"]),
                                    trigger={"type": "manual", "input": {}})
        # What a worker killed in the middle of the create leaves behind.
        StepResult.objects.create(run=run, step_id="make", iteration="", position=2,
                                  type="create_records", status="running", attempts=1)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.run_step(schema_name=team_a.tenant.schema_name, run_id=run.pk)
        run.refresh_from_db()
        make = StepResult.objects.get(run=run, step_id="make")
    assert run.status == "failed" and run.error_code == "ERROR_STEP_INTERRUPTED"
    assert make.status == "failed" and make.attempts == 1  # not sent again
