"""Who an MCP request is: its API key or JWT, resolved to a tool context."""

from __future__ import annotations

from django.db import close_old_connections

from apps.accounts.selectors import credential_from_headers, membership_get
from apps.accounts.services import api_key_touch
from apps.core.throttling import caller_rate_check
from apps.core.tools import READ, WRITE, ToolContext, ToolResult, tool_registry

from .exceptions import McpForbidden, McpUnauthorized


def mcp_caller_resolve(headers) -> ToolContext:
    """The caller of an MCP request. The credential picks the tenant."""
    close_old_connections()
    try:
        credential = credential_from_headers(headers)
        if credential is None:
            raise McpUnauthorized("Send an API key (Authorization: Bearer pat_… or X-API-Key) "
                                  "or a JWT.")
        if not credential.valid:
            raise McpUnauthorized(credential.error)
        tenant = credential.tenant
        if tenant is None:
            raise McpForbidden("This credential names no tenant.")
        if not tenant.is_active:
            raise McpForbidden("This tenant has been deactivated.")
        membership = membership_get(user_id=credential.user_id, tenant=tenant)
        if membership is None or not membership.user.is_active:
            raise McpForbidden("Not a member of this tenant.")
        caller_rate_check(schema_name=tenant.schema_name,
                          api_key_id=credential.api_key.pk if credential.api_key else None)
        if credential.api_key is not None:
            api_key_touch(credential.api_key)
        key_writes = credential.api_key is None or credential.api_key.can_write
        scopes = frozenset({READ, WRITE} if membership.can_write and key_writes else {READ})
        return ToolContext(tenant=tenant, user=membership.user, scopes=scopes, channel="mcp",
                           api_key_id=credential.api_key.pk if credential.api_key else None)
    finally:
        close_old_connections()


def mcp_tool_call(name: str, arguments, context: ToolContext) -> ToolResult:
    close_old_connections()
    try:
        return tool_registry.call(name, arguments, context)
    finally:
        close_old_connections()
