"""Who an MCP request is: its API key, OAuth access token or JWT, resolved to a
tool context with what its connection was granted."""

from __future__ import annotations

from django.db import close_old_connections, transaction
from django_tenants.utils import tenant_context

from apps.accounts.selectors import API_KEY_PREFIX, credential_from_headers, membership_get
from apps.accounts.services import api_key_create, api_key_touch
from apps.core.exceptions import ValidationFailed
from apps.core.tools import READ, WRITE, ToolContext, ToolResult, tool_registry
from apps.tenants.selectors import tenant_get_by_slug

from .exceptions import McpForbidden, McpUnauthorized
from .models import ApiKeyGrant
from .oauth import oauth_caller_resolve


def _bearer(headers) -> str | None:
    scheme, _, value = (headers.get("Authorization", "") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _is_oauth_token(bearer: str | None) -> bool:
    """Not an API key, not a JWT (which has three dot-separated parts)."""
    return bool(bearer) and not bearer.startswith(API_KEY_PREFIX) and "." not in bearer \
        and len(bearer) < 200


def _member(user_id, tenant):
    if tenant is None:
        raise McpForbidden("This credential names no tenant.")
    if not tenant.is_active:
        raise McpForbidden("This tenant has been deactivated.")
    membership = membership_get(user_id=user_id, tenant=tenant)
    if membership is None or not membership.user.is_active:
        raise McpForbidden("Not a member of this tenant.")
    return membership


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


def _oauth_context(bearer: str, resource_url: str) -> ToolContext:
    caller = oauth_caller_resolve(bearer, resource_url)
    if caller is None:
        raise McpUnauthorized("The access token is invalid, expired or revoked; sign in again.")
    tenant = tenant_get_by_slug(caller.grant.tenant_slug)
    membership = _member(caller.user_id, tenant)
    writes = membership.can_write and caller.grant.can_write
    return ToolContext(tenant=tenant, user=membership.user,
                       scopes=frozenset({READ, WRITE} if writes else {READ}), channel="mcp",
                       bases=caller.grant.bases, tools=caller.grant.tools,
                       grant=f"OAuth: {caller.client_name} (sign-in #{caller.token_id})"[:200])


def mcp_caller_resolve(headers, resource_url: str = "") -> ToolContext:
    """The caller of an MCP request. The credential picks the tenant."""
    close_old_connections()
    try:
        bearer = _bearer(headers)
        if not headers.get("X-API-Key") and _is_oauth_token(bearer):
            return _oauth_context(bearer, resource_url)
        credential = credential_from_headers(headers)
        if credential is None:
            raise McpUnauthorized("Sign in with OAuth, or send an API key (Authorization: "
                                  "Bearer pat_… or X-API-Key) or a JWT.")
        if not credential.valid:
            raise McpUnauthorized(credential.error)
        membership = _member(credential.user_id, credential.tenant)
        api_key = credential.api_key
        if api_key is not None:
            api_key_touch(api_key)
        key_writes = api_key is None or api_key.can_write
        scopes = frozenset({READ, WRITE} if membership.can_write and key_writes else {READ})
        return ToolContext(
            tenant=credential.tenant, user=membership.user, scopes=scopes, channel="mcp",
            api_key_id=api_key.pk if api_key else None,
            grant=f"API key: {api_key.name} (#{api_key.pk})" if api_key else "JWT",
            **_limited(api_key_limits(tenant=credential.tenant,
                                      api_key_id=api_key.pk if api_key else None)))
    finally:
        close_old_connections()


def tool_context_for_request(request, channel: str) -> ToolContext:
    """A REST caller's tool context, with its API key's limits."""
    context = ToolContext.from_request(request, channel=channel)
    api_key = getattr(request, "api_key", None)
    limits = _limited(api_key_limits(tenant=request.tenant, api_key_id=context.api_key_id))
    grant = f"API key: {api_key.name} (#{api_key.pk})" if api_key else "session or JWT"
    return ToolContext(tenant=context.tenant, user=context.user, scopes=context.scopes,
                       channel=channel, api_key_id=context.api_key_id, grant=grant[:200],
                       **limits)


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
