"""One way to queue background work: by task name, after the transaction commits.

Services never import a `tasks.py` (tasks import services, not the other way
round); they call

    enqueue_on_commit("airtable.sync_job_run", schema_name=..., job_id=...)

Policy when the broker is down: the enqueue is logged and dropped, and the
caller's transaction stands. Every job kind keeps its own state in a row
(`queued` / `running` with a lease), and its reaper queues again a job that
stayed `queued` or whose lease expired, so a job written while Redis was away
still runs once Redis is back. A request never fails because the broker did.

Following a job: an app registers each kind of long job it runs
(`job_kind_register("airtable.sync_job", state=..., cancel=...)`) and a tool
that starts one names the kind (`Tool.job_kind`). Any channel can then follow
the job without knowing its app: MCP answers such a call with a task the
client polls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def task_get(name: str):
    """The task registered as `name`; KeyError when there is none (a programming error)."""
    if name not in current_app.tasks:
        # Outside a worker no process has imported the apps' tasks modules yet:
        # Celery's autodiscovery runs on this signal.
        current_app.loader.import_default_modules()
    if name not in current_app.tasks:
        raise KeyError(f"no task is registered as {name!r}")
    return current_app.tasks[name]


def enqueue(name: str, /, *, countdown: float | None = None, **kwargs: Any) -> bool:
    """Queue the task registered as `name` now; False when the broker refused it."""
    task = task_get(name)
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown)
    except Exception:
        if current_app.conf.task_always_eager and current_app.conf.task_eager_propagates:
            raise
        logger.warning("could not queue %s %s; its reaper will queue it again", name, kwargs,
                       exc_info=True)
        return False
    return True


def enqueue_on_commit(name: str, /, *, countdown: float | None = None, **kwargs: Any) -> None:
    """Queue the task `name` once the current transaction commits (at once outside one)."""
    task_get(name)
    transaction.on_commit(lambda: enqueue(name, countdown=countdown, **kwargs))


JobStatus = Literal["working", "completed", "failed", "cancelled"]


@dataclass(frozen=True)
class JobState:
    """Where a long job stands, in words any channel can pass on."""

    status: JobStatus
    message: str = ""
    # Once completed: the result, shaped as the tool that started the job answers.
    result: dict | None = None
    # Once failed: (error code, message).
    error: tuple[str, str] | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class JobKind:
    # The state of the job with this id in the current tenant, None when there is none.
    state: Callable[[str], JobState | None]
    # Ask the job to stop (None: this kind of job can't be cancelled).
    cancel: Callable[[str], None] | None = None


_JOB_KINDS: dict[str, JobKind] = {}


def job_kind_register(name: str, /, *, state: Callable[[str], JobState | None],
                      cancel: Callable[[str], None] | None = None) -> None:
    _JOB_KINDS[name] = JobKind(state=state, cancel=cancel)


def job_kind_get(name: str) -> JobKind:
    """The registered kind; KeyError when there is none (a programming error)."""
    return _JOB_KINDS[name]
