"""Turn events on the wire: Server-Sent Events, and a bridge from the turn's thread to
asyncio for the ASGI stream and the WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator

from django.conf import settings
from django.db import connections

from .services import Turn

logger = logging.getLogger(__name__)

SSE_CONTENT_TYPE = "text/event-stream"
# Sent first so that proxies and browsers see the stream open before the model answers.
SSE_OPENING = b": stream opened\n\n"
SSE_KEEPALIVE = b": keep-alive\n\n"
_END = object()


def sse_event(event: dict) -> bytes:
    data = {key: value for key, value in event.items() if key != "type"}
    return (f"event: {event['type']}\n"
            f"data: {json.dumps(data, ensure_ascii=False, default=str)}\n\n").encode()


def sse_from_turn(turn: Turn) -> Iterator[bytes]:
    """For WSGI: the turn runs in the request's thread; a client that goes away closes
    this generator, which closes the turn (and the provider's stream)."""
    yield SSE_OPENING
    events = turn.events()
    try:
        for event in events:
            yield sse_event(event)
    finally:
        events.close()


async def events_in_thread(turn: Turn, *, idle_after: float | None = None
                           ) -> AsyncIterator[dict | None]:
    """The turn's events, run in a thread of its own so the event loop stays free (to hear
    a stop or a disconnect). Leaving the iteration early (a closed socket, a cancelled
    response) sets the turn's cancel flag. With `idle_after`, None comes whenever that
    many seconds pass without an event (a slow model, a long tool call)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def deliver(item) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:
            turn.cancel.cancel()  # the event loop is gone: nobody is listening any more

    def produce() -> None:
        try:
            for event in turn.events():
                deliver(event)
        except Exception:
            logger.exception("chat turn %s failed in its thread", turn.turn_id)
        finally:
            connections.close_all()
            deliver(_END)

    threading.Thread(target=produce, name=f"chat-turn-{turn.turn_id}", daemon=True).start()
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), idle_after)
            except TimeoutError:
                yield None
                continue
            if event is _END:
                return
            yield event
    finally:
        turn.cancel.cancel()


async def sse_from_turn_async(turn: Turn) -> AsyncIterator[bytes]:
    """For ASGI: Django cancels this iterator when the client disconnects. A comment line
    goes out after CHAT_SSE_KEEPALIVE_SECONDS of silence, so that proxies (nginx's 60 s
    read timeout) and browsers keep a stream open while the model or a tool works; 0 turns
    it off."""
    yield SSE_OPENING
    keepalive = settings.CHAT_SSE_KEEPALIVE_SECONDS
    async for event in events_in_thread(turn, idle_after=keepalive if keepalive > 0 else None):
        yield SSE_KEEPALIVE if event is None else sse_event(event)
