"""Celery entry points of workflows: ids and the schema name in, a service call inside the
schema. Late acknowledgement and requeue on a lost worker: a run's task may be delivered
twice, and the runner makes the second delivery resume, not repeat."""

from __future__ import annotations

from celery import current_app, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_tenant_model, schema_context, schema_exists

from apps.schedules.services import schedules_claim_due

from . import services

_COMMON = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}
# Below the broker's visibility timeout (6 h), so a message is never handed out twice
# while its task still runs.
_RUN_LIMITS = {"soft_time_limit": settings.WORKFLOWS_SLICE_SECONDS
               + settings.WORKFLOWS_STEP_TIMEOUT_SECONDS,
               "time_limit": settings.WORKFLOWS_SLICE_SECONDS
               + settings.WORKFLOWS_STEP_TIMEOUT_SECONDS + 30}


@shared_task(name="workflows.run_step", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=5, max_retries=5, **_COMMON, **_RUN_LIMITS)
def run_step(*, schema_name: str, run_id: int) -> str | None:
    if not schema_exists(schema_name):
        return None
    with schema_context(schema_name):
        return services.run_execute(run_id=run_id)


@shared_task(name="workflows.record_events_dispatch", **_COMMON, soft_time_limit=120,
             time_limit=150)
def record_events_dispatch(*, schema_name: str) -> int:
    if not schema_exists(schema_name):
        return 0
    with schema_context(schema_name):
        return services.record_events_dispatch()


@shared_task(name="workflows.runs_queue", **_COMMON, soft_time_limit=120, time_limit=150)
def runs_queue(*, schema_name: str, run_ids: list[int]) -> int:
    """Fan one message out to one run task per run, over one broker connection."""
    with current_app.producer_or_acquire() as producer:
        for run_id in run_ids:
            run_step.apply_async(kwargs={"schema_name": schema_name, "run_id": run_id},
                                 producer=producer)
    return len(run_ids)


@shared_task(name="workflows.schedule_tick", **_COMMON, soft_time_limit=60, time_limit=90)
def schedule_tick() -> int:
    """Beat's one ticking task: due rows of the public schedule table start their runs,
    one batch per tenant schema."""
    connection.set_schema_to_public()
    return schedules_claim_due(
        batch=settings.WORKFLOWS_SCHEDULE_BATCH,
        start=lambda schema_name, slots: services.schedules_fire(
            schema_name=schema_name,
            slots=[(schedule.workflow_id, fire_at) for schedule, fire_at in slots]))


@shared_task(name="workflows.reap", **_COMMON, soft_time_limit=120, time_limit=150)
def reap() -> int:
    """Resume runs a dead worker left, wake waiting runs, dispatch leftover record events."""
    connection.set_schema_to_public()
    count = 0
    schemas = list(get_tenant_model().objects.filter(is_active=True)
                   .exclude(schema_name="public").values_list("schema_name", flat=True))
    for schema_name in schemas:
        with schema_context(schema_name):
            count += services.runs_reap()
            count += services.record_events_dispatch()
    return count
