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
    arguments = models.JSONField(default=dict)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=60, blank=True)
    duration_ms = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.tool} ({self.outcome})"
