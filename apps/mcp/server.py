"""The MCP server: the official SDK's low-level server over the tool registry,
served statelessly over Streamable HTTP so any replica can answer any request.

The SDK serves both protocol generations: 2025-11-25 clients (initialize
handshake, MCP-Protocol-Version) and 2026-07-28 clients.

Long tool calls (a sync, a workflow run) follow the Tasks extension
(`io.modelcontextprotocol/tasks`) for 2026-07-28 clients that declare it: the
call answers a task at once and the client polls `tasks/get` until the job has
finished; `tasks/cancel` stops a job that can stop. Tasks are rows in the
tenant's schema, so any replica answers them. Other clients get the tool's
immediate answer, as before.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django_tenants.utils import tenant_context
from mcp import MCPError
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from apps.core.exceptions import ApplicationError
from apps.core.jobs import JobState
from apps.core.tools import ToolResult, tool_registry

from .models import McpTask
from .selectors import mcp_task_get, mcp_task_state
from .services import mcp_task_cancel, mcp_task_create, mcp_tool_call

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
CLIENT_CAPABILITIES_META = "io.modelcontextprotocol/clientCapabilities"
TASK_POLL_MS = 1000

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
        execution=described.get("execution"),
    )


async def list_tools(ctx, params) -> types.ListToolsResult:
    tools = tool_registry.visible_to(_context(ctx))
    return types.ListToolsResult(tools=[_describe(tool) for tool in tools])


def _wants_tasks(ctx) -> bool:
    """A 2026-07-28 request whose client declares the Tasks extension."""
    capabilities = (ctx.meta or {}).get(CLIENT_CAPABILITIES_META)
    extensions = capabilities.get("extensions") if isinstance(capabilities, dict) else None
    return isinstance(extensions, dict) and isinstance(extensions.get(TASKS_EXTENSION), dict)


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _task_wire(task: McpTask, state: JobState, *, detailed: bool) -> dict[str, Any]:
    wire = {"taskId": str(task.pk), "status": state.status, "statusMessage": state.message,
            "createdAt": _iso(task.created_at),
            "lastUpdatedAt": _iso(max(state.updated_at or task.created_at, task.created_at)),
            "ttlMs": settings.MCP_TASK_TTL_SECONDS * 1000}
    if state.status == "working":
        wire["pollIntervalMs"] = TASK_POLL_MS
    if not detailed:
        return wire
    if state.status == "completed":
        result = ToolResult(structured=state.result)
        wire["result"] = {"resultType": "complete", **result.as_mcp_json()}
    elif state.status == "failed":
        # The job's failure is the tool's answer: a tool error, as any other tool error
        # reaches the caller, with its code and message.
        code, message = state.error or ("ERROR_TASK_FAILED", state.message)
        result = ToolResult(structured={"error": {"code": code, "message": message}},
                            is_error=True, error_code=code)
        wire["status"] = "completed"
        wire["result"] = {"resultType": "complete", **result.as_mcp_json()}
    return wire


def _in_tenant(context, work):
    """Run ORM work for a caller in its tenant, on a fresh connection of this thread."""
    close_old_connections()
    try:
        with tenant_context(context.tenant):
            return work()
    except ApplicationError as error:
        raise MCPError(code=types.INVALID_PARAMS, message=error.detail,
                       data={"code": error.code}) from None
    finally:
        close_old_connections()


async def call_tool(ctx, params: types.CallToolRequestParams):
    context = _context(ctx)
    result = await sync_to_async(mcp_tool_call, thread_sensitive=False)(
        params.name, params.arguments, context)
    tool = None if result.is_error else tool_registry.get(params.name)
    if tool is None or not tool.job_kind or not _wants_tasks(ctx):
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=result.text)],
            structured_content=result.structured_content, is_error=result.is_error,
        )

    def follow():
        task = mcp_task_create(context=context, tool=tool.name, job_kind=tool.job_kind,
                               job_id=str(result.structured[tool.job_key]))
        return _task_wire(task, mcp_task_state(task), detailed=False)

    task = await sync_to_async(_in_tenant, thread_sensitive=False)(context, follow)
    return {"resultType": "task", **task}


class TaskParams(types.RequestParams):
    task_id: str


async def get_task(ctx, params: TaskParams) -> dict:
    context = _context(ctx)

    def look():
        task = mcp_task_get(context=context, task_id=params.task_id)
        return _task_wire(task, mcp_task_state(task), detailed=True)

    return await sync_to_async(_in_tenant, thread_sensitive=False)(context, look)


async def cancel_task(ctx, params: TaskParams) -> dict:
    context = _context(ctx)

    def cancel():
        mcp_task_cancel(context=context, task_id=params.task_id)
        return {}

    return await sync_to_async(_in_tenant, thread_sensitive=False)(context, cancel)


async def update_task(ctx, params: TaskParams) -> dict:
    context = _context(ctx)

    def refuse():
        mcp_task_get(context=context, task_id=params.task_id)
        raise MCPError(code=types.INVALID_PARAMS,
                       message="This task never asks for input; there is nothing to update.")

    return await sync_to_async(_in_tenant, thread_sensitive=False)(context, refuse)


server = Server(
    "pyairtable-platform", version=settings.VERSION, title="PyAirtable platform",
    instructions=INSTRUCTIONS, on_list_tools=list_tools, on_call_tool=call_tool,
)
server.extensions[TASKS_EXTENSION] = {}
server.add_request_handler("tasks/get", TaskParams, get_task)
server.add_request_handler("tasks/cancel", TaskParams, cancel_task)
server.add_request_handler("tasks/update", TaskParams, update_task)

session_manager = StreamableHTTPSessionManager(
    app=server, stateless=True, json_response=True,
    security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
)
