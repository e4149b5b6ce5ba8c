"""Workflows in the tenant schema: definitions with versions, durable runs and their step
results, the outbox of record changes and the webhook events already seen."""

from __future__ import annotations

import secrets

from django.db import models


def _webhook_token() -> str:
    return secrets.token_urlsafe(32)


class Workflow(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    trigger = models.JSONField()
    steps = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    # Runs act as this member, as they are when each step runs.
    owner_id = models.BigIntegerField()
    webhook_token = models.CharField(max_length=64, unique=True, default=_webhook_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active"], name="workflow_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def trigger_type(self) -> str:
        return (self.trigger or {}).get("type", "")

    def definition(self) -> dict:
        return {"name": self.name, "description": self.description, "trigger": self.trigger,
                "steps": self.steps, "is_active": self.is_active}


class WorkflowVersion(models.Model):
    """Every saved definition; a run names the version it started with."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_id = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["workflow", "version"],
                                               name="workflow_version_unique")]

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.version}"


class WorkflowRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"
        CANCELLED = "cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.SKIPPED, Status.CANCELLED)

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    workflow_version = models.PositiveIntegerField()
    definition = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    trigger = models.JSONField(default=dict)
    # Unique per workflow: the same key (manual, webhook event, schedule slot, record
    # change) always answers the same run.
    idempotency_key = models.CharField(max_length=300, null=True, blank=True)
    test = models.BooleanField(default=False)
    depth = models.PositiveSmallIntegerField(default=0)
    owner_id = models.BigIntegerField()
    replay_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="replays")
    error = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a delay or a retry backoff ends; the run waits queued without a worker.
    wake_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workflow", "idempotency_key"],
                                               name="workflow_run_idempotency")]
        indexes = [models.Index(fields=["workflow", "-created_at"], name="run_by_workflow"),
                   models.Index(fields=["status", "lease_until"], name="run_by_status")]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.workflow_id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


class StepResult(models.Model):
    """One step of a run, at one for_each iteration (\"\" outside loops, \"2\" or
    \"2.0\" inside), committed when the step ends."""

    class Status(models.TextChoices):
        RUNNING = "running"
        WAITING = "waiting"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"

    DONE = (Status.SUCCEEDED, Status.FAILED, Status.SKIPPED)

    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="step_results")
    step_id = models.CharField(max_length=64)
    iteration = models.CharField(max_length=64, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Status.choices)
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "step_id", "iteration"],
                                               name="step_result_once")]

    def __str__(self) -> str:
        return f"{self.step_id}[{self.iteration}] {self.status}"


class RecordEvent(models.Model):
    """The outbox: a change the mirror made, written in the mirror's transaction and turned
    into runs once (each run keyed by the event)."""

    kind = models.CharField(max_length=20)  # record_created, record_updated, record_deleted
    base_id = models.CharField(max_length=32)
    table_id = models.CharField(max_length=32)
    record_ids = models.JSONField()
    # record_updated: {record_id: [names of the fields whose value changed]}; null when the
    # writer did not say (every field may have changed).
    changed_fields = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=10)
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["id"], name="record_event_pending",
                                condition=models.Q(dispatched_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.kind} {self.table_id} ({len(self.record_ids)})"


class WebhookEvent(models.Model):
    """An event id a webhook already turned into a run (kept for the dedupe window)."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="events")
    event_key = models.CharField(max_length=200)
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "event_key"],
                                               name="webhook_event_once")]

    def __str__(self) -> str:
        return self.event_key


class Notice(models.Model):
    """An in-app notice to a member (a failed run of their workflow)."""

    user_id = models.BigIntegerField()
    run = models.ForeignKey(WorkflowRun, null=True, on_delete=models.CASCADE,
                            related_name="notices")
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message[:80]
