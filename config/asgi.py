"""The realtime process: HTTP to Django, WebSockets to Channels.

Apps add their WebSocket routes to `websocket_urlpatterns` in
`<app>/routing.py`; Channels consumers resolve the tenant themselves because
django-tenants' middleware does not run for WebSockets.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
# The settings close database connections with each request here unless pooled (base.py).
os.environ["DJANGO_SERVED_BY_ASGI"] = "1"
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.core.websocket import SameOriginValidator  # noqa: E402
from apps.mcp.asgi import mcp_endpoint  # noqa: E402
from apps.mcp.server import session_manager  # noqa: E402
from config import lifespan  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

lifespan.hooks.append(session_manager.run)


async def http_app(scope, receive, send):
    """/mcp goes to the MCP SDK; everything else to Django."""
    if scope["path"].rstrip("/") == "/mcp":
        await mcp_endpoint(scope, receive, send)
    else:
        await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter({
    "lifespan": lifespan.lifespan_app,
    "http": http_app,
    "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
})
