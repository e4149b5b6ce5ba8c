from django_tenants.utils import tenant_context

from apps.accounts.selectors import memberships_of_user
from apps.airtable.selectors import base_list

from .models import ToolCall


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
