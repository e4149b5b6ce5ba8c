"""Which browser pages may open a WebSocket to the platform.

Channels' AllowedHostsOriginValidator lets every Origin in when ALLOWED_HOSTS is '*'
(behind a proxy that checks hosts, a common setting), so any site could drive a signed-in
user's chat. Here an Origin is accepted only when it is the page's own origin (the Host
the socket was opened to), one of CSRF_TRUSTED_ORIGINS, or on a host ALLOWED_HOSTS names
explicitly; '*' counts for none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host


def websocket_origin_allowed(origin: str | None, host: str | None) -> bool:
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        return False
    if host and parts.netloc.lower() == host.lower():
        return True
    if origin.rstrip("/") in [item.rstrip("/") for item in settings.CSRF_TRUSTED_ORIGINS]:
        return True
    explicit = [entry for entry in settings.ALLOWED_HOSTS if entry != "*"]
    return validate_host(parts.hostname.lower(), explicit)


class SameOriginValidator:
    """ASGI middleware for the websocket scope: refuses the handshake from other origins."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        headers = {name.decode("latin1").lower(): value.decode("latin1")
                   for name, value in scope.get("headers", [])}
        if not websocket_origin_allowed(headers.get("origin"), headers.get("host")):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
