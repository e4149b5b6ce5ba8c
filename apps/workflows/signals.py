"""Signals the workflows app sends. Receivers get keyword arguments only."""

from django.dispatch import Signal

# A run ended (succeeded, failed, skipped or cancelled): schema_name, run_id, workflow_id,
# workflow_name, status, duration_ms, trigger (the trigger type), user_id (the run's owner).
workflow_run_finished = Signal()
