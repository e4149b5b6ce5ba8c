"""Who an MCP request is (its OAuth token, API key or JWT, resolved by
apps.accounts.selectors.caller_resolve like every entry point's), the limits of
what the connection was granted, and tool calls."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django_tenants.utils import remove_www, tenant_context

from apps.accounts.selectors import (
    API_KEY_PREFIX,
    Credential,
    caller_resolve,
    credential_from_headers,
)
from apps.accounts.services import api_key_create, api_key_touch
from apps.core.exceptions import ValidationFailed
from apps.core.jobs import job_kind_get
from apps.core.throttling import caller_rate_check
from apps.core.tools import READ, WRITE, ToolContext, ToolResult, tool_registry
from apps.tenants.selectors import tenant_get_by_host, tenant_get_by_slug

from .exceptions import McpTaskNotCancellable, McpUnauthorized
from .models import ApiKeyGrant, McpTask
from .oauth import oauth_caller_resolve
from .selectors import mcp_task_get


def _bearer(headers) -> str | None:
    scheme, _, value = (headers.get("Authorization", "") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _is_oauth_token(bearer: str | None) -> bool:
    """Not an API key, not a JWT (which has three dot-separated parts)."""
    return bool(bearer) and not bearer.startswith(API_KEY_PREFIX) and "." not in bearer \
        and len(bearer) < 200


def api_key_limits(*, tenant, api_key_id: int | None) -> ApiKeyGrant | None:
    if api_key_id is None:
        return None
    with tenant_context(tenant):
        return ApiKeyGrant.objects.filter(api_key_id=api_key_id).first()


def _limited(limits: ApiKeyGrant | None) -> dict:
    if limits is None:
        return {}
    return {"bases": frozenset(limits.bases) if limits.bases is not None else None,
            "tools": frozenset(limits.tools) if limits.tools is not None else None}


def _host_tenant(headers):
    hostname = remove_www((headers.get("host") or "").split(":")[0]).lower()
    return tenant_get_by_host(hostname) if hostname else None


def _oauth_context(bearer: str, resource_url: str, host_tenant) -> ToolContext:
    caller = oauth_caller_resolve(bearer, resource_url)
    if caller is None:
        raise McpUnauthorized("The access token is invalid, expired or revoked; sign in again.")
    context = caller_resolve(
        credential=Credential(kind="oauth", user_id=caller.user_id,
                              tenant=tenant_get_by_slug(caller.grant.tenant_slug)),
        channel="mcp", tenant=host_tenant)
    return replace(context, scopes=context.scopes if caller.grant.can_write
                   else frozenset({READ}), bases=caller.grant.bases, tools=caller.grant.tools,
                   grant=f"OAuth: {caller.client_name} (sign-in #{caller.token_id})"[:200])


def mcp_caller(headers, resource_url: str = "") -> ToolContext:
    """The caller of an MCP request: the host when it is a tenant's domain, otherwise
    the credential, picks the tenant; an API key's grant limits bases and tools."""
    host_tenant = _host_tenant(headers)
    bearer = _bearer(headers)
    if not headers.get("X-API-Key") and _is_oauth_token(bearer):
        return _oauth_context(bearer, resource_url, host_tenant)
    credential = credential_from_headers(headers)
    context = caller_resolve(credential=credential, channel="mcp", tenant=host_tenant)
    api_key = credential.api_key
    if api_key is None:
        return replace(context, grant="JWT")
    api_key_touch(api_key)
    return replace(context, grant=f"API key: {api_key.name} (#{api_key.pk})"[:200],
                   **_limited(api_key_limits(tenant=context.tenant, api_key_id=api_key.pk)))


def mcp_caller_resolve(headers, resource_url: str = "") -> ToolContext:
    """mcp_caller on a fresh database connection (the endpoint runs in a worker thread)."""
    close_old_connections()
    try:
        context = mcp_caller(headers, resource_url)
        # The per-tenant and per-key limits of REST, counted in the same buckets.
        caller_rate_check(schema_name=context.tenant.schema_name,
                          api_key_id=context.api_key_id)
        return context
    finally:
        close_old_connections()


def tool_context_for_request(request, channel: str) -> ToolContext:
    """A REST caller's tool context, with its API key's limits."""
    context = ToolContext.from_request(request, channel=channel)
    api_key = getattr(request, "api_key", None)
    limits = _limited(api_key_limits(tenant=request.tenant, api_key_id=context.api_key_id))
    grant = f"API key: {api_key.name} (#{api_key.pk})" if api_key else "session or JWT"
    return replace(context, grant=grant[:200], **limits)


def _checked_limits(*, bases, tools) -> tuple[list | None, list | None]:
    known = {tool.name for tool in tool_registry.all()}
    if tools is not None:
        unknown = sorted(set(tools) - known)
        if unknown:
            raise ValidationFailed(f"Unknown tools: {', '.join(unknown)}.",
                                   errors={"tools": ["Unknown tool."]})
        tools = sorted(set(tools))
    if bases is not None:
        bases = sorted(set(bases))
    return bases, tools


@transaction.atomic
def mcp_api_key_create(*, tenant, user, name: str, write: bool, bases=None, tools=None):
    """A key for an MCP client, limited to some bases and tools when they are given."""
    bases, tools = _checked_limits(bases=bases, tools=tools)
    api_key, raw = api_key_create(tenant=tenant, user=user, name=name,
                                  scopes=["read", "write"] if write else ["read"])
    if bases is not None or tools is not None:
        with tenant_context(tenant):
            ApiKeyGrant.objects.create(api_key_id=api_key.pk, bases=bases, tools=tools)
    return api_key, raw


def mcp_tool_call(name: str, arguments, context: ToolContext) -> ToolResult:
    close_old_connections()
    try:
        return tool_registry.call(name, arguments, context)
    finally:
        close_old_connections()


def mcp_task_create(*, context: ToolContext, tool: str, job_kind: str, job_id: str) -> McpTask:
    """The task an MCP client follows for the long job a tool call started (expired
    tasks of the tenant go at the same time)."""
    expired = timezone.now() - timedelta(seconds=settings.MCP_TASK_TTL_SECONDS)
    McpTask.objects.filter(created_at__lt=expired).delete()
    return McpTask.objects.create(
        tool=tool, job_kind=job_kind, job_id=job_id, grant=context.grant,
        user_id=context.user.pk if context.user is not None else None,
        api_key_id=context.api_key_id)


def mcp_task_cancel(*, context: ToolContext, task_id: str) -> McpTask:
    """Ask the task's job to stop; a job that can't be stopped is refused."""
    task = mcp_task_get(context=context, task_id=task_id)
    cancel = job_kind_get(task.job_kind).cancel
    if cancel is None:
        raise McpTaskNotCancellable(f"A {task.tool} task runs to its end; it can't be cancelled.")
    if WRITE not in context.scopes:
        raise McpTaskNotCancellable("This connection can only read; it can't cancel a task.")
    cancel(task.job_id)
    return task
