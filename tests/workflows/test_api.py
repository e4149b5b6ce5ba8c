"""The REST contract of workflows: definitions, validation, versions, runs, replay,
cancel, webhooks, and another tenant seeing nothing."""

import pytest
from django_tenants.utils import schema_context

from apps.workflows.models import Notice, WorkflowRun

from .conftest import WHOAMI_STEPS

pytestmark = pytest.mark.django_db


def test_create_get_patch_delete_with_versions(api, create):
    workflow = create(description="first")
    assert workflow["version"] == 1 and workflow["trigger"] == {"type": "manual"}
    assert "webhook_url" not in workflow
    got = api.get(f"/api/v1/workflows/{workflow['id']}").json()
    assert got["steps"] == WHOAMI_STEPS
    patched = api.patch(f"/api/v1/workflows/{workflow['id']}", {"name": "Renamed"},
                        format="json").json()
    assert (patched["name"], patched["version"], patched["steps"]) == ("Renamed", 2,
                                                                      WHOAMI_STEPS)
    same = api.patch(f"/api/v1/workflows/{workflow['id']}", {"name": "Renamed"}, format="json")
    assert same.json()["version"] == 2  # nothing changed, no new version
    listed = api.get("/api/v1/workflows?q=renam").json()["results"]
    assert [item["id"] for item in listed] == [workflow["id"]]
    assert api.delete(f"/api/v1/workflows/{workflow['id']}").status_code == 204
    assert api.get(f"/api/v1/workflows/{workflow['id']}").status_code == 404


def test_validation_names_the_step_and_field(api):
    body = {"name": "Bad", "trigger": {"type": "cron", "cron": "0 8 * * 1-5",
                                       "timezone": "Mars/Olympus"},
            "steps": [{"id": "find", "type": "list_records",
                       "params": {"baseId": "appAAAAAAAAAAAAAA", "table": "Deals"}},
                      {"id": "write", "type": "update_records",
                       "params": {"baseId": "appAAAAAAAAAAAAAA", "table": 12, "records": []}},
                      {"id": "find", "type": "no_such_tool"},
                      {"id": "c", "type": "condition", "params": {"formula": "AND(("}},
                      {"id": "t", "type": "http_request",
                       "params": {"url": "{{ steps.find.x ", "method": "BREW"}}]}
    answer = api.post("/api/v1/workflows", body, format="json")
    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "ERROR_VALIDATION"
    errors = problem["errors"]
    assert "trigger.timezone" in errors
    assert "steps[1].params.table" in errors
    assert "steps[1].params.records" in errors  # minItems 1
    assert "steps[2].id" in errors and "steps[2].type" in errors
    assert "steps[3].params.formula" in errors
    assert {"steps[4].params.url", "steps[4].params.method"} <= set(errors)
    assert "steps[0].params.table" not in errors


@pytest.mark.parametrize("body", [[], "text", {"name": "x", "trigger": "manual", "steps": {}},
                                  {"name": "x", "trigger": {"type": "manual"},
                                   "steps": [{"id": "a", "type": "for_each",
                                              "params": {"items": 3, "steps": []}}]}])
def test_bad_input_is_a_400_never_a_500(api, body):
    answer = api.post("/api/v1/workflows", body, format="json")
    assert answer.status_code == 400, answer.content


def test_trigger_runs_and_the_same_key_answers_the_same_run(team_a, api, create,
                                                            django_capture_on_commit_callbacks):
    workflow = create()
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(f"/api/v1/workflows/{workflow['id']}/trigger",
                         {"input": {"n": 1}, "idempotency_key": "k-1"}, format="json")
    assert first.status_code == 202
    again = api.post(f"/api/v1/workflows/{workflow['id']}/trigger",
                     {"idempotency_key": "k-1"}, format="json")
    assert again.json()["run_id"] == first.json()["run_id"]
    run = api.get(f"/api/v1/workflow-runs/{first.json()['run_id']}").json()
    assert run["status"] == "succeeded", run
    assert run["workflow_version"] == 1
    assert run["trigger"] == {"type": "manual", "input": {"n": 1}}
    assert [(s["id"], s["status"], s["attempts"]) for s in run["steps"]] == \
        [("me", "succeeded", 1), ("check", "succeeded", 1)]
    assert run["steps"][0]["output"]["user"]["email"] == team_a.owner.email
    runs = api.get(f"/api/v1/workflows/{workflow['id']}/runs?status=succeeded").json()
    assert [item["id"] for item in runs["results"]] == [run["id"]]
    assert api.get(f"/api/v1/workflows/{workflow['id']}/runs?status=failed").json()[
        "results"] == []


def test_a_false_condition_skips_and_a_test_run_simulates_writes(
        api, create, django_capture_on_commit_callbacks):
    workflow = create(steps=[
        {"id": "gate", "type": "condition", "params": {"formula": "{{ input.go }}"}},
        {"id": "write", "type": "create_records",
         "params": {"baseId": "appAAAAAAAAAAAAAA", "table": "Deals",
                    "records": [{"fields": {"Name": "x"}}]}}])
    with django_capture_on_commit_callbacks(execute=True):
        skipped = api.post(f"/api/v1/workflows/{workflow['id']}/trigger",
                           {"input": {"go": "FALSE()"}}, format="json").json()
        tested = api.post(f"/api/v1/workflows/{workflow['id']}/test",
                          {"input": {"go": "TRUE()"}}, format="json").json()
    assert api.get(f"/api/v1/workflow-runs/{skipped['run_id']}").json()["status"] == "skipped"
    run = api.get(f"/api/v1/workflow-runs/{tested['run_id']}").json()
    assert run["status"] == "succeeded" and run["test"] is True
    assert run["steps"][1]["output"]["simulated"] is True


def test_failed_run_notifies_the_owner_and_replays_from_the_failed_step(
        team_a, api, create, mailoutbox, django_capture_on_commit_callbacks):
    workflow = create(steps=[
        {"id": "me", "type": "whoami", "params": {}},
        {"id": "gate", "type": "condition", "params": {"formula": "{{ input.formula }}"}}])
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/api/v1/workflows/{workflow['id']}/trigger",
                           {"input": {"formula": "AND(("}}, format="json").json()
    run = api.get(f"/api/v1/workflow-runs/{started['run_id']}").json()
    assert run["status"] == "failed"
    assert run["error_code"] == "ERROR_FORMULA_INVALID"
    assert "gate" in run["error"]
    assert [s["status"] for s in run["steps"]] == ["succeeded", "failed"]
    with schema_context(team_a.tenant.schema_name):
        notice = Notice.objects.get(run_id=run["id"])
        assert notice.user_id == team_a.owner.pk and f"/workflows/runs/{run['id']}/" in \
            notice.message
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [team_a.owner.email]
    with django_capture_on_commit_callbacks(execute=True):
        replay = api.post(f"/api/v1/workflow-runs/{run['id']}/replay", {"from": "failed_step"},
                          format="json")
    assert replay.status_code == 202
    again = api.get(f"/api/v1/workflow-runs/{replay.json()['run_id']}").json()
    assert again["replay_of"] == run["id"] and again["status"] == "failed"
    # The step that had succeeded was kept, not run again.
    me = next(s for s in again["steps"] if s["id"] == "me")
    assert me["started_at"] == run["steps"][0]["started_at"]
    bad = api.post(f"/api/v1/workflow-runs/{run['id']}/replay", {"from": "middle"},
                   format="json")
    assert bad.status_code == 400


def test_cancel_a_queued_run(api, create):
    workflow = create()
    started = api.post(f"/api/v1/workflows/{workflow['id']}/trigger", {}, format="json").json()
    answer = api.post(f"/api/v1/workflow-runs/{started['run_id']}/cancel")
    assert answer.status_code == 202 and answer.json()["status"] == "cancelled"


def test_webhook_sent_three_times_makes_one_run(team_a, api, anon, create,
                                                django_capture_on_commit_callbacks):
    workflow = create(trigger={"type": "webhook"})
    url = workflow["webhook_url"]
    assert url.startswith("http://") and "/api/v1/workflow-hooks/alpha/" in url
    path = url.split("testserver", 1)[1]
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            answers.append(anon.post(path, {"deal": "A"}, format="json",
                                     HTTP_IDEMPOTENCY_KEY="evt-1"))
        other = anon.post(path, {"deal": "B"}, format="json", HTTP_X_EVENT_ID="evt-2")
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert len({a.json()["run_id"] for a in answers}) == 1
    assert other.json()["run_id"] != answers[0].json()["run_id"]
    with schema_context(team_a.tenant.schema_name):
        assert WorkflowRun.objects.filter(workflow_id=workflow["id"]).count() == 2
        run = WorkflowRun.objects.get(pk=answers[0].json()["run_id"])
        assert run.trigger["body"] == {"deal": "A"} and run.status == "succeeded"
    assert anon.post(path[:-3] + "abc", {}, format="json").status_code == 404
    assert anon.post(path.replace("/alpha/", "/bravo/"), {}, format="json").status_code == 404


def test_another_tenant_sees_edits_triggers_and_replays_nothing(
        api, api_b, create, django_capture_on_commit_callbacks):
    workflow = create()
    with django_capture_on_commit_callbacks(execute=True):
        run_id = api.post(f"/api/v1/workflows/{workflow['id']}/trigger", {},
                          format="json").json()["run_id"]
    wid = workflow["id"]
    assert api_b.get("/api/v1/workflows").json()["results"] == []
    for method, path in [("get", f"/api/v1/workflows/{wid}"),
                         ("patch", f"/api/v1/workflows/{wid}"),
                         ("delete", f"/api/v1/workflows/{wid}"),
                         ("post", f"/api/v1/workflows/{wid}/trigger"),
                         ("post", f"/api/v1/workflows/{wid}/test"),
                         ("get", f"/api/v1/workflows/{wid}/runs"),
                         ("get", f"/api/v1/workflow-runs/{run_id}"),
                         ("post", f"/api/v1/workflow-runs/{run_id}/replay"),
                         ("post", f"/api/v1/workflow-runs/{run_id}/cancel")]:
        answer = getattr(api_b, method)(path, {"name": "stolen"}, format="json")
        assert answer.status_code == 404, (method, path, answer.content)
    assert api.get(f"/api/v1/workflows/{wid}").json()["name"] == "Flow"


def test_viewers_read_but_cannot_write(team_a, client_for, create):
    workflow = create()
    viewer = team_a.add_member("viewer@alpha.example.com", "viewer")
    client = client_for(key=team_a.api_key(scopes=("read",), user=viewer))
    assert client.get(f"/api/v1/workflows/{workflow['id']}").status_code == 200
    assert client.post(f"/api/v1/workflows/{workflow['id']}/trigger", {},
                       format="json").status_code == 403
    assert client.post("/api/v1/workflows", {"name": "x", "trigger": {"type": "manual"},
                                             "steps": []}, format="json").status_code == 403


def test_the_openapi_schema_has_the_workflow_endpoints(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/workflows/{workflow_id}/trigger", "/api/v1/workflow-runs/{run_id}/replay",
                 "/api/v1/workflow-hooks/{tenant_slug}/{token}"):
        assert path in text
