"""OpenAI and every server that speaks its Chat Completions API (Ollama, vLLM,
llama.cpp, LM Studio), through the official `openai` SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache

import openai

from ..exceptions import (
    ProviderAuthFailed,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
)
from .base import (
    OPENAI,
    Completion,
    HistoryMessage,
    Provider,
    TextDelta,
    ToolCall,
    Usage,
    parse_arguments,
)

# Local servers ignore the key, but the SDK insists on one.
KEYLESS_PLACEHOLDER = "not-needed"
UPSTREAM_MESSAGE_CHARS = 300


def _upstream_message(error: openai.APIError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    message = body.get("message") if isinstance(body.get("message"), str) else error.message
    return (message or "").strip()[:UPSTREAM_MESSAGE_CHARS]


def translate_error(error: Exception, where: str) -> ProviderError:
    """The SDK's exception as the chat's own error, with what to do about it."""
    if isinstance(error, openai.APITimeoutError):
        return ProviderTimeout(f"{where} did not answer in time.")
    if isinstance(error, openai.APIConnectionError):
        return ProviderError(f"{where} could not be reached. Check the base URL.")
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderAuthFailed(
            f"{where} refused the API key (HTTP {error.status_code}: "
            f"{_upstream_message(error)}). Set a valid key in the chat settings or "
            "OPENAI_API_KEY.")
    if isinstance(error, openai.RateLimitError):
        retry_after = error.response.headers.get("retry-after")
        headers = {"Retry-After": retry_after} if retry_after and retry_after.isdigit() else {}
        return ProviderRateLimited(
            f"{where} is rate limiting this key ({_upstream_message(error)}). Try again "
            "shortly.", headers=headers)
    if isinstance(error, openai.APIStatusError):
        if error.status_code >= 500:
            return ProviderError(f"{where} failed (HTTP {error.status_code}: "
                                 f"{_upstream_message(error)}).")
        return ProviderRejected(f"{where} rejected the request (HTTP {error.status_code}: "
                                f"{_upstream_message(error)}).")
    if isinstance(error, openai.APIError):
        return ProviderError(f"{where} failed: {_upstream_message(error)}")
    return ProviderError(f"{where} sent an answer that could not be read.")


@lru_cache(maxsize=32)
def _client_for(api_key: str, base_url: str, timeout: float, retries: int) -> openai.OpenAI:
    """One client per endpoint and key, kept by the process: building one (its connection
    pool and TLS context) costs ~20 ms, and clients are safe to share between threads."""
    return openai.OpenAI(api_key=api_key or KEYLESS_PLACEHOLDER, base_url=base_url or None,
                         timeout=timeout, max_retries=retries)


class OpenAIProvider(Provider):
    name = OPENAI

    def _client(self) -> openai.OpenAI:
        return _client_for(self.config.api_key, self.config.base_url, self.config.timeout,
                           self.config.retries)

    @property
    def _where(self) -> str:
        return (f"The model server at {self.config.base_url}" if self.config.base_url
                else "OpenAI")

    @staticmethod
    def _messages(system: str, messages: list[HistoryMessage]) -> list[dict]:
        out: list[dict] = [{"role": "system", "content": system}]
        for message in messages:
            if message.role == "assistant":
                item: dict = {"role": "assistant", "content": message.content or None}
                if message.tool_calls:
                    item["tool_calls"] = [{
                        "id": call.id, "type": "function",
                        "function": {"name": call.name,
                                     "arguments": json.dumps(call.arguments or {})},
                    } for call in message.tool_calls]
                out.append(item)
            elif message.role == "tool":
                out.append({"role": "tool", "tool_call_id": message.tool_call_id,
                            "content": message.content})
            else:
                out.append({"role": "user", "content": message.content})
        return out

    def _request(self, system, messages, tools) -> dict:
        request: dict = {"model": self.config.model, "messages": self._messages(system, messages)}
        if tools:
            request["tools"] = [{"type": "function", "function": {
                "name": tool.name, "description": tool.description,
                "parameters": tool.parameters}} for tool in tools]
        return request

    def generate(self, *, system, messages, tools, stream) -> Iterator[TextDelta | Completion]:
        request = self._request(system, messages, tools)
        try:
            if stream:
                yield from self._stream(request, system, messages)
            else:
                yield from self._complete(request, system, messages)
        except (openai.OpenAIError, ValueError) as error:
            raise translate_error(error, self._where) from error

    def _complete(self, request, system, messages) -> Iterator[TextDelta | Completion]:
        response = self._client().chat.completions.create(**request)
        if not response.choices:
            raise ProviderError(f"{self._where} answered without a choice.")
        choice = response.choices[0]
        text = choice.message.content or ""
        calls = []
        for index, call in enumerate(choice.message.tool_calls or []):
            function = getattr(call, "function", None)
            if function is None:
                continue
            raw = function.arguments or ""
            arguments, problem = parse_arguments(raw)
            calls.append(ToolCall(id=call.id or f"call_{index}", name=function.name,
                                  arguments=arguments, raw_arguments=raw,
                                  argument_error=problem))
        if text:
            yield TextDelta(text)
        usage = (Usage(prompt_tokens=response.usage.prompt_tokens or 0,
                       completion_tokens=response.usage.completion_tokens or 0)
                 if response.usage else self.estimate_usage(system, messages, text, calls))
        yield Completion(text=text, tool_calls=calls, usage=usage,
                         finish_reason=choice.finish_reason or "", model=response.model or "")

    def _stream(self, request, system, messages) -> Iterator[TextDelta | Completion]:
        response = self._client().chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True})
        text: list[str] = []
        slots: dict[int, dict] = {}
        usage = None
        finish_reason = ""
        model = ""
        try:
            for chunk in response:
                model = chunk.model or model
                if chunk.usage:
                    usage = Usage(prompt_tokens=chunk.usage.prompt_tokens or 0,
                                  completion_tokens=chunk.usage.completion_tokens or 0)
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        text.append(delta.content)
                        yield TextDelta(delta.content)
                    for position, piece in enumerate((delta.tool_calls if delta else None) or []):
                        index = piece.index if piece.index is not None else position
                        slot = slots.setdefault(index, {"id": "", "name": "", "arguments": []})
                        if piece.id:
                            slot["id"] = piece.id
                        if piece.function is not None:
                            if piece.function.name and not slot["name"]:
                                slot["name"] = piece.function.name
                            if piece.function.arguments:
                                slot["arguments"].append(piece.function.arguments)
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
        finally:
            response.close()
        calls = []
        for index in sorted(slots):
            slot = slots[index]
            raw = "".join(slot["arguments"])
            arguments, problem = parse_arguments(raw)
            calls.append(ToolCall(id=slot["id"] or f"call_{index}", name=slot["name"],
                                  arguments=arguments, raw_arguments=raw, argument_error=problem))
        answer = "".join(text)
        yield Completion(text=answer, tool_calls=calls,
                         usage=usage or self.estimate_usage(system, messages, answer, calls),
                         finish_reason=finish_reason, model=model)
