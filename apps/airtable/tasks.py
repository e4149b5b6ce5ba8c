"""Celery entry points. Each takes ids and the schema name, opens the
tenant's schema and calls the service it is named after; each may run twice
(acks_late) and then does nothing the second time. Services queue them by
name through apps.core.jobs.enqueue_on_commit and never import this module."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, connection
from django_tenants.utils import get_tenant_model, schema_context, schema_exists

from .clients import background_calls
from .exceptions import AirtableRateLimited, AirtableUnavailable
from .services.indexes import field_indexes_ensure, mirror_analyze
from .services.linkkeys import link_keys_stale_refresh
from .services.scheduling import base_schedule_remove
from .services.sync import (
    SyncLeaseHeld,
    SyncRetry,
    base_sync_scheduled,
    connection_sync,
    sync_job_run,
    sync_jobs_reap,
)

logger = logging.getLogger(__name__)
SYNC_RETRIES = 3


def _sync_job_run(self, *, schema_name: str, job_id: int) -> str | None:
    if not schema_exists(schema_name):
        return None
    with schema_context(schema_name), background_calls():
        try:
            job = sync_job_run(job_id=job_id, retry_allowed=self.request.retries < SYNC_RETRIES)
        except SyncRetry as retry:
            raise self.retry(countdown=15 * 2 ** self.request.retries, exc=retry) from None
        except SyncLeaseHeld as held:
            # Not one of the sync's retries: the lease ends by itself (or the job does).
            raise self.retry(countdown=held.seconds, max_retries=None) from None
    return job.status if job is not None else None


@shared_task(name="airtable.sync_jobs_reap", acks_late=True)
def sync_jobs_reap_task() -> int:
    """Beat, every AIRTABLE_SYNC_REAP_SECONDS: sync jobs no worker is running, in every
    active tenant, queued again or failed."""
    connection.set_schema_to_public()
    schemas = list(get_tenant_model().objects.filter(is_active=True)
                   .exclude(schema_name="public").values_list("schema_name", flat=True))
    count = 0
    for schema_name in schemas:
        with schema_context(schema_name):
            count += sync_jobs_reap()
    return count


def _base_sync_scheduled(*, schema_name: str, base_id: str) -> int | None:
    """What beat's PeriodicTask `airtable-sync:<schema>:<base_id>` runs."""
    if not schema_exists(schema_name):
        base_schedule_remove(base_ids=[base_id], schema_name=schema_name)
        return None
    with schema_context(schema_name):
        job = base_sync_scheduled(base_id=base_id)
    return job.pk if job is not None else None


sync_job_run_task = shared_task(
    name="airtable.sync_job_run", bind=True, acks_late=True, max_retries=SYNC_RETRIES,
)(_sync_job_run)
base_sync_scheduled_task = shared_task(
    name="airtable.base_sync_scheduled", acks_late=True)(_base_sync_scheduled)

# The names these jobs had before: messages already queued, and beat rows written
# before (PeriodicTask.task), still carry them.
shared_task(name="airtable.base_sync", bind=True, acks_late=True,
            max_retries=SYNC_RETRIES)(_sync_job_run)
shared_task(name="airtable.scheduled_sync", acks_late=True)(_base_sync_scheduled)


@shared_task(name="airtable.field_indexes_ensure", acks_late=True,
             autoretry_for=(OperationalError,), retry_backoff=10, max_retries=3)
def field_indexes_ensure_task(*, schema_name: str, table_pk: int | None = None,
                              field_names: list[str] | None = None,
                              tables: list[list] | None = None) -> None:
    """Indexes of fields of one table (`table_pk`, `field_names`) or of several (`tables`:
    pairs of table pk and field names), with one ANALYZE at the end."""
    if not schema_exists(schema_name):
        return
    wanted = {int(table): list(names) for table, names in tables or []}
    if table_pk is not None:
        wanted.setdefault(table_pk, []).extend(field_names or [])
    with schema_context(schema_name):
        field_indexes_ensure(wanted=wanted)


@shared_task(name="airtable.link_keys_refresh", acks_late=True,
             autoretry_for=(OperationalError,), retry_backoff=10, max_retries=3)
def link_keys_refresh_task(*, schema_name: str, base_id: str) -> int:
    """The base's kept link keys made again after a write made some of them old."""
    if not schema_exists(schema_name):
        return 0
    with schema_context(schema_name):
        return link_keys_stale_refresh(base_id=base_id)


@shared_task(name="airtable.connection_sync", bind=True, acks_late=True, max_retries=10)
def connection_sync_task(self, *, schema_name: str, connection_id: int) -> list[int]:
    """Bases of a connection discovered, then each synced. Retried while Airtable
    (or this server's sandbox, which may still be starting) cannot be reached."""
    if not schema_exists(schema_name):
        return []
    with schema_context(schema_name), background_calls():
        try:
            jobs = connection_sync(connection_id=connection_id)
        except (AirtableUnavailable, AirtableRateLimited) as error:
            raise self.retry(countdown=min(60, 5 * 2 ** self.request.retries), exc=error) \
                from None
    return [job.pk for job in jobs]


@shared_task(name="airtable.mirror_analyze", acks_late=True)
def mirror_analyze_task(*, schema_name: str) -> None:
    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        mirror_analyze()
