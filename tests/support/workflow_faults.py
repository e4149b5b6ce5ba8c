"""Workers SIGKILLed at random while runs of a write workflow execute, for the fault test
(tests/workflows/test_faults.py, a few dozen runs) and the benchmark's fault mode
(`bench/workflows.py --faults 500`).

The workflow reads, stamps its record with `update_records`, POSTs to a receiver with the
step's Idempotency-Key and reads the record back. Real `celery worker -B` processes (beat
inside, for the reaper) are killed with their whole process group while steps are in
flight. What is checked afterwards: every run ended, each record holds exactly its own
run's stamp, and the receiver saw one distinct key per run (repeats after a kill are the
duplicates a receiver that honours the key drops).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# Worker settings that make a killed worker's runs come back fast: a 3 s lease, the reaper
# every second.
WORKER_ENV = {"CELERY_TASK_ALWAYS_EAGER": "false", "WORKFLOWS_LEASE_SECONDS": "3",
              "WORKFLOWS_REAPER_SECONDS": "1",
              "WORKFLOWS_MAX_CONCURRENT_RUNS": "100000", "WORKFLOWS_MAX_RUNS_PER_MINUTE": "100000",
              "AIRTABLE_RATE_LIMIT_PER_BASE": "1000", "AIRTABLE_RATE_LIMIT_PER_TOKEN": "5000"}


class Receiver:
    """An HTTP server on 127.0.0.1 that records each POST's Idempotency-Key and answers
    slowly, so that kills land while requests are in flight."""

    def __init__(self, delay: float = 0.4):
        self.deliveries: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.deliveries.append(self.headers.get("Idempotency-Key"))
                time.sleep(delay)
                body = b'{"ok": true}'
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker that sent it was killed while waiting

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/events"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()


class Worker:
    """`celery worker -B` as its own process group, started and SIGKILLed at will."""

    def __init__(self, env: dict, *, concurrency: int = 2, cwd: str | None = None):
        self.env = {**os.environ, **env}
        self.cwd = cwd
        self.concurrency = concurrency
        self.schedule = tempfile.mktemp(prefix="beat-")
        self.log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)
        self.process: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--scheduler",
             "celery.beat:PersistentScheduler", "--schedule-filename", self.schedule,
             "--concurrency", str(self.concurrency), "--without-mingle", "--without-gossip",
             "--loglevel", "warning"],
            env=self.env, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        with open(self.log.name) as handle:
            return handle.read()[-4000:]


def fault_workflow_create(*, owner_id: int, base_id: str, table_id: str, field: str,
                          receiver_url: str):
    """The four-step write workflow (call inside the tenant's schema)."""
    from apps.workflows import services

    return services.workflow_create(actor_id=owner_id, data={
        "name": f"Stamp and notify {time.time_ns()}", "trigger": {"type": "manual"}, "steps": [
            {"id": "me", "type": "whoami", "params": {}},
            {"id": "stamp", "type": "update_records", "params": {
                "baseId": base_id, "table": table_id,
                "records": [{"id": "{{ input.record }}",
                             "fields": {field: "stamped by run {{ run.id }}"}}]}},
            {"id": "notify", "type": "http_request", "params": {
                "url": receiver_url, "method": "POST", "json": {"record": "{{ input.record }}"}}},
            {"id": "check", "type": "get_record", "params": {
                "baseId": base_id, "table": table_id, "recordId": "{{ input.record }}"}}]})


def sandbox_values(*, sandbox_url: str, token: str, base_id: str, table_id: str,
                   field: str) -> dict[str, object]:
    """Each record's value of `field`, read from the sandbox's Airtable API."""
    http = httpx.Client(base_url=f"{sandbox_url}/sandbox/airtable/v0", timeout=30,
                        headers={"Authorization": f"Bearer {token}"})
    values, offset = {}, None
    while True:
        page = http.get(f"/{base_id}/{table_id}",
                        params={"offset": offset} if offset else {}).json()
        for record in page["records"]:
            values[record["id"]] = record["fields"].get(field)
        offset = page.get("offset")
        if not offset:
            return values


@dataclass
class FaultResult:
    runs: int
    kills: int
    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)
    resumed: int = 0
    repeated_steps: int = 0
    steps: int = 0
    wrong_records: list[str] = field(default_factory=list)
    deliveries: int = 0
    distinct_keys: int = 0
    seconds: float = 0.0

    @property
    def succeeded(self) -> int:
        return sum(1 for status, _ in self.statuses.values() if status == "succeeded")

    def summary(self) -> str:
        return (f"{self.succeeded}/{self.runs} runs succeeded in {self.seconds:.0f} s, "
                f"{self.kills} SIGKILLs, {self.resumed} runs resumed by the reaper, "
                f"{self.repeated_steps} step re-executions; records with a wrong or missing "
                f"write: {len(self.wrong_records)}; HTTP: {self.deliveries} deliveries for "
                f"{self.distinct_keys} keys ({self.deliveries - self.distinct_keys} repeats "
                "dropped by the Idempotency-Key)")


def faults_run(*, tenant, workflow, records: list[str], trigger: Callable[[str], int],
               worker: Worker, receiver: Receiver, kills: int, timeout: float,
               sandbox: dict, seed: int = 13) -> FaultResult:
    """Trigger one run per record, SIGKILL the worker `kills` times at random moments while
    steps run (restarting it each time), wait until every run has ended, then read what the
    runs, the sandbox and the receiver hold."""
    from django_tenants.utils import tenant_context

    from apps.workflows.models import StepResult, WorkflowRun

    def steps_started() -> int:
        with tenant_context(tenant):
            return StepResult.objects.filter(run_id__in=run_ids).count()

    def unfinished() -> int:
        with tenant_context(tenant):
            return WorkflowRun.objects.filter(pk__in=run_ids).exclude(
                status__in=WorkflowRun.FINISHED).count()

    rng = random.Random(seed)
    receiver.deliveries.clear()
    started = time.monotonic()
    worker.start()
    try:
        run_ids = [trigger(record) for record in records]
        deadline = time.monotonic() + timeout
        while worker.kills < kills and time.monotonic() < deadline and unfinished():
            # Wait until this worker has taken work, then kill it at a random moment.
            before = steps_started()
            while steps_started() == before and time.monotonic() < deadline:
                if worker.process.poll() is not None:
                    raise RuntimeError(worker.output())
                time.sleep(0.2)
            time.sleep(rng.uniform(0.2, 1.5))
            worker.kill()
            worker.start()
        while time.monotonic() < deadline and unfinished():
            time.sleep(0.5)
    finally:
        worker.stop()
    result = FaultResult(runs=len(run_ids), kills=worker.kills,
                         seconds=time.monotonic() - started)
    with tenant_context(tenant):
        runs = {run.pk: run for run in WorkflowRun.objects.filter(pk__in=run_ids)}
        result.statuses = {pk: (run.status, run.error) for pk, run in runs.items()}
        result.resumed = sum(1 for run in runs.values() if run.attempts > 1)
        result.repeated_steps = StepResult.objects.filter(run_id__in=run_ids,
                                                          attempts__gt=1).count()
        result.steps = StepResult.objects.filter(run_id__in=run_ids).count()
    stamped = sandbox_values(**sandbox)
    result.wrong_records = [record for run_id, record in zip(run_ids, records, strict=True)
                            if stamped.get(record) != f"stamped by run {run_id}"]
    keys = [key for key in receiver.deliveries if key]
    result.deliveries, result.distinct_keys = len(keys), len(set(keys))
    return result
