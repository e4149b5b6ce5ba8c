"""Real Celery workers SIGKILLed at random while runs of a write workflow execute: every run
still ends `succeeded`, each record holds its run's write, and the receiver of the HTTP write
sees each step's Idempotency-Key as one event (a repeat after a kill is dropped by the key)."""

from __future__ import annotations

import httpx
import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from tests.conftest import committed_team, demo_base_connected
from tests.support.workers import worker_env_on
from tests.support.workflow_faults import (
    WORKER_ENV,
    Receiver,
    Worker,
    fault_workflow_create,
    faults_run,
)

pytestmark = pytest.mark.django_db

RUNS = 40
UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}
LIMITS = {"WORKFLOWS_MAX_CONCURRENT_RUNS": "1000", "WORKFLOWS_MAX_RUNS_PER_MINUTE": "1000"}
# Generous: the machine that runs the suite may be busy with other work.
TIMEOUT_SECONDS = 300


@pytest.fixture(scope="module")
def fault_setup(platform_server_factory, django_db_blocker):
    server = platform_server_factory(CELERY_TASK_ALWAYS_EAGER="false", **LIMITS,
                                     **UNLIMITED)
    receiver = Receiver()
    with django_db_blocker.unblock(), override_settings(
            AIRTABLE_RATE_LIMIT_PER_BASE=1000.0, AIRTABLE_RATE_LIMIT_PER_TOKEN=5000.0):
        team = committed_team("wf-faults")
        base_id, token = demo_base_connected(team, server.url, records=5 * RUNS)
        with tenant_context(team.tenant):
            from apps.airtable import selectors
            tables = selectors.table_list(base_id=base_id)
            table = next(t for t in tables if t["record_count"] >= RUNS)
            text_field = next(f["name"] for f in table["fields"]
                              if f["type"] in ("multilineText", "singleLineText")
                              and f["id"] != table["primary_field_id"])
            records = selectors.record_list(base_id=base_id, table=table["id"],
                                            page_size=100)["records"][:RUNS]
            workflow = fault_workflow_create(owner_id=team.owner.pk, base_id=base_id,
                                             table_id=table["id"], field=text_field,
                                             receiver_url=receiver.url)
    yield {"server": server, "team": team, "workflow": workflow, "receiver": receiver,
           "records": [record["id"] for record in records], "table": table,
           "field": text_field, "base_id": base_id, "token": token}
    receiver.stop()


def test_sigkilled_workers_lose_no_run_and_repeat_no_write(fault_setup):
    setup = fault_setup
    team, workflow = setup["team"], setup["workflow"]
    env = worker_env_on(connection.settings_dict["NAME"], WORKER_ENV)
    http = httpx.Client(base_url=setup["server"].url, timeout=30,
                        headers={"Authorization": f"Bearer {team.jwt()}"})

    def trigger(record_id: str) -> int:
        answer = http.post(f"/api/v1/workflows/{workflow.pk}/trigger",
                           json={"input": {"record": record_id}})
        assert answer.status_code == 202, answer.text
        return answer.json()["run_id"]

    worker = Worker(env)
    result = faults_run(tenant=team.tenant, workflow=workflow, records=setup["records"],
                        trigger=trigger, worker=worker, receiver=setup["receiver"], kills=4,
                        timeout=TIMEOUT_SECONDS,
                        sandbox={"sandbox_url": setup["server"].url, "token": setup["token"],
                                 "base_id": setup["base_id"],
                                 "table_id": setup["table"]["id"], "field": setup["field"]})
    assert result.kills >= 1, worker.output()
    assert result.succeeded == RUNS, (
        {pk: status for pk, status in result.statuses.items() if status[0] != "succeeded"},
        worker.output())
    assert result.steps == 4 * RUNS
    # Each record holds the write of its own run, once.
    assert result.wrong_records == []
    # One event per run for a receiver that dedupes by key.
    assert result.distinct_keys == RUNS
    print(f"\nfaults: {result.summary()}")
