"""Turning a table of a file (CSV, XLSX sheet, DOCX table) into records of an
Airtable table, through the Airtable gateway, as a job with progress.

Rows go in batches of ten, Airtable's batch size, because a batch is created
all or nothing: when one fails, its rows are sent one by one to find the bad
ones, and the others still land. Row numbers count data rows: row 1 is the
first row under the header.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.airtable import services as airtable_services
from apps.airtable.exceptions import AirtableInvalidRequest, AirtableRateLimited
from apps.core.exceptions import ApplicationError, ValidationFailed
from apps.core.jobs import enqueue_on_commit
from apps.formulas.fieldtypes import field_type

from .. import metrics
from ..exceptions import (
    FileHasNoTable,
    FileNotProcessed,
    ImportMappingInvalid,
    ImportRowsRefused,
)
from ..models import File, ImportJob
from ..selectors import file_get, file_table_get, file_table_names, parse_id
from ..signals import file_import_finished, send_on_commit

logger = logging.getLogger(__name__)

BATCH_SIZE = 10
MAX_FAILED_ROWS_KEPT = 1_000
# An import whose first rows are all refused has a wrong mapping or table,
# not bad rows: stop rather than send every row on its own.
STOP_AFTER_FIRST_REFUSED = 50
MAX_RATE_LIMIT_WAITS = 10
MAX_ERROR_CHARS = 500

def _target_table(base_id: str, table: str) -> dict[str, Any]:
    """{id, name, fields: [{id, name, type}]} of the table, through the gateway."""
    return airtable_services.table_get(base_id=base_id, table=table)


def _resolve_mapping(columns: list[str], mapping: dict[str, str],
                     target: dict[str, Any]) -> dict[str, str]:
    """Column of the file -> field name of the table, checked against the table."""
    writable = [field for field in target["fields"] if not field_type(field["type"]).computed]
    by_id = {field["id"]: field["name"] for field in writable}
    by_name = {field["name"].casefold(): field["name"] for field in writable}
    if mapping:
        unknown_columns = [column for column in mapping if column not in columns]
        unknown_fields = [field for field in mapping.values()
                          if field not in by_id and field.casefold() not in by_name]
        errors = [f"The file has no column {column!r}." for column in unknown_columns]
        errors += [f"The table has no writable field {field!r}." for field in unknown_fields]
        if errors:
            raise ImportMappingInvalid("The mapping names columns or fields that don't exist.",
                                       errors={"mapping": errors[:50]})
        return {column: by_id.get(field) or by_name[field.casefold()]
                for column, field in mapping.items()}
    resolved = {column: by_name[column.casefold()] for column in columns
                if column.casefold() in by_name}
    if not resolved:
        raise ImportMappingInvalid(
            "No column of the file has the name of a writable field of the table; give a "
            "mapping.", errors={"mapping": ["No column matches a field by name."]})
    return resolved


def import_start(*, file_id, base_id: str, table: str, sheet: str = "",
                 mapping: dict[str, str] | None = None, typecast: bool = True,
                 user_id: int | None = None) -> ImportJob:
    """Check the file, the table and the mapping now; import the rows in the background."""
    file = file_get(file_id=file_id)
    if file.status != File.Status.PROCESSED:
        raise FileNotProcessed(f"The file is {file.status}; it can be imported once processed.")
    source = file_table_get(file=file, name=sheet or None)
    if source is None:
        names = file_table_names(file=file)
        if sheet and names:
            raise ImportMappingInvalid(
                f"The file has no table {sheet!r}.",
                errors={"sheet": [f"One of: {', '.join(names[:50])}."]})
        raise FileHasNoTable("The file has no table: only CSV, XLSX and DOCX tables are "
                             "imported.")
    target = _target_table(base_id, table)
    resolved = _resolve_mapping(source["columns"], mapping or {}, target)
    job = ImportJob.objects.create(
        file=file, base_id=base_id, table=target["id"], sheet=source["name"], mapping=resolved,
        typecast=typecast, total=len(source["rows"]), created_by_id=user_id)
    schema_name = connection.schema_name
    enqueue_on_commit("files.import_job_run", job_id=str(job.pk), schema_name=schema_name)
    metrics.event("file.import_started", schema=schema_name, file_id=str(file.pk),
                  job_id=str(job.pk), rows=job.total)
    return job


def _value(value: Any, type_name: str | None, typecast: bool) -> Any:
    """A cell as the field takes it. Without typecast, the text of a CSV cell is
    turned into the number or checkbox the field needs; what can't be turned is
    sent as it is, and Airtable's refusal is reported for that row."""
    if typecast or type_name is None:
        return value
    return field_type(type_name).import_value(value)


class _Importer:
    def __init__(self, job: ImportJob, source: dict[str, Any], field_types: dict[str, str]):
        self.job = job
        self.columns = {name: index for index, name in enumerate(source["columns"])}
        self.rows = source["rows"]
        self.field_types = field_types

    def fields(self, row: list[Any]) -> dict[str, Any]:
        fields = {}
        for column, field in self.job.mapping.items():
            index = self.columns.get(column)
            value = row[index] if index is not None and index < len(row) else None
            if value is None or value == "":
                continue
            fields[field] = _value(value, self.field_types.get(field), self.job.typecast)
        return fields

    def _create(self, records: list[dict[str, Any]]) -> int:
        waits = 0
        while True:
            try:
                created = airtable_services.records_create(
                    base_id=self.job.base_id, table=self.job.table,
                    records=records, typecast=self.job.typecast)
                return len(created)
            except AirtableRateLimited as error:
                waits += 1
                if waits > MAX_RATE_LIMIT_WAITS:
                    raise
                time.sleep(error.retry_after)

    def batch(self, numbered: list[tuple[int, dict[str, Any]]]) -> tuple[int, list[dict]]:
        """(records created, [{row, error}]) for up to BATCH_SIZE rows."""
        try:
            return self._create([fields for _row, fields in numbered]), []
        except (AirtableInvalidRequest, ValidationFailed) as error:
            if len(numbered) == 1:
                return 0, [{"row": numbered[0][0], "error": _message(error)}]
        created, failed = 0, []
        for row, fields in numbered:
            try:
                created += self._create([fields])
            except (AirtableInvalidRequest, ValidationFailed) as error:
                failed.append({"row": row, "error": _message(error)})
        return created, failed


def _message(error: ApplicationError) -> str:
    return str(error.detail)[:MAX_ERROR_CHARS]


def _lease() -> timedelta:
    return timedelta(seconds=settings.FILES_IMPORT_LEASE_SECONDS)


def _mine(job: ImportJob):
    """The job's row while this attempt holds it: none once it was deleted, or taken over
    by a later attempt after this one's lease ended."""
    return ImportJob.objects.filter(pk=job.pk, attempts=job.attempts,
                                    status=ImportJob.Status.RUNNING)


def _save_progress(job: ImportJob) -> bool:
    """Progress, with the lease renewed; False when the job was deleted or taken over."""
    return _mine(job).update(
        total=job.total, done=job.done, created_count=job.created_count,
        failed_count=job.failed_count, failed_rows=job.failed_rows, pending_since=None,
        lease_expires_at=timezone.now() + _lease()) == 1


def _batch_sending(job: ImportJob) -> bool:
    """Mark the next batch as on its way (committed before it is sent)."""
    return _mine(job).update(pending_since=timezone.now(),
                             lease_expires_at=timezone.now() + _lease()) == 1


def _already_created(job: ImportJob, numbered: list[tuple[int, dict[str, Any]]],
                     since) -> set[int]:
    """Rows of the batch an attempt that died had sent: records of the table created since
    it marked the batch, with the same values. They are not sent again."""
    moment = (since - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    found, offset = [], None
    while True:
        page = airtable_services.record_list(
            base_id=job.base_id, table=job.table, consistency="live", page_size=100,
            filter_by_formula=f"IS_AFTER(CREATED_TIME(), '{moment}')", offset=offset)
        found += [record["fields"] for record in page["records"]]
        offset = page.get("offset")
        if not offset:
            break
    done = set()
    for row, fields in numbered:
        match = next((index for index, record in enumerate(found)
                      if all(str(record.get(name)) == str(value)
                             for name, value in fields.items())), None)
        if match is not None:
            found.pop(match)
            done.add(row)
    return done


class ImportInterrupted(ApplicationError):
    code = "ERROR_WORKER_LOST"
    status = 503
    title = "Import interrupted"


def _finish(job: ImportJob, *, error: ApplicationError | None = None) -> None:
    job.status = ImportJob.Status.FAILED if error else ImportJob.Status.SUCCEEDED
    if error is not None:
        job.error_code, job.error_message = error.code, _message(error)
    job.finished_at = timezone.now()
    updated = ImportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
        status=job.status, error_code=job.error_code, error_message=job.error_message,
        finished_at=job.finished_at, done=job.done, created_count=job.created_count,
        failed_count=job.failed_count, failed_rows=job.failed_rows, lease_expires_at=None,
        pending_since=None)
    if not updated:
        return
    schema_name = connection.schema_name
    metrics.event("file.import_finished", schema=schema_name, job_id=str(job.pk),
                  status=job.status, created=job.created_count, failed=job.failed_count)
    send_on_commit(file_import_finished, ImportJob, schema_name=schema_name, job_id=str(job.pk),
                   file_id=str(job.file_id), status=job.status)


def _interrupted(job: ImportJob) -> ImportInterrupted:
    return ImportInterrupted(f"The import was interrupted {job.attempts} times (its worker "
                             f"stopped) after {job.done} of {job.total} rows.")


def _claim(job_id) -> tuple[ImportJob | None, ImportJob | None]:
    """(the job to run now or None, the job as it is). A job another attempt holds is left
    to it; if that worker died, the reaper queues it again once the lease ends."""
    now = timezone.now()
    with transaction.atomic():
        job = (ImportJob.objects.select_for_update(of=("self",)).select_related("file")
               .filter(pk=parse_id(job_id)).first())
        if job is None or not job.is_busy:
            return None, job
        if (job.status == ImportJob.Status.RUNNING and job.lease_expires_at is not None
                and job.lease_expires_at > now):
            return None, job
        if job.attempts >= settings.FILES_JOB_MAX_ATTEMPTS:
            _finish(job, error=_interrupted(job))
            return None, job
        job.status, job.attempts = ImportJob.Status.RUNNING, job.attempts + 1
        job.started_at = job.started_at or now
        job.lease_expires_at = now + _lease()
        job.save(update_fields=["status", "attempts", "started_at", "lease_expires_at"])
    return job, job


def import_job_run(*, job_id) -> ImportJob | None:
    """Run an import job; resumes after the rows already done if it runs again, without
    sending twice the rows of a batch a dead worker had sent."""
    job, current = _claim(job_id)
    if job is None:
        return current
    source = file_table_get(file=job.file, name=job.sheet)
    if source is None:
        _finish(job, error=FileHasNoTable(f"The file no longer has a table {job.sheet!r}."))
        return job
    try:
        target = _target_table(job.base_id, job.table)
    except ApplicationError as error:
        _finish(job, error=error)
        return job
    importer = _Importer(job, source, {field["name"]: field["type"]
                                       for field in target["fields"]})
    job.total = len(importer.rows)
    sent_before = job.pending_since
    try:
        while job.done < job.total:
            start = job.done
            numbered = [(start + offset + 1, importer.fields(row)) for offset, row in
                        enumerate(importer.rows[start:start + BATCH_SIZE])]
            count = len(numbered)
            created = 0
            if sent_before is not None:
                landed = _already_created(job, numbered, sent_before)
                numbered = [item for item in numbered if item[0] not in landed]
                created, sent_before = len(landed), None
            if not _batch_sending(job):
                return None
            made, failed = importer.batch(numbered) if numbered else (0, [])
            created += made
            job.done = start + count
            job.created_count += created
            job.failed_count += len(failed)
            room = MAX_FAILED_ROWS_KEPT - len(job.failed_rows)
            job.failed_rows = job.failed_rows + failed[:max(room, 0)]
            metrics.import_rows.labels(outcome="created").inc(created)
            metrics.import_rows.labels(outcome="failed").inc(len(failed))
            if not _save_progress(job):
                return None
            if job.created_count == 0 and job.failed_count >= min(STOP_AFTER_FIRST_REFUSED,
                                                                   job.total):
                first = job.failed_rows[0]["error"] if job.failed_rows else ""
                raise ImportRowsRefused(
                    f"The first {job.failed_count} rows were all refused, so the import "
                    f"stopped; check the table and the mapping. First error: {first}")
    except ApplicationError as error:
        _finish(job, error=error)
        return job
    _finish(job)
    return job


def import_jobs_reap() -> int:
    """Imports of this schema no worker is running: `running` past the lease (the worker
    died) and `queued` for longer than a lease (the message was lost). Each is queued again,
    or failed with ERROR_WORKER_LOST after FILES_JOB_MAX_ATTEMPTS."""
    now = timezone.now()
    stale = (ImportJob.objects.filter(status=ImportJob.Status.RUNNING, lease_expires_at__lt=now)
             | ImportJob.objects.filter(status=ImportJob.Status.QUEUED,
                                        created_at__lt=now - _lease(),
                                        lease_expires_at__isnull=True)
             | ImportJob.objects.filter(status=ImportJob.Status.QUEUED,
                                        lease_expires_at__lt=now))
    count = 0
    for job_id in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None or not job.is_busy or (
                    job.status == ImportJob.Status.RUNNING and job.lease_expires_at > now):
                continue
            if job.attempts >= settings.FILES_JOB_MAX_ATTEMPTS:
                _finish(job, error=_interrupted(job))
            else:
                # Queued again, claimable at once, and not reaped again for a lease.
                job.status, job.lease_expires_at = ImportJob.Status.QUEUED, now + _lease()
                job.save(update_fields=["status", "lease_expires_at"])
                enqueue_on_commit("files.import_job_run", job_id=str(job.pk),
                                  schema_name=connection.schema_name)
            count += 1
    if count:
        logger.warning("reaped %s import job(s) in %s", count, connection.schema_name)
    return count
