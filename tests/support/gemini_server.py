"""A scripted Gemini API server: a real HTTP server on 127.0.0.1 speaking the Gemini
Developer API as the `google-genai` SDK calls it, for tests of code that uses it.

    server = ScriptedGemini().start()
    server.plan(gemini_tool_call_reply(gemini_call("whoami", {})), gemini_text_reply("Hi"))
    genai.Client(api_key="k", http_options=types.HttpOptions(base_url=server.url))

POST /v1beta/models/{model}:generateContent (or /v1/…, this SDK's default) answers one
GenerateContentResponse; POST …:streamGenerateContent?alt=sse answers the same as
Server-Sent Events, the text in several chunks, function calls whole in one chunk
(as Gemini sends them), usageMetadata on every chunk and the finish reason on the
last. Function call parts carry a thoughtSignature, which a client must send back
with the call in its next request. Errors use Google's error bodies
({"error": {"code", "message", "status"}}).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.scripted import ScriptedHandler, ScriptedServer

ERRORS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "API key not valid. Please pass a valid API key."),
    403: ("PERMISSION_DENIED", "Permission denied: Consumer has been suspended."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "An internal error has occurred. Please retry or report it."),
}
PATH = re.compile(r"^/v1(beta)?/models/(?P<model>[^:/]+):(?P<method>generateContent|"
                  r"streamGenerateContent)(\?.*)?$")


@dataclass
class GeminiCall:
    name: str
    args: Any
    id: str | None = None  # the Gemini API leaves it out unless asked
    signature: bytes = field(default_factory=lambda: uuid.uuid4().bytes)


@dataclass
class GeminiReply:
    text: str = ""
    calls: list[GeminiCall] = field(default_factory=list)
    prompt_tokens: int = 30
    completion_tokens: int = 12
    thoughts_tokens: int = 0
    status: int = 200
    hang_seconds: float = 0.0
    stall_after_chunks: int | None = None


def gemini_call(name: str, args: Any, id: str | None = None) -> GeminiCall:
    return GeminiCall(name=name, args=args, id=id)


def gemini_text_reply(text: str, **options) -> GeminiReply:
    return GeminiReply(text=text, **options)


def gemini_tool_call_reply(*calls: GeminiCall, text: str = "", **options) -> GeminiReply:
    return GeminiReply(text=text, calls=list(calls), **options)


def gemini_error_reply(status: int) -> GeminiReply:
    return GeminiReply(status=status)


def gemini_hang_reply(seconds: float = 30.0) -> GeminiReply:
    return GeminiReply(text="too late", hang_seconds=seconds)


class _Handler(ScriptedHandler):
    json_content_type = "application/json; charset=UTF-8"

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = PATH.match(self.path)
        owner = self.server.owner
        if not match:
            self._json(404, {"error": {"code": 404, "message": f"Unknown path {self.path}",
                                       "status": "NOT_FOUND"}})
            return
        body = json.loads(raw or b"{}")
        reply = owner.accept(self, body)
        try:
            if reply.status != 200:
                status, message = ERRORS.get(reply.status, ("UNKNOWN", "error"))
                self._json(reply.status, {"error": {"code": reply.status, "message": message,
                                                    "status": status}})
            elif match["method"] == "streamGenerateContent":
                self._stream(match["model"], reply)
            else:
                self._json(200, self._response(match["model"], reply, reply.text, reply.calls,
                                               final=True))
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _response(model: str, reply: GeminiReply, text: str, calls: list[GeminiCall],
                  final: bool) -> dict:
        parts: list[dict] = [{"text": text}] if text else []
        for planned in calls:
            function_call = {"name": planned.name, "args": planned.args}
            if planned.id:
                function_call["id"] = planned.id
            parts.append({"functionCall": function_call,
                          "thoughtSignature": base64.b64encode(planned.signature).decode()})
        candidate: dict = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if final:
            candidate["finishReason"] = "STOP"
        usage = {"promptTokenCount": reply.prompt_tokens,
                 "candidatesTokenCount": reply.completion_tokens,
                 "totalTokenCount": reply.prompt_tokens + reply.completion_tokens
                 + reply.thoughts_tokens}
        if reply.thoughts_tokens:
            usage["thoughtsTokenCount"] = reply.thoughts_tokens
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": model,
                "responseId": uuid.uuid4().hex[:20]}

    def _stream(self, model: str, reply: GeminiReply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = [reply.text[i:i + 8] for i in range(0, len(reply.text), 8)]
        chunks = [self._response(model, reply, piece, [], final=False) for piece in pieces]
        chunks.append(self._response(model, reply, "", reply.calls, final=True))
        for number, item in enumerate(chunks):
            if reply.stall_after_chunks is not None and number >= reply.stall_after_chunks:
                self.close_connection = True
                self.server.owner.released.wait(60)
                return
            data = f"data: {json.dumps(item)}\r\n\r\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class ScriptedGemini(ScriptedServer):
    handler = _Handler
    path_prefix = ""

    def unplanned_reply(self) -> GeminiReply:
        return GeminiReply(status=500)
