"""Celery entry points: ids and the schema name in, a service call inside the schema."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django_tenants.utils import schema_context, schema_exists

from . import services

# A database that is away for a moment is waited out; anything about the file
# itself ends the file `failed` inside the service.
_RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": 5,
          "max_retries": 5}


@shared_task(name="files.extract", acks_late=True, ignore_result=True, **_RETRY)
def extract_file(file_id: str, schema_name: str) -> None:
    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        services.file_extract(file_id=file_id)


@shared_task(name="files.import", acks_late=True, ignore_result=True, **_RETRY)
def import_rows(job_id: str, schema_name: str) -> None:
    if not schema_exists(schema_name):
        return
    with schema_context(schema_name):
        services.import_job_run(job_id=job_id)
