"""Who an MCP request is: its API key or JWT, resolved to a tool context."""

from __future__ import annotations

from django.db import close_old_connections
from django_tenants.utils import remove_www

from apps.accounts.selectors import caller_resolve, credential_from_headers
from apps.accounts.services import api_key_touch
from apps.core.tools import ToolContext, ToolResult, tool_registry
from apps.tenants.selectors import tenant_get_by_host


def mcp_caller(headers) -> ToolContext:
    """The caller of an MCP request (apps.accounts.selectors.caller_resolve): the host
    when it is a tenant's domain, otherwise the credential, picks the tenant."""
    hostname = remove_www((headers.get("host") or "").split(":")[0]).lower()
    credential = credential_from_headers(headers)
    context = caller_resolve(credential=credential, channel="mcp",
                             tenant=tenant_get_by_host(hostname) if hostname else None)
    if credential.api_key is not None:
        api_key_touch(credential.api_key)
    return context


def mcp_caller_resolve(headers) -> ToolContext:
    """mcp_caller on a fresh database connection (the endpoint runs in a worker thread)."""
    close_old_connections()
    try:
        return mcp_caller(headers)
    finally:
        close_old_connections()


def mcp_tool_call(name: str, arguments, context: ToolContext) -> ToolResult:
    close_old_connections()
    try:
        return tool_registry.call(name, arguments, context)
    finally:
        close_old_connections()
