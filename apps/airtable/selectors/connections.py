"""Connections, bases, tables and sync jobs of the current tenant."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from apps.core.jobs import JobState

from ..exceptions import BaseNotFound, ConnectionNotFound, SyncJobNotFound
from ..models import AirtableConnection, Base, SyncJob
from .schema import base_schema, table_info


def _pk(value) -> int | None:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and len(text) <= 18 else None


def connection_list() -> QuerySet[AirtableConnection]:
    return AirtableConnection.objects.annotate(base_count=Count("bases")).order_by("name", "id")


def connection_get(*, connection_id) -> AirtableConnection:
    pk = _pk(connection_id)
    connection = connection_list().filter(pk=pk).first() if pk is not None else None
    if connection is None:
        raise ConnectionNotFound("There is no such Airtable connection.")
    return connection


def base_list() -> QuerySet[Base]:
    return Base.objects.select_related("connection").order_by("name", "base_id")


def base_get(*, base_id) -> Base:
    base = Base.objects.select_related("connection").filter(base_id=base_id).first() \
        if isinstance(base_id, str) and len(base_id) <= 32 else None
    if base is None:
        raise BaseNotFound("No connection of this team can see this base.")
    return base


def _public_table(table: dict) -> dict:
    return {
        "id": table["id"],
        "name": table["name"],
        "description": table["description"],
        "primary_field_id": table["primary_field_id"],
        "last_synced_at": table["last_synced_at"],
        "record_count": table["record_count"],
        "fields": [{"id": item["id"], "name": item["name"], "type": item["type"],
                    "options": item["options"], "description": item["description"]}
                   for item in table["fields"]],
    }


def table_list(*, base_id) -> list[dict]:
    return [_public_table(table) for table in base_schema(base_id)["tables"]]


def table_get(*, base_id, table) -> dict:
    return _public_table(table_info(base_schema(base_id), table))


def sync_job_get(*, job_id) -> SyncJob:
    pk = _pk(job_id)
    job = SyncJob.objects.select_related("base").filter(pk=pk).first() if pk is not None \
        else None
    if job is None:
        raise SyncJobNotFound("There is no such sync job.")
    return job


def sync_job_summary(job: SyncJob) -> dict:
    """A sync job as the sync_base tool answers it."""
    return {"jobId": str(job.pk), "status": job.status,
            "progress": {"done": job.progress_done, "total": job.progress_total},
            "created": job.created_count, "updated": job.updated_count,
            "deleted": job.deleted_count, "error": job.error}


def sync_job_state(job_id: str) -> JobState | None:
    """Where a sync job stands, for a channel that follows it (an MCP task)."""
    pk = _pk(job_id)
    job = SyncJob.objects.select_related("base").filter(pk=pk).first() if pk is not None \
        else None
    if job is None:
        return None
    updated = job.finished_at or job.heartbeat_at or job.started_at or job.created_at
    if job.status == SyncJob.Status.SUCCEEDED:
        return JobState("completed", f"Synced {job.base.name}.", result=sync_job_summary(job),
                        updated_at=updated)
    if job.status == SyncJob.Status.FAILED:
        return JobState("failed", "The sync failed.", updated_at=updated,
                        error=("ERROR_SYNC_FAILED", job.error or "The sync failed."))
    if job.status == SyncJob.Status.QUEUED:
        return JobState("working", "Waiting for a worker.", updated_at=updated)
    total = f" of {job.progress_total:,}" if job.progress_total else ""
    return JobState("working", f"Syncing {job.base.name}: {job.progress_done:,}{total} records.",
                    updated_at=updated)


def sync_job_list(*, base_id=None) -> QuerySet[SyncJob]:
    jobs = SyncJob.objects.select_related("base").order_by("-created_at", "-id")
    return jobs.filter(base__base_id=base_id) if base_id is not None else jobs
