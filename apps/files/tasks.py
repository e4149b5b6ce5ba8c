"""Celery entry points: ids and the schema name in, a call of the service the
task is named after inside the schema. Services queue them by name through
apps.core.jobs.enqueue_on_commit and never import this module."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_tenant_model, schema_context, schema_exists

from .services import extractions_reap, file_extract, import_job_run, import_jobs_reap

# A database that is away for a moment is waited out; anything about the file
# itself ends the file `failed` inside the service.
_RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 5,
          "max_retries": 5}


def _file_extract(file_id: str, schema_name: str) -> None:
    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        file_extract(file_id=file_id)


def _import_job_run(job_id: str, schema_name: str) -> None:
    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        import_job_run(job_id=job_id)


file_extract_task = shared_task(name="files.file_extract", acks_late=True, ignore_result=True,
                                **_RETRY)(_file_extract)
import_job_run_task = shared_task(name="files.import_job_run", acks_late=True,
                                  ignore_result=True, **_RETRY)(_import_job_run)

# The names these jobs had before, which messages already queued still carry.
shared_task(name="files.extract", acks_late=True, ignore_result=True, **_RETRY)(_file_extract)
shared_task(name="files.import", acks_late=True, ignore_result=True, **_RETRY)(_import_job_run)



@shared_task(name="files.jobs_reap", acks_late=True)
def files_jobs_reap_task() -> int:
    """Beat, every FILES_JOB_REAP_SECONDS: extractions and imports no worker is running, in
    every active tenant, queued again or failed."""
    connection.set_schema_to_public()
    schemas = list(get_tenant_model().objects.filter(is_active=True)
                   .exclude(schema_name="public").values_list("schema_name", flat=True))
    count = 0
    for schema_name in schemas:
        with schema_context(schema_name):
            count += extractions_reap() + import_jobs_reap()
    return count
