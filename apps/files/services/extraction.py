"""Extraction of a stored file: uploaded -> processing -> processed | failed.

Idempotent, because a task acknowledged late may run twice: a processed file
is left alone, and the result is written under a row lock so that two runs
can't both write it.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import time
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DataError, connection, transaction
from django.utils import timezone

from apps.core.jobs import enqueue_on_commit

from .. import metrics
from ..exceptions import FileNotFound, FileNotRetryable
from ..extraction.errors import EXTRACTION_FAILED, STORAGE_UNAVAILABLE, ExtractionFailure
from ..extraction.limits import Limits
from ..extraction.process import WALL_CLOCK_GRACE_SECONDS, extract_in_child
from ..models import File, FileContent
from ..selectors import parse_id
from ..signals import file_processed, send_on_commit

logger = logging.getLogger(__name__)

_COPY_CHUNK = 1024 * 1024


def extraction_limits() -> Limits:
    """Limits from settings; FILES_EXTRACT_LIMITS may override any field of Limits."""
    overrides = {key: value for key, value in getattr(settings, "FILES_EXTRACT_LIMITS", {}).items()
                 if key in {field.name for field in dataclasses.fields(Limits)}}
    return Limits(**{
        "timeout_seconds": settings.FILES_EXTRACT_TIMEOUT_SECONDS,
        "memory_mb": settings.FILES_EXTRACT_MEMORY_MB,
        # A CSV or text file the upload limit lets in always fits: a byte is at most a
        # character. Only compressed formats (DOCX, XLSX, PDF) can expand beyond it.
        "max_text_chars": max(Limits.max_text_chars, settings.MAX_UPLOAD_MB * 1024 * 1024),
        **overrides,
    })


def _table_name(filename: str) -> str:
    stem, dot, _extension = filename.rpartition(".")
    return stem if dot and stem else filename


def _extract(file: File) -> dict:
    with tempfile.NamedTemporaryFile(prefix="files-blob-", suffix=f".{file.extension}") as local:
        try:
            with default_storage.open(file.storage_name, "rb") as blob:
                shutil.copyfileobj(blob, local, _COPY_CHUNK)
        except FileNotFoundError:
            raise ExtractionFailure(STORAGE_UNAVAILABLE,
                                    "The stored file is missing from storage.") from None
        except Exception as exc:
            # Each storage backend raises its own errors (botocore's for S3).
            logger.warning("blob not readable storage_name=%s error=%r", file.storage_name, exc)
            raise ExtractionFailure(STORAGE_UNAVAILABLE,
                                    "The file storage could not be read; try again later.") \
                from None
        local.flush()
        return extract_in_child(path=local.name, file_format=file.extension,
                                name=_table_name(file.filename), limits=extraction_limits())


def _finish(file_id, *, outcome: dict | None, failure: ExtractionFailure | None) -> File | None:
    schema_name = connection.schema_name
    with transaction.atomic():
        file = File.objects.select_for_update().filter(pk=file_id).first()
        if file is None or file.status == File.Status.PROCESSED:
            return file
        if outcome is not None:
            try:
                with transaction.atomic():
                    FileContent.objects.update_or_create(file=file, defaults={
                        "text": outcome.get("text", ""),
                        "metadata": outcome.get("metadata", {}),
                        "tables": outcome.get("tables", []),
                        "pages": outcome.get("pages", []),
                    })
            except DataError as exc:
                logger.warning("content not stored file_id=%s error=%r", file.pk, exc)
                outcome, failure = None, ExtractionFailure(
                    EXTRACTION_FAILED, "The extracted content can't be stored.")
        if outcome is not None:
            file.status = File.Status.PROCESSED
            file.processed_at = timezone.now()
            file.error_code = file.error_message = ""
            send_on_commit(file_processed, File, schema_name=schema_name,
                           file_id=str(file.id))
        else:
            assert failure is not None
            FileContent.objects.filter(file=file).delete()
            file.status = File.Status.FAILED
            file.error_code, file.error_message = failure.code, failure.message
        file.lease_expires_at = None
        file.save(update_fields=["status", "processed_at", "error_code", "error_message",
                                 "lease_expires_at", "updated_at"])
    return file


WORKER_LOST = "ERROR_WORKER_LOST"


def extraction_lease() -> timedelta:
    """How long an extraction holds its file: its time limit, the child's grace and a margin.
    No extraction outlives it (the child is killed at its limit), so a file still
    `processing` past it was left by a worker that died."""
    return timedelta(seconds=settings.FILES_EXTRACT_TIMEOUT_SECONDS
                     + WALL_CLOCK_GRACE_SECONDS + settings.FILES_EXTRACT_LEASE_MARGIN_SECONDS)


def _worker_lost(file: File) -> None:
    FileContent.objects.filter(file=file).delete()
    file.status, file.lease_expires_at = File.Status.FAILED, None
    file.error_code = WORKER_LOST
    file.error_message = (f"The extraction was interrupted {file.attempts} times (its worker "
                          "stopped); retry it.")
    file.save(update_fields=["status", "lease_expires_at", "error_code", "error_message",
                             "updated_at"])


def _claim(file_id) -> tuple[File | None, File | None]:
    """(the file to extract now or None, the file as it is). A file another worker's
    extraction holds is left to it: if that worker died, the reaper queues it again once
    the lease ends."""
    now = timezone.now()
    with transaction.atomic():
        file = File.objects.select_for_update().filter(pk=parse_id(file_id)).first()
        if file is None or file.status == File.Status.PROCESSED:
            return None, file
        if (file.status == File.Status.PROCESSING and file.lease_expires_at is not None
                and file.lease_expires_at > now):
            return None, file
        if file.attempts >= settings.FILES_JOB_MAX_ATTEMPTS:
            _worker_lost(file)
            return None, file
        file.status, file.attempts = File.Status.PROCESSING, file.attempts + 1
        file.processing_started_at, file.lease_expires_at = now, now + extraction_lease()
        file.error_code = file.error_message = ""
        file.save(update_fields=["status", "attempts", "processing_started_at",
                                 "lease_expires_at", "error_code", "error_message",
                                 "updated_at"])
    return file, file


def file_extract(*, file_id) -> File | None:
    """Extract a file's text and tables; None when the file has been deleted meanwhile."""
    file, current = _claim(file_id)
    if file is None:
        return current
    started = time.monotonic()
    outcome, failure = None, None
    try:
        outcome = _extract(file)
    except ExtractionFailure as error:
        failure = error
    seconds = time.monotonic() - started
    result = "processed" if failure is None else "failed"
    metrics.extractions.labels(outcome=result, format=file.extension).inc()
    metrics.extraction_seconds.labels(format=file.extension).observe(seconds)
    metrics.event("file.extracted", schema=connection.schema_name, file_id=str(file.pk),
                  format=file.extension, outcome=result, seconds=round(seconds, 3),
                  code=failure.code if failure else "")
    return _finish(file.pk, outcome=outcome, failure=failure)


def stale_after() -> timedelta:
    """How long a file may stay uploaded or processing before it counts as stuck
    (its task lost with a broker outage or a worker that died)."""
    return timedelta(seconds=2 * (settings.FILES_EXTRACT_TIMEOUT_SECONDS
                                  + WALL_CLOCK_GRACE_SECONDS) + 60)


def _retryable(file: File) -> bool:
    if file.status == File.Status.FAILED:
        return True
    return file.is_busy and file.updated_at < timezone.now() - stale_after()


def file_extraction_retry(*, file_id) -> File:
    """Queue a failed file for extraction again (after a limit or a tool changed)."""
    with transaction.atomic():
        file = File.objects.select_for_update().filter(pk=parse_id(file_id)).first()
        if file is None:
            raise FileNotFound("No file with this id.")
        if not _retryable(file):
            raise FileNotRetryable(
                f"The file is {file.status}; only a failed file, or one stuck for "
                f"{int(stale_after().total_seconds())} s, is extracted again.")
        file.status, file.attempts, file.lease_expires_at = File.Status.UPLOADED, 0, None
        file.error_code = file.error_message = ""
        file.save(update_fields=["status", "attempts", "lease_expires_at", "error_code",
                                 "error_message", "updated_at"])
        enqueue_on_commit("files.file_extract", file_id=str(file.id),
                          schema_name=connection.schema_name)
    return file


def extractions_reap() -> int:
    """Extractions of this schema no worker is running: `processing` past the lease (the
    worker died) and `uploaded` for longer than a lease (the message was lost). Each is
    queued again, or failed with ERROR_WORKER_LOST after FILES_JOB_MAX_ATTEMPTS."""
    now = timezone.now()
    stale = (File.objects.filter(status=File.Status.PROCESSING, lease_expires_at__lt=now)
             | File.objects.filter(status=File.Status.UPLOADED,
                                   updated_at__lt=now - extraction_lease()))
    count = 0
    for file_id in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            file = File.objects.select_for_update(skip_locked=True).filter(pk=file_id).first()
            if file is None or not file.is_busy or (
                    file.lease_expires_at is not None and file.lease_expires_at > now):
                continue
            if file.attempts >= settings.FILES_JOB_MAX_ATTEMPTS:
                _worker_lost(file)
            else:
                file.status, file.lease_expires_at = File.Status.UPLOADED, None
                file.save(update_fields=["status", "lease_expires_at", "updated_at"])
                enqueue_on_commit("files.file_extract", file_id=str(file.pk),
                                  schema_name=connection.schema_name)
            count += 1
    if count:
        logger.warning("reaped %s extraction(s) in %s", count, connection.schema_name)
    return count
