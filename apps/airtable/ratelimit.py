"""A token bucket in Redis shared by every web and worker process.

Each bucket is kept as GCRA's "theoretical arrival time" (TAT), which is the
token-bucket algorithm stored in one number: a bucket with `rate` tokens per
second and room for `burst` tokens lets a request through at time t when
TAT - t <= (burst - 1) / rate, and moves TAT to max(TAT, t) + 1 / rate.

`acquire` takes a token from several buckets at once (the base's and the
token's) in one Lua script, atomically, using Redis' clock so that machines
with skewed clocks still share one schedule. When no token is free it
*reserves* the next free slot and tells the caller how long to sleep, so
waiting processes are served in order with one round trip each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django_redis import get_redis_connection

_ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local max_wait = tonumber(ARGV[1])
local send = now
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key) or '0')
  tats[i] = tat
  local allowed_at = tat - (burst - 1) * interval
  if allowed_at > send then send = allowed_at end
end
local wait = send - now
if max_wait >= 0 and wait > max_wait then
  return -wait
end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tats[i]
  if tat < send then tat = send end
  tat = tat + interval
  local ttl_ms = math.ceil((tat - now) / 1000 + burst * interval / 1000) + 1000
  redis.call('SET', key, string.format('%.0f', tat), 'PX', ttl_ms)
end
return wait
"""

_BLOCK = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local blocked_until = now + tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < blocked_until then
    redis.call('SET', key, string.format('%.0f', blocked_until), 'PX',
               math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
  end
end
return 1
"""

KEY_PREFIX = "airtable:ratelimit:"


@dataclass(frozen=True)
class Bucket:
    key: str
    rate: float  # tokens per second
    burst: int = 1

    @property
    def interval_us(self) -> int:
        return max(1, int(1_000_000 / self.rate))


class WaitTooLong(Exception):
    """The next free slot is further away than the caller agreed to wait."""

    def __init__(self, wait_seconds: float):
        super().__init__(f"next free slot in {wait_seconds:.2f} s")
        self.wait_seconds = wait_seconds


class RedisTokenBucket:
    def __init__(self, redis=None):
        self._redis = redis

    @property
    def redis(self):
        if self._redis is None:
            self._redis = get_redis_connection("default")
        return self._redis

    def acquire(self, buckets: list[Bucket], *, max_wait: float | None = None) -> float:
        """Take one token from every bucket, sleeping until the reserved slot.
        Returns the seconds slept; raises WaitTooLong (reserving nothing) when
        the slot is more than `max_wait` seconds away."""
        script = self.redis.register_script(_ACQUIRE)
        args: list[int] = [-1 if max_wait is None else int(max_wait * 1_000_000)]
        for bucket in buckets:
            args += [bucket.interval_us, bucket.burst]
        wait_us = int(script(keys=[KEY_PREFIX + bucket.key for bucket in buckets], args=args))
        if wait_us < 0:
            raise WaitTooLong(-wait_us / 1_000_000)
        if wait_us:
            time.sleep(wait_us / 1_000_000)
        return wait_us / 1_000_000

    def block(self, buckets: list[Bucket], seconds: float) -> None:
        """Hold every bucket closed for `seconds` (after Airtable answered 429)."""
        script = self.redis.register_script(_BLOCK)
        script(keys=[KEY_PREFIX + bucket.key for bucket in buckets],
               args=[int(seconds * 1_000_000)])
