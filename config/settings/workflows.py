"""Workflows (apps.workflows, apps.schedules; docs/workflows.md): the runner's limits and
the beat entries that tick schedules and reap runs whose lease expired."""

from __future__ import annotations

from config.env import env

# A running run holds a lease this long, renewed at every step; past it the reaper resumes
# the run (a worker that died mid-run). Above the longest step.
WORKFLOWS_LEASE_SECONDS = env.int("WORKFLOWS_LEASE_SECONDS", default=120)
# One task runs steps for about this long, then queues the rest of the run.
WORKFLOWS_SLICE_SECONDS = env.int("WORKFLOWS_SLICE_SECONDS", default=30)
# One step: the time limit of http_request and llm_prompt calls and the task's soft limit.
WORKFLOWS_STEP_TIMEOUT_SECONDS = env.int("WORKFLOWS_STEP_TIMEOUT_SECONDS", default=60)
WORKFLOWS_MAX_CONCURRENT_RUNS = env.int("WORKFLOWS_MAX_CONCURRENT_RUNS", default=20)
WORKFLOWS_MAX_RUNS_PER_MINUTE = env.int("WORKFLOWS_MAX_RUNS_PER_MINUTE", default=60)
WORKFLOWS_MAX_FOR_EACH_ITEMS = env.int("WORKFLOWS_MAX_FOR_EACH_ITEMS", default=1000)
WORKFLOWS_MAX_STEPS = env.int("WORKFLOWS_MAX_STEPS", default=50)
WORKFLOWS_MAX_CHAIN_DEPTH = env.int("WORKFLOWS_MAX_CHAIN_DEPTH", default=5)
WORKFLOWS_MAX_RETRIES = env.int("WORKFLOWS_MAX_RETRIES", default=10)
WORKFLOWS_HTTP_MAX_BYTES = env.int("WORKFLOWS_HTTP_MAX_BYTES", default=1024 * 1024)
WORKFLOWS_WEBHOOK_DEDUPE_HOURS = env.int("WORKFLOWS_WEBHOOK_DEDUPE_HOURS", default=24)
WORKFLOWS_SCHEDULE_TICK_SECONDS = env.float("WORKFLOWS_SCHEDULE_TICK_SECONDS", default=5.0)
WORKFLOWS_REAPER_SECONDS = env.float("WORKFLOWS_REAPER_SECONDS", default=15.0)
# Due schedules claimed per tick transaction.
WORKFLOWS_SCHEDULE_BATCH = env.int("WORKFLOWS_SCHEDULE_BATCH", default=500)

WORKFLOWS_BEAT_SCHEDULE = {
    "workflows-schedule-tick": {"task": "workflows.schedule_tick",
                                "schedule": WORKFLOWS_SCHEDULE_TICK_SECONDS},
    "workflows-reap": {"task": "workflows.reap", "schedule": WORKFLOWS_REAPER_SECONDS},
}
