"""Celery entry points. Each takes ids and the schema name, opens the
tenant's schema and calls a service; each may run twice (acks_late) and
then does nothing the second time."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django_tenants.utils import schema_context, schema_exists

from .clients import background_calls

logger = logging.getLogger(__name__)
SYNC_RETRIES = 3


@shared_task(name="airtable.base_sync", bind=True, acks_late=True, max_retries=SYNC_RETRIES)
def base_sync(self, *, schema_name: str, job_id: int) -> str | None:
    from .services.sync import SyncLeaseHeld, SyncRetry, sync_job_run

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
def sync_jobs_reap() -> int:
    """Beat, every AIRTABLE_SYNC_REAP_SECONDS: sync jobs no worker is running, in every
    active tenant, queued again or failed."""
    from django.db import connection
    from django_tenants.utils import get_tenant_model

    from .services.sync import sync_jobs_reap as reap

    connection.set_schema_to_public()
    schemas = list(get_tenant_model().objects.filter(is_active=True)
                   .exclude(schema_name="public").values_list("schema_name", flat=True))
    count = 0
    for schema_name in schemas:
        with schema_context(schema_name):
            count += reap()
    return count


@shared_task(name="airtable.scheduled_sync", acks_late=True)
def scheduled_sync(*, schema_name: str, base_id: str) -> int | None:
    """What beat's PeriodicTask `airtable-sync:<schema>:<base_id>` runs."""
    from .services.scheduling import base_schedule_remove
    from .services.sync import base_sync_scheduled

    if not schema_exists(schema_name):
        base_schedule_remove(base_ids=[base_id], schema_name=schema_name)
        return None
    with schema_context(schema_name):
        job = base_sync_scheduled(base_id=base_id)
    return job.pk if job is not None else None


@shared_task(name="airtable.field_indexes_ensure", acks_late=True,
             autoretry_for=(OperationalError,), retry_backoff=10, max_retries=3)
def field_indexes_ensure(*, schema_name: str, table_pk: int, field_names: list[str]) -> None:
    from apps.formulas import FieldSpec

    from .models import Field, Table
    from .services.indexes import field_index_ensure

    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        table = Table.objects.filter(pk=table_pk).first()
        if table is None:
            return
        field_map = {item.name: FieldSpec(item.name, item.type, item.options)
                     for item in Field.objects.filter(table=table)}
        for name in field_names:
            field_index_ensure(table=table, field_name=name, field_map=field_map)


@shared_task(name="airtable.connection_sync", bind=True, acks_late=True, max_retries=10)
def connection_sync(self, *, schema_name: str, connection_id: int) -> list[int]:
    """Bases of a connection discovered, then each synced. Retried while Airtable
    (or this server's sandbox, which may still be starting) cannot be reached."""
    from .exceptions import AirtableRateLimited, AirtableUnavailable
    from .services.sync import connection_sync as connection_sync_service

    if not schema_exists(schema_name):
        return []
    with schema_context(schema_name), background_calls():
        try:
            jobs = connection_sync_service(connection_id=connection_id)
        except (AirtableUnavailable, AirtableRateLimited) as error:
            raise self.retry(countdown=min(60, 5 * 2 ** self.request.retries), exc=error) \
                from None
    return [job.pk for job in jobs]


@shared_task(name="airtable.mirror_analyze", acks_late=True)
def mirror_analyze(*, schema_name: str) -> None:
    from .services.indexes import mirror_analyze as analyze

    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        analyze()
