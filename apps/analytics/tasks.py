"""Beat's periodic analytics tasks. Both are idempotent and run in the public schema
(they name every schema they touch)."""

from __future__ import annotations

from celery import current_app, shared_task
from celery.schedules import crontab
from django.conf import settings

from . import services


@shared_task(name="analytics.events_ingest", ignore_result=True)
def events_ingest() -> int:
    return services.events_ingest()


@shared_task(name="analytics.partitions_maintain", ignore_result=True)
def partitions_maintain() -> dict:
    return services.partitions_maintain()


def beat_schedule_register() -> None:
    """Beat's DatabaseScheduler copies these entries into its PeriodicTask table at start."""
    schedule = dict(current_app.conf.beat_schedule or {})
    schedule["analytics-events-ingest"] = {
        "task": "analytics.events_ingest", "schedule": settings.ANALYTICS_INGEST_SECONDS,
        "options": {"expires": settings.ANALYTICS_INGEST_SECONDS * 4}}
    # Daily, off the hour; partitions exist months ahead, so a missed day changes nothing.
    schedule["analytics-partitions-maintain"] = {
        "task": "analytics.partitions_maintain", "schedule": crontab(minute=17, hour=3)}
    current_app.conf.beat_schedule = schedule
