import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.selectors import memberships_of_user
from apps.airtable.selectors import base_list
from apps.core.jobs import JobState, job_kind_get
from apps.core.tools import ToolContext

from .exceptions import McpTaskNotFound
from .models import McpTask, ToolCall


def tool_call_list(*, tool: str | None = None, outcome: str | None = None):
    calls = ToolCall.objects.all()
    if tool:
        calls = calls.filter(tool=tool)
    if outcome:
        calls = calls.filter(outcome=outcome)
    return calls.order_by("-created_at")


def consent_teams(*, user) -> list[tuple]:
    """(tenant, can_write, [(base_id, name)]) for each active team of a user, for the OAuth
    consent page."""
    teams = []
    for membership in memberships_of_user(user=user):
        with tenant_context(membership.tenant):
            bases = [(base.base_id, base.name) for base in base_list()]
        teams.append((membership.tenant, membership.can_write, bases))
    return teams


def tenant_base_choices(*, tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return [(base.base_id, base.name) for base in base_list()]


def mcp_task_get(*, context: ToolContext, task_id: str) -> McpTask:
    """A task of this caller (the same person through the same connection), within its
    time to live, in the current tenant."""
    user_id = context.user.pk if context.user is not None else None
    expired = timezone.now() - timedelta(seconds=settings.MCP_TASK_TTL_SECONDS)
    task = McpTask.objects.filter(pk=task_id, user_id=user_id, api_key_id=context.api_key_id,
                                  created_at__gte=expired).first() \
        if _is_uuid(task_id) else None
    if task is None:
        raise McpTaskNotFound("There is no such task for this connection.")
    return task


def mcp_task_state(task: McpTask) -> JobState:
    state = job_kind_get(task.job_kind).state(task.job_id)
    if state is None:  # the job was deleted with what it belonged to
        return JobState("failed", "The job is gone.", updated_at=task.created_at,
                        error=("ERROR_TASK_JOB_GONE", "The job of this task no longer exists."))
    return state


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
