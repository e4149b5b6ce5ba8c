"""The JSON shapes of conversations and messages, shared by REST, SSE and WebSocket."""

from __future__ import annotations

from .models import Conversation, Message


def _money(value) -> float:
    return float(round(value or 0, 6))


def usage_json(*, prompt_tokens: int, completion_tokens: int, cost) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens, "cost": _money(cost)}


def conversation_json(conversation: Conversation) -> dict:
    return {
        "id": str(conversation.id),
        "title": conversation.title,
        "provider": conversation.provider,
        "model": conversation.model,
        "usage": usage_json(prompt_tokens=conversation.prompt_tokens,
                            completion_tokens=conversation.completion_tokens,
                            cost=conversation.cost),
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
    }


def message_json(message: Message) -> dict:
    data = {
        "id": str(message.id),
        "role": message.role,
        "content": message.content,
        "tool_calls": [{"id": call.get("id"), "name": call.get("name"),
                        "arguments": call.get("arguments")}
                       for call in message.tool_calls] if message.tool_calls else None,
        "usage": None,
        "error": ({"code": message.error_code, "message": message.error}
                  if message.error_code else None),
        "turn_id": str(message.turn_id) if message.turn_id else None,
        "created_at": message.created_at.isoformat(),
    }
    if message.role == Message.Role.ASSISTANT:
        data["usage"] = {
            **usage_json(prompt_tokens=message.prompt_tokens,
                         completion_tokens=message.completion_tokens, cost=message.cost),
            "estimated": message.usage_estimated, "latency_ms": message.latency_ms,
            "model": message.model, "provider": message.provider,
        }
        data["sources"] = message.sources or []
    if message.role == Message.Role.TOOL:
        data.update({"tool_call_id": message.tool_call_id, "name": message.tool_name,
                     "result": message.tool_result, "is_error": message.is_error,
                     "latency_ms": message.latency_ms})
    return data
