"""Starting runs: by hand, by test, by webhook, by schedule, by record change, by a
processed file, and again by replay. Every start goes through `run_start`, which dedupes by
idempotency key (the same key answers the same run), applies the limits and queues the run
once the transaction commits."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.jobs import enqueue_on_commit

from ..exceptions import RunNotReplayable, WorkflowInactive
from ..models import RecordEvent, StepResult, WebhookEvent, Workflow, WorkflowRun
from ..selectors import run_get, workflow_get
from .notices import run_failed_notify

logger = logging.getLogger(__name__)
KEY_MAX_CHARS = 200
Status = WorkflowRun.Status


def run_queue(run: WorkflowRun, *, countdown: float | None = None) -> None:
    enqueue_on_commit("workflows.run_step", countdown=countdown,
                      schema_name=connection.schema_name, run_id=run.pk)


def _limit_error(workflow: Workflow) -> str | None:
    live = WorkflowRun.objects.filter(status__in=(Status.QUEUED, Status.RUNNING),
                                      wake_at__isnull=True).count()
    if live >= settings.WORKFLOWS_MAX_CONCURRENT_RUNS:
        return (f"The team already has {live} runs queued or running (the limit is "
                f"{settings.WORKFLOWS_MAX_CONCURRENT_RUNS}).")
    recent = WorkflowRun.objects.filter(
        workflow=workflow, created_at__gte=timezone.now() - timedelta(minutes=1)).count()
    if recent >= settings.WORKFLOWS_MAX_RUNS_PER_MINUTE:
        return (f"This workflow started {recent} runs in the last minute (the limit is "
                f"{settings.WORKFLOWS_MAX_RUNS_PER_MINUTE}).")
    return None


def run_start(*, workflow: Workflow, trigger: dict, key: str | None = None, depth: int = 0,
              test: bool = False, replay_of: WorkflowRun | None = None,
              failure: tuple[str, str] | None = None) -> tuple[WorkflowRun, bool]:
    """(run, created). A run that breaks a limit (or `failure`) is stored failed, with the
    reason, and its owner is told."""
    if key is not None:
        key = str(key)[:KEY_MAX_CHARS]
        existing = WorkflowRun.objects.filter(workflow=workflow, idempotency_key=key).first()
        if existing is not None:
            return existing, False
    source = replay_of
    fields = {"workflow": workflow, "trigger": trigger, "idempotency_key": key, "depth": depth,
              "test": test, "replay_of": replay_of,
              "workflow_version": source.workflow_version if source else workflow.version,
              "definition": source.definition if source else workflow.definition(),
              "owner_id": workflow.owner_id}
    problem = failure or _reason(workflow)
    if problem:
        fields.update(status=Status.FAILED, error_code=problem[0], error=problem[1],
                      finished_at=timezone.now())
    try:
        with transaction.atomic():
            run = WorkflowRun.objects.create(**fields)
    except IntegrityError:
        return WorkflowRun.objects.get(workflow=workflow, idempotency_key=key), False
    if problem:
        run_failed_notify(run=run)
    else:
        run_queue(run)
    return run, True


def _reason(workflow: Workflow) -> tuple[str, str] | None:
    message = _limit_error(workflow)
    return ("ERROR_WORKFLOW_LIMIT", message) if message else None


def workflow_trigger(*, workflow_id, data: dict | None = None,
                     idempotency_key: str | None = None) -> tuple[WorkflowRun, bool]:
    workflow = workflow_get(workflow_id=workflow_id)
    if not workflow.is_active:
        raise WorkflowInactive("The workflow is disabled; enable it to run it.")
    key = f"manual:{idempotency_key}" if idempotency_key else None
    return run_start(workflow=workflow, key=key,
                     trigger={"type": "manual", "input": data or {}})


def workflow_test(*, workflow_id, data: dict | None = None) -> WorkflowRun:
    """A run of the current definition whose writes are simulated (reads are real)."""
    workflow = workflow_get(workflow_id=workflow_id)
    run, _ = run_start(workflow=workflow, test=True,
                       trigger={"type": "test", "input": data or {}})
    return run


def run_replay(*, run_id, start_from: str) -> WorkflowRun:
    """A new run of the same version with the same trigger: from the start, or keeping the
    results of the steps that succeeded and starting at the failed one."""
    original = run_get(run_id=run_id)
    if not original.finished:
        raise RunNotReplayable("The run has not finished.")
    if start_from == "failed_step" and original.status not in (Status.FAILED,
                                                                 Status.CANCELLED):
        raise RunNotReplayable("Only a failed or cancelled run has a step to start from.")
    with transaction.atomic():
        run, _ = run_start(workflow=original.workflow, trigger=original.trigger,
                           depth=original.depth, test=original.test, replay_of=original)
        if start_from == "failed_step" and run.status == Status.QUEUED:
            kept = [StepResult(run=run, step_id=item.step_id, iteration=item.iteration,
                               position=item.position, type=item.type, status=item.status,
                               input=item.input, output=item.output, attempts=item.attempts,
                               started_at=item.started_at, finished_at=item.finished_at)
                    for item in original.step_results.filter(
                        status__in=(StepResult.Status.SUCCEEDED, StepResult.Status.SKIPPED))]
            StepResult.objects.bulk_create(kept)
    return run


def run_cancel(*, run_id) -> WorkflowRun:
    with transaction.atomic():
        run = WorkflowRun.objects.select_for_update().get(pk=run_get(run_id=run_id).pk)
        if run.finished:
            return run
        if run.status == Status.QUEUED:
            run.status = Status.CANCELLED
            run.finished_at = timezone.now()
            run.error_code, run.error = "ERROR_CANCELLED", "Cancelled before it ran."
        run.cancel_requested = True
        run.save()
    return run


def webhook_receive(*, workflow: Workflow, body, event_key: str | None,
                    headers: dict) -> tuple[WorkflowRun, bool]:
    """One run per event key within the dedupe window; without a key, one run per call."""
    if not workflow.is_active:
        raise WorkflowInactive("The workflow is disabled.")
    trigger = {"type": "webhook", "body": body, "headers": headers,
               "event_id": event_key, "received_at": timezone.now().isoformat()}
    if not event_key:
        return run_start(workflow=workflow, trigger=trigger)
    event_key = event_key[:KEY_MAX_CHARS]
    window = timezone.now() - timedelta(hours=settings.WORKFLOWS_WEBHOOK_DEDUPE_HOURS)
    for _ in range(2):
        seen = WebhookEvent.objects.select_related("run").filter(
            workflow=workflow, event_key=event_key).first()
        if seen is not None and seen.created_at >= window:
            return seen.run, False
        try:
            with transaction.atomic():
                if seen is not None:
                    seen.delete()
                run, _ = run_start(workflow=workflow, trigger=trigger)
                WebhookEvent.objects.create(workflow=workflow, event_key=event_key, run=run)
            return run, True
        except IntegrityError:
            continue  # another request took this event a moment ago: answer its run
    seen = WebhookEvent.objects.select_related("run").get(workflow=workflow,
                                                          event_key=event_key)
    return seen.run, False


def schedule_fire(*, schema_name: str, workflow_id: int, fire_at: datetime) -> None:
    """What the schedule tick starts for one due row: one run per scheduled instant."""
    with schema_context(schema_name):
        workflow = Workflow.objects.filter(pk=workflow_id, is_active=True).first()
        if workflow is None or workflow.trigger_type != "cron":
            return
        run_start(workflow=workflow, key=f"cron:{fire_at.isoformat()}",
                  trigger={"type": "cron", "scheduled_at": fire_at.isoformat(),
                           "cron": workflow.trigger.get("cron"),
                           "timezone": workflow.trigger.get("timezone", "UTC")})


def file_processed_fire(*, file: dict) -> list[WorkflowRun]:
    runs = []
    for workflow in Workflow.objects.filter(is_active=True, trigger__type="file_processed"):
        run, _ = run_start(workflow=workflow, key=f"file:{file['id']}",
                           trigger={"type": "file_processed", "file": file})
        runs.append(run)
    return runs


def record_event_store(*, kind: str, base_id: str, table_id: str, record_ids: list[str],
                       source: str, depth: int) -> RecordEvent | None:
    """Write a mirror change to the outbox (in the mirror's transaction) when an active
    workflow listens to this base; it is turned into runs after the commit."""
    if not Workflow.objects.filter(is_active=True, trigger__type=kind,
                                   trigger__base_id=base_id).exists():
        return None
    event = RecordEvent.objects.create(kind=kind, base_id=base_id, table_id=table_id,
                                       record_ids=list(record_ids), source=source, depth=depth)
    enqueue_on_commit("workflows.record_events_dispatch", schema_name=connection.schema_name)
    return event
