"""The realtime process: HTTP to Django, WebSockets to Channels.

Apps add their WebSocket routes to `websocket_urlpatterns` in
`<app>/routing.py`; Channels consumers resolve the tenant themselves because
django-tenants' middleware does not run for WebSockets.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.lifespan import lifespan_app  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "lifespan": lifespan_app,
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
})
