"""Connections, the mirror of each base (tables, fields, records) and sync jobs.

All of it lives in the tenant's schema. Records keep Airtable's JSON keyed by
field *name*, which is what apps.formulas compiles filters against.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models


class AirtableConnection(models.Model):
    """A personal access token for an Airtable API endpoint (real or the sandbox)."""

    name = models.CharField(max_length=100)
    endpoint_url = models.URLField(max_length=300, default="https://api.airtable.com")
    # Fernet ciphertext (apps.airtable.crypto); the plain token is never stored or shown.
    token_encrypted = models.TextField()
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Base(models.Model):
    """A base the connection's token can see (from meta/bases)."""

    connection = models.ForeignKey(AirtableConnection, on_delete=models.CASCADE,
                                   related_name="bases")
    base_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    permission_level = models.CharField(max_length=32, blank=True, default="")
    sync_enabled = models.BooleanField(default=True)
    sync_interval_minutes = models.PositiveIntegerField(
        default=settings.AIRTABLE_SYNC_INTERVAL_MINUTES)
    schema_synced_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_full_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.TextField(blank=True, default="")
    discovered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "base_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.base_id})"


class Table(models.Model):
    base = models.ForeignKey(Base, on_delete=models.CASCADE, related_name="tables")
    table_id = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    primary_field_id = models.CharField(max_length=32, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    # The table as the metadata API returned it (fields, views, options).
    schema = models.JSONField(default=dict)
    # Start of the last sync that read this table completely (full) or its
    # changes (incremental); the next incremental sync asks for changes since then.
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_full_synced_at = models.DateTimeField(null=True, blank=True)
    record_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["base", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["base", "table_id"], name="airtable_table_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.table_id})"


class Field(models.Model):
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="fields")
    field_id = models.CharField(max_length=32)
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=64)
    options = models.JSONField(null=True, blank=True)
    description = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    # For a formula or rollup: the type its mirrored values show ("" when they show none),
    # which the mirror compiles by when it disagrees with the declared result type.
    observed_type = models.CharField(max_length=64, blank=True, default="")
    # For a link field: the epoch of its kept sort keys (Record.link_keys). Raising it makes
    # every kept key of the field old at once, when too many linked records changed to
    # find the rows linking to them one by one.
    link_keys_epoch = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["table", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["table", "field_id"], name="airtable_field_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class Record(models.Model):
    """One mirrored record: Airtable's fields JSON keyed by field name."""

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="records")
    record_id = models.CharField(max_length=32)
    fields = models.JSONField(default=dict)
    # Where Airtable listed the record without a sort (creation order): the
    # default order of answers and the tie-breaker of every sort.
    position = models.BigIntegerField(default=0)
    created_time = models.DateTimeField()
    last_modified_time = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()
    # The sort key of each link field, {name: {"v": version, "e": epoch, "k": text}}, kept
    # up to date as the linked records change (services.linkkeys): a sort by a link reads it
    # instead of looking up every row's linked records.
    link_keys = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table", "record_id"],
                                    name="airtable_record_unique_id"),
        ]
        indexes = [
            models.Index(fields=["table", "position", "record_id"],
                         name="airtable_record_position"),
            GinIndex(fields=["fields"], opclasses=["jsonb_path_ops"],
                     name="airtable_record_fields_gin"),
        ]

    def __str__(self) -> str:
        return self.record_id


class FieldIndex(models.Model):
    """How often a field is filtered or sorted on, and the expression index
    made for it once that passes settings.AIRTABLE_INDEX_AFTER_USES."""

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="field_indexes")
    field_name = models.CharField(max_length=255)
    uses = models.PositiveIntegerField(default=0)
    index_names = models.JSONField(default=list)
    indexed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table", "field_name"],
                                    name="airtable_fieldindex_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.table_id}:{self.field_name}"


class SyncJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    base = models.ForeignKey(Base, on_delete=models.CASCADE, related_name="sync_jobs")
    full = models.BooleanField(default=False)
    trigger = models.CharField(max_length=16, default="manual")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(default=0)
    requests_count = models.PositiveIntegerField(default=0)
    rate_limited_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["base", "status"], name="airtable_syncjob_base_status")]

    def __str__(self) -> str:
        return f"sync {self.base_id} #{self.pk} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def changed_count(self) -> int:
        return self.created_count + self.updated_count + self.deleted_count


class GridLayout(models.Model):
    """How one member arranges a table's columns in the grid: hidden ones and their order
    (field names), kept per user and table."""

    user_id = models.BigIntegerField()
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="grid_layouts")
    hidden = models.JSONField(default=list)
    order = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "table"],
                                               name="airtable_gridlayout_user_table")]

    def __str__(self) -> str:
        return f"layout of {self.table_id} for user {self.user_id}"
