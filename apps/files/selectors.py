"""Every read of the files app, within the current tenant's schema.

`file_content_get` is what the chat and MCP tool `get_file_content` call.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Count, QuerySet, Sum

from apps.core.jobs import JobState

from .exceptions import (
    FileBlobMissing,
    FileNotFound,
    FileNotProcessed,
    FileStorageUnavailable,
    ImportJobNotFound,
)
from .models import File, FileContent, ImportJob

logger = logging.getLogger(__name__)

ORDERINGS = ("created_at", "-created_at", "filename", "-filename", "size", "-size")
MAX_QUERY_CHARS = 200


def parse_id(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def file_list(*, query: str = "", ordering: str = "-created_at") -> QuerySet[File]:
    files = File.objects.all()
    query = query.strip()[:MAX_QUERY_CHARS]
    if query:
        files = files.filter(filename__icontains=query)
    return files.order_by(*file_ordering(ordering))


def file_ordering(ordering: str) -> tuple[str, str]:
    """The ordering of a file list, with the id to break ties between equal values."""
    if ordering not in ORDERINGS:
        ordering = "-created_at"
    return ordering, "-id" if ordering.startswith("-") else "id"


def file_storage_used() -> dict[str, int]:
    """The tenant's stored files and their bytes (analytics and the operator admin)."""
    totals = File.objects.aggregate(files=Count("id"), bytes=Sum("size"))
    return {"files": totals["files"] or 0, "bytes": totals["bytes"] or 0}


def file_get(*, file_id: Any) -> File:
    parsed = parse_id(file_id)
    file = File.objects.filter(pk=parsed).first() if parsed else None
    if file is None:
        raise FileNotFound("No file with this id.")
    return file


def _truncated_text(text: str, max_chars: int | None) -> tuple[str, bool]:
    if max_chars is None or len(text) <= max_chars:
        return text, False
    return text[:max_chars], True


def file_content_get(*, file_id: Any, max_chars: int | None = None,
                     max_rows: int | None = None) -> dict[str, Any]:
    """{file, text, metadata, tables, pages?, truncated} of a processed file.

    max_chars and max_rows cut the text and each table (an LLM's context is
    finite); `truncated` says whether anything was cut.
    """
    file = file_get(file_id=file_id)
    if file.status != File.Status.PROCESSED:
        raise FileNotProcessed(
            f"The file is {file.status}; its content is available once it is processed.")
    content = FileContent.objects.filter(file=file).first()
    if content is None:
        raise FileNotProcessed("The file's content is not available.")
    text, truncated = _truncated_text(content.text, max_chars)
    tables = []
    for table in content.tables:
        rows = table["rows"]
        if max_rows is not None and len(rows) > max_rows:
            rows, truncated = rows[:max_rows], True
        tables.append({"name": table["name"], "columns": table["columns"], "rows": rows,
                       "row_count": len(table["rows"])})
    result: dict[str, Any] = {
        "file": file,
        "text": text,
        "metadata": content.metadata,
        "tables": tables,
        "truncated": truncated,
    }
    if content.pages:
        pages = content.pages
        if max_chars is not None:
            pages = [page[:max_chars] for page in pages]
        result["pages"] = pages
    return result


def file_table_get(*, file: File, name: str | None) -> dict[str, Any] | None:
    """One extracted table of a file, by name, or its first one."""
    content = FileContent.objects.filter(file=file).only("tables").first()
    if content is None or not content.tables:
        return None
    if not name:
        return content.tables[0]
    return next((table for table in content.tables if table["name"] == name), None)


def file_table_names(*, file: File) -> list[str]:
    content = FileContent.objects.filter(file=file).only("tables").first()
    return [table["name"] for table in content.tables] if content else []


def import_job_get(*, job_id: Any) -> ImportJob:
    parsed = parse_id(job_id)
    job = ImportJob.objects.select_related("file").filter(pk=parsed).first() if parsed else None
    if job is None:
        raise ImportJobNotFound("No import job with this id.")
    return job


def import_job_summary(job: ImportJob) -> dict:
    """An import job as the import_file tool answers it."""
    return {"jobId": str(job.pk), "status": job.status, "table": job.table,
            "progress": {"done": job.done, "total": job.total},
            "created": job.created_count, "failed": job.failed_count,
            "failedRows": job.failed_rows[:20], "error": job.error_message}


def import_job_state(job_id: str) -> JobState | None:
    """Where an import stands, for a channel that follows it (an MCP task)."""
    parsed = parse_id(job_id)
    job = ImportJob.objects.select_related("file").filter(pk=parsed).first() if parsed else None
    if job is None:
        return None
    updated = job.finished_at or job.started_at or job.created_at
    name = job.file.filename
    if job.status == ImportJob.Status.SUCCEEDED:
        return JobState("completed", f"Imported {job.created_count:,} rows of {name}.",
                        result=import_job_summary(job), updated_at=updated)
    if job.status == ImportJob.Status.FAILED:
        return JobState("failed", f"The import of {name} failed.", updated_at=updated,
                        error=(job.error_code or "ERROR_IMPORT_FAILED",
                               job.error_message or "The import failed."))
    if job.status == ImportJob.Status.QUEUED:
        return JobState("working", "Waiting for a worker.", updated_at=updated)
    return JobState("working", f"Importing {name}: {job.done:,} of {job.total:,} rows.",
                    updated_at=updated)


def import_job_list(*, file: File) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(file=file).order_by("-created_at")


def file_blob_open(*, file: File):
    """The stored bytes of a file, opened for reading."""
    try:
        return default_storage.open(file.storage_name, "rb")
    except FileNotFoundError:
        raise FileBlobMissing("The stored file is missing; delete it and upload it again.") \
            from None
    except Exception as exc:
        # Each storage backend raises its own errors (botocore's for S3).
        logger.warning("blob not readable storage_name=%s error=%r", file.storage_name, exc)
        raise FileStorageUnavailable("The file storage could not be read; try again later.") \
            from None
