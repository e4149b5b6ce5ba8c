"""The chat WebSocket refuses other sites' pages even with ALLOWED_HOSTS='*'."""

import asyncio

from channels.testing import WebsocketCommunicator

from apps.core.websocket import websocket_origin_allowed
from config.asgi import application


def _handshake(origin: bytes | None, host: bytes = b"app.example.com") -> bool:
    headers = [(b"host", host)] + ([(b"origin", origin)] if origin else [])

    async def attempt():
        communicator = WebsocketCommunicator(application, "/ws/chat/1/", headers=headers)
        connected, _ = await communicator.connect(timeout=10)
        await communicator.disconnect()
        return connected

    return asyncio.run(attempt())


def test_other_origins_are_refused_with_a_wildcard_allowed_hosts(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.CSRF_TRUSTED_ORIGINS = []
    assert _handshake(b"https://evil.example") is False
    assert _handshake(None) is False


def test_origin_rules(settings):
    settings.ALLOWED_HOSTS = ["*", ".example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://console.example.net"]
    assert websocket_origin_allowed("https://app.example.com", "app.example.com")
    assert websocket_origin_allowed("https://console.example.net", "app.example.com")
    assert websocket_origin_allowed("https://acme.example.org", "app.example.com")
    assert not websocket_origin_allowed("https://evil.example", "app.example.com")
    assert not websocket_origin_allowed("https://app.example.com.evil.example",
                                        "app.example.com")
    assert not websocket_origin_allowed("null", "app.example.com")
    assert not websocket_origin_allowed(None, "app.example.com")
