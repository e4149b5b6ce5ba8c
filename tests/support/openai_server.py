"""A scripted OpenAI-compatible server: a real HTTP server on 127.0.0.1 speaking the Chat
Completions protocol, for tests of code that uses the `openai` SDK.

    server = ScriptedOpenAI().start()
    server.plan(tool_call_reply(call("whoami", {})), text_reply("You are alpha."))
    ... OpenAI(base_url=server.url, api_key="sk-test") ...
    server.requests[1]["body"]["messages"]   # what the client sent back, tool results included
    server.stop()

Each POST /v1/chat/completions takes the next planned reply. Streaming answers are
sent as OpenAI sends them: `data: {chat.completion.chunk}` lines over chunked transfer
encoding, tool calls as deltas (index, id, function.name, then the arguments in pieces),
the finish reason in its own chunk, usage in a last chunk with no choices when the
request set stream_options.include_usage, then `data: [DONE]`. Error replies carry
OpenAI's error bodies; a hanging reply answers nothing until the client gives up.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.scripted import ScriptedHandler, ScriptedServer

ERROR_BODIES = {
    401: {"message": "Incorrect API key provided: sk-te****. You can find your API key at "
                     "https://platform.openai.com/account/api-keys.",
          "type": "invalid_request_error", "param": None, "code": "invalid_api_key"},
    429: {"message": "Rate limit reached for gpt-4o-mini on tokens per min (TPM): Limit "
                     "200000, Used 199990, Requested 500. Please try again in 1s.",
          "type": "tokens", "param": None, "code": "rate_limit_exceeded"},
    500: {"message": "The server had an error while processing your request. Sorry about that!",
          "type": "server_error", "param": None, "code": None},
}


@dataclass
class PlannedCall:
    name: str
    arguments: Any  # a dict (sent as JSON) or a raw string (sent as it is, e.g. malformed)
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")

    @property
    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[PlannedCall] = field(default_factory=list)
    prompt_tokens: int = 20
    completion_tokens: int = 10
    report_usage: bool = True
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0  # say nothing this long before answering
    stall_after_chunks: int | None = None  # streaming: send this many chunks, then hang
    chunk_delay: float = 0.0


def call(name: str, arguments: Any, id: str | None = None) -> PlannedCall:
    return PlannedCall(name=name, arguments=arguments, **({"id": id} if id else {}))


def text_reply(text: str, **options) -> Reply:
    return Reply(text=text, **options)


def tool_call_reply(*calls: PlannedCall, text: str = "", **options) -> Reply:
    return Reply(text=text, tool_calls=list(calls), **options)


def error_reply(status: int, **options) -> Reply:
    headers = {"retry-after": "1"} if status == 429 else {}
    return Reply(status=status, headers={**headers, **options.pop("headers", {})}, **options)


def hang_reply(seconds: float = 30.0) -> Reply:
    return Reply(text="too late", hang_seconds=seconds)


def _pieces(text: str, size: int = 6) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or []


class _Handler(ScriptedHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        owner = self.server.owner
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"Unknown path {self.path}",
                                       "type": "invalid_request_error"}})
            return
        body = json.loads(raw or b"{}")
        reply = owner.accept(self, body)
        try:
            if reply.status != 200:
                self._json(reply.status, {"error": ERROR_BODIES.get(
                    reply.status, {"message": "error", "type": "server_error"})},
                    reply.headers)
            elif body.get("stream"):
                self._stream(body, reply)
            else:
                self._complete(body, reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout, a stop): nothing to answer

    def _usage(self, reply: Reply) -> dict:
        return {"prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0,
                                              "rejected_prediction_tokens": 0}}

    def _complete(self, body: dict, reply: Reply) -> None:
        message: dict = {"role": "assistant", "content": reply.text or None, "refusal": None,
                         "annotations": []}
        if reply.tool_calls:
            message["tool_calls"] = [{"id": c.id, "type": "function", "function": {
                "name": c.name, "arguments": c.arguments_text}} for c in reply.tool_calls]
        answer = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", ""),
            "system_fingerprint": "fp_scripted", "service_tier": "default",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        }
        if reply.report_usage:
            answer["usage"] = self._usage(reply)
        self._json(200, answer)

    def _chunks(self, body: dict, reply: Reply) -> list[dict]:
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model", ""),
                "system_fingerprint": "fp_scripted", "service_tier": "default"}

        def chunk(delta: dict, finish: str | None = None) -> dict:
            item = {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                         "finish_reason": finish}]}
            if include_usage:
                item["usage"] = None
            return item

        chunks = [chunk({"role": "assistant", "content": "", "refusal": None})]
        chunks += [chunk({"content": piece}) for piece in _pieces(reply.text)]
        for index, planned in enumerate(reply.tool_calls):
            chunks.append(chunk({"tool_calls": [{
                "index": index, "id": planned.id, "type": "function",
                "function": {"name": planned.name, "arguments": ""}}]}))
            chunks += [chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                       for piece in _pieces(planned.arguments_text, 7)]
        chunks.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        if include_usage and reply.report_usage:
            chunks.append({**base, "choices": [], "usage": self._usage(reply)})
        return chunks

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, body: dict, reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for number, item in enumerate(self._chunks(body, reply)):
            if reply.stall_after_chunks is not None and number >= reply.stall_after_chunks:
                self.close_connection = True
                self.server.owner.released.wait(60)
                return
            self._send_chunk(f"data: {json.dumps(item)}\n\n".encode())
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)
        self._send_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class ScriptedOpenAI(ScriptedServer):
    handler = _Handler
    path_prefix = "/v1"

    def unplanned_reply(self) -> Reply:
        return Reply(status=500)
