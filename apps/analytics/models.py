"""Analytics tables of a tenant schema.

`analytics_event` is partitioned by month (PostgreSQL declarative
partitioning, created by migration 0001 in SQL; Django only reads it). The
rollups are ordinary tables that the ingest keeps up to date in the same
transaction that writes the events.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class AnalyticsEvent(models.Model):
    pk = models.CompositePrimaryKey("timestamp", "id")
    id = models.BigIntegerField()
    timestamp = models.DateTimeField()
    type = models.CharField(max_length=40)
    user_id = models.BigIntegerField(null=True)
    api_key_id = models.BigIntegerField(null=True)
    # Which connection acted, as the tool-call audit names it ("OAuth: Claude (sign-in #4)").
    grant = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict)

    class Meta:
        managed = False
        db_table = "analytics_event"
        ordering = ["-timestamp", "-id"]

    def __str__(self) -> str:
        return f"{self.type} at {self.timestamp:%Y-%m-%d %H:%M:%S}"


class Rollup(models.Model):
    """Counts and sums of one event type and dimension in one hour or one day."""

    class Grain(models.TextChoices):
        HOUR = "h", "hour"
        DAY = "d", "day"
        # A type's totals over every dimension (dim ""): what the series over time read,
        # one row per type and bucket however many dimensions the type has.
        HOUR_TOTAL = "H", "hour, all dimensions"
        DAY_TOTAL = "D", "day, all dimensions"

    grain = models.CharField(max_length=1, choices=Grain.choices)
    bucket = models.DateTimeField()
    type = models.CharField(max_length=40)
    dim = models.CharField(max_length=300, default="", blank=True)
    count = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    value1 = models.BigIntegerField(default=0)
    value2 = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=24, decimal_places=6, default=0)
    duration_ms = models.FloatField(default=0)
    histogram = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        db_table = "analytics_rollup"
        constraints = [models.UniqueConstraint(fields=["grain", "type", "bucket", "dim"],
                                               name="analytics_rollup_key")]
        indexes = [models.Index(fields=["grain", "bucket"], name="analytics_rollup_period")]

    def __str__(self) -> str:
        return f"{self.type} {self.dim} {self.bucket:%Y-%m-%d %H:00} ({self.grain})"


class ActiveUserDay(models.Model):
    """A user did something on a day (the source of active users, new and returning)."""

    day = models.DateField()
    user_id = models.BigIntegerField()
    events = models.BigIntegerField(default=0)

    class Meta:
        db_table = "analytics_active_user_day"
        constraints = [models.UniqueConstraint(fields=["day", "user_id"],
                                               name="analytics_active_user_day_key")]
        indexes = [models.Index(fields=["user_id", "day"], name="analytics_user_first_day")]

    def __str__(self) -> str:
        return f"user {self.user_id} on {self.day}"
