"""Every read of workflows, on the current tenant's schema."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from apps.core.jobs import JobState

from .exceptions import WorkflowNotFound, WorkflowRunNotFound
from .models import Notice, StepResult, Workflow, WorkflowRun


def _pk(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def workflow_list(*, query: str = "", active: bool | None = None) -> QuerySet[Workflow]:
    last = WorkflowRun.objects.filter(workflow=OuterRef("pk")).order_by("-created_at", "-id")
    workflows = Workflow.objects.annotate(
        last_run_status=Subquery(last.values("status")[:1]),
        last_run_at=Subquery(last.values("created_at")[:1]))
    if query:
        workflows = workflows.filter(name__icontains=query)
    if active is not None:
        workflows = workflows.filter(is_active=active)
    return workflows


def workflow_get(*, workflow_id, for_update: bool = False) -> Workflow:
    pk = _pk(workflow_id)
    workflows = Workflow.objects.select_for_update() if for_update else Workflow.objects
    workflow = workflows.filter(pk=pk).first() if pk else None
    if workflow is None:
        raise WorkflowNotFound("There is no such workflow.")
    return workflow


def workflow_get_by_webhook(*, token: str) -> Workflow | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    return Workflow.objects.filter(webhook_token=token).first()


def run_list(*, workflow_id=None, status: str | None = None) -> QuerySet[WorkflowRun]:
    runs = WorkflowRun.objects.select_related("workflow")
    if workflow_id is not None:
        runs = runs.filter(workflow_id=workflow_get(workflow_id=workflow_id).pk)
    if status:
        runs = runs.filter(status=status)
    return runs


def run_get(*, run_id) -> WorkflowRun:
    pk = _pk(run_id)
    run = WorkflowRun.objects.select_related("workflow").filter(pk=pk).first() if pk else None
    if run is None:
        raise WorkflowRunNotFound("There is no such workflow run.")
    return run


def run_steps(*, run: WorkflowRun) -> list[StepResult]:
    return list(StepResult.objects.filter(run=run).order_by("position", "iteration", "id"))


def run_state(run_id: str) -> JobState | None:
    """Where a run stands, for a channel that follows it (an MCP task)."""
    pk = _pk(run_id)
    run = WorkflowRun.objects.select_related("workflow").filter(pk=pk).first() if pk else None
    if run is None:
        return None
    updated = run.finished_at or run.started_at or run.created_at
    name = run.workflow.name
    result = {"run_id": run.pk, "status": run.status}
    if run.status == WorkflowRun.Status.SUCCEEDED:
        return JobState("completed", f"{name} ran.", result=result, updated_at=updated)
    if run.status == WorkflowRun.Status.SKIPPED:
        return JobState("completed", f"{name} was skipped: its condition was false.",
                        result=result, updated_at=updated)
    if run.status == WorkflowRun.Status.FAILED:
        return JobState("failed", f"{name} failed.", updated_at=updated,
                        error=(run.error_code or "ERROR_WORKFLOW_RUN_FAILED",
                               run.error or "The run failed."))
    if run.status == WorkflowRun.Status.CANCELLED:
        return JobState("cancelled", f"{name} was cancelled.", updated_at=updated)
    finished = StepResult.objects.filter(run=run, status__in=(
        StepResult.Status.SUCCEEDED, StepResult.Status.SKIPPED)).count()
    waiting = "Waiting for a worker" if run.status == WorkflowRun.Status.QUEUED else "Running"
    return JobState("working", f"{name}: {waiting}; {finished} step(s) done.",
                    updated_at=updated)


def notice_list(*, user_id: int) -> QuerySet[Notice]:
    return Notice.objects.filter(user_id=user_id)
