"""Workflows benchmark: the schedule tick, run throughput and trigger latency.

    python bench/workflows.py [--runs 200] [--schedules 10000]

1. The schedule tick over the public schedule table with `--schedules` active rows:
   (a) every row due (the worst case: claim, fire, move to the next slot), with a start
   that does nothing, so the figure is the scheduler's own; (b) 1 % of them due, each
   starting a real run in its tenant (rows written, tasks queued to Redis).
2. Runs per second of a one-step workflow (whoami) with 1 and 2 Celery worker processes
   (concurrency 1 each): `--runs` runs queued at once, wall time until all have ended.
3. Trigger → start (the run's started_at minus its created_at) p50/p95 for manual
   triggers, webhook calls and record changes (a write-through create), spaced 100 ms
   apart with 1 worker; the webhook's answer time p50/p95 over HTTP (gunicorn, 2 workers).
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
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from apps.schedules.models import Schedule
    from apps.schedules.services import schedules_claim_due
    from apps.workflows import services
    from apps.workflows.models import Workflow

    due = max(1, count // 100)
    with tenant_context(tenant):
        Workflow.objects.filter(name__startswith="Tick bench").delete()
        workflows = [services.workflow_create(actor_id=owner.pk, data={
            "name": f"Tick bench {index}", "steps": [{"id": "me", "type": "whoami",
                                                      "params": {}}],
            "trigger": {"type": "cron", "cron": "*/5 * * * *", "timezone": "Europe/Paris"}})
            for index in range(due)]
    connection.set_schema_to_public()
    Schedule.objects.filter(schema_name="bench_tick").delete()
    now = timezone.now()
    zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]
    Schedule.objects.bulk_create([Schedule(
        schema_name="bench_tick", workflow_id=i, cron=f"{i % 60} * * * *",
        timezone=zones[i % 5], next_run_at=now - timedelta(seconds=1)) for i in range(count)],
        batch_size=2000)
    started = time.perf_counter()
    fired = schedules_claim_due(now=now, batch=500, start=lambda row, at: None)
    all_due = time.perf_counter() - started
    assert fired == count, fired
    # The same 10,000 rows in the future, plus `due` real workflows due now.
    ids = [workflow.pk for workflow in workflows]
    Schedule.objects.filter(schema_name=tenant.schema_name, workflow_id__in=ids).update(
        next_run_at=now - timedelta(seconds=1))
    started = time.perf_counter()
    fired = schedules_claim_due(now=now, batch=500, start=lambda row, at: services.schedule_fire(
        schema_name=row.schema_name, workflow_id=row.workflow_id, fire_at=at))
    some_due = time.perf_counter() - started
    Schedule.objects.filter(schema_name="bench_tick").delete()
    with tenant_context(tenant):
        Workflow.objects.filter(pk__in=ids).delete()
    Schedule.objects.filter(schema_name=tenant.schema_name, workflow_id__in=ids).delete()
    return [(f"tick, {count:,} rows, all due (scheduler only)", f"{all_due:.3f} s"),
            (f"tick, {count + due:,} active rows, {fired} due, runs started",
             f"{some_due:.3f} s")]


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=30)
    parser.add_argument("--parts", default="tick,throughput,latency")
    args = parser.parse_args()
    setup_django()
    from apps.accounts.selectors import user_get_by_email
    from apps.sandbox.services import token_create

    server = Server(workers=2, extra_env={"SANDBOX_RATE_LIMIT_PER_BASE": "0",
                                          "SANDBOX_RATE_LIMIT_PER_TOKEN": "0",
                                          "CELERY_TASK_ALWAYS_EAGER": "false"})
    try:
        token = token_create(name="workflows bench")[1]
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
