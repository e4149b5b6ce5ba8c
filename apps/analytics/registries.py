"""The kinds of analytics event, one class each, in one registry.

An event type names the keys its `data` may hold (everything else a caller
passes is dropped before the event is buffered: no row values, no tool
arguments can reach the table) and says what the event adds to the rollups
the dashboard reads. Rollup rows are keyed by (type, dim): `dim` is the one
bounded dimension of that rollup (a route, a tool, a model, a table).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

# Upper bounds (ms) of the latency histogram kept in each rollup row; the last is +inf.
LATENCY_BOUNDS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000,
                     60_000, float("inf"))


def latency_slot(duration_ms: float) -> int:
    return bisect.bisect_left(LATENCY_BOUNDS_MS, max(0.0, duration_ms))


@dataclass(frozen=True)
class Contribution:
    """What one event adds to one rollup row."""

    type: str
    dim: str = ""
    count: int = 1
    errors: int = 0
    value1: int = 0
    value2: int = 0
    amount: Decimal = Decimal(0)
    duration_ms: float | None = None


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _float(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except ArithmeticError:
        return Decimal(0)


class EventType:
    type: ClassVar[str]
    # The only keys an event of this type keeps, each clipped to a short text or number.
    fields: ClassVar[tuple[str, ...]]
    # Counts towards active users when the event has a user.
    counts_activity: ClassVar[bool] = True

    def clean(self, data: dict) -> dict:
        kept = {}
        for key in self.fields:
            value = data.get(key)
            if value is None:
                continue
            if isinstance(value, bool | int | float):
                kept[key] = value
            elif isinstance(value, Decimal):
                kept[key] = float(value)
            else:
                kept[key] = str(value)[:200]
        return kept

    def contributions(self, data: dict) -> Iterator[Contribution]:
        yield Contribution(type=self.type)


class ApiRequest(EventType):
    type = "api.request"
    fields = ("method", "route", "status", "duration_ms", "base_id", "table")

    def contributions(self, data):
        status = _int(data.get("status"))
        yield Contribution(type=self.type, dim=f"{data.get('method', '')} {data.get('route', '')}",
                           errors=int(status >= 500), value1=int(400 <= status < 500),
                           duration_ms=_float(data.get("duration_ms")))
        if data.get("table"):
            yield Contribution(type="table.query", dim=f"{data.get('base_id', '')}/{data['table']}")


class Login(EventType):
    type = "auth.login"
    fields = ("method",)

    def contributions(self, data):
        yield Contribution(type=self.type, dim=str(data.get("method", "")))


class ToolCall(EventType):
    type = "tool.call"
    fields = ("tool", "channel", "outcome", "error_code", "duration_ms")

    def contributions(self, data):
        yield Contribution(type=self.type, dim=str(data.get("tool", "")),
                           errors=int(data.get("outcome") != "ok"),
                           duration_ms=_float(data.get("duration_ms")))


class LlmUsage(EventType):
    type = "llm.usage"
    fields = ("provider", "model", "prompt_tokens", "completion_tokens", "cost", "status",
              "latency_ms", "rounds", "tool_calls")

    def contributions(self, data):
        yield Contribution(type=self.type,
                           dim=f"{data.get('provider', '')}/{data.get('model', '')}",
                           errors=int(data.get("status") == "error"),
                           value1=_int(data.get("prompt_tokens")),
                           value2=_int(data.get("completion_tokens")),
                           amount=_decimal(data.get("cost")),
                           duration_ms=_float(data.get("latency_ms")))


class SyncRun(EventType):
    type = "sync.run"
    fields = ("base_id", "status", "full", "records", "duration_ms", "requests", "rate_limited")
    counts_activity = False

    def contributions(self, data):
        yield Contribution(type=self.type, dim=str(data.get("status", "")),
                           errors=int(data.get("status") == "failed"),
                           value1=_int(data.get("records")), value2=_int(data.get("rate_limited")),
                           duration_ms=_float(data.get("duration_ms")))


class FileUploaded(EventType):
    type = "file.uploaded"
    fields = ("format", "size")

    def contributions(self, data):
        yield Contribution(type=self.type, dim=str(data.get("format", "")),
                           amount=_decimal(data.get("size")))


class FileExtracted(EventType):
    type = "file.extracted"
    fields = ("format", "outcome", "duration_ms")
    counts_activity = False

    def contributions(self, data):
        yield Contribution(type=self.type, dim=str(data.get("format", "")),
                           errors=int(data.get("outcome") != "processed"),
                           duration_ms=_float(data.get("duration_ms")))


class FileImported(EventType):
    type = "file.imported"
    fields = ("status", "created", "failed")

    def contributions(self, data):
        yield Contribution(type=self.type, dim=str(data.get("status", "")),
                           errors=int(data.get("status") == "failed"),
                           value1=_int(data.get("created")), value2=_int(data.get("failed")))


class WorkflowRun(EventType):
    type = "workflow.run"
    fields = ("workflow_id", "workflow_name", "status", "duration_ms", "trigger")
    counts_activity = False

    def contributions(self, data):
        failed = int(data.get("status") == "failed")
        duration = _float(data.get("duration_ms"))
        yield Contribution(type=self.type, dim=str(data.get("status", "")), errors=failed,
                           duration_ms=duration)
        yield Contribution(type="workflow.by_workflow",
                           dim=str(data.get("workflow_name") or data.get("workflow_id", "")),
                           errors=failed)


class EventTypeRegistry:
    def __init__(self):
        self._types: dict[str, EventType] = {}

    def register(self, event_type: type[EventType]) -> type[EventType]:
        if event_type.type in self._types:
            raise ValueError(f"two event types are named {event_type.type!r}")
        self._types[event_type.type] = event_type()
        return event_type

    def get(self, name: str) -> EventType | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)


event_types = EventTypeRegistry()
for _kind in (ApiRequest, Login, ToolCall, LlmUsage, SyncRun, FileUploaded, FileExtracted,
              FileImported, WorkflowRun):
    event_types.register(_kind)
