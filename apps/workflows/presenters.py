"""Workflows and runs as the API, the tools and the pages show them."""

from __future__ import annotations

from django.urls import reverse

from .models import Workflow, WorkflowRun
from .selectors import run_steps


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def webhook_url(workflow: Workflow, tenant) -> str | None:
    if workflow.trigger_type != "webhook":
        return None
    return reverse("api-workflow-webhook", kwargs={"tenant_slug": tenant.slug,
                                                   "token": workflow.webhook_token})


def workflow_json(workflow: Workflow, tenant, *, absolute=None) -> dict:
    url = webhook_url(workflow, tenant)
    if url and absolute:
        url = absolute(url)
    data = {"id": workflow.pk, "name": workflow.name, "description": workflow.description,
            "trigger": workflow.trigger, "steps": workflow.steps,
            "is_active": workflow.is_active, "version": workflow.version,
            "owner_id": workflow.owner_id, "created_at": _iso(workflow.created_at),
            "updated_at": _iso(workflow.updated_at)}
    if url:
        data["webhook_url"] = url
    if hasattr(workflow, "last_run_status"):
        data["last_run"] = ({"status": workflow.last_run_status,
                             "created_at": _iso(workflow.last_run_at)}
                            if workflow.last_run_status else None)
    return data


def run_summary_json(run: WorkflowRun) -> dict:
    return {"id": run.pk, "workflow_id": run.workflow_id,
            "workflow_version": run.workflow_version, "status": run.status,
            "test": run.test, "error": run.error or None, "error_code": run.error_code or None,
            "created_at": _iso(run.created_at), "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at), "replay_of": run.replay_of_id}


def run_json(run: WorkflowRun) -> dict:
    steps = [{"id": item.step_id, "iteration": item.iteration or None, "type": item.type,
              "status": item.status, "input": item.input, "output": item.output,
              "error": item.error, "attempts": item.attempts,
              "started_at": _iso(item.started_at), "finished_at": _iso(item.finished_at)}
             for item in run_steps(run=run)]
    return {**run_summary_json(run), "trigger": run.trigger, "steps": steps}
