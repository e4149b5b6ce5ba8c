"""Google Gemini through the `google-genai` SDK (`from google import genai`)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterator
from contextlib import closing
from functools import lru_cache

import httpx
import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..exceptions import (
    ProviderAuthFailed,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
)
from .base import (
    GEMINI,
    Completion,
    HistoryMessage,
    Provider,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)

UPSTREAM_MESSAGE_CHARS = 300
TIMEOUTS = (httpx.TimeoutException, httpx2.TimeoutException)
TRANSPORT_ERRORS = (httpx.TransportError, httpx2.TransportError)
# Gemini accepts this subset of JSON Schema's keywords in function parameters.
SCHEMA_KEYS_DROPPED = ("$schema", "$id", "additionalProperties")
LOCAL_ID_PREFIX = "local_"


def translate_error(error: Exception, where: str) -> ProviderError:
    if isinstance(error, TIMEOUTS):
        return ProviderTimeout(f"{where} did not answer in time.")
    if isinstance(error, TRANSPORT_ERRORS):
        return ProviderError(f"{where} could not be reached. Check the base URL.")
    if isinstance(error, genai_errors.APIError):
        message = (error.message or error.status or "").strip()[:UPSTREAM_MESSAGE_CHARS]
        code = error.code or 0
        if code in (401, 403) or error.status in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
            return ProviderAuthFailed(
                f"{where} refused the API key (HTTP {code}: {message}). Set a valid key in the "
                "chat settings or GEMINI_API_KEY.")
        if code == 429:
            return ProviderRateLimited(f"{where} is rate limiting this key ({message}). Try "
                                       "again shortly.")
        if code >= 500:
            return ProviderError(f"{where} failed (HTTP {code}: {message}).")
        return ProviderRejected(f"{where} rejected the request (HTTP {code}: {message}).")
    return ProviderError(f"{where} sent an answer that could not be read.")


def _clean_schema(schema):
    """A tool's JSON Schema with the keywords Gemini refuses taken out."""
    if isinstance(schema, dict):
        return {key: _clean_schema(value) for key, value in schema.items()
                if key not in SCHEMA_KEYS_DROPPED}
    if isinstance(schema, list):
        return [_clean_schema(item) for item in schema]
    return schema


def _signature(call: ToolCall) -> bytes | None:
    encoded = call.provider_data.get("thought_signature")
    if not encoded:
        return None
    try:
        return base64.b64decode(encoded)
    except (binascii.Error, ValueError):
        return None


def _sent_id(call: ToolCall) -> str | None:
    """Ids the chat made up for calls Gemini sent without one are not sent back."""
    return None if call.id.startswith(LOCAL_ID_PREFIX) else call.id


def _tool_response(content: str) -> dict:
    try:
        value = json.loads(content)
    except json.JSONDecodeError:
        return {"result": content}
    if isinstance(value, dict) and "error" in value and len(value) == 1:
        return {"error": value["error"]}
    return {"result": value}


@lru_cache(maxsize=32)
def _client_for(api_key: str, base_url: str, timeout: float, retries: int) -> genai.Client:
    """One client per endpoint and key, kept by the process (see openai.py)."""
    options = types.HttpOptions(timeout=int(timeout * 1000))
    if base_url:
        options.base_url = base_url
    if retries:
        options.retry_options = types.HttpRetryOptions(attempts=retries + 1,
                                                       initial_delay=0.5, max_delay=4.0)
    return genai.Client(api_key=api_key or "not-needed", vertexai=False, http_options=options)


def _once(response: types.GenerateContentResponse) -> Iterator[types.GenerateContentResponse]:
    yield response


class GeminiProvider(Provider):
    name = GEMINI

    def _client(self) -> genai.Client:
        return _client_for(self.config.api_key, self.config.base_url, self.config.timeout,
                           self.config.retries)

    @property
    def _where(self) -> str:
        return (f"The Gemini server at {self.config.base_url}" if self.config.base_url
                else "Gemini")

    @staticmethod
    def _contents(messages: list[HistoryMessage]) -> list[types.Content]:
        contents: list[types.Content] = []
        for message in messages:
            if message.role == "assistant":
                parts = [types.Part(text=message.content)] if message.content else []
                for call in message.tool_calls:
                    parts.append(types.Part(
                        function_call=types.FunctionCall(id=_sent_id(call), name=call.name,
                                                         args=call.arguments or {}),
                        thought_signature=_signature(call)))
                if parts:
                    contents.append(types.Content(role="model", parts=parts))
            elif message.role == "tool":
                part = types.Part(function_response=types.FunctionResponse(
                    id=None if message.tool_call_id.startswith(LOCAL_ID_PREFIX)
                    else message.tool_call_id, name=message.name,
                    response=_tool_response(message.content)))
                # All answers to one model turn's calls go back in one user turn.
                if contents and contents[-1].role == "user" and contents[-1].parts and \
                        contents[-1].parts[0].function_response is not None:
                    contents[-1].parts.append(part)
                else:
                    contents.append(types.Content(role="user", parts=[part]))
            else:
                contents.append(types.Content(role="user", parts=[types.Part(
                    text=message.content)]))
        return contents

    @staticmethod
    def _config(system: str, tools: list[ToolSpec]) -> types.GenerateContentConfig:
        config = types.GenerateContentConfig(
            system_instruction=system,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
        if tools:
            config.tools = [types.Tool(function_declarations=[
                types.FunctionDeclaration(name=tool.name, description=tool.description,
                                          parameters_json_schema=_clean_schema(tool.parameters))
                for tool in tools])]
        return config

    def generate(self, *, system, messages, tools, stream) -> Iterator[TextDelta | Completion]:
        request = {"model": self.config.model, "contents": self._contents(messages),
                   "config": self._config(system, tools)}
        text: list[str] = []
        calls: list[ToolCall] = []
        usage = None
        finish_reason = ""
        model = ""
        try:
            client = self._client()  # shared by the process: closing it would end it for all
            responses = (client.models.generate_content_stream(**request) if stream
                         else _once(client.models.generate_content(**request)))
            with closing(responses):  # a turn stopped mid-stream closes the stream
                for response in responses:
                    model = response.model_version or model
                    if response.usage_metadata is not None:
                        meta = response.usage_metadata
                        usage = Usage(prompt_tokens=meta.prompt_token_count or 0,
                                      completion_tokens=(meta.candidates_token_count or 0)
                                      + (meta.thoughts_token_count or 0))
                    for candidate in response.candidates or []:
                        if candidate.finish_reason:
                            finish_reason = str(candidate.finish_reason.value
                                                if hasattr(candidate.finish_reason, "value")
                                                else candidate.finish_reason)
                        parts = candidate.content.parts if candidate.content else None
                        for part in parts or []:
                            if part.function_call is not None:
                                calls.append(self._call(part, len(calls)))
                            elif part.text and not part.thought:
                                text.append(part.text)
                                yield TextDelta(part.text)
        except (genai_errors.APIError, *TIMEOUTS, *TRANSPORT_ERRORS, ValueError) as error:
            raise translate_error(error, self._where) from error
        answer = "".join(text)
        yield Completion(text=answer, tool_calls=calls,
                         usage=usage or self.estimate_usage(system, messages, answer, calls),
                         finish_reason=finish_reason, model=model)

    @staticmethod
    def _call(part: types.Part, index: int) -> ToolCall:
        function_call = part.function_call
        arguments = function_call.args if function_call.args is not None else {}
        provider_data = {}
        if part.thought_signature:
            provider_data["thought_signature"] = base64.b64encode(
                part.thought_signature).decode()
        problem = None if isinstance(arguments, dict) else "The arguments must be an object."
        return ToolCall(id=function_call.id or f"{LOCAL_ID_PREFIX}{uuid.uuid4().hex[:12]}_{index}",
                        name=function_call.name or "",
                        arguments=arguments if isinstance(arguments, dict) else None,
                        raw_arguments=json.dumps(arguments, default=str),
                        argument_error=problem, provider_data=provider_data)
