"""Workflows benchmark: the schedule tick, run throughput and trigger latency.

    python bench/workflows.py [--runs 200] [--schedules 10000]
    python bench/workflows.py --faults 500

1. The schedule tick over the public schedule table with `--schedules` active rows of
   real cron workflows: (a) 1 % of them due (the every-minute case), (b) none due, (c) all
   of them due at once (the worst case); each due row starts a real run (claim, run rows
   written in bulk, the next slot saved, the queue messages sent on commit). Then the
   fan-out a worker does of those messages into one task per run.
2. Runs per second of a one-step workflow (whoami) with 1 and 2 Celery worker processes
   (concurrency 1 each): `--runs` runs queued at once, wall time until all have ended.
3. Trigger → start (the run's started_at minus its created_at) p50/p95 for manual
   triggers, webhook calls and record changes (a write-through create), spaced 100 ms
   apart with 1 worker; the webhook's answer time p50/p95 over HTTP (gunicorn, 2 workers).
4. `--faults N` (alone): N runs of a write workflow (read, update_records, http_request,
   read) while a `celery worker -B` is SIGKILLed at random every few seconds (N / 25 times,
   at least 4): how many ended succeeded, records whose stamp is not their run's, and HTTP
   deliveries against distinct Idempotency-Keys.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
os.environ.setdefault("WORKFLOWS_MAX_CONCURRENT_RUNS", "100000")
os.environ.setdefault("WORKFLOWS_MAX_RUNS_PER_MINUTE", "100000")

import httpx
from _common import ROOT, Server, percentile, report, setup_django, tenant_with_base


class Worker:
    def __init__(self):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "false"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
             "--without-mingle", "--without-gossip", "--loglevel", "warning", "-n",
             f"bench-{time.monotonic_ns()}@%h"], cwd=ROOT, env=env)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def wait_until_finished(schema: str, run_ids: list[int], timeout: float = 600) -> float:
    from django_tenants.utils import schema_context

    from apps.workflows.models import WorkflowRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with schema_context(schema):
            left = WorkflowRun.objects.filter(pk__in=run_ids).exclude(
                status__in=WorkflowRun.FINISHED).count()
        if not left:
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError("runs did not finish")


def tick_bench(tenant, owner, count: int) -> list[tuple[str, str]]:
    from celery import current_app
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from apps.schedules.models import Schedule
    from apps.schedules.services import schedules_claim_due
    from apps.workflows import services, tasks
    from apps.workflows.models import Workflow, WorkflowRun

    def tick(now) -> tuple[int, float]:
        started = time.perf_counter()
        fired = schedules_claim_due(now=now, batch=settings.WORKFLOWS_SCHEDULE_BATCH,
                                    start=lambda schema, slots:
                                    services.schedules_fire(schema_name=schema, slots=[
                                        (row.workflow_id, at) for row, at in slots]))
        return fired, time.perf_counter() - started

    def runs_made() -> list[int]:
        with tenant_context(tenant):
            return list(WorkflowRun.objects.filter(workflow__name__startswith="Tick bench")
                        .values_list("pk", flat=True))

    zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]
    with tenant_context(tenant):
        Workflow.objects.filter(name__startswith="Tick bench").delete()
        workflows = Workflow.objects.bulk_create([Workflow(
            name=f"Tick bench {index}", owner_id=owner.pk,
            steps=[{"id": "me", "type": "whoami", "params": {}}],
            trigger={"type": "cron", "cron": f"{index % 60} * * * *",
                     "timezone": zones[index % 5]}) for index in range(count)],
            batch_size=2000)
    connection.set_schema_to_public()
    Schedule.objects.filter(schema_name=tenant.schema_name).delete()
    now = timezone.now().replace(microsecond=0)
    Schedule.objects.bulk_create([Schedule(
        schema_name=tenant.schema_name, workflow_id=workflow.pk, cron=workflow.trigger["cron"],
        timezone=workflow.trigger["timezone"], next_run_at=now + timedelta(hours=1))
        for workflow in workflows], batch_size=2000)
    rows = []
    try:
        # (a) the every-minute case: 1 % of the rows due now.
        due = max(1, count // 100)
        Schedule.objects.filter(pk__in=Schedule.objects.filter(
            schema_name=tenant.schema_name).order_by("id").values("pk")[:due]).update(
            next_run_at=now - timedelta(seconds=1))
        fired, seconds = tick(now)
        assert fired == due == len(runs_made()), (fired, due)
        rows.append((f"tick, {count:,} active schedules, {due} due, runs started",
                     f"{seconds:.3f} s"))
        fired, seconds = tick(now)
        assert fired == 0 and len(runs_made()) == due
        rows.append((f"tick, {count:,} active schedules, none due", f"{seconds * 1000:.1f} ms"))
        # (b) the worst case: every row due at once, three times (the machine is shared:
        # the median and the best say more than one sample).
        samples = []
        for repeat in range(1, 4):
            Schedule.objects.filter(schema_name=tenant.schema_name).update(
                next_run_at=now + timedelta(minutes=repeat))
            fired, seconds = tick(now + timedelta(minutes=repeat, seconds=30))
            made = runs_made()
            assert fired == count and len(made) == repeat * count + due, (fired, len(made))
            samples.append(seconds)
        rows.append((f"tick, {count:,} active schedules, all due, runs started",
                     f"median {sorted(samples)[1]:.3f} s, best {min(samples):.3f} s "
                     f"({', '.join(f'{sample:.3f}' for sample in samples)})"))
        made = made[-count:]
        # What a worker then does with the tick's messages: one task per run.
        started = time.perf_counter()
        for start in range(0, len(made), 500):
            tasks.runs_queue(schema_name=tenant.schema_name, run_ids=made[start:start + 500])
        rows.append((f"fan-out of {len(made):,} run tasks (in a worker, after the tick)",
                     f"{time.perf_counter() - started:.3f} s"))
    finally:
        current_app.control.purge()  # the benchmark's own Redis database
        connection.set_schema_to_public()
        Schedule.objects.filter(schema_name=tenant.schema_name).delete()
        with tenant_context(tenant):
            Workflow.objects.filter(name__startswith="Tick bench").delete()
    return rows


def throughput(tenant, owner, runs: int, workers: int) -> tuple[str, str]:
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from apps.workflows import services

    with tenant_context(tenant):
        workflow = services.workflow_create(actor_id=owner.pk, data={
            "name": f"Throughput {workers} {time.time_ns()}", "trigger": {"type": "manual"},
            "steps": [{"id": "me", "type": "whoami", "params": {}}]})
    pool = [Worker() for _ in range(workers)]
    time.sleep(8)  # workers up
    try:
        with tenant_context(tenant):
            started = time.monotonic()
            with transaction.atomic():
                ids = [services.workflow_trigger(workflow_id=workflow.pk)[0].pk
                       for _ in range(runs)]
        ended = wait_until_finished(tenant.schema_name, ids)
    finally:
        for worker in pool:
            worker.stop()
    return (f"one-step runs/s, {workers} worker process(es)",
            f"{runs / (ended - started):.1f} ({runs} runs in {ended - started:.1f} s)")


def latency(tenant, owner, server: Server, base_id: str, count: int) -> list[tuple[str, str]]:
    from django_tenants.utils import tenant_context

    from apps.airtable import services as airtable
    from apps.workflows import services
    from apps.workflows.models import WorkflowRun
    from apps.workflows.presenters import webhook_url

    steps = [{"id": "me", "type": "whoami", "params": {}}]
    with tenant_context(tenant):
        manual = services.workflow_create(actor_id=owner.pk, data={
            "name": f"Latency manual {time.time_ns()}", "trigger": {"type": "manual"},
            "steps": steps})
        hook = services.workflow_create(actor_id=owner.pk, data={
            "name": f"Latency webhook {time.time_ns()}", "trigger": {"type": "webhook"},
            "steps": steps})
        record = services.workflow_create(actor_id=owner.pk, data={
            "name": f"Latency record {time.time_ns()}",
            "trigger": {"type": "record_created", "base_id": base_id, "table": "Companies"},
            "steps": steps})
        hook_path = webhook_url(hook, tenant)
    worker = Worker()
    with tenant_context(tenant):  # one run first, so the worker is up before measuring
        warm, _ = services.workflow_trigger(workflow_id=manual.pk)
    wait_until_finished(tenant.schema_name, [warm.pk])
    with tenant_context(tenant):
        WorkflowRun.objects.filter(pk=warm.pk).delete()
    rows, answers = [], []
    http = httpx.Client(base_url=server.url, timeout=30)
    try:
        for name, workflow in (("manual", manual), ("webhook", hook), ("record change", record)):
            for index in range(count):
                if name == "manual":
                    with tenant_context(tenant):
                        services.workflow_trigger(workflow_id=workflow.pk)
                elif name == "webhook":
                    sent = time.perf_counter()
                    answer = http.post(hook_path, json={"n": index},
                                       headers={"X-Event-Id": f"bench-{time.time_ns()}"})
                    answers.append((time.perf_counter() - sent) * 1000)
                    assert answer.status_code == 202, answer.text
                else:
                    with tenant_context(tenant):
                        airtable.records_create(base_id=base_id, table="Companies",
                                                records=[{"Name": f"Bench {index}"}])
                time.sleep(0.1)
            with tenant_context(tenant):
                ids = list(WorkflowRun.objects.filter(workflow=workflow)
                           .values_list("pk", flat=True))
            wait_until_finished(tenant.schema_name, ids)
            with tenant_context(tenant):
                samples, not_started = [], []
                for run in WorkflowRun.objects.filter(workflow=workflow):
                    if run.started_at is None:
                        not_started.append(f"{run.status} {run.error_code}")
                        continue
                    samples.append((run.started_at - run.created_at).total_seconds() * 1000)
            if not_started:
                print(f"{name}: runs that never started: {not_started[:5]}")
            rows.append((f"trigger → start, {name}",
                         f"p50 {percentile(samples, 50):.0f} ms, p95 "
                         f"{percentile(samples, 95):.0f} ms (n={len(samples)})"))
    finally:
        worker.stop()
    rows.append(("webhook answer", f"p50 {percentile(answers, 50):.1f} ms, p95 "
                                   f"{percentile(answers, 95):.1f} ms (n={len(answers)})"))
    return rows


def faults(server: Server, sandbox_token: str, runs: int) -> list[tuple[str, str]]:
    """Workers SIGKILLed at random while `runs` runs of a write workflow execute (the
    harness of tests/workflows/test_faults.py at the issue's size)."""
    from django_tenants.utils import tenant_context

    from apps.accounts.selectors import user_get_by_email
    from apps.airtable import selectors
    from apps.workflows import services
    from tests.support.workflow_faults import (
        WORKER_ENV,
        Receiver,
        Worker,
        fault_workflow_create,
        faults_run,
    )

    tenant, base_id, _key = tenant_with_base(server, slug="bench-faults", records=5 * runs,
                                             sandbox_token=sandbox_token)
    owner = user_get_by_email("owner@bench-faults.example.com")
    receiver = Receiver(delay=0.2)
    with tenant_context(tenant):
        table = next(t for t in selectors.table_list(base_id=base_id)
                     if t["record_count"] >= runs)
        field = next(f["name"] for f in table["fields"]
                     if f["type"] in ("multilineText", "singleLineText")
                     and f["id"] != table["primary_field_id"])
        records, offset = [], None
        while len(records) < runs:
            page = selectors.record_list(base_id=base_id, table=table["id"], page_size=100,
                                         offset=offset)
            records += [record["id"] for record in page["records"]]
            offset = page.get("offset")
            if not offset:
                break
        records = records[:runs]
        assert len(records) == runs, len(records)
        workflow = fault_workflow_create(owner_id=owner.pk, base_id=base_id,
                                         table_id=table["id"], field=field,
                                         receiver_url=receiver.url)

    def trigger(record_id: str) -> int:
        with tenant_context(tenant):
            return services.workflow_trigger(workflow_id=workflow.pk,
                                             data={"record": record_id})[0].pk

    worker = Worker({"DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "false",
                     **WORKER_ENV}, cwd=str(ROOT))
    kills = max(4, runs // 25)
    try:
        result = faults_run(tenant=tenant, workflow=workflow, records=records, trigger=trigger,
                            worker=worker, receiver=receiver, kills=kills, timeout=3600,
                            sandbox={"sandbox_url": server.url, "token": sandbox_token,
                                     "base_id": base_id, "table_id": table["id"],
                                     "field": field})
    finally:
        receiver.stop()
    failed = {pk: status for pk, status in result.statuses.items() if status[0] != "succeeded"}
    return [("succeeded / total", f"{result.succeeded} / {result.runs}"),
            ("SIGKILLs (whole worker process group)", str(result.kills)),
            ("records with a wrong, missing or repeated write", str(len(result.wrong_records))),
            ("HTTP deliveries / distinct Idempotency-Keys",
             f"{result.deliveries} / {result.distinct_keys}"),
            ("runs resumed by the reaper / step re-executions",
             f"{result.resumed} / {result.repeated_steps}"),
            ("wall time", f"{result.seconds:.0f} s"),
            ("runs not succeeded", str(list(failed.items())[:5]) if failed else "none")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=30)
    parser.add_argument("--parts", default="tick,throughput,latency")
    parser.add_argument("--faults", type=int, default=0,
                        help="only the fault mode: this many runs with workers SIGKILLed")
    args = parser.parse_args()
    setup_django()
    from apps.accounts.selectors import user_get_by_email
    from apps.sandbox.services import token_create

    server = Server(workers=2, extra_env={"SANDBOX_RATE_LIMIT_PER_BASE": "0",
                                          "SANDBOX_RATE_LIMIT_PER_TOKEN": "0",
                                          "CELERY_TASK_ALWAYS_EAGER": "false"})
    try:
        token = token_create(name="workflows bench")[1]
        if args.faults:
            report(f"Faults ({args.faults} runs)", faults(server, token, args.faults))
            return
        tenant, base_id, _key = tenant_with_base(server, slug="bench-workflows", records=50,
                                                 sandbox_token=token)
        owner = user_get_by_email("owner@bench-workflows.example.com")
        parts = args.parts.split(",")
        if "tick" in parts:
            report("Schedules", tick_bench(tenant, owner, args.schedules))
        if "throughput" in parts:
            report("Throughput", [throughput(tenant, owner, args.runs, 1),
                                  throughput(tenant, owner, args.runs, 2)])
        if "latency" in parts:
            report("Latency", latency(tenant, owner, server, base_id, args.latency_samples))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
