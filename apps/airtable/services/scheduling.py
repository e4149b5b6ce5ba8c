"""Periodic syncs through django-celery-beat.

Beat runs in the public schema, so each base has one PeriodicTask row there,
named `airtable-sync:<schema>:<base_id>`, that carries the tenant's schema in
its kwargs. The minute each base fires at is offset by a hash of that name,
so a thousand tenants' bases do not all call Airtable at :00.
"""

from __future__ import annotations

import json
import zlib

from django.db import connection
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from ..exceptions import InvalidQuery
from ..models import Base
from ..selectors.connections import base_get

TASK_NAME = "airtable.base_sync_scheduled"
# Every allowed interval divides an hour or a day evenly, so a cron line keeps it exact.
SYNC_INTERVALS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440)


def periodic_task_name(schema_name: str, base_id: str) -> str:
    return f"airtable-sync:{schema_name}:{base_id}"


def sync_interval_validate(minutes) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes not in SYNC_INTERVALS:
        raise InvalidQuery(
            "sync_interval_minutes must be one of " + ", ".join(map(str, SYNC_INTERVALS)) + ".",
            errors={"sync_interval_minutes": ["Not an allowed interval."]})
    return minutes


def crontab_fields(name: str, minutes: int) -> dict:
    """minute/hour cron fields that fire every `minutes`, offset by a hash of `name`."""
    spread = zlib.crc32(name.encode())
    if minutes < 60:
        offset = spread % minutes
        minute = "*" if minutes == 1 else f"{offset}-59/{minutes}"
        return {"minute": minute, "hour": "*"}
    hours = minutes // 60
    minute = str(spread % 60)
    hour = "*" if hours == 1 else f"{(spread // 60) % hours}-23/{hours}"
    return {"minute": minute, "hour": hour}


def base_schedule_update(*, base: Base) -> PeriodicTask | None:
    """Create, change or remove the base's periodic sync to match its settings."""
    name = periodic_task_name(connection.schema_name, base.base_id)
    if not base.sync_enabled:
        PeriodicTask.objects.filter(name=name).delete()
        return None
    schedule, _ = CrontabSchedule.objects.get_or_create(
        **crontab_fields(name, base.sync_interval_minutes),
        day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC")
    task, _ = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": TASK_NAME,
            "crontab": schedule,
            "interval": None,
            "kwargs": json.dumps({"schema_name": connection.schema_name,
                                  "base_id": base.base_id}),
            "enabled": True,
            "description": f"Sync of Airtable base {base.name} every "
                           f"{base.sync_interval_minutes} min",
        },
    )
    return task


def base_schedule_remove(*, base_ids: list[str], schema_name: str | None = None) -> None:
    schema = schema_name or connection.schema_name
    PeriodicTask.objects.filter(
        name__in=[periodic_task_name(schema, base_id) for base_id in base_ids]).delete()


def base_update(*, base_id, sync_enabled=None, sync_interval_minutes=None) -> Base:
    """Change how often a base syncs (or stop its schedule)."""
    base = base_get(base_id=base_id)
    fields = []
    if sync_enabled is not None:
        if not isinstance(sync_enabled, bool):
            raise InvalidQuery("sync_enabled is true or false.",
                               errors={"sync_enabled": ["Must be a boolean."]})
        base.sync_enabled = sync_enabled
        fields.append("sync_enabled")
    if sync_interval_minutes is not None:
        base.sync_interval_minutes = sync_interval_validate(sync_interval_minutes)
        fields.append("sync_interval_minutes")
    if fields:
        base.save(update_fields=fields)
        base_schedule_update(base=base)
    return base
