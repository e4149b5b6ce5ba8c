"""A real Celery worker SIGKILLed in the middle of a sync, an extraction and an import: a
second worker, with the reapers of its beat, finishes each job by itself, once, with no row
lost or written twice."""

from __future__ import annotations

import time

import httpx
import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from apps.airtable import selectors as airtable_selectors
from apps.airtable.models import SyncJob
from apps.files.models import File, FileContent, ImportJob
from tests.conftest import committed_team, demo_base_connected
from tests.support.workers import Worker, worker_env_on

pytestmark = pytest.mark.django_db

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}
FAST = {"AIRTABLE_RATE_LIMIT_PER_BASE": "1000", "AIRTABLE_RATE_LIMIT_PER_TOKEN": "5000"}
WORKER_ENV = {"CELERY_TASK_ALWAYS_EAGER": "false", **FAST,
              "AIRTABLE_SYNC_STALE_SECONDS": "3", "AIRTABLE_SYNC_REAP_SECONDS": "1",
              "FILES_JOB_REAP_SECONDS": "1", "FILES_IMPORT_LEASE_SECONDS": "3",
              "FILES_EXTRACT_TIMEOUT_SECONDS": "20", "FILES_EXTRACT_LEASE_MARGIN_SECONDS": "1"}
SYNC_RECORDS = 3000
IMPORT_ROWS = 400


@pytest.fixture(scope="module")
def setup(platform_server_factory, django_db_blocker, tmp_path_factory):
    media = str(tmp_path_factory.mktemp("killed-media"))
    server = platform_server_factory(CELERY_TASK_ALWAYS_EAGER="false", MEDIA_ROOT=media,
                                     **UNLIMITED)
    with django_db_blocker.unblock(), override_settings(
            AIRTABLE_RATE_LIMIT_PER_BASE=1000.0, AIRTABLE_RATE_LIMIT_PER_TOKEN=5000.0):
        team = committed_team("worker-killed")
        base_id, token = demo_base_connected(team, server.url, records=SYNC_RECORDS)
        with tenant_context(team.tenant):
            tables = airtable_selectors.table_list(base_id=base_id)
        key = team.api_key()
        connection.close()
    api = httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=60)
    return {"server": server, "team": team, "base_id": base_id, "token": token,
            "tables": tables, "api": api, "media": media}


@pytest.fixture
def worker(setup):
    workers = []

    def start() -> Worker:
        started = Worker(worker_env_on(connection.settings_dict["NAME"],
                                           {**WORKER_ENV, "MEDIA_ROOT": setup["media"]}))
        started.start()
        workers.append(started)
        return started

    yield start
    for started in workers:
        started.stop()


def _wait(condition, *, timeout: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s" +
                         (f"; worker said:\n{worker.output()}" if worker else ""))


def _in(team, read):
    with tenant_context(team.tenant):
        return read()


def test_a_sync_whose_worker_was_killed_finishes_by_itself(setup, worker):
    team, base_id = setup["team"], setup["base_id"]
    answer = setup["api"].post(f"/api/v1/airtable/bases/{base_id}/sync", json={"full": True})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    first = worker()
    _wait(lambda: _in(team, lambda: SyncJob.objects.filter(
        pk=job_id, status=SyncJob.Status.RUNNING, progress_done__gt=0).exists()),
        timeout=60, what="the sync to be under way", worker=first)
    first.kill()
    assert _in(team, lambda: SyncJob.objects.get(pk=job_id).status) == SyncJob.Status.RUNNING
    second = worker()
    job = _wait(lambda: _in(team, lambda: SyncJob.objects.filter(
        pk=job_id, status__in=[SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED]).first()),
        timeout=90, what="the sync to end", worker=second)
    assert job.status == SyncJob.Status.SUCCEEDED, job.error
    sandbox = httpx.Client(base_url=f"{setup['server'].url}/sandbox/airtable/v0", timeout=60,
                           headers={"Authorization": f"Bearer {setup['token']}"})
    for table in setup["tables"]:
        ids, offset = [], None
        while True:
            page = sandbox.get(f"/{base_id}/{table['id']}",
                               params={"offset": offset} if offset else {}).json()
            ids += [record["id"] for record in page["records"]]
            offset = page.get("offset")
            if not offset:
                break
        mirrored = _in(team, lambda t=table: airtable_selectors.table_get(
            base_id=base_id, table=t["id"])["record_count"])
        assert mirrored == len(ids) == len(set(ids)), table["name"]


def _csv(rows: int, header: str) -> bytes:
    return (header + "\n" + "".join(f"Killed import {number:05d}\n"
                                    for number in range(rows))).encode()


def test_an_extraction_whose_worker_was_killed_finishes_by_itself(setup, worker):
    team = setup["team"]
    body = _csv(150_000, "Name")
    answer = setup["api"].post("/api/v1/files", files={"file": ("big.csv", body, "text/csv")})
    assert answer.status_code == 201, answer.text
    file_id = answer.json()["id"]
    first = worker()
    _wait(lambda: _in(team, lambda: File.objects.filter(
        pk=file_id, status=File.Status.PROCESSING).exists()),
        timeout=60, what="the extraction to start", worker=first)
    first.kill()
    file = _in(team, lambda: File.objects.get(pk=file_id))
    assert file.status == File.Status.PROCESSING and file.attempts == 1
    second = worker()
    file = _wait(lambda: _in(team, lambda: File.objects.filter(
        pk=file_id, status__in=[File.Status.PROCESSED, File.Status.FAILED]).first()),
        timeout=120, what="the extraction to end", worker=second)
    assert file.status == File.Status.PROCESSED, file.error
    assert file.attempts == 2
    content = _in(team, lambda: FileContent.objects.get(file_id=file_id))
    assert len(content.tables[0]["rows"]) == 150_000


def test_an_import_whose_worker_was_killed_sends_no_row_twice(setup, worker):
    team, base_id = setup["team"], setup["base_id"]
    create = setup["api"].post(f"/api/v1/airtable/bases/{base_id}/tables", json={
        "name": "Killed imports", "fields": [{"name": "Name", "type": "singleLineText"}]})
    assert create.status_code == 201, create.text
    table_id = create.json()["id"]
    first = worker()
    upload = setup["api"].post("/api/v1/files", files={
        "file": ("rows.csv", _csv(IMPORT_ROWS, "Name"), "text/csv")})
    file_id = upload.json()["id"]
    _wait(lambda: _in(team, lambda: File.objects.filter(
        pk=file_id, status=File.Status.PROCESSED).exists()),
        timeout=60, what="the file to be extracted", worker=first)
    answer = setup["api"].post(f"/api/v1/files/{file_id}/import",
                               json={"base_id": base_id, "table": table_id})
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    _wait(lambda: _in(team, lambda: ImportJob.objects.filter(
        pk=job_id, status=ImportJob.Status.RUNNING, done__gte=50).exists()),
        timeout=60, what="the import to be under way", worker=first)
    first.kill()
    assert _in(team, lambda: ImportJob.objects.get(pk=job_id).done) < IMPORT_ROWS
    second = worker()
    job = _wait(lambda: _in(team, lambda: ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED]).first()),
        timeout=90, what="the import to end", worker=second)
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    sandbox = httpx.Client(base_url=f"{setup['server'].url}/sandbox/airtable/v0", timeout=60,
                           headers={"Authorization": f"Bearer {setup['token']}"})
    names, offset = [], None
    while True:
        page = sandbox.get(f"/{base_id}/{table_id}",
                           params={"offset": offset} if offset else {}).json()
        names += [record["fields"].get("Name") for record in page["records"]]
        offset = page.get("offset")
        if not offset:
            break
    assert sorted(names) == [f"Killed import {number:05d}" for number in range(IMPORT_ROWS)]
    assert job.created_count == IMPORT_ROWS and job.failed_count == 0
