"""One interface for every language model provider.

A provider turns the conversation (a system prompt, the history and the tools
the caller may use) into one model call. `generate()` yields `TextDelta`s as
the answer streams and then exactly one `Completion` holding the whole text,
the tool calls the model asks for and the token usage. Closing the generator
closes the provider's stream. Failures are raised as the chat's
`ProviderError` subclasses, never as the SDK's own exceptions.
"""

from __future__ import annotations

import abc
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

OPENAI = "openai"
GEMINI = "gemini"
PROVIDERS = (OPENAI, GEMINI)


@dataclass(frozen=True)
class ProviderConfig:
    """Which provider and model a call goes to, and how to reach it."""

    provider: str
    model: str
    api_key: str = ""
    base_url: str = ""
    timeout: float = 60.0
    retries: int = 1


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict


@dataclass
class ToolCall:
    """A call the model asked for. `arguments` is None when the model sent arguments that
    are not a JSON object; `argument_error` says why."""

    id: str
    name: str
    arguments: dict | None
    raw_arguments: str = ""
    argument_error: str | None = None
    # What a provider needs echoed back with the call in later requests
    # (Gemini's thought signatures).
    provider_data: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.argument_error:
            data["raw_arguments"] = self.raw_arguments[:2000]
            data["argument_error"] = self.argument_error
        if self.provider_data:
            data["provider_data"] = self.provider_data
        return data

    @classmethod
    def from_json(cls, data: dict) -> ToolCall:
        return cls(id=data.get("id", ""), name=data.get("name", ""),
                   arguments=data.get("arguments"), raw_arguments=data.get("raw_arguments", ""),
                   argument_error=data.get("argument_error"),
                   provider_data=data.get("provider_data") or {})


def parse_arguments(raw: str) -> tuple[dict | None, str | None]:
    """Arguments as the model streamed them: a JSON object, or None and the reason."""
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        return None, f"The arguments are not valid JSON ({error.msg} at character {error.pos})."
    if not isinstance(value, dict):
        return None, "The arguments must be a JSON object."
    return value, None


@dataclass(frozen=True)
class HistoryMessage:
    """A message of the conversation as providers see it."""

    role: str  # "user", "assistant" or "tool"
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str = ""
    name: str = ""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False


def estimate_tokens(text: str) -> int:
    """About four characters a token: for servers that report no usage."""
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass
class Completion:
    text: str
    tool_calls: list[ToolCall]
    usage: Usage
    finish_reason: str = ""
    model: str = ""


class Provider(abc.ABC):
    name: ClassVar[str]

    def __init__(self, config: ProviderConfig):
        self.config = config

    @abc.abstractmethod
    def generate(self, *, system: str, messages: list[HistoryMessage], tools: list[ToolSpec],
                 stream: bool) -> Iterator[TextDelta | Completion]:
        """Yield the answer's text as it comes, then one Completion."""

    @staticmethod
    def estimate_usage(system: str, messages: list[HistoryMessage], text: str,
                       tool_calls: list[ToolCall]) -> Usage:
        prompt = system + "".join(m.content for m in messages)
        completion = text + "".join(call.raw_arguments for call in tool_calls)
        return Usage(prompt_tokens=estimate_tokens(prompt),
                     completion_tokens=estimate_tokens(completion), estimated=True)
