"""Every write and rule of workflows."""

from .definitions import workflow_create, workflow_delete, workflow_update
from .demo import workflows_seed_demo
from .runner import current_depth, run_execute, runs_reap
from .runs import (
    file_processed_fire,
    record_event_store,
    run_cancel,
    run_replay,
    run_start,
    runs_queue,
    schedule_fire,
    schedules_fire,
    webhook_receive,
    workflow_test,
    workflow_trigger,
)
from .triggers import record_events_dispatch

__all__ = [
    "current_depth",
    "file_processed_fire",
    "record_event_store",
    "record_events_dispatch",
    "run_cancel",
    "run_execute",
    "run_replay",
    "run_start",
    "runs_queue",
    "runs_reap",
    "schedule_fire",
    "schedules_fire",
    "webhook_receive",
    "workflow_create",
    "workflow_delete",
    "workflow_test",
    "workflow_trigger",
    "workflow_update",
    "workflows_seed_demo",
]
