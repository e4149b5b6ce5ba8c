"""The runner: a run is a durable state machine.

A task claims the run (a lease in the row, renewed at each step), then walks the steps of
the definition version the run started with. Each step's result is committed when the step
ends, keyed by (run, step, iteration), so a redelivered task resumes at the first unfinished
step and never repeats a finished one. A step found `running` by a later attempt was cut
short by a dead worker: a read, a write its tool declares idempotent (update_records,
upsert_records) or an http_request (it sends the same Idempotency-Key every time) is simply
run again; a write that is not idempotent (create_records, create_table, create_field,
files_import) is not repeated blindly — the run fails with ERROR_STEP_INTERRUPTED so a person
checks the data and replays.

Delays and retry backoffs end the task: the run waits `queued` with `wake_at` and is queued
again by countdown (and by the reaper), so no worker sleeps.
"""

from __future__ import annotations

import contextvars
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_tenant_model

from apps.accounts.selectors import caller_for_member
from apps.core.tools import ToolContext, tool_registry

from ..exceptions import StepFailed
from ..models import StepResult, WorkflowRun
from ..signals import workflow_run_finished
from ..steps import BUILTIN_STEPS, DelayStep, StepContext, step_writes
from ..templating import render
from .notices import run_failed_notify
from .runs import run_queue, runs_queue

logger = logging.getLogger(__name__)
Status = WorkflowRun.Status
StepStatus = StepResult.Status

# The depth of the run whose step is writing: record changes it causes carry depth + 1.
current_depth: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "workflow_depth", default=None)

TRANSIENT_TOOL_ERRORS = {"ERROR_AIRTABLE_UNAVAILABLE", "ERROR_RATE_LIMITED",
                         "ERROR_AIRTABLE_RATE_LIMITED", "ERROR_TOOL_FAILED"}
NOT_IDEMPOTENT = {"files_import"}
MAX_OUTPUT_ITEMS = 200


@dataclass
class Outcome:
    kind: str  # done, skipped, wait, yield, failed, cancelled
    error: dict | None = None
    wake_at: Any = None


@dataclass
class _Walk:
    run: WorkflowRun
    tenant: Any
    deadline: float
    results: dict[tuple[str, str], StepResult] = field(default_factory=dict)
    position: int = 0


def _claim(run_id) -> WorkflowRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = WorkflowRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.finished:
            return None
        if run.cancel_requested:
            _finish(run, Status.CANCELLED, {"code": "ERROR_CANCELLED",
                                            "message": "Cancelled."})
            return None
        if run.status == Status.RUNNING and run.lease_until and run.lease_until > now:
            return None  # another worker holds it (or held it and died: the reaper resumes)
        if run.wake_at and run.wake_at > now:
            return None  # woken early (a redelivery): the countdown or the reaper wakes it
        run.status = Status.RUNNING
        run.lease_until = now + timedelta(seconds=settings.WORKFLOWS_LEASE_SECONDS)
        run.attempts += 1
        run.started_at = run.started_at or now
        run.wake_at = None
        run.save(update_fields=["status", "lease_until", "attempts", "started_at", "wake_at"])
    return run


def _finish(run: WorkflowRun, status: str, error: dict | None = None) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.lease_until = None
    run.wake_at = None
    if error:
        run.error_code = error.get("code", "")[:64]
        run.error = error.get("message", "")
    run.save(update_fields=["status", "finished_at", "lease_until", "wake_at", "error_code",
                            "error"])
    if status == Status.FAILED:
        run_failed_notify(run=run)
    started = run.started_at or run.created_at or run.finished_at
    workflow_run_finished.send_robust(
        sender=WorkflowRun, schema_name=connection.schema_name, run_id=run.pk,
        workflow_id=run.workflow_id, workflow_name=run.workflow.name, status=status,
        duration_ms=round((run.finished_at - started).total_seconds() * 1000),
        trigger=(run.trigger or {}).get("type", ""), user_id=run.owner_id)


def _renew(walk: _Walk) -> str | None:
    """Extend the lease before a step; 'cancelled' when someone asked, 'lost' when another
    worker took the run over (this one was too slow)."""
    now = timezone.now()
    updated = WorkflowRun.objects.filter(pk=walk.run.pk, status=Status.RUNNING,
                                         attempts=walk.run.attempts).update(
        lease_until=now + timedelta(seconds=settings.WORKFLOWS_LEASE_SECONDS))
    if not updated:
        return "lost"
    if WorkflowRun.objects.filter(pk=walk.run.pk, cancel_requested=True).exists():
        return "cancelled"
    return None


def _tool_context(walk: _Walk) -> ToolContext:
    context = caller_for_member(tenant=walk.tenant, user_id=walk.run.owner_id,
                                channel="workflow")
    if context is None:
        raise StepFailed("ERROR_OWNER_NOT_MEMBER",
                         "The workflow's owner is no longer an active member of this team; "
                         "give the workflow to another member and replay.")
    return context


def _clip(value: Any) -> Any:
    if isinstance(value, list) and len(value) > MAX_OUTPUT_ITEMS:
        return value[:MAX_OUTPUT_ITEMS]
    return value


def _save(result: StepResult, **fields) -> None:
    for key, value in fields.items():
        setattr(result, key, value)
    result.save()


def _call_tool(walk: _Walk, step_type: str, params: dict, context: ToolContext) -> dict:
    schema = connection.schema_name
    token = current_depth.set(walk.run.depth)
    try:
        result = tool_registry.call(step_type, params, context)
    finally:
        current_depth.reset(token)
        connection.set_schema(schema)  # the registry leaves the connection on public
    if result.is_error:
        error = (result.structured or {}).get("error", {})
        code = result.error_code or error.get("code", "ERROR_TOOL_FAILED")
        raise StepFailed(code, error.get("message", "The tool failed."),
                         retryable=code in TRANSIENT_TOOL_ERRORS)
    return result.structured or {}


def _execute(walk: _Walk, step: dict, params: dict, result: StepResult) -> dict:
    step_type = step["type"]
    context = _tool_context(walk)
    if walk.run.test and step_writes(step_type):
        return {"simulated": True, "type": step_type, "params": params}
    builtin = BUILTIN_STEPS.get(step_type)
    if builtin is not None:
        key = f"wfrun-{connection.schema_name}-{walk.run.pk}-{step['id']}-{result.iteration}"
        step_context = StepContext(tool_context=context, simulate=walk.run.test,
                                   idempotency_key=key, trigger=walk.run.trigger)
        token = current_depth.set(walk.run.depth)
        try:
            return builtin.run(step_context, params)
        finally:
            current_depth.reset(token)
    return _call_tool(walk, step_type, params, context)


def _interrupted_write(step_type: str) -> bool:
    if step_type in NOT_IDEMPOTENT:
        return True
    if step_type in BUILTIN_STEPS:
        return False
    tool = tool_registry.get(step_type)
    return step_writes(step_type) and not tool.idempotent


def _walk_steps(walk: _Walk, steps: list[dict], scope: dict, iteration: str) -> Outcome:
    for step in steps:
        walk.position += 1
        outcome = _walk_step(walk, step, scope, iteration)
        if outcome is not None:
            return outcome
    return Outcome("done")


def _walk_step(walk: _Walk, step: dict, scope: dict, iteration: str) -> Outcome | None:
    """None to go on to the next step, or how this part of the run ends."""
    step_id, step_type = step["id"], step["type"]
    result = walk.results.get((step_id, iteration))
    now = timezone.now()
    if result is not None and result.status in StepResult.DONE:
        scope["steps"][step_id] = result.output
        if step_type == "condition" and result.status == StepStatus.SUCCEEDED and \
                not (result.output or {}).get("value"):
            return Outcome("skipped")
        return None
    if time.monotonic() > walk.deadline:
        return Outcome("yield")
    state = _renew(walk)
    if state:
        return Outcome(state if state == "cancelled" else "lost",
                       {"code": "ERROR_CANCELLED", "message": "Cancelled."})
    if result is None:
        result = StepResult(run=walk.run, step_id=step_id, iteration=iteration,
                            position=walk.position, type=step_type, status=StepStatus.RUNNING,
                            attempts=0, started_at=now)
        walk.results[(step_id, iteration)] = result
    elif result.status == StepStatus.WAITING:
        resume_at = datetime.fromisoformat((result.output or {})["resume_at"])
        if resume_at > now:
            return Outcome("wait", wake_at=resume_at)
        if step_type == "delay":
            _save(result, status=StepStatus.SUCCEEDED, finished_at=now)
            scope["steps"][step_id] = result.output
            return None
    elif result.status == StepStatus.RUNNING and result.attempts and \
            _interrupted_write(step_type):
        error = {"code": "ERROR_STEP_INTERRUPTED",
                 "message": f"The worker stopped while step {step_id!r} ({step_type}) was "
                            "writing; it is not repeated blindly. Check the data, then replay "
                            "from the failed step or from the start."}
        _save(result, status=StepStatus.FAILED, error=error, finished_at=now)
        return Outcome("failed", error)
    raw = step.get("params") or {}
    if step_type == "for_each":  # the inner steps render per item, when each runs
        raw = {"items": raw.get("items")}
    try:
        params = render(raw, scope)
    except StepFailed as failure:
        _save(result, status=StepStatus.FAILED, error=failure.as_json(), finished_at=now,
              attempts=result.attempts + 1)
        return _failed(step, failure, scope)
    if step_type == "delay":
        try:
            resume_at = DelayStep.resume_at(params, now)
        except StepFailed as failure:
            _save(result, status=StepStatus.FAILED, error=failure.as_json(), finished_at=now)
            return _failed(step, failure, scope)
        _save(result, status=StepStatus.WAITING, input=params, attempts=result.attempts + 1,
              output={"resume_at": resume_at.isoformat()})
        return Outcome("wait", wake_at=resume_at) if resume_at > now else \
            _walk_step(walk, step, scope, iteration)
    if step_type == "for_each":
        return _for_each(walk, step, params, result, scope, iteration)
    _save(result, status=StepStatus.RUNNING, input=params, attempts=result.attempts + 1,
          started_at=result.started_at or now, error=None)
    try:
        output = _execute(walk, step, params, result)
    except StepFailed as failure:
        return _step_failed(walk, step, result, failure, scope)
    _save(result, status=StepStatus.SUCCEEDED, output=_clip(output),
          finished_at=timezone.now(), error=None)
    scope["steps"][step_id] = result.output
    if step_type == "condition" and not output.get("value"):
        return Outcome("skipped")
    return None


def _step_failed(walk: _Walk, step: dict, result: StepResult, failure: StepFailed,
                 scope: dict) -> Outcome | None:
    retry = step.get("retry") or {}
    if failure.retryable and result.attempts <= int(retry.get("max", 0)):
        backoff = float(retry.get("backoff_seconds", 1)) * 2 ** (result.attempts - 1)
        if failure.retry_after is not None:
            backoff = max(backoff, failure.retry_after)
        resume_at = timezone.now() + timedelta(seconds=backoff)
        _save(result, status=StepStatus.WAITING, error=failure.as_json(),
              output={"resume_at": resume_at.isoformat(), "retrying": True})
        return Outcome("wait", wake_at=resume_at)
    error = failure.as_json()
    if failure.retryable and retry:
        error["message"] = f"{failure.message} (after {result.attempts} attempts)"
    _save(result, status=StepStatus.FAILED, error=error, finished_at=timezone.now(),
          output=None)
    return _failed(step, StepFailed(error["code"], error["message"]), scope)


def _failed(step: dict, failure: StepFailed, scope: dict) -> Outcome | None:
    if step.get("on_error") == "continue":
        scope["steps"][step["id"]] = {"error": failure.as_json()}
        return None
    return Outcome("failed", {"code": failure.code,
                              "message": f"Step {step['id']!r}: {failure.message}"})


def _for_each(walk: _Walk, step: dict, params: dict, result: StepResult, scope: dict,
              iteration: str) -> Outcome | None:
    items = params.get("items")
    now = timezone.now()
    if not isinstance(items, list):
        failure = StepFailed("ERROR_FOR_EACH_ITEMS", "items is not a list.")
        _save(result, status=StepStatus.FAILED, error=failure.as_json(), finished_at=now)
        return _failed(step, failure, scope)
    if len(items) > settings.WORKFLOWS_MAX_FOR_EACH_ITEMS:
        failure = StepFailed("ERROR_WORKFLOW_LIMIT",
                             f"for_each got {len(items)} items; the limit is "
                             f"{settings.WORKFLOWS_MAX_FOR_EACH_ITEMS}.")
        _save(result, status=StepStatus.FAILED, error=failure.as_json(), finished_at=now)
        return _failed(step, failure, scope)
    if result.pk is None or result.attempts == 0:
        _save(result, status=StepStatus.RUNNING, input={"count": len(items)}, attempts=1,
              started_at=now)
    outputs = []
    for index, item in enumerate(items):
        inner = {**scope, "item": item, "index": index, "steps": dict(scope["steps"])}
        key = f"{iteration}.{index}" if iteration else str(index)
        outcome = _walk_steps(walk, step["params"]["steps"], inner, key)
        if outcome.kind not in ("done", "skipped"):
            return outcome
        outputs.append({child["id"]: inner["steps"].get(child["id"])
                        for child in step["params"]["steps"]})
    _save(result, status=StepStatus.SUCCEEDED, finished_at=timezone.now(),
          output={"count": len(items), "results": outputs[:MAX_OUTPUT_ITEMS]})
    scope["steps"][step["id"]] = result.output
    return None


def run_execute(*, run_id) -> str | None:
    """Advance a run as far as it goes now; the status it is left in, or None when there was
    nothing to do (finished, held by another worker, or not due yet)."""
    run = _claim(run_id)
    if run is None:
        return None
    tenant = get_tenant_model().objects.filter(schema_name=connection.schema_name).first()
    walk = _Walk(run=run, tenant=tenant,
                 deadline=time.monotonic() + settings.WORKFLOWS_SLICE_SECONDS)
    walk.results = {(item.step_id, item.iteration): item
                    for item in StepResult.objects.filter(run=run)}
    trigger = run.trigger or {}
    scope = {"trigger": trigger, "input": trigger.get("input") or {}, "steps": {},
             "run": {"id": run.pk, "test": run.test}}
    try:
        outcome = _walk_steps(walk, run.definition.get("steps", []), scope, "")
    except StepFailed as failure:  # the owner left: raised before any step could start
        outcome = Outcome("failed", failure.as_json())
    if outcome.kind == "lost":
        return None
    with transaction.atomic():
        current = WorkflowRun.objects.select_for_update().get(pk=run.pk)
        if current.attempts != run.attempts or current.finished:
            return None
        if outcome.kind == "done":
            _finish(current, Status.SUCCEEDED)
        elif outcome.kind == "skipped":
            _finish(current, Status.SKIPPED)
        elif outcome.kind == "cancelled":
            _finish(current, Status.CANCELLED, outcome.error)
        elif outcome.kind == "failed":
            _finish(current, Status.FAILED, outcome.error)
        elif outcome.kind == "wait":
            current.status, current.lease_until, current.wake_at = Status.QUEUED, None, \
                outcome.wake_at
            current.save(update_fields=["status", "lease_until", "wake_at"])
            delay = max(0.0, (outcome.wake_at - timezone.now()).total_seconds())
            # Long waits are woken by the reaper: a countdown must stay below the broker's
            # visibility timeout or the message is delivered twice.
            if delay <= 3600:
                run_queue(current, countdown=delay)
        else:  # yield: the slice is used up, the rest runs in a fresh task
            current.status, current.lease_until = Status.QUEUED, None
            current.save(update_fields=["status", "lease_until"])
            run_queue(current)
        return current.status


def runs_reap(*, now=None) -> int:
    """Queue again the runs of this schema that a dead worker left (lease expired), that
    wait past their wake time, or that stayed queued (the broker was away). Returns how many."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.WORKFLOWS_LEASE_SECONDS)
    ids = list(WorkflowRun.objects.filter(status=Status.RUNNING, lease_until__lt=now)
               .values_list("pk", flat=True)) + \
        list(WorkflowRun.objects.filter(status=Status.QUEUED, wake_at__lte=now)
             .values_list("pk", flat=True)) + \
        list(WorkflowRun.objects.filter(status=Status.QUEUED, wake_at__isnull=True,
                                        created_at__lt=stale).values_list("pk", flat=True))
    runs_queue(ids)  # one message per 500 runs, fanned out by a worker
    return len(ids)
