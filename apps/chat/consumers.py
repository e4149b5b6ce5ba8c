"""The chat over a WebSocket: /ws/chat/<conversation_id>/.

django-tenants' middleware does not run for WebSockets, so the consumer finds
the caller and the tenant itself, the way TenantResolutionMiddleware does for
HTTP: the host when it is a tenant's domain, otherwise the credential, either
`?token=<JWT or API key>` or the browser's session cookie (and the session's
active tenant). Every database read runs inside the tenant's schema.

Client → server: {"type": "message", "content": "..."} and {"type": "stop"}.
Server → client: the turn's events, {"type": "delta", "text": "..."} and so on.
"""

from __future__ import annotations

import asyncio
import json
from importlib import import_module
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest
from django.http.cookie import parse_cookie
from django_tenants.utils import remove_www, tenant_context

from apps.accounts.selectors import (
    SESSION_TENANT_KEY,
    Credential,
    caller_resolve,
    credential_from_headers,
)
from apps.core.exceptions import ApplicationError
from apps.core.tools import ToolContext
from apps.tenants.selectors import tenant_get, tenant_get_by_host

from . import services
from .exceptions import ConversationNotFound, TurnInProgress
from .selectors import conversation_get
from .streaming import events_in_thread

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
TOKEN_MAX_CHARS = 4096


def _headers(scope) -> dict[str, str]:
    return {name.decode("latin1").lower(): value.decode("latin1")
            for name, value in scope.get("headers", [])}


def _session_user(headers: dict[str, str]):
    """The user and active tenant id of the browser session in the cookie, if any."""
    cookie = parse_cookie(headers.get("cookie", "")).get(settings.SESSION_COOKIE_NAME)
    if not cookie:
        return None, None
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie)
    user = auth.get_user(request)  # checks the session's auth hash, as for HTTP requests
    if not user.is_authenticated:
        return None, None
    return user, request.session.get(SESSION_TENANT_KEY)


def socket_caller(scope, conversation_id: str) -> tuple[ToolContext | None, int]:
    """The caller of a WebSocket (apps.accounts.selectors.caller_resolve, as for HTTP and
    MCP) and the close code when there is none."""
    headers = _headers(scope)
    hostname = remove_www(headers.get("host", "").split(":")[0]).lower()
    host_tenant = tenant_get_by_host(hostname) if hostname else None
    token = parse_qs(scope.get("query_string", b"").decode("latin1")).get("token", [""])[0]

    if token:
        if len(token) > TOKEN_MAX_CHARS:
            return None, CLOSE_FORBIDDEN
        credential = credential_from_headers({"Authorization": f"Bearer {token}"})
    else:
        user, session_tenant_id = _session_user(headers)
        credential = None if user is None else Credential(
            kind="session", user_id=user.pk,
            tenant=tenant_get(session_tenant_id) if isinstance(session_tenant_id, int) else None)
    try:
        caller = caller_resolve(credential=credential, channel="chat", tenant=host_tenant)
    except ApplicationError:
        return None, CLOSE_FORBIDDEN
    try:
        with tenant_context(caller.tenant):
            conversation_get(user_id=caller.user.pk, conversation_id=conversation_id)
    except ConversationNotFound:
        return None, CLOSE_NOT_FOUND
    return caller, 0


class ChatConsumer(AsyncJsonWebsocketConsumer):
    caller: ToolContext | None = None
    turn: services.Turn | None = None
    pump: asyncio.Task | None = None

    async def connect(self):
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        caller, close_code = await database_sync_to_async(socket_caller)(
            self.scope, self.conversation_id)
        if caller is None:
            await self.close(code=close_code)
            return
        self.caller = caller
        await self.accept()

    async def disconnect(self, code):
        if self.turn is not None:
            self.turn.cancel.cancel()
        if self.pump is not None:
            self.pump.cancel()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            content = json.loads(text_data or bytes_data or b"")
        except (ValueError, UnicodeDecodeError):
            await self._send_error("ERROR_MALFORMED_REQUEST", "Send JSON messages.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "stop":
            if self.turn is not None:
                self.turn.cancel.cancel()
            return
        if kind != "message":
            await self._send_error("ERROR_VALIDATION",
                                   'Send {"type": "message", "content": "..."} or '
                                   '{"type": "stop"}.')
            return
        if self.pump is not None and not self.pump.done():
            error = TurnInProgress("Wait for the answer, or stop it, before asking again.")
            await self._send_error(error.code, error.detail)
            return
        try:
            self.turn = await database_sync_to_async(services.turn_start)(
                caller=self.caller, conversation_id=self.conversation_id,
                content=content.get("content"), stream=True)
        except ApplicationError as error:
            await self._send_error(error.code, error.detail)
            return
        self.pump = asyncio.create_task(self._forward(self.turn))

    async def _forward(self, turn: services.Turn) -> None:
        async for event in events_in_thread(turn):
            await self.send_json(event)

    async def _send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
