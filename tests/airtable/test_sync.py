"""Syncing sandbox bases into alpha's mirror, over HTTP, in this process (eager Celery)."""

import time

import pytest
from celery.exceptions import Retry
from django.db import connection
from django_tenants.utils import schema_context

from apps.airtable import selectors, services, signals, tasks
from apps.airtable.models import AirtableConnection, Record, SyncJob, Table
from apps.airtable.services.sync import SyncLeaseHeld, SyncRetry, sync_job_run, sync_jobs_reap
from apps.core.jobs import task_get

from .conftest import UNLIMITED, Sandbox, connect, index_definitions, sync
from .conftest import mirror_records as _mirror


@pytest.fixture(scope="module")
def big_base(seed):
    return seed(5000)


def test_a_base_of_5000_records_syncs(team_a, server, big_base,
                                      django_capture_on_commit_callbacks):
    base_id, token = big_base
    connect(team_a, server, token)
    job = sync(team_a, base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.error
    assert job.full is True
    assert job.created_count == 5000
    assert job.progress_done == job.progress_total == 5000
    assert job.rate_limited_count == 0
    sandbox = Sandbox(server.url, token, base_id)
    for table in sandbox.tables():
        expected = sandbox.all(table["id"])
        assert _mirror(team_a, base_id, table["id"]) == expected, table["name"]
    with schema_context(team_a.tenant.schema_name):
        assert Record.objects.count() == 5000
        base = selectors.base_get(base_id=base_id)
        assert base.last_synced_at is not None and base.last_full_synced_at is not None
        # Running it again changes nothing and duplicates nothing.
    again = sync(team_a, base_id, full=True, capture=django_capture_on_commit_callbacks)
    assert (again.status, again.created_count, again.updated_count, again.deleted_count) == \
        ("succeeded", 0, 0, 0)
    with schema_context(team_a.tenant.schema_name):
        assert Record.objects.count() == 5000


def test_incremental_sync_brings_changes_new_and_deleted_records(
        team_a, server, make_base, settings, django_capture_on_commit_callbacks):
    settings.AIRTABLE_SYNC_OVERLAP_SECONDS = 0
    sandbox = make_base(30)
    connect(team_a, server, sandbox.token)
    first = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    assert (first.status, first.full, first.created_count) == ("succeeded", True, 30)

    heard = []

    def listen(signal):
        def receiver(sender, **kwargs):
            heard.append((signal, kwargs["record_ids"], kwargs["source"]))
        return receiver

    receivers = {name: listen(name) for name in ("created", "updated", "deleted")}
    signals.record_created.connect(receivers["created"])
    signals.record_updated.connect(receivers["updated"])
    signals.record_deleted.connect(receivers["deleted"])
    try:
        time.sleep(1.1)
        records = sandbox.all("Items")
        changed = sandbox.update("Items", records[3]["id"], {"Qty": 999, "Notes": "changed"})
        new = sandbox.create("Items", {"Name": "Brand new", "Qty": 1})
        sandbox.delete("Items", records[7]["id"])
        second = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    finally:
        for name, signal in (("created", signals.record_created),
                             ("updated", signals.record_updated),
                             ("deleted", signals.record_deleted)):
            signal.disconnect(receivers[name])
    assert second.status == "succeeded", second.error
    assert second.full is False
    assert (second.created_count, second.updated_count, second.deleted_count) == (1, 1, 1)
    # Only the two changed records were read in full; progress counts the id scan (30 ids)
    # against the table's size, and the changes apart.
    assert (second.progress_done, second.progress_total, second.changed_count) == (30, 30, 3)
    assert _mirror(team_a, sandbox.base_id, "Items") == sandbox.all("Items")
    with schema_context(team_a.tenant.schema_name):
        mirrored = selectors.record_get(base_id=sandbox.base_id, table="Items",
                                        record_id=changed["id"])
    assert mirrored["fields"]["Qty"] == 999
    assert sorted(heard) == sorted([("created", [new["id"]], "sync"),
                                    ("updated", [changed["id"]], "sync"),
                                    ("deleted", [records[7]["id"]], "sync")])


def test_an_interrupted_job_resumes_without_duplicates(
        team_a, server, platform_server_factory, make_base, settings):
    """Injected 503s beyond the retry budget stop the job half-way, as a killed
    worker would; run again, the same job finishes with every record once."""
    flaky = platform_server_factory(SANDBOX_FAILURE_RATE="0.3", **UNLIMITED)
    sandbox = make_base(2000)
    connection_row = connect(team_a, server, sandbox.token)
    settings.AIRTABLE_RETRY_ATTEMPTS = 0
    with schema_context(team_a.tenant.schema_name):
        AirtableConnection.objects.filter(pk=connection_row.pk).update(
            endpoint_url=f"{flaky.url}/sandbox/airtable")
        job = SyncJob.objects.create(base=selectors.base_get(base_id=sandbox.base_id), full=True)
        for _attempt in range(15):
            with pytest.raises(SyncRetry):
                sync_job_run(job_id=job.pk, retry_allowed=True)
            if Record.objects.exists():
                break
        job.refresh_from_db()
        written = Record.objects.count()
        assert job.status == "queued"
        assert "503" in job.error
        assert 0 < written < 2000

        AirtableConnection.objects.filter(pk=connection_row.pk).update(
            endpoint_url=f"{server.url}/sandbox/airtable")
        tasks.sync_job_run_task.apply(kwargs={"schema_name": connection.schema_name,
                                              "job_id": job.pk})
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        assert job.created_count == 2000
        assert job.attempts >= 2
        ids = list(Record.objects.values_list("record_id", flat=True))
        assert len(ids) == len(set(ids)) == 2000
    assert _mirror(team_a, sandbox.base_id, "Items") == sandbox.all("Items")


def test_a_429_storm_slows_the_sync_but_loses_nothing(
        team_a, platform_server_factory, make_base, settings,
        django_capture_on_commit_callbacks):
    storm = platform_server_factory(SANDBOX_RATE_LIMIT_PER_BASE="3",
                                    SANDBOX_RATE_LIMIT_PER_TOKEN="0")
    sandbox = make_base(800)
    settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS = 0.3
    connect(team_a, storm, sandbox.token)
    job = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.error
    assert job.rate_limited_count > 0
    assert job.created_count == 800
    assert _mirror(team_a, sandbox.base_id, "Items") == sandbox.all("Items")


def test_a_503_storm_slows_the_sync_but_loses_nothing(
        team_a, platform_server_factory, make_base, settings,
        django_capture_on_commit_callbacks):
    storm = platform_server_factory(SANDBOX_FAILURE_RATE="0.3", **UNLIMITED)
    sandbox = make_base(800)
    settings.AIRTABLE_RETRY_ATTEMPTS = 10
    connect(team_a, storm, sandbox.token)
    job = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.error
    assert job.requests_count > 10
    assert job.created_count == 800
    assert _mirror(team_a, sandbox.base_id, "Items") == sandbox.all("Items")


def test_a_failed_sync_is_retried_then_reported(team_a, server, platform_server_factory,
                                                make_base, settings):
    broken = platform_server_factory(SANDBOX_FAILURE_RATE="1", **UNLIMITED)
    sandbox = make_base(5)
    connection_row = connect(team_a, server, sandbox.token)
    settings.AIRTABLE_RETRY_ATTEMPTS = 0
    schema = team_a.tenant.schema_name
    with schema_context(schema):
        AirtableConnection.objects.filter(pk=connection_row.pk).update(
            endpoint_url=f"{broken.url}/sandbox/airtable")
        job = services.base_sync(base_id=sandbox.base_id)
    arguments = {"schema_name": schema, "job_id": job.pk}
    # A worker's delivery: the task asks Celery to run it again later (eager: raised here).
    with pytest.raises(Retry):
        tasks.sync_job_run_task.apply(kwargs=arguments)
    with schema_context(schema):
        job.refresh_from_db()
    assert job.status == "queued"
    assert "503" in job.error
    # The last retry gives up and says why, on the job and on the base.
    last = tasks.sync_job_run_task.apply(kwargs=arguments, retries=tasks.SYNC_RETRIES)
    assert last.get() == "failed"
    with schema_context(schema):
        job.refresh_from_db()
        assert "503" in selectors.base_get(base_id=sandbox.base_id).last_sync_error
    assert job.status == "failed"
    assert "503" in job.error
    assert job.attempts == 2
    assert job.finished_at is not None


def test_one_job_per_base_at_a_time_and_stale_jobs_are_taken_over(
        team_a, server, make_base, settings, django_capture_on_commit_callbacks):
    sandbox = make_base(3)
    connect(team_a, server, sandbox.token)
    with schema_context(team_a.tenant.schema_name):
        queued = services.base_sync(base_id=sandbox.base_id)  # not run: no commit in the test
        assert services.base_sync(base_id=sandbox.base_id).pk == queued.pk
        assert services.base_sync(base_id=sandbox.base_id, full=True).full is True

        from django.utils import timezone

        SyncJob.objects.filter(pk=queued.pk).update(
            status="running", heartbeat_at=timezone.now())
        # A worker holds its lease: nobody else runs it; a redelivered message waits it out.
        with pytest.raises(SyncLeaseHeld) as held:
            sync_job_run(job_id=queued.pk)
        assert 0 < held.value.seconds <= settings.AIRTABLE_SYNC_STALE_SECONDS + 1
        with django_capture_on_commit_callbacks(execute=True):
            assert services.base_sync(base_id=sandbox.base_id).pk == queued.pk
        assert SyncJob.objects.get(pk=queued.pk).status == "running"

        # Its worker died: the heartbeat is old, and the next request hands it on.
        old = timezone.now() - timezone.timedelta(seconds=settings.AIRTABLE_SYNC_STALE_SECONDS + 5)
        SyncJob.objects.filter(pk=queued.pk).update(heartbeat_at=old)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.base_sync(base_id=sandbox.base_id).pk == queued.pk
        job = SyncJob.objects.get(pk=queued.pk)
        assert job.status == "succeeded"
        assert job.created_count == 3
        # Finished jobs are not run again by a late duplicate message.
        assert sync_job_run(job_id=queued.pk) is None


def test_schema_changes_reach_the_mirror(team_a, server, make_base,
                                         django_capture_on_commit_callbacks):
    sandbox = make_base(4)
    connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    table = sandbox.tables()[0]
    qty = next(field for field in table["fields"] if field["name"] == "Qty")
    renamed = sandbox.http.patch(f"/meta/bases/{sandbox.base_id}/tables/{table['id']}/fields/"
                                 f"{qty['id']}", json={"name": "Quantity"})
    assert renamed.status_code == 200, renamed.text
    job = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded"
    assert job.updated_count == 0  # the rename moved the key in place
    assert _mirror(team_a, sandbox.base_id, "Items") == sandbox.all("Items")
    with schema_context(team_a.tenant.schema_name):
        fields = [field["name"] for field in selectors.table_get(
            base_id=sandbox.base_id, table="Items")["fields"]]
        assert "Quantity" in fields and "Qty" not in fields
        page = selectors.record_list(base_id=sandbox.base_id, table="Items",
                                     filter_by_formula="{Quantity} >= 2")
    assert {record["id"] for record in page["records"]} == {
        record["id"] for record in sandbox.all("Items", filterByFormula="{Quantity} >= 2")}


def test_the_primary_field_is_indexed_at_the_first_sync(team_a, server, make_base,
                                                        django_capture_on_commit_callbacks):
    sandbox = make_base(3)
    connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    with schema_context(team_a.tenant.schema_name):
        table = Table.objects.get(base__base_id=sandbox.base_id)
        definitions = index_definitions(table)
    assert definitions
    assert all("'Name'" in definition and f"table_id = {table.pk}" in definition
               for definition in definitions)
    # Its order (sorts, comparisons) and its text (FIND and SEARCH filters).
    assert any("gin_trgm_ops" in definition for definition in definitions)
    assert any("btree" in definition for definition in definitions)


# A beat row written before the job had its present name carries the old one.
@pytest.mark.parametrize("task_name", ["airtable.base_sync_scheduled", "airtable.scheduled_sync"])
def test_beat_runs_scheduled_syncs_full_then_incremental(team_a, server, make_base, task_name,
                                                        django_capture_on_commit_callbacks):
    sandbox = make_base(3)
    connect(team_a, server, sandbox.token)
    schema = team_a.tenant.schema_name
    task = task_get(task_name)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        first = task.apply(kwargs={"schema_name": schema, "base_id": sandbox.base_id}).get()
    assert len(queued) >= 1  # the job itself, run by airtable.sync_job_run
    with django_capture_on_commit_callbacks(execute=True):
        second = task.apply(kwargs={"schema_name": schema, "base_id": sandbox.base_id}).get()
    with schema_context(schema):
        jobs = {job.pk: job for job in SyncJob.objects.all()}
    assert (jobs[first].trigger, jobs[first].full, jobs[first].status) == \
        ("schedule", True, "succeeded")
    assert (jobs[second].full, jobs[second].status) == (False, "succeeded")


def test_sync_interval_is_per_base(team_a, client_for, server, make_base):
    from django_celery_beat.models import PeriodicTask

    sandbox = make_base(1)
    connect(team_a, server, sandbox.token)
    client = client_for(jwt=team_a.jwt())
    url = f"/api/v1/airtable/bases/{sandbox.base_id}"
    answer = client.patch(url, {"sync_interval_minutes": 60}, format="json")
    assert answer.status_code == 200
    assert answer.json()["sync_interval_minutes"] == 60
    name = f"airtable-sync:{team_a.tenant.schema_name}:{sandbox.base_id}"
    crontab = PeriodicTask.objects.get(name=name).crontab
    assert crontab.hour == "*" and crontab.minute.isdigit()
    assert client.patch(url, {"sync_interval_minutes": 7}, format="json").status_code == 400
    assert client.patch(url, {"sync_enabled": False}, format="json").status_code == 200
    assert not PeriodicTask.objects.filter(name=name).exists()


def test_sync_over_the_api(team_a, client_for, server, make_base,
                           django_capture_on_commit_callbacks):
    sandbox = make_base(12)
    connect(team_a, server, sandbox.token)
    client = client_for(jwt=team_a.jwt())
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/v1/airtable/bases/{sandbox.base_id}/sync", {"full": True},
                             format="json")
    assert answer.status_code == 202
    job_id = answer.json()["job_id"]
    job = client.get(f"/api/v1/airtable/sync-jobs/{job_id}").json()
    assert {key: job[key] for key in ("id", "status", "progress", "error")} == {
        "id": job_id, "status": "succeeded", "progress": {"done": 12, "total": 12}, "error": ""}
    listing = client.get(f"/api/v1/airtable/bases/{sandbox.base_id}/sync-jobs").json()
    assert [item["id"] for item in listing["results"]] == [job_id]
    bases = client.get("/api/v1/airtable/bases").json()["results"]
    assert next(base for base in bases if base["id"] == sandbox.base_id)["last_synced_at"]

    for body in ({"full": "maybe"}, {"full": [1]}):
        bad = client.post(f"/api/v1/airtable/bases/{sandbox.base_id}/sync", body, format="json")
        assert bad.status_code == 400
    assert client.post("/api/v1/airtable/bases/appNOPENOPENOPENO/sync").status_code == 404
    for job_id in ("abc", "999999", "x" * 300):
        missing = client.get(f"/api/v1/airtable/sync-jobs/{job_id}")
        assert missing.status_code == 404
        assert missing.json()["code"] == "ERROR_SYNC_JOB_NOT_FOUND"


def _abandon(job_id: int, *, status: str, attempts: int, seconds_ago: int) -> None:
    """The row a worker SIGKILLed mid-sync leaves: its lease ran out `seconds_ago`."""
    from django.utils import timezone

    then = timezone.now() - timezone.timedelta(seconds=seconds_ago)
    SyncJob.objects.filter(pk=job_id).update(status=status, attempts=attempts,
                                             heartbeat_at=then, created_at=then)


def test_reaper_finishes_a_job_whose_worker_died(team_a, server, make_base, settings,
                                                 django_capture_on_commit_callbacks):
    sandbox = make_base(5)
    connect(team_a, server, sandbox.token)
    with schema_context(team_a.tenant.schema_name):
        job = services.base_sync(base_id=sandbox.base_id)
        _abandon(job.pk, status="running", attempts=1,
                 seconds_ago=settings.AIRTABLE_SYNC_STALE_SECONDS + 5)
        with django_capture_on_commit_callbacks(execute=True):
            assert sync_jobs_reap() == 1
        job.refresh_from_db()
        assert job.status == "succeeded", job.error
        assert job.attempts == 2
        assert job.created_count == 5
        assert Record.objects.filter(table__base__base_id=sandbox.base_id).count() == 5
        with django_capture_on_commit_callbacks(execute=True):
            assert sync_jobs_reap() == 0  # finished: left alone


def test_reaper_runs_a_queued_job_whose_message_was_lost(team_a, server, make_base, settings,
                                                         django_capture_on_commit_callbacks):
    sandbox = make_base(2)
    connect(team_a, server, sandbox.token)
    with schema_context(team_a.tenant.schema_name):
        job = services.base_sync(base_id=sandbox.base_id)  # the on_commit never runs: lost
        _abandon(job.pk, status="queued", attempts=0,
                 seconds_ago=settings.AIRTABLE_SYNC_STALE_SECONDS + 5)
        with django_capture_on_commit_callbacks(execute=True):
            assert sync_jobs_reap() == 1
        job.refresh_from_db()
        assert job.status == "succeeded", job.error


def test_reaper_fails_a_job_that_killed_its_worker_too_often(team_a, server, make_base,
                                                             settings,
                                                             django_capture_on_commit_callbacks):
    sandbox = make_base(1)
    connect(team_a, server, sandbox.token)
    with schema_context(team_a.tenant.schema_name):
        job = services.base_sync(base_id=sandbox.base_id)
        _abandon(job.pk, status="running", attempts=settings.AIRTABLE_SYNC_MAX_ATTEMPTS,
                 seconds_ago=settings.AIRTABLE_SYNC_STALE_SECONDS + 5)
        with django_capture_on_commit_callbacks(execute=True):
            assert sync_jobs_reap() == 1
        job.refresh_from_db()
        assert job.status == "failed"
        assert "gave up" in job.error
        assert job.finished_at is not None


def test_reaper_leaves_a_job_with_a_live_lease(team_a, server, make_base, settings,
                                               django_capture_on_commit_callbacks):
    sandbox = make_base(1)
    connect(team_a, server, sandbox.token)
    with schema_context(team_a.tenant.schema_name):
        job = services.base_sync(base_id=sandbox.base_id)
        _abandon(job.pk, status="running", attempts=1, seconds_ago=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert sync_jobs_reap() == 0
        assert SyncJob.objects.get(pk=job.pk).status == "running"


def test_a_redelivered_task_waits_for_the_lease_instead_of_dropping_the_job(
        team_a, server, make_base, settings):
    sandbox = make_base(1)
    connect(team_a, server, sandbox.token)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with schema_context(team_a.tenant.schema_name):
        job = services.base_sync(base_id=sandbox.base_id)
        _abandon(job.pk, status="running", attempts=1, seconds_ago=1)
        with pytest.raises(Retry) as retried:
            tasks.sync_job_run_task.apply(kwargs={"schema_name": team_a.tenant.schema_name,
                                                  "job_id": job.pk}, throw=True)
        assert 0 < retried.value.when <= settings.AIRTABLE_SYNC_STALE_SECONDS
