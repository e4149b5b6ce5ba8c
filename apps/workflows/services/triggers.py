"""Record triggers: the outbox of mirror changes turned into runs.

The mirror's writer (a sync or a write-through) stores a RecordEvent in its own transaction;
after the commit a task takes pending events with FOR UPDATE SKIP LOCKED and starts one run
per (event, record, workflow) — keyed `record:<event>:<record>`, so a dispatch that runs
twice starts nothing twice — then marks the event dispatched. A change is neither lost (the
reaper dispatches what a dead task left) nor fired twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.airtable import selectors as airtable
from apps.core.exceptions import ApplicationError
from apps.formulas import FormulaError, evaluate, is_truthy

from ..models import RecordEvent, Workflow
from .runs import run_start

logger = logging.getLogger(__name__)
BATCH = 100


def _table_matches(workflow: Workflow, event: RecordEvent, names: dict) -> bool:
    wanted = workflow.trigger.get("table")
    if wanted == event.table_id:
        return True
    if event.table_id not in names:
        try:
            names[event.table_id] = airtable.table_get(base_id=event.base_id,
                                                       table=event.table_id)["name"]
        except ApplicationError:
            names[event.table_id] = None
    return wanted == names[event.table_id]


def _record(event: RecordEvent, record_id: str) -> dict:
    if event.kind == "record_deleted":
        return {"id": record_id}
    try:
        return airtable.record_get(base_id=event.base_id, table=event.table_id,
                                   record_id=record_id)
    except ApplicationError:
        return {"id": record_id}


def _passes(workflow: Workflow, record: dict) -> bool:
    condition = workflow.trigger.get("condition")
    if not condition:
        return True
    try:
        return bool(is_truthy(evaluate(condition, record.get("fields") or {},
                                       record_id=record.get("id"))))
    except FormulaError:
        logger.warning("workflow %s: trigger condition fails", workflow.pk, exc_info=True)
        return False


def _changed(event: RecordEvent, record_id: str) -> list[str] | None:
    """The fields an update changed in this record; None when not known (any may have)."""
    if event.kind != "record_updated" or not isinstance(event.changed_fields, dict):
        return None
    changed = event.changed_fields.get(record_id)
    return list(changed) if isinstance(changed, list) else None


def _event_dispatch(event: RecordEvent) -> int:
    started = 0
    names: dict = {}
    workflows = [workflow for workflow in Workflow.objects.filter(
        is_active=True, trigger__type=event.kind, trigger__base_id=event.base_id)
        if _table_matches(workflow, event, names)]
    for record_id in event.record_ids:
        record = None
        changed = _changed(event, record_id)
        if changed == []:
            continue  # written with the values it had: the record did not change
        for workflow in workflows:
            wanted = workflow.trigger.get("fields")
            if wanted and changed is not None and not set(changed) & set(wanted):
                continue  # an update that changed none of the fields this workflow watches
            record = record or _record(event, record_id)
            if not _passes(workflow, record):
                continue
            shown = dict(record)
            if wanted and "fields" in record:
                shown["fields"] = {k: v for k, v in record["fields"].items() if k in wanted}
            trigger = {"type": event.kind, "base_id": event.base_id, "table_id": event.table_id,
                       "source": event.source, "record": shown, "depth": event.depth}
            if changed is not None:
                trigger["changed_fields"] = changed
            failure = None
            if event.depth >= settings.WORKFLOWS_MAX_CHAIN_DEPTH:
                failure = ("ERROR_WORKFLOW_CHAIN_DEPTH",
                           f"Workflows triggering workflows went {event.depth} deep; the "
                           f"limit is {settings.WORKFLOWS_MAX_CHAIN_DEPTH}, so this run did "
                           "not start.")
            _, created = run_start(workflow=workflow, trigger=trigger, depth=event.depth,
                                   key=f"record:{event.pk}:{record_id}", failure=failure)
            started += created
    return started


def record_events_dispatch() -> int:
    """Turn pending outbox rows of this schema into runs. Returns how many runs started."""
    started = 0
    while True:
        with transaction.atomic():
            events = list(RecordEvent.objects.select_for_update(skip_locked=True)
                          .filter(dispatched_at__isnull=True).order_by("id")[:BATCH])
            for event in events:
                started += _event_dispatch(event)
                event.dispatched_at = timezone.now()
                event.save(update_fields=["dispatched_at"])
        if len(events) < BATCH:
            return started
