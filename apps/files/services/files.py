"""Accepting an upload (type, content, size, quota, duplicates) and deleting a file."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Sum

from apps.core.jobs import enqueue_on_commit

from .. import metrics
from ..exceptions import (
    FileContentMismatch,
    FileEmpty,
    FileNotFound,
    FileStorageUnavailable,
    FileTypeNotAllowed,
    StorageQuotaExceeded,
)
from ..formats import FileFormat, allowed_formats
from ..models import File
from ..upload_handlers import too_large, upload_limit_bytes

logger = logging.getLogger(__name__)

MAX_FILENAME_CHARS = 255
MAX_EXTENSION_CHARS = 10
# Characters that mean something to a shell, a path or a Content-Disposition header.
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*;]')
# Control, format (bidi overrides, zero-width), surrogate, private and unassigned.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def display_filename(raw: str | None) -> str:
    """The original name made safe to show and to offer in a download.

    It is never used as a path: blobs are stored under server-generated names.
    """
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name
                   if unicodedata.category(char) not in _DROPPED_CATEGORIES)
    name = _UNSAFE_CHARS.sub("_", name)
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) <= MAX_EXTENSION_CHARS:
            name = f"{stem[:MAX_FILENAME_CHARS - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def _extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def _refused(error):
    metrics.upload_refusals.labels(code=error.code).inc()
    metrics.uploads.labels(outcome="refused").inc()
    metrics.event("file.upload_refused", schema=connection.schema_name, code=error.code)
    return error


def _format_of(name: str) -> FileFormat:
    extension = _extension(name)
    formats = allowed_formats(settings.ALLOWED_EXTENSIONS)
    allowed = ", ".join(f".{ext}" for ext in formats) or "none"
    if extension not in formats:
        shown = f".{extension}" if extension else "without an extension"
        raise _refused(FileTypeNotAllowed(
            f"Files {shown} are not accepted; allowed: {allowed}.",
            errors={"file": [f"Allowed types: {allowed}."]}))
    return formats[extension]


def _sha256(uploaded: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def storage_used() -> int:
    """Bytes the current tenant's files take."""
    return File.objects.aggregate(total=Sum("size"))["total"] or 0


def _check_quota(size: int) -> None:
    quota = settings.FILES_TENANT_QUOTA_MB * 1024 * 1024
    used = storage_used()
    if used + size > quota:
        raise _refused(StorageQuotaExceeded(
            f"This upload needs {size:,} bytes; the team has {max(quota - used, 0):,} of "
            f"{settings.FILES_TENANT_QUOTA_MB} MB left. Delete files to make room."))


def _enqueue_extraction(file: File) -> None:
    # A broker that is down does not fail an upload that is stored: the file
    # stays `uploaded` and POST …/extract queues it again later.
    enqueue_on_commit("files.file_extract", file_id=str(file.id),
                      schema_name=connection.schema_name)


def file_upload(*, uploaded: UploadedFile, user_id: int | None) -> tuple[File, bool]:
    """Store an upload of the current tenant; (file, True) when it was already there."""
    filename = display_filename(uploaded.name)
    file_format = _format_of(filename)
    size = uploaded.size or 0
    if size == 0:
        raise _refused(FileEmpty("The file is empty.", errors={"file": ["Empty file."]}))
    limit = upload_limit_bytes()
    if size > limit:
        raise _refused(too_large(limit))
    uploaded.seek(0)
    if not file_format.matches(uploaded):
        raise _refused(FileContentMismatch(
            f"The file is named .{file_format.extension} but its content is not a "
            f"{file_format.label}.", errors={"file": ["Content does not match the extension."]}))
    sha256 = _sha256(uploaded)

    existing = File.objects.filter(sha256=sha256).first()
    if existing is not None:
        return _duplicate(existing)
    _check_quota(size)

    file_id = uuid.uuid4()
    try:
        storage_name = default_storage.save(f"{connection.schema_name}/{file_id.hex}", uploaded)
    except Exception as exc:
        # Each storage backend raises its own errors (botocore's for S3).
        logger.warning("blob not stored schema=%s error=%r", connection.schema_name, exc)
        raise FileStorageUnavailable("The file could not be stored; try again later.") from None
    try:
        with transaction.atomic():
            # One upload at a time per tenant from here on, so that two uploads
            # can't both pass the quota or both store the same content.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                               [f"files-upload:{connection.schema_name}"])
            existing = File.objects.filter(sha256=sha256).first()
            if existing is None:
                _check_quota(size)
                file = File.objects.create(
                    id=file_id, filename=filename, extension=file_format.extension,
                    mime_type=file_format.mime_type, size=size, sha256=sha256,
                    storage_name=storage_name, uploaded_by_id=user_id)
                _enqueue_extraction(file)
    except BaseException:
        default_storage.delete(storage_name)
        raise
    if existing is not None:
        default_storage.delete(storage_name)
        return _duplicate(existing)

    metrics.uploads.labels(outcome="stored").inc()
    metrics.event("file.uploaded", schema=connection.schema_name, file_id=str(file.id),
                  format=file.extension, size=size)
    return file, False


def _duplicate(existing: File) -> tuple[File, bool]:
    metrics.uploads.labels(outcome="duplicate").inc()
    metrics.event("file.upload_duplicate", schema=connection.schema_name,
                  file_id=str(existing.id))
    return existing, True


def file_delete(*, file_id) -> None:
    """Delete a file, its content, its import jobs and its blob."""
    with transaction.atomic():
        file = File.objects.select_for_update().filter(pk=file_id).first()
        if file is None:
            raise FileNotFound("No file with this id.")
        storage_name = file.storage_name
        file.delete()
    try:
        default_storage.delete(storage_name)
    except Exception:
        # Storage backends raise their own error types (botocore's for S3). The
        # file is gone for the user either way; the orphan blob is logged for ops.
        logger.exception("blob of a deleted file not removed storage_name=%s", storage_name)
    metrics.event("file.deleted", schema=connection.schema_name, file_id=str(file_id))
