"""Schedules: when a cron expression fires next in its IANA zone, and claiming due rows.

Each next instant is computed from the previous *scheduled* instant (not from the time the
tick ran), so a late tick never shifts later runs (no drift), and a schedule that was due
long ago fires once, not once per missed slot. Wall-clock times are read in the zone:
`0 8 * * *` in Europe/Paris is 08:00 Paris time in winter and in summer; a time that does
not exist on a spring-forward day fires at the first instant after the gap, a time that
happens twice on a fall-back day fires once (the first), as cron does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError
from django.db import connection, transaction
from django.utils import timezone as dj_timezone

from .models import Schedule


class InvalidSchedule(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the zone files: once per process


def zone_get(name: str) -> ZoneInfo:
    if not isinstance(name, str) or name not in _zone_names():
        raise InvalidSchedule("timezone", "An IANA time zone name, such as Europe/Paris.")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise InvalidSchedule("timezone", "An IANA time zone name, such as Europe/Paris.") \
            from None


def cron_validate(cron: str, zone: str) -> None:
    if not isinstance(cron, str) or len(cron.split()) != 5:
        raise InvalidSchedule("cron", "Five fields: minute hour day-of-month month day-of-week.")
    try:
        CronSim(cron, datetime.now(zone_get(zone)))
    except CronSimError as error:
        raise InvalidSchedule("cron", f"Not a cron expression: {error}.") from None


@lru_cache(maxsize=8192)
def next_fire(cron: str, zone: str, after: datetime) -> datetime:
    """The first instant strictly after `after` at which `cron` fires in `zone`, in UTC.
    Cached: the rows that fire together mostly share their expression, zone and slot."""
    local = after.astimezone(zone_get(zone)).replace(second=0, microsecond=0)
    fire = next(CronSim(cron, local))
    return fire.astimezone(ZoneInfo("UTC"))


def schedule_set(*, schema_name: str, workflow_id: int, cron: str, zone: str,
                 active: bool) -> Schedule:
    """Create or change a workflow's schedule. The first run is the next slot after now:
    saving a schedule never runs it at once."""
    cron_validate(cron, zone)
    schedule, _ = Schedule.objects.update_or_create(
        schema_name=schema_name, workflow_id=workflow_id,
        defaults={"cron": cron, "timezone": zone, "is_active": active,
                  "next_run_at": next_fire(cron, zone, dj_timezone.now()) if active else None})
    return schedule


def schedule_remove(*, schema_name: str, workflow_id: int) -> None:
    Schedule.objects.filter(schema_name=schema_name, workflow_id=workflow_id).delete()


def _slots_save(rows: list[Schedule]) -> None:
    """One UPDATE for the batch (bulk_update's CASE per row is slow for hundreds); the
    values go as two comma-joined strings, cheaper to send than arrays of timestamps.
    `last_run_at` takes the slot that fired, the row's `next_run_at` before this update."""
    table = Schedule._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS s SET last_run_at = s.next_run_at, '
            "next_run_at = v.next_run_at "
            "FROM unnest(string_to_array(%s, ',')::bigint[], "
            "string_to_array(%s, ',')::timestamptz[]) AS v(id, next_run_at) WHERE s.id = v.id",
            [",".join(str(row.pk) for row in rows),
             ",".join(row.next_run_at.isoformat() for row in rows)])


def schedules_claim_due(*, now: datetime | None = None, batch: int = 500,
                        start: Callable[[str, list[tuple[Schedule, datetime]]], None]) -> int:
    """Claim due schedules with FOR UPDATE SKIP LOCKED (two ticks never take the same row),
    call `start(schema_name, [(schedule, fire_at), ...])` once per schema of the batch and
    move each row to its next slot, all in one transaction: a tick that dies before its
    commit leaves the rows due for the next tick. Returns how many fired. `start` must be
    idempotent per (schedule, fire_at)."""
    now = now or dj_timezone.now()
    fired = 0
    while True:
        with transaction.atomic():
            due = list(Schedule.objects.select_for_update(skip_locked=True)
                       .filter(is_active=True, next_run_at__lte=now)
                       .order_by("next_run_at")[:batch])
            if not due:
                return fired
            by_schema: dict[str, list[tuple[Schedule, datetime]]] = {}
            for schedule in due:
                by_schema.setdefault(schedule.schema_name, []).append(
                    (schedule, schedule.next_run_at))
            for schema_name, slots in by_schema.items():
                start(schema_name, slots)
            connection.set_schema_to_public()
            for schedule in due:
                fire_at = schedule.next_run_at
                schedule.last_run_at = fire_at
                following = next_fire(schedule.cron, schedule.timezone, fire_at)
                if following <= now:  # missed slots while the platform was down: fire once
                    following = next_fire(schedule.cron, schedule.timezone, now)
                schedule.next_run_at = following
            _slots_save(due)
            fired += len(due)
        if len(due) < batch:
            return fired


def next_fires(cron: str, zone: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` instants, for pages that show upcoming runs."""
    fires, moment = [], after
    for _ in range(count):
        moment = next_fire(cron, zone, moment)
        fires.append(moment)
    return fires


__all__ = ["InvalidSchedule", "Schedule", "cron_validate", "next_fire", "next_fires",
           "schedule_remove", "schedule_set", "schedules_claim_due"]
