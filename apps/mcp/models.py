import uuid

from django.db import models


class ToolCall(models.Model):
    """One call of a tool, by any channel (MCP, REST, chat, workflow)."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        ERROR = "error", "Error"

    tool = models.CharField(max_length=100, db_index=True)
    channel = models.CharField(max_length=20)
    user_id = models.BigIntegerField(null=True)
    user_email = models.CharField(max_length=254, blank=True)
    api_key_id = models.BigIntegerField(null=True)
    grant = models.CharField(max_length=200, blank=True)  # the connection that called
    arguments = models.JSONField(default=dict)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=60, blank=True)
    duration_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.tool} ({self.outcome})"


class ApiKeyGrant(models.Model):
    """The bases and tools an API key is limited to (no row: the key reaches everything its
    rights allow). The key itself lives in the public schema (accounts.ApiKey)."""

    api_key_id = models.BigIntegerField(unique=True)
    bases = models.JSONField(null=True, blank=True)  # None: every base
    tools = models.JSONField(null=True, blank=True)  # None: every tool its rights allow
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"limits of API key {self.api_key_id}"


class McpTask(models.Model):
    """A long tool call (a sync, a workflow run) that an MCP client follows as a task of
    the Tasks extension: the job it started and the caller it belongs to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tool = models.CharField(max_length=100)
    job_kind = models.CharField(max_length=60)
    job_id = models.CharField(max_length=64)
    user_id = models.BigIntegerField(null=True)
    api_key_id = models.BigIntegerField(null=True)
    grant = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.tool})"
