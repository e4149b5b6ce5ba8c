"""The public-schema table of cron schedules: one row per scheduled workflow of any tenant,
read by one ticking task (no beat PeriodicTask per workflow)."""

from django.db import models


class Schedule(models.Model):
    schema_name = models.CharField(max_length=63)
    workflow_id = models.BigIntegerField()
    cron = models.CharField(max_length=200)
    timezone = models.CharField(max_length=64, default="UTC")
    next_run_at = models.DateTimeField(null=True)
    is_active = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schema_name", "workflow_id"],
                                               name="schedule_one_per_workflow")]
        indexes = [models.Index(fields=["next_run_at"], name="schedule_due",
                                condition=models.Q(is_active=True))]

    def __str__(self) -> str:
        return f"{self.schema_name}:{self.workflow_id} {self.cron} {self.timezone}"
