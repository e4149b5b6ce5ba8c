"""Cron schedules: the right instants across DST in several zones, no run on save, one run
per slot however often the tick runs, no drift after a late tick."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.schedules.models import Schedule
from apps.schedules.services import next_fires
from apps.workflows import tasks
from apps.workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


MATRIX = [
    # Paris springs forward at 02:00 on 29 March 2026: 02:30 does not exist, so it fires at
    # the first instant after the gap (03:00 CEST), then at 02:30 CEST.
    ("30 2 * * *", "Europe/Paris", utc(2026, 3, 28, 12),
     [utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]),
    # Paris falls back at 03:00 on 25 October: 02:30 happens twice and fires once.
    ("30 2 * * *", "Europe/Paris", utc(2026, 10, 24, 12),
     [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]),
    # Weekdays 08:00 Paris: 07:00 UTC in winter time, 06:00 UTC after the change.
    ("0 8 * * 1-5", "Europe/Paris", utc(2026, 3, 26, 12),
     [utc(2026, 3, 27, 7), utc(2026, 3, 30, 6), utc(2026, 3, 31, 6)]),
    # Hourly in New York across the fall-back night: every real hour, both 01:00s.
    ("0 * * * *", "America/New_York", utc(2026, 11, 1, 4),
     [utc(2026, 11, 1, 5), utc(2026, 11, 1, 6), utc(2026, 11, 1, 7)]),
    # 01:30 daily in New York on that night: once.
    ("30 1 * * *", "America/New_York", utc(2026, 10, 31, 12),
     [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]),
    # New York springs forward on 8 March 2026: 02:15 does not exist.
    ("15 2 * * *", "America/New_York", utc(2026, 3, 7, 12),
     [utc(2026, 3, 8, 7, 0), utc(2026, 3, 9, 6, 15)]),
    # Sydney leaves summer time on 5 April 2026 (southern hemisphere).
    ("0 9 * * *", "Australia/Sydney", utc(2026, 4, 3, 0),
     [utc(2026, 4, 3, 22), utc(2026, 4, 4, 23)]),
    # A zone without DST and one with a 45-minute offset.
    ("0 0 1 * *", "Asia/Tokyo", utc(2026, 1, 15), [utc(2026, 1, 31, 15), utc(2026, 2, 28, 15)]),
    ("0 12 * * *", "Asia/Kathmandu", utc(2026, 6, 1), [utc(2026, 6, 1, 6, 15)]),
]


@pytest.mark.parametrize(("cron", "zone", "after", "expected"), MATRIX)
def test_cron_fires_at_the_right_instants_across_dst(cron, zone, after, expected):
    assert next_fires(cron, zone, after, len(expected)) == expected


def test_cron_validation_names_the_field(api):
    answer = api.post("/api/v1/workflows", {"name": "x", "steps": [], "trigger": {
        "type": "cron", "cron": "61 * * * *", "timezone": "Europe/Paris"}}, format="json")
    assert answer.status_code == 400 and "trigger.cron" in answer.json()["errors"]


def test_the_tick_starts_one_run_per_slot_without_drift(team_a, api, create,
                                                        django_capture_on_commit_callbacks):
    workflow = create(trigger={"type": "cron", "cron": "*/5 * * * *", "timezone": "UTC"})
    schedule = Schedule.objects.get(schema_name=team_a.tenant.schema_name,
                                    workflow_id=workflow["id"])
    assert schedule.next_run_at > timezone.now()  # saving never runs it
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.schedule_tick() == 0
    slot = schedule.next_run_at
    # The tick comes 2 min 10 s late: it fires the slot, and the next slot is the one after
    # it on the 5-minute grid, not 5 minutes after the late tick.
    late = slot + timedelta(minutes=2, seconds=10)
    from apps.schedules.services import schedules_claim_due
    from apps.workflows import services

    def start(schema_name, slots):
        services.schedules_fire(schema_name=schema_name,
                                slots=[(row.workflow_id, fire_at) for row, fire_at in slots])

    with django_capture_on_commit_callbacks(execute=True):
        assert schedules_claim_due(now=late, start=start) == 1
        assert schedules_claim_due(now=late, start=start) == 0
    schedule.refresh_from_db()
    assert schedule.next_run_at == slot + timedelta(minutes=5)
    with schema_context(team_a.tenant.schema_name):
        runs = list(WorkflowRun.objects.filter(workflow_id=workflow["id"]))
        assert [(r.trigger["scheduled_at"], r.status) for r in runs] == [
            (slot.isoformat(), "succeeded")]
        # The same slot fired again (a second beat, a retried tick) answers the same run.
        services.schedule_fire(schema_name=team_a.tenant.schema_name,
                               workflow_id=workflow["id"], fire_at=slot)
        assert WorkflowRun.objects.filter(workflow_id=workflow["id"]).count() == 1
    # Down for a day: one catch-up run, then back on the grid.
    with django_capture_on_commit_callbacks(execute=True):
        assert schedules_claim_due(now=slot + timedelta(days=1), start=start) == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at == slot + timedelta(days=1, minutes=5)


def test_disabling_or_changing_the_trigger_updates_the_schedule(team_a, api, create):
    workflow = create(trigger={"type": "cron", "cron": "0 8 * * 1-5",
                               "timezone": "Europe/Paris"})
    row = {"schema_name": team_a.tenant.schema_name, "workflow_id": workflow["id"]}
    api.patch(f"/api/v1/workflows/{workflow['id']}", {"is_active": False}, format="json")
    assert Schedule.objects.get(**row).is_active is False
    api.patch(f"/api/v1/workflows/{workflow['id']}", {"is_active": True,
                                                      "trigger": {"type": "manual"}},
              format="json")
    assert not Schedule.objects.filter(**row).exists()
