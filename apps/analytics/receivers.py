"""Events from the other apps' signals. Each receiver only buffers an event, and a
failure to record is logged, never raised into the sender."""

from __future__ import annotations

import functools
import logging

from django.dispatch import receiver

from apps.accounts.signals import user_signed_in
from apps.airtable.signals import sync_job_finished
from apps.chat.signals import chat_turn_completed
from apps.core.signals import tool_called
from apps.files.signals import file_event

from .metrics import EVENTS_DROPPED
from .services import event_record

logger = logging.getLogger(__name__)


def _never_raises(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            function(*args, **kwargs)
        except Exception:
            EVENTS_DROPPED.labels("error").inc()
            logger.warning("analytics event not recorded by %s", function.__name__,
                           exc_info=True)
    return wrapper


@receiver(tool_called, dispatch_uid="analytics.tool_called")
@_never_raises
def tool_call_record(sender, name, context, result, **kwargs):
    # The arguments are not read: an event never carries what a tool was asked.
    event_record(type="tool.call", schema_name=context.tenant.schema_name,
                 user_id=getattr(context.user, "pk", None), api_key_id=context.api_key_id,
                 grant=getattr(context, "grant", ""),
                 data={"tool": name[:100], "channel": context.channel,
                       "outcome": "error" if result.is_error else "ok",
                       "error_code": result.error_code or "",
                       "duration_ms": round(result.duration_ms, 3)})


@receiver(chat_turn_completed, dispatch_uid="analytics.chat_turn_completed")
@_never_raises
def chat_turn_record(sender, tenant, user_id, **kwargs):
    event_record(type="llm.usage", schema_name=tenant.schema_name, user_id=user_id,
                 data=kwargs)


@receiver(user_signed_in, dispatch_uid="analytics.user_signed_in")
@_never_raises
def sign_in_record(sender, user_id, tenant, method, **kwargs):
    if tenant is not None:
        event_record(type="auth.login", schema_name=tenant.schema_name, user_id=user_id,
                     data={"method": method})


@receiver(sync_job_finished, dispatch_uid="analytics.sync_job_finished")
@_never_raises
def sync_record(sender, schema_name, **kwargs):
    event_record(type="sync.run", schema_name=schema_name, data=kwargs)


_FILE_EVENTS = {"file.uploaded": "file.uploaded", "file.extracted": "file.extracted",
                "file.import_finished": "file.imported"}


@receiver(file_event, dispatch_uid="analytics.file_event")
@_never_raises
def file_record(sender, name, fields, **kwargs):
    kind = _FILE_EVENTS.get(name)
    if kind is None:
        return
    data = dict(fields)
    if "seconds" in data:
        data["duration_ms"] = round(float(data["seconds"]) * 1000, 1)
    event_record(type=kind, schema_name=fields.get("schema", ""), data=data)


def workflow_run_record(*, schema_name: str, status: str, workflow_id=None,
                        workflow_name: str = "", duration_ms: float | None = None,
                        trigger: str = "", user_id: int | None = None, **kwargs) -> None:
    """Receiver for the workflows app's `workflow_run_finished` signal, when it exists."""
    event_record(type="workflow.run", schema_name=schema_name, user_id=user_id,
                 data={"workflow_id": workflow_id, "workflow_name": workflow_name,
                       "status": status, "duration_ms": duration_ms, "trigger": trigger})


def _connect_workflows() -> None:
    try:
        from apps.workflows.signals import workflow_run_finished
    except ImportError:  # the workflows app is not installed
        return
    workflow_run_finished.connect(_never_raises(
        lambda sender, **kwargs: workflow_run_record(**kwargs)),
        weak=False, dispatch_uid="analytics.workflow_run_finished")


_connect_workflows()
