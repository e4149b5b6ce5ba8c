"""WebSocket routes of every app, collected in one list."""

from apps.chat.routing import websocket_urlpatterns as chat_routes

websocket_urlpatterns: list = [*chat_routes]
