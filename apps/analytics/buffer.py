"""The in-process event buffer: recording an event is an append to a deque.

A daemon thread per process hands the buffer to Redis (one RPUSH of many
events per round trip) every ANALYTICS_FLUSH_SECONDS, or at once when a burst
fills a chunk of 1,000; beat's ingest task moves
them from Redis into the tenant tables in bulk. A request therefore never waits
on Redis or PostgreSQL for its events, and never fails because of them: while
Redis is away events stay in the buffer (up to ANALYTICS_BUFFER_MAX, then new
ones are dropped and counted in `platform_analytics_events_dropped_total`).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque

from django.conf import settings
from django_redis import get_redis_connection

from .metrics import EVENTS_DROPPED, EVENTS_KEY

logger = logging.getLogger(__name__)

REDIS_KEY = EVENTS_KEY
_PUSH_CHUNK = 1_000


class EventBuffer:
    def __init__(self):
        self._items: deque[str] = deque()
        self._flush_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._pid: int | None = None
        self._wake = threading.Event()

    def add(self, item: str) -> None:
        if self._pid != os.getpid():
            self._start()
        if len(self._items) >= settings.ANALYTICS_BUFFER_MAX:
            EVENTS_DROPPED.labels("buffer_full").inc()
            return
        self._items.append(item)
        if len(self._items) >= _PUSH_CHUNK:
            self._wake.set()  # a burst: send now rather than at the next tick

    def __len__(self) -> int:
        return len(self._items)

    def _start(self) -> None:
        with self._start_lock:
            pid = os.getpid()
            if self._pid == pid:
                return
            if self._pid is not None:
                # A forked child: what it inherited is the parent's to send.
                self._items.clear()
            self._pid = pid
            threading.Thread(target=self._run, name="analytics-flush", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._wake.wait(settings.ANALYTICS_FLUSH_SECONDS)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # Redis away: the events wait in the buffer for the next round
                logger.warning("analytics events not handed to Redis; retrying", exc_info=True)
                time.sleep(settings.ANALYTICS_FLUSH_SECONDS)

    def flush(self) -> int:
        """Hand every buffered event to Redis; the count sent. Raises when Redis refuses
        (the events are kept for the next flush)."""
        sent = 0
        with self._flush_lock:
            while self._items:
                chunk = []
                while self._items and len(chunk) < _PUSH_CHUNK:
                    chunk.append(self._items.popleft())
                try:
                    get_redis_connection("default").rpush(REDIS_KEY, *chunk)
                except Exception:
                    room = settings.ANALYTICS_BUFFER_MAX - len(self._items)
                    if room < len(chunk):
                        EVENTS_DROPPED.labels("buffer_full").inc(len(chunk) - max(room, 0))
                    self._items.extendleft(reversed(chunk[:max(room, 0)]))
                    raise
                sent += len(chunk)
        return sent

    def clear(self) -> None:
        self._items.clear()


buffer = EventBuffer()


@atexit.register
def _flush_at_exit() -> None:
    if buffer._pid == os.getpid() and len(buffer):
        try:
            buffer.flush()
        except Exception:
            EVENTS_DROPPED.labels("exit").inc(len(buffer))
