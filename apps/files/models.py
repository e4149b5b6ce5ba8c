"""Uploaded files, their extracted content and the imports made from them.

These tables live in each tenant's schema. Users live in the public schema;
the uploader is kept as a plain id (no foreign key), so deleting a user from
the public schema never has to reach into every tenant's tables.
"""

from __future__ import annotations

import uuid

from django.db import models


class File(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    filename = models.CharField(max_length=255, help_text="Sanitised original name, for display.")
    extension = models.CharField(max_length=10)
    mime_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, unique=True)
    storage_name = models.CharField(max_length=255, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED,
                              db_index=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    uploaded_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The extraction holding the file: until this moment no other worker takes it; past it,
    # the reaper queues it again (its worker died) or fails it after FILES_JOB_MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["filename"], name="files_file_filename_idx"),
                   models.Index(fields=["size"], name="files_file_size_idx")]

    def __str__(self) -> str:
        return self.filename

    @property
    def error(self) -> dict | None:
        if not self.error_code:
            return None
        return {"code": self.error_code, "message": self.error_message}

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.UPLOADED, self.Status.PROCESSING)


class FileContent(models.Model):
    """What extraction found; kept apart so that listing files never loads it."""

    file = models.OneToOneField(File, on_delete=models.CASCADE, primary_key=True,
                                related_name="content")
    text = models.TextField(blank=True)
    metadata = models.JSONField(default=dict)
    tables = models.JSONField(default=list)
    pages = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"content of {self.file_id}"


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="import_jobs")
    base_id = models.CharField(max_length=64)
    table = models.CharField(max_length=255)
    sheet = models.CharField(max_length=255, help_text="The file's table that is imported.")
    mapping = models.JSONField(default=dict, help_text="Column of the file -> Airtable field.")
    typecast = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    failed_rows = models.JSONField(default=list)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The attempt running the job renews its lease with every batch; `pending_since` is set
    # while a batch is on its way to Airtable, so an attempt taking over after a crash
    # looks for that batch's records before sending it again.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.id} of {self.file_id}"

    @property
    def error(self) -> dict | None:
        if not self.error_code:
            return None
        return {"code": self.error_code, "message": self.error_message}

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
