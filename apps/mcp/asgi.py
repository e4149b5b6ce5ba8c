"""The `/mcp` endpoint in front of the SDK: Origin check, authentication and
the transport answers a stateless server gives itself.

The credential (API key or JWT) picks the tenant; without one the answer is
401 with WWW-Authenticate, as the MCP authorization spec asks. The server
keeps no sessions and opens no server-to-client stream, so GET and DELETE
answer 405; a JSON-RPC batch (removed from the protocol) answers -32600 and an
MCP-Protocol-Version this server does not speak answers -32022 naming the
versions it does.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from mcp_types import INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION
from mcp_types.version import KNOWN_PROTOCOL_VERSIONS
from starlette.datastructures import Headers

from apps.core.exceptions import ApplicationError

from .server import CONTEXT_SCOPE_KEY, session_manager
from .services import mcp_caller_resolve

# A request body larger than this is refused before it is parsed.
MAX_BODY_BYTES = 20 * 1024 * 1024


async def _refuse(send, status: int, code: str, message: str, extra_headers=(), *,
                  rpc_code: int = -32001, data: dict | None = None, rpc_id=None) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": rpc_id,
                       "error": {"code": rpc_code, "message": message,
                                 "data": {"code": code, **(data or {})}}}).encode()
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


def public_origin(scope, headers: Headers) -> str:
    """scheme://host as the client reached us (behind the proxy that terminates TLS)."""
    scheme = scope.get("scheme", "http")
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy and headers.get(proxy[0].removeprefix("HTTP_").replace("_", "-")) == proxy[1]:
        scheme = "https"
    return f"{scheme}://{headers.get('host', 'localhost')}"


def challenge(origin: str, headers: Headers) -> str:
    """RFC 9728: the 401 names the protected-resource metadata, where OAuth starts."""
    error = ',error="invalid_token"' if headers.get("authorization") or \
        headers.get("x-api-key") else ""
    return (f'Bearer realm="mcp"{error},'
            f'resource_metadata="{origin}/.well-known/oauth-protected-resource/mcp"')


async def mcp_endpoint(scope, receive, send) -> None:
    headers = Headers(scope=scope)
    if not origin_allowed(headers.get("origin"), headers.get("host")):
        await _refuse(send, 403, "ERROR_ORIGIN_NOT_ALLOWED", "This Origin may not use /mcp.")
        return
    if scope["method"] != "POST":
        await _refuse(send, 405, "ERROR_METHOD_NOT_ALLOWED",
                      "This server is stateless: send every message as a POST; it opens no "
                      "stream and keeps no session.", [(b"allow", b"POST")])
        return
    origin = public_origin(scope, headers)
    try:
        context = await sync_to_async(mcp_caller_resolve, thread_sensitive=False)(
            headers, f"{origin}/mcp")
    except ApplicationError as error:
        extra = [(b"www-authenticate", challenge(origin, headers).encode())] \
            if error.status == 401 else []
        extra += [(name.lower().encode(), str(value).encode())
                  for name, value in error.headers.items()]
        await _refuse(send, error.status, error.code, error.detail, extra)
        return
    body = await _body(receive)
    if body is None:
        await _refuse(send, 413, "ERROR_REQUEST_TOO_LARGE",
                      f"A request body may have at most {MAX_BODY_BYTES} bytes.")
        return
    if await _transport_refused(headers, body, send):
        return
    scope = {**scope, CONTEXT_SCOPE_KEY: context}
    await session_manager.handle_request(scope, _replay(body), send)


async def _body(receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _transport_refused(headers: Headers, body: bytes, send) -> bool:
    """Answer what the SDK would answer obscurely: a batch, an unknown protocol version."""
    try:
        message = json.loads(body)
    except ValueError:
        return False  # the SDK answers a parse error itself
    if isinstance(message, list):
        await _refuse(send, 400, "ERROR_BATCH_NOT_SUPPORTED",
                      "JSON-RPC batches are not supported: send one message per request.",
                      rpc_code=INVALID_REQUEST)
        return True
    version = headers.get("mcp-protocol-version")
    if version is not None and version not in KNOWN_PROTOCOL_VERSIONS:
        await _refuse(send, 400, "ERROR_PROTOCOL_VERSION",
                      f"Unsupported MCP-Protocol-Version {version[:40]!r}: this server speaks "
                      f"{', '.join(KNOWN_PROTOCOL_VERSIONS)}.",
                      rpc_code=UNSUPPORTED_PROTOCOL_VERSION,
                      data={"supported": list(KNOWN_PROTOCOL_VERSIONS), "requested": version[:40]},
                      rpc_id=message.get("id") if isinstance(message, dict) else None)
        return True
    return False
