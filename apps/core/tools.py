"""The one registry of tools, shared by MCP, the chat and workflows.

A tool is a class with a name, JSON Schemas for its input and output, MCP
annotations, the scope it needs (`read` or `write`) and `run(context,
arguments)`, which calls services and returns the structured result. Apps
register their tools in `AppConfig.ready()`:

    from apps.core.tools import Tool, tool_registry

    @tool_registry.register
    class ListBases(Tool):
        name = "list_bases"
        ...

`tool_registry.call()` validates the arguments, checks the scope, runs the
tool in the caller's tenant schema and turns every failure into a tool error
(`is_error=True` with a clear message): a tool never crashes its caller.
"""

from __future__ import annotations

import abc
import json
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from django.db import connection
from django_tenants.utils import tenant_context
from jsonschema import Draft202012Validator
from prometheus_client import Counter, Histogram

from .exceptions import ApplicationError
from .signals import tool_called

logger = logging.getLogger(__name__)

TOOL_CALLS = Counter("platform_tool_calls_total", "Tool calls by tool, caller and outcome",
                     ["tool", "channel", "outcome"])
TOOL_SECONDS = Histogram("platform_tool_call_seconds", "Tool call duration", ["tool"])

READ = "read"
WRITE = "write"
# JSON Schema keywords whose value is a schema (or a list of them), and those that map names
# to schemas.
SCHEMA_KEYWORDS = frozenset({"items", "additionalProperties", "anyOf", "oneOf", "allOf", "not",
                             "prefixItems", "contains", "if", "then", "else"})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
SECRET_ARGUMENT_NAMES = ("token", "password", "secret", "api_key", "apikey", "authorization")


@dataclass(frozen=True)
class ToolContext:
    """Who calls, for which tenant, with which rights, through which channel: the one
    caller shape of every entry point (HTTP, MCP, the chat's WebSocket, background jobs),
    made by apps.accounts.selectors.caller_resolve and caller_for_member."""

    tenant: Any
    user: Any
    scopes: frozenset[str]
    channel: str  # "mcp", "rest", "chat" or "workflow"
    api_key_id: int | None = None
    # What the connection was granted, when it was limited: these bases and tools only.
    bases: frozenset[str] | None = None
    tools: frozenset[str] | None = None
    grant: str = ""  # which connection calls, as the audit shows it
    membership: Any = field(default=None, compare=False, repr=False)

    @property
    def can_write(self) -> bool:
        return WRITE in self.scopes

    def may_use(self, tool: type[Tool]) -> bool:
        return tool.scope in self.scopes and (self.tools is None or tool.name in self.tools)

    def may_reach(self, base_id: str) -> bool:
        return self.bases is None or base_id in self.bases

    @classmethod
    def from_request(cls, request, channel: str) -> ToolContext:
        """The caller the request's authentication resolved
        (apps.accounts.selectors.caller_resolve), acting through `channel`."""
        return replace(request.caller, channel=channel)


def request_scopes(request) -> frozenset[str]:
    """What a request's credential may do: read, and write unless a viewer or read-only key."""
    return frozenset({READ, WRITE} if getattr(request, "can_write", False) else {READ})


@dataclass
class ToolResult:
    structured: dict | None
    is_error: bool = False
    error_code: str | None = None
    duration_ms: float = 0.0

    @property
    def text(self) -> str:
        return json.dumps(self.structured, ensure_ascii=False, default=str)

    @property
    def structured_content(self) -> dict | None:
        """What MCP's structuredContent carries: the result, never an error. Clients validate
        structuredContent against the tool's outputSchema even when isError is true, so an
        error travels in the text block alone (`{"error": {"code", "message"}}`)."""
        return None if self.is_error else self.structured

    def as_mcp_json(self) -> dict:
        """The shape of MCP's CallToolResult, as the REST mirror answers it."""
        return {"content": [{"type": "text", "text": self.text}],
                "structuredContent": self.structured_content, "isError": self.is_error}


class ToolArgumentError(ApplicationError):
    code = "ERROR_TOOL_ARGUMENTS"
    status = 400
    title = "Invalid tool arguments"


class ToolNotFound(ApplicationError):
    code = "ERROR_TOOL_NOT_FOUND"
    status = 404
    title = "Unknown tool"


class ToolScopeDenied(ApplicationError):
    code = "ERROR_READ_ONLY"
    status = 403
    title = "This credential can only read"


class ToolNotGranted(ApplicationError):
    code = "ERROR_TOOL_NOT_GRANTED"
    status = 403
    title = "This connection was not granted the tool"


class BaseNotGranted(ApplicationError):
    code = "ERROR_BASE_NOT_GRANTED"
    status = 403
    title = "This connection was not granted the base"


class Tool(abc.ABC):
    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    input_schema: ClassVar[dict]
    output_schema: ClassVar[dict]
    scope: ClassVar[str] = READ
    destructive: ClassVar[bool] = False
    idempotent: ClassVar[bool] = True
    # True for a tool that reaches a system outside the platform (Airtable, the web).
    open_world: ClassVar[bool] = False
    # A tool that starts a long job names its kind (apps.core.jobs) and the key of the
    # job's id in its result; MCP then answers the call with a task the client follows.
    job_kind: ClassVar[str | None] = None
    job_key: ClassVar[str] = "jobId"

    @abc.abstractmethod
    def run(self, context: ToolContext, arguments: dict) -> dict:
        """Call services and return the structured result (matching output_schema)."""

    @classmethod
    def annotations(cls) -> dict:
        return {"title": cls.title, "readOnlyHint": cls.scope == READ,
                "destructiveHint": cls.destructive, "idempotentHint": cls.idempotent,
                "openWorldHint": cls.open_world}

    @classmethod
    def describe(cls) -> dict:
        """The MCP tools/list entry, its schemas written the way every client reads them."""
        described = {"name": cls.name, "title": cls.title, "description": cls.description,
                     "inputSchema": portable_schema(cls.input_schema),
                     "outputSchema": portable_schema(cls.output_schema),
                     "annotations": cls.annotations()}
        if cls.job_kind:
            described["execution"] = {"taskSupport": "optional"}
        return described


def portable_schema(schema: Any) -> Any:
    """A JSON Schema with every `"type": [X, "null"]` written as `anyOf` of single types,
    which strict validators and the LLM providers' schema dialects all accept."""
    if isinstance(schema, list):
        return [portable_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    portable = {}
    for key, value in schema.items():
        if key in SCHEMA_MAPS and isinstance(value, dict):
            portable[key] = {name: portable_schema(sub) for name, sub in value.items()}
        elif key in SCHEMA_KEYWORDS:
            portable[key] = portable_schema(value)
        else:
            portable[key] = value
    types = portable.get("type")
    if isinstance(types, list):
        del portable["type"]
        outer = {key: portable.pop(key) for key in ("title", "description", "default")
                 if key in portable}
        return {**outer, "anyOf": [{"type": kind, **(portable if kind != "null" else {})}
                                   for kind in types]}
    return portable


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def strip_secrets(value: Any) -> Any:
    """Arguments as they may be kept in the audit: secret-looking values masked."""
    if isinstance(value, dict):
        return {k: ("***" if any(s in k.lower() for s in SECRET_ARGUMENT_NAMES)
                    else strip_secrets(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value[:50]]
    if isinstance(value, str) and len(value) > 500:
        return value[:500] + "…"
    return value


@dataclass
class ToolRegistry:
    _tools: dict[str, type[Tool]] = field(default_factory=dict)
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict)

    def register(self, tool: type[Tool]) -> type[Tool]:
        if tool.name in self._tools and self._tools[tool.name] is not tool:
            raise ValueError(f"two tools are named {tool.name!r}")
        Draft202012Validator.check_schema(tool.input_schema)
        Draft202012Validator.check_schema(tool.output_schema)
        self._tools[tool.name] = tool
        self._validators[tool.name] = Draft202012Validator(tool.input_schema)
        return tool

    def all(self) -> list[type[Tool]]:
        return sorted(self._tools.values(), key=lambda tool: tool.name)

    def visible(self, scopes: frozenset[str]) -> list[type[Tool]]:
        """The tools a credential with these scopes may call."""
        return [tool for tool in self.all() if tool.scope in scopes]

    def visible_to(self, context: ToolContext) -> list[type[Tool]]:
        """The tools a caller may call: its rights and, when limited, its granted tools."""
        return [tool for tool in self.all() if context.may_use(tool)]

    def get(self, name: str) -> type[Tool]:
        tool = self._tools.get(name)
        if tool is None:
            raise ToolNotFound(f"There is no tool named {name!r}.")
        return tool

    def validate(self, name: str, arguments: Any) -> dict:
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ToolArgumentError("Tool arguments must be a JSON object.")
        errors = sorted(self._validators[name].iter_errors(arguments), key=lambda e: e.path)
        if errors:
            messages = []
            for error in errors[:5]:
                where = "/".join(str(p) for p in error.absolute_path) or "arguments"
                messages.append(f"{where}: {error.message}")
            raise ToolArgumentError("; ".join(messages))
        return arguments

    def call(self, name: str, arguments: Any, context: ToolContext) -> ToolResult:
        """Run a tool for a caller. Every failure comes back as an error result."""
        started = time.perf_counter()
        outcome, structured, code = "ok", None, None
        try:
            tool = self.get(name)
            if tool.scope not in context.scopes:
                raise ToolScopeDenied(f"The tool {name!r} writes; this credential can only read.")
            if not context.may_use(tool):
                raise ToolNotGranted(f"This connection was not granted the tool {name!r}.")
            arguments = self.validate(name, arguments)
            base_id = arguments.get("baseId")
            if isinstance(base_id, str) and not context.may_reach(base_id):
                raise BaseNotGranted(f"This connection was not granted the base {base_id}.")
            with tenant_context(context.tenant):
                structured = tool().run(context, arguments)
        except ApplicationError as error:
            outcome, code = "error", error.code
            structured = _error(error.code, error.detail)
        except Exception:
            logger.exception("tool %s failed", name)
            outcome, code = "error", "ERROR_TOOL_FAILED"
            structured = _error(code, "The tool failed unexpectedly; the failure was logged.")
        finally:
            connection.set_schema_to_public()
        duration = (time.perf_counter() - started) * 1000
        TOOL_CALLS.labels(name if name in self._tools else "unknown", context.channel,
                          outcome).inc()
        TOOL_SECONDS.labels(name if name in self._tools else "unknown").observe(duration / 1000)
        result = ToolResult(structured=structured, is_error=outcome != "ok", error_code=code,
                            duration_ms=duration)
        tool_called.send(sender=ToolRegistry, name=name, arguments=strip_secrets(arguments),
                         context=context, result=result)
        return result


tool_registry = ToolRegistry()
