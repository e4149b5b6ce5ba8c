"""What runs across processes: one turn at a time per conversation, and the stop flag.

Both live in Redis under keys that carry the tenant's schema, so the stop button
works whichever process (web, realtime) runs the turn.
"""

from __future__ import annotations

import threading
import time
import uuid

from django_redis import get_redis_connection

LOCK_SECONDS = 15 * 60
CANCEL_SECONDS = 10 * 60
CANCEL_POLL_SECONDS = 0.5


def _key(kind: str, schema: str, conversation_id) -> str:
    return f"chat:{kind}:{schema}:{conversation_id}"


class TurnLock:
    """Held while a conversation answers; a second turn on it is refused."""

    def __init__(self, schema: str, conversation_id):
        self.key = _key("turn", schema, conversation_id)
        self.token = uuid.uuid4().hex

    def acquire(self) -> bool:
        return bool(get_redis_connection("default").set(self.key, self.token, nx=True,
                                                        ex=LOCK_SECONDS))

    def refresh(self) -> None:
        redis = get_redis_connection("default")
        if redis.get(self.key) == self.token.encode():
            redis.expire(self.key, LOCK_SECONDS)

    def release(self) -> None:
        redis = get_redis_connection("default")
        if redis.get(self.key) == self.token.encode():
            redis.delete(self.key)


class CancelToken:
    """Set by the stop button, a closed WebSocket or a gone SSE client; checked between
    steps and between streamed chunks. A stop requested through another process arrives
    through Redis, polled at most every CANCEL_POLL_SECONDS."""

    def __init__(self, schema: str, conversation_id):
        self.key = _key("stop", schema, conversation_id)
        self._event = threading.Event()
        self._polled_at = 0.0

    def cancel(self) -> None:
        self._event.set()

    def clear_remote(self) -> None:
        get_redis_connection("default").delete(self.key)

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        now = time.monotonic()
        if now - self._polled_at >= CANCEL_POLL_SECONDS:
            self._polled_at = now
            if get_redis_connection("default").exists(self.key):
                self._event.set()
        return self._event.is_set()


def turn_stop(*, schema: str, conversation_id) -> bool:
    """Ask the turn running on a conversation, in whichever process, to stop. False when no
    turn is running (so a stale stop can't cut the next one short)."""
    redis = get_redis_connection("default")
    if not redis.exists(_key("turn", schema, conversation_id)):
        return False
    redis.set(_key("stop", schema, conversation_id), "1", ex=CANCEL_SECONDS)
    return True
