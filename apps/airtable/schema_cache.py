"""The schema of a base, cached in three layers.

1. in-process (L1): a dict with a short TTL, no I/O beyond one Redis GET of
   the base's generation number, which is how other processes learn that a
   sync or a schema write changed it;
2. Redis through Django's cache (L2): keys carry the tenant's schema
   (django_tenants.cache.make_key), so tenants never share an entry;
3. the loader given by the caller: the mirror's tables, filled from
   Airtable's metadata API when the base was never read.

`invalidate` bumps the generation, so every process drops its L1 and L2
entries on its next look-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

L1_SECONDS = 60.0
L2_SECONDS = 3600
_l1: dict[tuple[str, str], tuple[float, int, dict]] = {}
_lock = threading.Lock()


def _generation_key(base_id: str) -> str:
    return f"airtable:schema-generation:{base_id}"


def _generation(base_id: str) -> int:
    key = _generation_key(base_id)
    generation = cache.get(key)
    if generation is None:
        # A fresh, never-reused number: an evicted counter must not revive old entries.
        cache.add(key, time.time_ns(), None)
        generation = cache.get(key)
    return int(generation)


def base_schema_get(base_id: str, loader: Callable[[], dict | None]) -> dict | None:
    """The cached schema; with Redis unreachable, the loader's (the mirror's) every time,
    since no process could learn that it changed."""
    schema_name = connection.schema_name
    try:
        generation = _generation(base_id)
    except (ConnectionInterrupted, RedisError):
        logger.warning("schema cache unreachable; reading base %s from the mirror", base_id)
        return loader()
    slot = (schema_name, base_id)
    hit = _l1.get(slot)
    if hit and hit[1] == generation and hit[0] > time.monotonic():
        return hit[2]
    data_key = f"airtable:schema:{base_id}:{generation}"
    value = cache.get(data_key)
    if value is None:
        value = loader()
        if value is None:
            return None
        cache.set(data_key, value, L2_SECONDS)
    with _lock:
        _l1[slot] = (time.monotonic() + L1_SECONDS, generation, value)
    return value


def invalidate(base_id: str) -> None:
    key = _generation_key(base_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, time.time_ns(), None)
    with _lock:
        _l1.pop((connection.schema_name, base_id), None)
