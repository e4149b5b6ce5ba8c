"""Real Celery workers SIGKILLed at random while runs of a write workflow execute: every run
still ends `succeeded`, each record holds its run's write, and the receiver of the HTTP write
sees each step's Idempotency-Key as one event (a repeat after a kill is dropped by the key)."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.airtable import services as airtable
from apps.sandbox.services import sandbox_seed_demo
from apps.workflows import services
from apps.workflows.models import StepResult, WorkflowRun
from tests.conftest import committed_team

pytestmark = pytest.mark.django_db

RUNS = 40
UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}
FAST = {"AIRTABLE_RATE_LIMIT_PER_BASE": "1000", "AIRTABLE_RATE_LIMIT_PER_TOKEN": "5000"}
LIMITS = {"WORKFLOWS_MAX_CONCURRENT_RUNS": "1000", "WORKFLOWS_MAX_RUNS_PER_MINUTE": "1000"}
WORKER_ENV = {"CELERY_TASK_ALWAYS_EAGER": "false", "WORKFLOWS_LEASE_SECONDS": "3",
              "WORKFLOWS_REAPER_SECONDS": "1", **LIMITS, **FAST}


class Receiver(BaseHTTPRequestHandler):
    deliveries: list[str] = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).deliveries.append(self.headers.get("Idempotency-Key"))
        time.sleep(0.4)  # a slow receiver: kills land while steps are in flight
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Worker:
    """`celery worker -B` (beat inside, for the reaper) as its own process group."""

    def __init__(self, database_name: str):
        env = dict(os.environ)
        env["DATABASE_URL"] = re.sub(r"/[^/]*$", f"/{database_name}", env["DATABASE_URL"])
        env.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", **WORKER_ENV})
        self.env = env
        self.schedule = tempfile.mktemp(prefix="beat-")
        self.log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)
        self.process = None
        self.kills = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "--scheduler",
             "celery.beat:PersistentScheduler", "--schedule-filename", self.schedule,
             "--concurrency", "2",
             "--without-mingle", "--without-gossip", "--loglevel", "warning"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

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


@pytest.fixture(scope="module")
def fault_setup(platform_server_factory, django_db_blocker):
    server = platform_server_factory(CELERY_TASK_ALWAYS_EAGER="false", **LIMITS,
                                     **UNLIMITED)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with django_db_blocker.unblock(), override_settings(
            AIRTABLE_RATE_LIMIT_PER_BASE=1000.0, AIRTABLE_RATE_LIMIT_PER_TOKEN=5000.0):
        team = committed_team("wf-faults")
        base_id, token = sandbox_seed_demo(records=5 * RUNS)
        with tenant_context(team.tenant):
            airtable.connection_create(name="Demo", token=token,
                                       endpoint_url=f"{server.url}/sandbox/airtable")
            airtable.base_sync(base_id=base_id, full=True)
            from apps.airtable import selectors
            tables = selectors.table_list(base_id=base_id)
            table = next(t for t in tables if t["record_count"] >= RUNS)
            text_field = next(f["name"] for f in table["fields"]
                              if f["type"] in ("multilineText", "singleLineText")
                              and f["id"] != table["primary_field_id"])
            records = selectors.record_list(base_id=base_id, table=table["id"],
                                            page_size=100)["records"][:RUNS]
            workflow = services.workflow_create(actor_id=team.owner.pk, data={
                "name": "Stamp and notify", "trigger": {"type": "manual"}, "steps": [
                    {"id": "me", "type": "whoami", "params": {}},
                    {"id": "stamp", "type": "update_records", "params": {
                        "baseId": base_id, "table": table["id"],
                        "records": [{"id": "{{ input.record }}",
                                     "fields": {text_field: "stamped by run {{ run.id }}"}}]}},
                    {"id": "notify", "type": "http_request", "params": {
                        "url": f"http://127.0.0.1:{httpd.server_port}/events",
                        "method": "POST", "json": {"record": "{{ input.record }}"}}},
                    {"id": "check", "type": "get_record", "params": {
                        "baseId": base_id, "table": table["id"],
                        "recordId": "{{ input.record }}"}}]})
    yield {"server": server, "team": team, "workflow": workflow, "records": records,
           "table": table, "field": text_field, "base_id": base_id, "token": token}
    httpd.shutdown()


def _steps_started(team, run_ids) -> int:
    with tenant_context(team.tenant):
        return StepResult.objects.filter(run_id__in=run_ids).count()


def test_sigkilled_workers_lose_no_run_and_repeat_no_write(fault_setup):
    setup = fault_setup
    team, workflow = setup["team"], setup["workflow"]
    worker = Worker(connection.settings_dict["NAME"])
    Receiver.deliveries = []
    http = httpx.Client(base_url=setup["server"].url, timeout=30,
                        headers={"Authorization": f"Bearer {team.jwt()}"})
    random.seed(13)
    worker.start()
    try:
        run_ids = []
        for record in setup["records"]:
            answer = http.post(f"/api/v1/workflows/{workflow.pk}/trigger",
                               json={"input": {"record": record["id"]}})
            assert answer.status_code == 202, answer.text
            run_ids.append(answer.json()["run_id"])
        deadline = time.monotonic() + 150
        while worker.kills < 4 and time.monotonic() < deadline:
            # Wait until this worker has taken work, then kill it at a random moment.
            started = _steps_started(team, run_ids)
            while _steps_started(team, run_ids) == started and time.monotonic() < deadline:
                assert worker.process.poll() is None, worker.output()
                time.sleep(0.2)
            time.sleep(random.uniform(0.2, 1.5))
            worker.kill()
            worker.start()
        while time.monotonic() < deadline:
            with tenant_context(team.tenant):
                left = WorkflowRun.objects.filter(pk__in=run_ids).exclude(
                    status__in=WorkflowRun.FINISHED).count()
            if not left:
                break
            time.sleep(0.5)
    finally:
        worker.stop()
    with tenant_context(team.tenant):
        runs = {run.pk: run for run in WorkflowRun.objects.filter(pk__in=run_ids)}
        statuses = sorted({run.status for run in runs.values()})
        assert statuses == ["succeeded"], (
            {r.pk: (r.status, r.error) for r in runs.values() if r.status != "succeeded"},
            worker.output())
        resumed = sum(1 for run in runs.values() if run.attempts > 1)
        repeated = StepResult.objects.filter(run_id__in=run_ids, attempts__gt=1).count()
        assert StepResult.objects.filter(run_id__in=run_ids).count() == 4 * RUNS
    # Each record holds the write of its own run, once.
    sandbox = httpx.Client(base_url=f"{setup['server'].url}/sandbox/airtable/v0", timeout=30,
                           headers={"Authorization": f"Bearer {setup['token']}"})
    stamped = {}
    offset = None
    while True:
        page = sandbox.get(f"/{setup['base_id']}/{setup['table']['id']}",
                           params={"offset": offset} if offset else {}).json()
        for record in page["records"]:
            stamped[record["id"]] = record["fields"].get(setup["field"])
        offset = page.get("offset")
        if not offset:
            break
    for run_id, record in zip(run_ids, setup["records"], strict=True):
        assert stamped[record["id"]] == f"stamped by run {run_id}"
    keys = [key for key in Receiver.deliveries if key]
    assert len(set(keys)) == RUNS  # one event per run for a receiver that dedupes by key
    print(f"\nfaults: {worker.kills} SIGKILLs, {RUNS} runs succeeded, {resumed} resumed by "
          f"the reaper, {repeated} step re-executions, {len(keys)} HTTP deliveries for "
          f"{len(set(keys))} keys")
