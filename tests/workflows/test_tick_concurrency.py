"""The schedule tick under concurrency, on real PostgreSQL connections: two ticks at the same
time over the same due rows start each due run once (FOR UPDATE SKIP LOCKED), and a tick
that dies half-way — its transaction rolled back, or its process SIGKILLed — loses no run:
the rows it held are still due and the next tick starts them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django_tenants.utils import schema_context

from apps.schedules.models import Schedule
from apps.schedules.services import next_fire, schedules_claim_due
from apps.workflows import services
from apps.workflows.models import Workflow, WorkflowRun
from tests.conftest import committed_team

pytestmark = pytest.mark.django_db

COUNT = 24
BATCH = 5
# A yearly expression: once moved on, no row comes due again while the suite runs.
CRON = "0 0 1 1 *"


@pytest.fixture(scope="module")
def ticking(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        team = committed_team("wf-ticks")
        schema = team.tenant.schema_name
        with schema_context(schema):
            Workflow.objects.all().delete()
            ids = [services.workflow_create(actor_id=team.owner.pk, data={
                "name": f"Yearly {index}", "steps": [
                    {"id": "ok", "type": "condition", "params": {"formula": "1"}}],
                "trigger": {"type": "cron", "cron": CRON, "timezone": "Europe/Paris"}}).pk
                for index in range(COUNT)]
    yield {"team": team, "schema": schema, "ids": ids}
    with django_db_blocker.unblock():
        Schedule.objects.filter(schema_name=schema).delete()
        with schema_context(schema):
            Workflow.objects.all().delete()


def _committed(call):
    """Run `call` on a connection of its own (another thread), so that what it writes is
    committed as a tick's work is, outside the test's transaction; its result or error."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(180)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _make_due(setup, slot: datetime) -> None:
    def reset():
        with schema_context(setup["schema"]):
            WorkflowRun.objects.all().delete()
        Schedule.objects.filter(schema_name=setup["schema"]).update(next_run_at=slot)

    _committed(reset)


def _start(schema_name, slots):
    services.schedules_fire(schema_name=schema_name,
                            slots=[(row.workflow_id, fire_at) for row, fire_at in slots])


def _assert_one_run_per_slot(setup, slot: datetime, now: datetime) -> None:
    with schema_context(setup["schema"]):
        runs = list(WorkflowRun.objects.values_list("workflow_id", "idempotency_key",
                                                    "status"))
    assert sorted(runs) == sorted((workflow_id, f"cron:{slot.isoformat()}", "succeeded")
                                  for workflow_id in setup["ids"])
    following = next_fire(CRON, "Europe/Paris", now)
    assert set(Schedule.objects.filter(schema_name=setup["schema"])
               .values_list("next_run_at", flat=True)) == {following}


def _in_thread(target) -> threading.Thread:
    def run():
        try:
            target()
        finally:
            connections.close_all()  # this thread's connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_ticks_at_once_start_each_due_run_once(ticking):
    slot = datetime(2026, 6, 1, 8, tzinfo=UTC)
    now = slot + timedelta(seconds=5)
    _make_due(ticking, slot)
    holding, release = threading.Event(), threading.Event()
    fired: dict[str, int] = {}
    errors: list[BaseException] = []

    def held_start(schema_name, slots):
        # Tick A starts its first batch, then stays inside its transaction (its rows
        # locked) until tick B has finished.
        _start(schema_name, slots)
        if not holding.is_set():
            holding.set()
            assert release.wait(60)

    def tick(name, start):
        def go():
            try:
                fired[name] = schedules_claim_due(now=now, batch=BATCH, start=start)
            except BaseException as error:
                errors.append(error)
                raise
        return go

    first = _in_thread(tick("a", held_start))
    assert holding.wait(60)
    second = _in_thread(tick("b", _start))
    second.join(120)
    release.set()
    first.join(120)
    assert not errors and not first.is_alive() and not second.is_alive()
    # B skipped the rows A held and took all the others; A then found nothing left.
    assert fired == {"a": BATCH, "b": COUNT - BATCH}
    _assert_one_run_per_slot(ticking, slot, now)


def test_a_tick_rolled_back_half_way_loses_no_run(ticking):
    slot = datetime(2026, 7, 1, 8, tzinfo=UTC)
    now = slot + timedelta(seconds=5)
    _make_due(ticking, slot)
    batches = []

    def failing_start(schema_name, slots):
        _start(schema_name, slots)
        batches.append(len(slots))
        if len(batches) == 2:
            raise RuntimeError("the tick dies in its second batch")

    with pytest.raises(RuntimeError, match="second batch"):
        _committed(lambda: schedules_claim_due(now=now, batch=BATCH, start=failing_start))
    # The first batch committed; the second's runs and slot moves were rolled back.
    with schema_context(ticking["schema"]):
        assert WorkflowRun.objects.count() == BATCH
    assert Schedule.objects.filter(schema_name=ticking["schema"],
                                   next_run_at=slot).count() == COUNT - BATCH
    assert _committed(lambda: schedules_claim_due(now=now, batch=BATCH,
                                                  start=_start)) == COUNT - BATCH
    _assert_one_run_per_slot(ticking, slot, now)


KILLED_TICK = """
import sys, time
import django
django.setup()
from datetime import datetime
from apps.schedules.services import schedules_claim_due
from apps.workflows import services

def start(schema_name, slots):
    services.schedules_fire(schema_name=schema_name,
                            slots=[(row.workflow_id, at) for row, at in slots])
    print("started", len(slots), flush=True)
    time.sleep(600)  # killed here, inside the transaction

schedules_claim_due(now=datetime.fromisoformat(sys.argv[1]), batch=int(sys.argv[2]),
                    start=start)
"""


def test_a_tick_killed_mid_way_loses_no_run(ticking):
    slot = datetime(2026, 8, 1, 8, tzinfo=UTC)
    now = slot + timedelta(seconds=5)
    _make_due(ticking, slot)
    env = dict(os.environ)
    env["DATABASE_URL"] = re.sub(r"/[^/]*$", f"/{connection.settings_dict['NAME']}",
                                 env["DATABASE_URL"])
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    process = subprocess.Popen([sys.executable, "-c", KILLED_TICK, now.isoformat(),
                                str(COUNT)], env=env, stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("started"), line
        # The tick has written its runs and holds every due row: it dies before its commit.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.stdout.close()
    with schema_context(ticking["schema"]):
        assert WorkflowRun.objects.count() == 0
    assert Schedule.objects.filter(schema_name=ticking["schema"],
                                   next_run_at=slot).count() == COUNT
    assert _committed(lambda: schedules_claim_due(now=now, batch=BATCH,
                                                  start=_start)) == COUNT
    _assert_one_run_per_slot(ticking, slot, now)
