"""The MCP server: the official SDK's low-level server over the tool registry,
served statelessly over Streamable HTTP so any replica can answer any request.

The SDK serves both protocol generations: 2025-11-25 clients (initialize
handshake, MCP-Protocol-Version) and 2026-07-28 clients.
"""

from __future__ import annotations

import mcp_types as types
from asgiref.sync import sync_to_async
from django.conf import settings
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from apps.core.tools import tool_registry

from .services import mcp_tool_call

CONTEXT_SCOPE_KEY = "platform.tool_context"

INSTRUCTIONS = (
    "Tools for this team's Airtable bases (answered from a fast PostgreSQL mirror), files and "
    "workflows. Start with list_bases, then list_tables, then list_records with a "
    "filterByFormula in Airtable's formula language."
)


def _context(ctx):
    return ctx.request.scope[CONTEXT_SCOPE_KEY]


def _describe(tool) -> types.Tool:
    described = tool.describe()
    annotations = described["annotations"]
    return types.Tool(
        name=tool.name, title=tool.title, description=tool.description,
        input_schema=described["inputSchema"], output_schema=described["outputSchema"],
        annotations=types.ToolAnnotations(
            title=annotations["title"], read_only_hint=annotations["readOnlyHint"],
            destructive_hint=annotations["destructiveHint"],
            idempotent_hint=annotations["idempotentHint"],
            open_world_hint=annotations["openWorldHint"]),
    )


async def list_tools(ctx, params) -> types.ListToolsResult:
    tools = tool_registry.visible_to(_context(ctx))
    return types.ListToolsResult(tools=[_describe(tool) for tool in tools])


async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
    result = await sync_to_async(mcp_tool_call, thread_sensitive=False)(
        params.name, params.arguments, _context(ctx))
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=result.text)],
        structured_content=result.structured_content, is_error=result.is_error,
    )


server = Server(
    "pyairtable-platform", version=settings.VERSION, title="PyAirtable platform",
    instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call_tool,
)

session_manager = StreamableHTTPSessionManager(
    app=server, stateless=True, json_response=True,
    security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
)
