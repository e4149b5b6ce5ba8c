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
from typing import Any

from django.db import connection
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


def _save_progress(job: ImportJob) -> bool:
    """False when the job (or its file) was deleted meanwhile."""
    return ImportJob.objects.filter(pk=job.pk).update(
        total=job.total, done=job.done, created_count=job.created_count,
        failed_count=job.failed_count, failed_rows=job.failed_rows) == 1


def _finish(job: ImportJob, *, error: ApplicationError | None = None) -> None:
    job.status = ImportJob.Status.FAILED if error else ImportJob.Status.SUCCEEDED
    if error is not None:
        job.error_code, job.error_message = error.code, _message(error)
    job.finished_at = timezone.now()
    updated = ImportJob.objects.filter(pk=job.pk).update(
        status=job.status, error_code=job.error_code, error_message=job.error_message,
        finished_at=job.finished_at, done=job.done, created_count=job.created_count,
        failed_count=job.failed_count, failed_rows=job.failed_rows)
    if not updated:
        return
    schema_name = connection.schema_name
    metrics.event("file.import_finished", schema=schema_name, job_id=str(job.pk),
                  status=job.status, created=job.created_count, failed=job.failed_count)
    send_on_commit(file_import_finished, ImportJob, schema_name=schema_name, job_id=str(job.pk),
                   file_id=str(job.file_id), status=job.status)


def import_job_run(*, job_id) -> ImportJob | None:
    """Run an import job; resumes after the rows already done if it runs again."""
    job = ImportJob.objects.select_related("file").filter(pk=parse_id(job_id)).first()
    if job is None or not job.is_busy:
        return job
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=job.status, started_at=job.started_at)
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
    try:
        while job.done < job.total:
            start = job.done
            numbered = [(start + offset + 1, importer.fields(row)) for offset, row in
                        enumerate(importer.rows[start:start + BATCH_SIZE])]
            created, failed = importer.batch(numbered)
            job.done = start + len(numbered)
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
