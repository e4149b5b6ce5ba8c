"""Airtable's rate limits and injected failures.

Airtable allows 5 requests per second per base and 50 per second per token,
and answers 429 beyond. The counters are per-second windows in Redis, so
every server process shares them. SANDBOX_RATE_LIMIT_PER_BASE and
SANDBOX_RATE_LIMIT_PER_TOKEN set the limits (0 turns one off);
SANDBOX_FAILURE_RATE answers that fraction of requests with a 503, to test
how clients recover.
"""

from __future__ import annotations

import random
import time

from django.conf import settings
from django_redis import get_redis_connection

from .exceptions import RateLimited, ServiceUnavailable

_WINDOW_TTL = 2


def failure_maybe() -> None:
    rate = settings.SANDBOX_FAILURE_RATE
    if rate > 0 and random.random() < rate:
        raise ServiceUnavailable()


def rate_limit(*, token_id: int, base_id: str | None) -> None:
    per_base = settings.SANDBOX_RATE_LIMIT_PER_BASE
    per_token = settings.SANDBOX_RATE_LIMIT_PER_TOKEN
    counted = []
    if per_token > 0:
        counted.append((f"sandbox:rate:token:{token_id}", per_token))
    if per_base > 0 and base_id:
        counted.append((f"sandbox:rate:base:{base_id[:17]}", per_base))
    if not counted:
        return
    second = int(time.time())
    pipe = get_redis_connection("default").pipeline(transaction=False)
    for prefix, _limit in counted:
        pipe.incr(f"{prefix}:{second}")
        pipe.expire(f"{prefix}:{second}", _WINDOW_TTL)
    results = pipe.execute()
    for index, (_prefix, limit) in enumerate(counted):
        if results[index * 2] > limit:
            raise RateLimited()
