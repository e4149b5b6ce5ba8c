from __future__ import annotations

import socket
import time

from django_redis import get_redis_connection

from .selectors import HEARTBEAT_KEY


def worker_heartbeat_record(worker_name: str | None = None) -> None:
    """A worker says it is alive; /api/health reads this."""
    name = worker_name or socket.gethostname()
    redis = get_redis_connection("default")
    redis.hset(HEARTBEAT_KEY, name, repr(time.time()))
    redis.expire(HEARTBEAT_KEY, 3600)
