"""Analytics (apps.analytics; docs/observability.md)."""

from config.env import env

# Events older than this are dropped with their monthly partition.
ANALYTICS_RETENTION_DAYS = env.int("ANALYTICS_RETENTION_DAYS", default=400)
# Partitions exist this many months ahead of the current one.
ANALYTICS_PARTITION_MONTHS_AHEAD = env.int("ANALYTICS_PARTITION_MONTHS_AHEAD", default=2)
# False stops recording events (the dashboard then shows what was recorded before).
ANALYTICS_ENABLED = env.bool("ANALYTICS_ENABLED", default=True)
# A process hands its buffered events to Redis this often, in one round trip.
ANALYTICS_FLUSH_SECONDS = env.float("ANALYTICS_FLUSH_SECONDS", default=1.0)
# Events a process keeps while Redis is away; beyond it new events are dropped and counted.
ANALYTICS_BUFFER_MAX = env.int("ANALYTICS_BUFFER_MAX", default=10_000)
# Beat moves events from Redis into the tables this often, this many per batch.
ANALYTICS_INGEST_SECONDS = env.float("ANALYTICS_INGEST_SECONDS", default=5.0)
ANALYTICS_INGEST_BATCH = env.int("ANALYTICS_INGEST_BATCH", default=5_000)
