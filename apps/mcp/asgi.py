"""The `/mcp` endpoint in front of the SDK: Origin check and authentication.

The credential (API key or JWT) picks the tenant; without one the answer is
401 with WWW-Authenticate, as the MCP authorization spec asks.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from starlette.datastructures import Headers

from apps.core.exceptions import ApplicationError

from .server import CONTEXT_SCOPE_KEY, session_manager
from .services import mcp_caller_resolve


async def _refuse(send, status: int, code: str, message: str, extra_headers=()) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None,
                       "error": {"code": -32001, "message": message, "data": {"code": code}}}
                      ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """Browsers send Origin; a page of another site must not drive the tools (DNS rebinding)."""
    if not origin:
        return True
    if origin in settings.MCP_ALLOWED_ORIGINS:
        return True
    parsed = urlsplit(origin)
    return bool(host) and parsed.netloc == host and parsed.scheme in ("http", "https")


async def mcp_endpoint(scope, receive, send) -> None:
    headers = Headers(scope=scope)
    if not origin_allowed(headers.get("origin"), headers.get("host")):
        await _refuse(send, 403, "ERROR_ORIGIN_NOT_ALLOWED", "This Origin may not use /mcp.")
        return
    if scope["method"] == "OPTIONS":
        await _refuse(send, 405, "ERROR_METHOD_NOT_ALLOWED", "Use POST.")
        return
    try:
        context = await sync_to_async(mcp_caller_resolve, thread_sensitive=False)(headers)
    except ApplicationError as error:
        extra = [(b"www-authenticate",
                  b'Bearer realm="mcp", error="invalid_token"')] if error.status == 401 else []
        extra += [(name.lower().encode(), str(value).encode())
                  for name, value in error.headers.items()]
        await _refuse(send, error.status, error.code, error.detail, extra)
        return
    scope = {**scope, CONTEXT_SCOPE_KEY: context}
    await session_manager.handle_request(scope, receive, send)
