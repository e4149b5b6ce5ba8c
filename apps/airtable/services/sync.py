"""Syncing bases into the mirror.

A sync is a SyncJob row, queued by `base_sync` and run by `sync_job_run`
(the Celery task `airtable.sync_job_run`):

1. the base's schema (meta/bases/{id}/tables) refreshes the tables and fields
   rows; a renamed field moves its key in every mirrored record;
2. each table is read by its own thread, all of them sharing the base's
   Redis bucket, so together they use the base's 5 requests/s and no more;
   the threads only fetch, the task's own thread writes every page to the
   database, so a sync uses one database connection;
3. a *full* table sync reads every record and then deletes what it did not
   see; an *incremental* one reads the records modified since the table's
   last sync (LAST_MODIFIED_TIME() with a safety overlap for clock skew and
   in-flight writes), then lists the ids only (one field) to find deletions.
   Formula values change without changing LAST_MODIFIED_TIME(), so a full
   sync runs at least every AIRTABLE_FULL_SYNC_HOURS.

Records are upserted by (table, record_id): a job that is run again after a
crash or a failed request finishes the work without duplicates.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.jobs import enqueue_on_commit
from apps.sandbox.services import sandbox_seed_demo

from .. import schema_cache, signals
from ..clients import AirtableClient
from ..exceptions import (
    AirtableError,
    AirtableRateLimited,
    AirtableUnavailable,
    BaseNotFound,
    InvalidQuery,
)
from ..limits import airtable_timestamp
from ..models import AirtableConnection, Base, Field, FieldIndex, SyncJob, Table
from .connections import (
    _bases_store,
    _connection,
    connection_bases_refresh,
    connection_client,
    connection_create,
)
from .indexes import field_index_drop
from .mirror import (
    mirror_count,
    mirror_delete_except,
    mirror_field_drop,
    mirror_field_rename,
    mirror_observe_results,
    mirror_upsert,
)
from .scheduling import base_schedule_remove

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
ANALYZE_AFTER_CHANGES = 1000


class SyncRetry(Exception):
    """A transient failure (Airtable unreachable or rate limited): run the job again later."""

    def __init__(self, error: AirtableError):
        super().__init__(error.detail)
        self.error = error


# --- schema ---------------------------------------------------------------------------------


def _field_options(item: dict):
    options = item.get("options")
    return options if isinstance(options, dict) else None


def _fields_refresh(table: Table, fields_json: list[dict]) -> bool:
    """Bring the table's field rows in line with Airtable. Returns whether the
    mirrored records need a full read (a field was removed or changed type)."""
    existing = {item.field_id: item for item in Field.objects.filter(table=table)}
    renames: list[tuple[str, str, str]] = []
    needs_full = False
    for position, item in enumerate(fields_json):
        field_id = str(item.get("id") or "")
        if not field_id:
            continue
        name = str(item.get("name") or field_id)[:255]
        kind = str(item.get("type") or "")[:64]
        options = _field_options(item)
        description = str(item.get("description") or "")
        row = existing.pop(field_id, None)
        if row is None:
            Field.objects.create(table=table, field_id=field_id, name=name, type=kind,
                                 options=options, description=description, position=position)
            continue
        if row.name != name:
            renames.append((row.name, name, field_id))
            field_index_drop(table=table, field_name=row.name)
        if row.type != kind or row.options != options:
            field_index_drop(table=table, field_name=row.name)
            needs_full = needs_full or row.type != kind
        row.name, row.type, row.options = name, kind, options
        row.description, row.position = description, position
        row.save()
    for gone in existing.values():
        field_index_drop(table=table, field_name=gone.name)
        mirror_field_drop(table=table, name=gone.name)
        gone.delete()
        needs_full = True
    # Through temporary keys, so that two fields swapping names keep their values.
    for old, _new, field_id in renames:
        mirror_field_rename(table=table, old=old, new=f"(renaming {field_id})")
    for _old, new, field_id in renames:
        mirror_field_rename(table=table, old=f"(renaming {field_id})", new=new)
    return needs_full


def base_schema_refresh(*, base: Base, client: AirtableClient | None = None) -> list[Table]:
    """Tables and fields of the base from the metadata API into the mirror."""
    client = client or connection_client(base.connection)
    tables_json = client.base_tables(base.base_id)
    with transaction.atomic():
        existing = {table.table_id: table for table in Table.objects.filter(base=base)}
        kept: list[Table] = []
        for position, item in enumerate(tables_json):
            table_id = str(item.get("id") or "")
            if not table_id:
                continue
            table = existing.pop(table_id, None) or Table(base=base, table_id=table_id)
            table.name = str(item.get("name") or table_id)[:255]
            table.description = str(item.get("description") or "")
            table.primary_field_id = str(item.get("primaryFieldId") or "")
            table.position = position
            table.schema = item
            table.save()
            if _fields_refresh(table, [f for f in item.get("fields") or [] if isinstance(f, dict)]):
                table.last_synced_at = None
                table.save(update_fields=["last_synced_at"])
            kept.append(table)
        for gone in existing.values():
            for name in gone.field_indexes.values_list("field_name", flat=True):
                field_index_drop(table=gone, field_name=name)
            gone.delete()
        base.schema_synced_at = timezone.now()
        base.save(update_fields=["schema_synced_at"])
    schema_cache.invalidate(base.base_id)
    return kept


def _analyze_queue() -> None:
    """Fresh statistics after a large sync, so the planner picks the expression
    indexes for the new rows (in a task: ANALYZE of a large mirror takes seconds)."""
    schema_name = connection.schema_name
    enqueue_on_commit("airtable.mirror_analyze", schema_name=schema_name)


def _primary_indexes_queue(tables: list[Table]) -> bool:
    """Index each table's primary field once, after its first sync: building an
    index on loaded rows is faster than keeping it up during the load, and
    CREATE INDEX CONCURRENTLY may wait for other transactions, so not in the job. One
    job for every table of the sync, which ends with one ANALYZE. True when queued."""
    names = dict(Field.objects.filter(table__in=tables, field_id=F("table__primary_field_id"))
                 .values_list("table_id", "name"))
    done = set(FieldIndex.objects.filter(table__in=tables).values_list("table_id", "field_name"))
    wanted = [[table_pk, [name]] for table_pk, name in sorted(names.items())
              if (table_pk, name) not in done]
    if wanted:
        enqueue_on_commit("airtable.field_indexes_ensure", schema_name=connection.schema_name,
                          tables=wanted)
    return bool(wanted)


# --- jobs -------------------------------------------------------------------------------------


def _enqueue(job: SyncJob) -> None:
    enqueue_on_commit("airtable.sync_job_run", schema_name=connection.schema_name, job_id=job.pk)


def _stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.AIRTABLE_SYNC_STALE_SECONDS)


def base_sync(*, base_id, full=False, trigger: str = "manual") -> SyncJob:
    """Queue a sync of the base and return its job. While one is queued or
    running, that job is returned instead of starting another; a job whose
    worker went silent is handed to a worker again."""
    if not isinstance(full, bool):
        raise InvalidQuery("full must be true or false.", errors={"full": ["Must be a boolean."]})
    base = Base.objects.filter(base_id=base_id).first() if isinstance(base_id, str) else None
    if base is None:
        raise BaseNotFound("No connection of this team can see this base.")
    with transaction.atomic():
        Base.objects.select_for_update().filter(pk=base.pk).first()
        active = (SyncJob.objects.filter(base=base, status__in=[SyncJob.Status.QUEUED,
                                                                SyncJob.Status.RUNNING])
                  .order_by("-created_at").first())
        if active is not None:
            if full and not active.full and active.status == SyncJob.Status.QUEUED:
                active.full = True
                active.save(update_fields=["full"])
            if (active.heartbeat_at or active.created_at) < _stale_before():
                _enqueue(active)
            return active
        job = SyncJob.objects.create(base=base, full=full, trigger=trigger[:16])
        _enqueue(job)
    return job


def base_sync_scheduled(*, base_id: str) -> SyncJob | None:
    """What beat runs for a base: a sync, full when the last full one is old."""
    base = Base.objects.filter(base_id=base_id).first()
    if base is None or not base.sync_enabled:
        base_schedule_remove(base_ids=[base_id])
        return None
    return base_sync(base_id=base_id, full=_full_due(base), trigger="schedule")


def _full_due(base: Base) -> bool:
    last = base.last_full_synced_at
    due = timezone.now() - timedelta(hours=settings.AIRTABLE_FULL_SYNC_HOURS)
    return last is None or last < due


class SyncLeaseHeld(Exception):
    """Another worker holds the job's lease: ask again once it has expired."""

    def __init__(self, seconds: int):
        super().__init__(f"the job's lease is held for {seconds} s more")
        self.seconds = seconds


class SyncLeaseLost(Exception):
    """This worker's lease expired and another attempt took the job over."""


def _lease_left(job: SyncJob) -> float:
    """Seconds left on the lease of a running job. The lease is renewed with every
    heartbeat (at least every HEARTBEAT_SECONDS) and lasts AIRTABLE_SYNC_STALE_SECONDS."""
    if job.status != SyncJob.Status.RUNNING or job.heartbeat_at is None:
        return 0
    expires = job.heartbeat_at + timedelta(seconds=settings.AIRTABLE_SYNC_STALE_SECONDS)
    return max(0.0, (expires - timezone.now()).total_seconds())


def _claim(job_id) -> SyncJob | None:
    now = timezone.now()
    with transaction.atomic():
        job = (SyncJob.objects.select_for_update(of=("self",)).select_related("base__connection")
               .filter(pk=job_id).first())
        if job is None or job.status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED):
            return None
        left = _lease_left(job)
        if left > 0:
            # A redelivered message after a crash lands here while the dead worker's lease
            # still runs: come back when it has expired rather than drop the job.
            raise SyncLeaseHeld(int(left) + 1)
        job.status = SyncJob.Status.RUNNING
        job.attempts += 1
        job.started_at = now
        job.heartbeat_at = now
        job.finished_at = None
        job.progress_done = 0
        job.error = ""
        job.save()
    return job


@dataclass
class _TablePlan:
    table: Table
    full: bool
    since: datetime | None
    client: AirtableClient
    primary_field_id: str
    started_at: datetime = field(default_factory=timezone.now)
    position: int = 0
    seen: set[str] = field(default_factory=set)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)


def _fetch(plan: _TablePlan, base_id: str, events: queue.Queue, stop: threading.Event) -> None:
    """Runs in a worker thread: HTTP only, every page handed to the writer."""
    try:
        plan.started_at = timezone.now()
        table_id = plan.table.table_id
        if plan.full:
            for page in plan.client.iter_record_pages(base_id, table_id):
                if stop.is_set():
                    return
                events.put(("records", plan, page))
        else:
            since = airtable_timestamp(plan.since)
            formula = f"IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE('{since}'))"
            for page in plan.client.iter_record_pages(base_id, table_id,
                                                      filter_by_formula=formula):
                if stop.is_set():
                    return
                events.put(("records", plan, page))
            id_scan = {"fields": [plan.primary_field_id], "use_field_ids": True} \
                if plan.primary_field_id else {"fields": []}
            for page in plan.client.iter_record_pages(base_id, table_id, **id_scan):
                if stop.is_set():
                    return
                events.put(("ids", plan, [str(item.get("id")) for item in page]))
        events.put(("done", plan, None))
    except BaseException as error:
        # Handed to the writer thread, which decides what the job does about it.
        events.put(("error", plan, error))


class _Progress:
    def __init__(self, job: SyncJob, total: int, clients: list[AirtableClient]):
        self.job = job
        self.total = total
        self.clients = clients
        self.saved_at = 0.0

    def save(self, *, force: bool = False) -> None:
        now = timezone.now()
        if not force and (now.timestamp() - self.saved_at) < 0.5:
            return
        self.saved_at = now.timestamp()
        job = self.job
        job.progress_total = max(self.total, job.progress_done)
        job.heartbeat_at = now
        job.requests_count = sum(client.requests_sent for client in self.clients)
        job.rate_limited_count = sum(client.rate_limited_answers for client in self.clients)
        renewed = SyncJob.objects.filter(pk=job.pk, attempts=job.attempts,
                                         status=SyncJob.Status.RUNNING).update(
            full=job.full, progress_done=job.progress_done, progress_total=job.progress_total,
            created_count=job.created_count, updated_count=job.updated_count,
            deleted_count=job.deleted_count, heartbeat_at=now,
            requests_count=job.requests_count, rate_limited_count=job.rate_limited_count)
        if not renewed:
            raise SyncLeaseLost()


def _table_finish(plan: _TablePlan, job: SyncJob, notify: bool) -> None:
    table = plan.table
    deleted = mirror_delete_except(table=table, keep_ids=plan.seen)
    job.deleted_count += len(deleted)
    table.last_synced_at = plan.started_at
    if plan.full:
        table.last_full_synced_at = plan.started_at
    table.record_count = mirror_count(table=table)
    table.save(update_fields=["last_synced_at", "last_full_synced_at", "record_count"])
    mirror_observe_results(table=table)
    if not notify:
        return
    schema_name = connection.schema_name
    base_id = table.base.base_id
    for signal, ids in ((signals.record_created, plan.created),
                        (signals.record_updated, plan.updated),
                        (signals.record_deleted, deleted)):
        if ids:
            extra = {"changed_fields": {record_id: plan.changed.get(record_id, [])
                                        for record_id in ids}} \
                if signal is signals.record_updated else {}
            signal.send(sender=Table, schema_name=schema_name, base_id=base_id,
                        table_id=table.table_id, record_ids=list(ids), source="sync", **extra)


def _run_tables(job: SyncJob, plans: list[_TablePlan], meta_client: AirtableClient) -> list[str]:
    """Fetch in threads, write here. Returns the errors of tables that failed."""
    base_id = job.base.base_id
    progress = _Progress(job, sum(plan.table.record_count for plan in plans),
                         [meta_client] + [plan.client for plan in plans])
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    errors: list[str] = []
    failures: list[BaseException] = []
    workers = max(1, min(settings.AIRTABLE_SYNC_THREADS, len(plans)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="airtable-sync") as pool:
        try:
            for plan in plans:
                pool.submit(_fetch, plan, base_id, events, stop)
            pending = len(plans)
            while pending:
                try:
                    kind, plan, payload = events.get(timeout=HEARTBEAT_SECONDS)
                except queue.Empty:
                    progress.save(force=True)
                    continue
                if kind == "records":
                    now = timezone.now()
                    result = mirror_upsert(table=plan.table, records=payload, synced_at=now,
                                           first_position=plan.position if plan.full else None,
                                           link_keys_later=True)
                    plan.position += len(payload)
                    if plan.full:
                        plan.seen.update(str(item.get("id")) for item in payload)
                    plan.created += result.created
                    plan.updated += result.updated
                    plan.changed.update(result.changed)
                    job.created_count += len(result.created)
                    job.updated_count += len(result.updated)
                    if plan.full:
                        # An incremental pass counts its id scan instead: the records it
                        # looked at, each once, against the table's size.
                        job.progress_done += len(payload)
                elif kind == "ids":
                    plan.seen.update(payload)
                    job.progress_done += len(payload)
                elif kind == "done":
                    pending -= 1
                    _table_finish(plan, job, notify=job.base.last_synced_at is not None)
                else:
                    pending -= 1
                    failures.append(payload)
                    detail = payload.detail if isinstance(payload, AirtableError) else \
                        "internal error"
                    errors.append(f"{plan.table.name}: {detail}")
                progress.save()
        finally:
            stop.set()
    progress.save(force=True)
    unexpected = [error for error in failures if not isinstance(error, AirtableError)]
    if unexpected:
        raise unexpected[0]
    transient = [error for error in failures
                 if isinstance(error, AirtableUnavailable | AirtableRateLimited)]
    if transient and len(transient) == len(failures):
        raise SyncRetry(transient[0]) from transient[0]
    return errors


def sync_job_run(*, job_id, retry_allowed: bool = False) -> SyncJob | None:
    """Run a queued (or abandoned) job. With `retry_allowed`, a transient
    failure puts the job back in the queue and raises SyncRetry."""
    job = _claim(job_id)
    if job is None:
        return None
    base = job.base
    try:
        client = connection_client(base.connection, interactive=False)
        try:
            with transaction.atomic():
                _bases_store(base.connection, client.bases(), prune=False)
        except AirtableError:
            logger.info("base list of connection %s not refreshed", base.connection_id,
                        exc_info=True)
        tables = base_schema_refresh(base=base, client=client)
        full = job.full or _full_due(base)
        overlap = timedelta(seconds=settings.AIRTABLE_SYNC_OVERLAP_SECONDS)
        plans = [
            _TablePlan(table=table, full=full or table.last_synced_at is None,
                       since=table.last_synced_at - overlap if table.last_synced_at else None,
                       client=connection_client(base.connection, interactive=False),
                       primary_field_id=table.primary_field_id)
            for table in tables
        ]
        job.full = full  # as the page shows it while the job runs
        errors = _run_tables(job, plans, client)
    except SyncLeaseLost:
        logger.warning("sync job %s: lease lost to attempt after %s; stopping", job.pk,
                       job.attempts)
        return None
    except SyncRetry as retry:
        _job_end(job, SyncJob.Status.QUEUED if retry_allowed else SyncJob.Status.FAILED,
                 retry.error.detail)
        if retry_allowed:
            raise
        return job
    except AirtableError as error:
        if retry_allowed and isinstance(error, AirtableUnavailable | AirtableRateLimited):
            _job_end(job, SyncJob.Status.QUEUED, error.detail)
            raise SyncRetry(error) from error
        _job_end(job, SyncJob.Status.FAILED, error.detail)
        return job
    except Exception:
        _job_end(job, SyncJob.Status.FAILED, "The sync stopped on an internal error; "
                 "it has been logged.")
        raise
    if errors:
        _job_end(job, SyncJob.Status.FAILED, "; ".join(errors)[:4000])
        return job
    schema_cache.invalidate(base.base_id)
    _job_end(job, SyncJob.Status.SUCCEEDED, "")
    indexing = _primary_indexes_queue(tables)
    if not indexing and \
            job.created_count + job.updated_count + job.deleted_count >= ANALYZE_AFTER_CHANGES:
        # (An index job analyzes when it is done.)
        _analyze_queue()
    Base.objects.filter(pk=base.pk).update(
        last_synced_at=job.started_at, last_sync_error="",
        **({"last_full_synced_at": job.started_at} if full else {}))
    schema_cache.invalidate(base.base_id)
    signals.base_synced.send(
        sender=Base, schema_name=connection.schema_name, base_id=base.base_id, job_id=job.pk,
        full=full, created=job.created_count, updated=job.updated_count,
        deleted=job.deleted_count)
    return job


def _job_end(job: SyncJob, status: str, error: str) -> None:
    now = timezone.now()
    job.status = status
    job.error = error[:4000]
    job.heartbeat_at = now
    job.finished_at = None if status == SyncJob.Status.QUEUED else now
    if status == SyncJob.Status.SUCCEEDED:
        job.progress_total = job.progress_done
    job.save()
    if status == SyncJob.Status.FAILED:
        Base.objects.filter(pk=job.base_id).update(last_sync_error=job.error)
        schema_cache.invalidate(job.base.base_id)
    if job.finished_at is not None and \
            job.created_count + job.updated_count + job.deleted_count:
        # The link keys the sync made old are made again by a job of their own, whether
        # the sync succeeded or not: the mirror answers meanwhile (a sort on a link makes
        # its key on the spot), and on a large base making them all takes a third as long
        # as the sync.
        enqueue_on_commit("airtable.link_keys_refresh", schema_name=connection.schema_name,
                          base_id=job.base.base_id)
    if job.finished_at is not None:
        signals.sync_job_finished.send_robust(
            sender=SyncJob, schema_name=connection.schema_name, base_id=job.base.base_id,
            job_id=job.pk, status=status, full=job.full, trigger=job.trigger,
            records=job.created_count + job.updated_count + job.deleted_count,
            requests=job.requests_count, rate_limited=job.rate_limited_count,
            duration_ms=round((now - (job.started_at or now)).total_seconds() * 1000))


def sync_jobs_reap() -> int:
    """Jobs of this schema that no worker is running: running ones whose lease expired (their
    worker died) and queued ones older than a lease (their message was lost). Each is queued
    again, or failed once it has used AIRTABLE_SYNC_MAX_ATTEMPTS. Returns how many."""
    stale = _stale_before()
    running = SyncJob.objects.filter(status=SyncJob.Status.RUNNING, heartbeat_at__lt=stale)
    queued = SyncJob.objects.filter(status=SyncJob.Status.QUEUED, created_at__lt=stale).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale))
    count = 0
    for job_id in list(running.values_list("pk", flat=True)) + \
            list(queued.values_list("pk", flat=True)):
        with transaction.atomic():
            job = (SyncJob.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("base").filter(pk=job_id).first())
            if job is None or not job.is_active or _lease_left(job) > 0:
                continue
            if job.attempts >= settings.AIRTABLE_SYNC_MAX_ATTEMPTS:
                _job_end(job, SyncJob.Status.FAILED,
                         f"The worker running this sync stopped {job.attempts} times; "
                         "gave up. Start a new sync.")
            else:
                # Queued again from now on: claimable at once, and not reaped twice.
                job.status, job.heartbeat_at = SyncJob.Status.QUEUED, timezone.now()
                job.save(update_fields=["status", "heartbeat_at"])
                _enqueue(job)
            count += 1
    return count


def connection_sync(*, connection_id) -> list[SyncJob]:
    """Discover the connection's bases and queue a sync of each (used when a
    connection was stored while Airtable could not be reached)."""
    connection = _connection(connection_id)
    bases = connection_bases_refresh(connection=connection)
    connection.last_test_ok, connection.last_error = True, ""
    connection.last_tested_at = timezone.now()
    connection.save(update_fields=["last_test_ok", "last_error", "last_tested_at"])
    return [base_sync(base_id=base.base_id, full=base.last_synced_at is None, trigger="connect")
            for base in bases]


DEMO_CONNECTION_NAME = "Demo base (sandbox)"


def connection_demo_create(*, endpoint_url: str, created_by_id: int | None = None,
                           records: int = 300) -> tuple[AirtableConnection, list[SyncJob]]:
    """One click for a first run: a demo base of this platform's sandbox, made for this team
    alone, connected, and its first full sync queued at once. When the sandbox cannot be
    reached yet, the worker discovers and syncs the base as soon as it can."""
    if not settings.SANDBOX_ENABLED:
        raise InvalidQuery("The sandbox is turned off on this platform (SANDBOX_ENABLED).")
    _base_id, token = sandbox_seed_demo(records=records)
    demo = connection_create(name=DEMO_CONNECTION_NAME, token=token,
                             endpoint_url=endpoint_url, created_by_id=created_by_id)
    bases = list(demo.bases.all())
    if not bases:
        enqueue_on_commit("airtable.connection_sync", schema_name=connection.schema_name,
                          connection_id=demo.pk)
        return demo, []
    return demo, [base_sync(base_id=base.base_id, full=True, trigger="connect")
                        for base in bases]
