"""Starting runs: by hand, by test, by webhook, by schedule, by record change, by a
processed file, and again by replay. Every start goes through `run_start`, which dedupes by
idempotency key (the same key answers the same run), applies the limits and queues the run
once the transaction commits."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.core.jobs import enqueue_on_commit

from ..exceptions import RunNotReplayable, WorkflowInactive
from ..models import RecordEvent, StepResult, WebhookEvent, Workflow, WorkflowRun
from ..selectors import run_get, workflow_get
from .notices import run_failed_notify

logger = logging.getLogger(__name__)
KEY_MAX_CHARS = 200
# Run ids per queued fan-out message.
QUEUE_CHUNK = 500
Status = WorkflowRun.Status


def run_queue(run: WorkflowRun, *, countdown: float | None = None) -> None:
    enqueue_on_commit("workflows.run_step", countdown=countdown,
                      schema_name=connection.schema_name, run_id=run.pk)


def _live_runs() -> int:
    return WorkflowRun.objects.filter(status__in=(Status.QUEUED, Status.RUNNING),
                                      wake_at__isnull=True).count()


def _recent_runs(workflow_ids) -> dict[int, int]:
    since = timezone.now() - timedelta(minutes=1)
    return dict(WorkflowRun.objects.filter(workflow_id__in=workflow_ids, created_at__gte=since)
                .values("workflow_id").annotate(n=Count("id")).values_list("workflow_id", "n"))


def _limit_reason(live: int, recent: int) -> tuple[str, str] | None:
    if live >= settings.WORKFLOWS_MAX_CONCURRENT_RUNS:
        return ("ERROR_WORKFLOW_LIMIT",
                f"The team already has {live} runs queued or running (the limit is "
                f"{settings.WORKFLOWS_MAX_CONCURRENT_RUNS}).")
    if recent >= settings.WORKFLOWS_MAX_RUNS_PER_MINUTE:
        return ("ERROR_WORKFLOW_LIMIT",
                f"This workflow started {recent} runs in the last minute (the limit is "
                f"{settings.WORKFLOWS_MAX_RUNS_PER_MINUTE}).")
    return None


def _run_fields(*, workflow: Workflow, trigger: dict, key: str | None, depth: int = 0,
                test: bool = False, replay_of: WorkflowRun | None = None,
                problem: tuple[str, str] | None = None) -> dict:
    fields = {"workflow": workflow, "trigger": trigger, "idempotency_key": key, "depth": depth,
              "test": test, "replay_of": replay_of,
              "workflow_version": replay_of.workflow_version if replay_of else workflow.version,
              "definition": replay_of.definition if replay_of else workflow.definition(),
              "owner_id": workflow.owner_id}
    if problem:
        fields.update(status=Status.FAILED, error_code=problem[0], error=problem[1],
                      finished_at=timezone.now())
    return fields


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
    problem = failure or _limit_reason(_live_runs(), _recent_runs([workflow.pk]).get(
        workflow.pk, 0))
    fields = _run_fields(workflow=workflow, trigger=trigger, key=key, depth=depth, test=test,
                         replay_of=replay_of, problem=problem)
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


def runs_queue(run_ids: list[int]) -> None:
    """Queue many runs of this schema with one message per chunk once the transaction
    commits; a worker fans it out to one task per run (the reaper queues again what a lost
    message left queued)."""
    for start in range(0, len(run_ids), QUEUE_CHUNK):
        enqueue_on_commit("workflows.runs_queue", schema_name=connection.schema_name,
                          run_ids=list(run_ids[start:start + QUEUE_CHUNK]))


# The runs of due schedules, written in one statement: the run copies its workflow's
# definition (built here in SQL, so thousands of rows cost one round trip and no model
# instances), and a slot that already has its run (the same `cron:<instant>` key) is left
# alone by ON CONFLICT.
_CRON_RUNS_SQL = """
    INSERT INTO {runs} (workflow_id, workflow_version, definition, status, trigger,
                        idempotency_key, test, depth, owner_id, error, error_code, attempts,
                        cancel_requested, created_at, finished_at)
    SELECT w.id, w.version,
           jsonb_build_object('name', w.name, 'description', w.description,
                              'trigger', w.trigger, 'steps', w.steps,
                              'is_active', w.is_active),
           s.status,
           jsonb_build_object('type', 'cron', 'scheduled_at', s.fire_at,
                              'cron', w.trigger -> 'cron',
                              'timezone', COALESCE(w.trigger -> 'timezone', '"UTC"'::jsonb)),
           'cron:' || s.fire_at, false, 0, w.owner_id, s.error, s.error_code, 0, false,
           %s, CASE WHEN s.status = 'failed' THEN %s::timestamptz END
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
         AS s(workflow_id, fire_at, status, error_code, error)
    JOIN {workflows} w ON w.id = s.workflow_id
    WHERE w.is_active AND w.trigger ->> 'type' = 'cron'
    ON CONFLICT (workflow_id, idempotency_key) DO NOTHING
    RETURNING id, status
"""


# The due slots that need a run: of an active cron workflow, without a run for that instant
# yet, with the workflow's runs of the last minute (the per-minute limit).
_CRON_SLOTS_SQL = """
    SELECT DISTINCT ON (s.workflow_id, s.fire_at) s.workflow_id, s.fire_at,
           (SELECT count(*) FROM {runs} r
            WHERE r.workflow_id = s.workflow_id AND r.created_at >= %s) AS recent
    FROM unnest(%s::bigint[], %s::text[]) AS s(workflow_id, fire_at)
    JOIN {workflows} w ON w.id = s.workflow_id
    WHERE w.is_active AND w.trigger ->> 'type' = 'cron'
      AND NOT EXISTS (SELECT 1 FROM {runs} r WHERE r.workflow_id = s.workflow_id
                      AND r.idempotency_key = 'cron:' || s.fire_at)
"""


def schedules_fire(*, schema_name: str, slots: list[tuple[int, datetime]]) -> list[int]:
    """What the schedule tick starts for the due rows of one tenant: one run per scheduled
    instant (keyed `cron:<instant>`), with one schema switch and three queries whatever the
    number of rows, queued in bulk once the tick commits. Rows of a deleted, disabled or no
    longer scheduled workflow start nothing; a run past a limit is stored failed with the
    reason, as `run_start` does. Returns the ids of the runs made."""
    with schema_context(schema_name):
        tables = {"runs": connection.ops.quote_name(WorkflowRun._meta.db_table),
                  "workflows": connection.ops.quote_name(Workflow._meta.db_table)}
        with connection.cursor() as cursor:
            cursor.execute(_CRON_SLOTS_SQL.format(**tables), [
                timezone.now() - timedelta(minutes=1),
                [workflow_id for workflow_id, _ in slots],
                [fire_at.isoformat() for _, fire_at in slots]])
            candidates = cursor.fetchall()
        live = _live_runs() if candidates else 0
        columns: tuple[list, ...] = ([], [], [], [], [])
        for workflow_id, fire_at, recent in candidates:
            problem = _limit_reason(live, recent)
            live += problem is None
            for column, value in zip(columns, (
                    workflow_id, fire_at, Status.FAILED if problem else Status.QUEUED,
                    problem[0] if problem else "", problem[1] if problem else ""),
                    strict=True):
                column.append(value)
        if not columns[0]:
            return []
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(_CRON_RUNS_SQL.format(**tables), [now, now, *columns])
            made = cursor.fetchall()
        for run in WorkflowRun.objects.filter(
                pk__in=[run_id for run_id, status in made if status == Status.FAILED]):
            run_failed_notify(run=run)
        runs_queue([run_id for run_id, status in made if status == Status.QUEUED])
        return [run_id for run_id, _ in made]


def schedule_fire(*, schema_name: str, workflow_id: int, fire_at: datetime) -> None:
    """One scheduled instant of one workflow (the same as the tick does for a row)."""
    schedules_fire(schema_name=schema_name, slots=[(workflow_id, fire_at)])


def file_processed_fire(*, file: dict) -> list[WorkflowRun]:
    runs = []
    for workflow in Workflow.objects.filter(is_active=True, trigger__type="file_processed"):
        run, _ = run_start(workflow=workflow, key=f"file:{file['id']}",
                           trigger={"type": "file_processed", "file": file})
        runs.append(run)
    return runs


def record_event_store(*, kind: str, base_id: str, table_id: str, record_ids: list[str],
                       source: str, depth: int,
                       changed_fields: dict[str, list[str]] | None = None) -> RecordEvent | None:
    """Write a mirror change to the outbox (in the mirror's transaction) when an active
    workflow listens to this base; it is turned into runs after the commit. An update
    carries, for each record, the names of the fields it changed."""
    if not Workflow.objects.filter(is_active=True, trigger__type=kind,
                                   trigger__base_id=base_id).exists():
        return None
    event = RecordEvent.objects.create(kind=kind, base_id=base_id, table_id=table_id,
                                       record_ids=list(record_ids), source=source, depth=depth,
                                       changed_fields=changed_fields)
    enqueue_on_commit("workflows.record_events_dispatch", schema_name=connection.schema_name)
    return event
