"""Rate limits kept in Redis, shared by every process, counted atomically.

Each limit is a counter per window: one Lua script increments it and sets its expiry on the
first hit, so concurrent requests can never all read "under the limit" and all pass.
When Redis cannot be reached the limits fail open (the request is served and a warning
logged): an outage of the cache must not take the API down with it.

The client address is REMOTE_ADDR unless NUM_PROXIES proxies in front of the platform are
trusted to append to X-Forwarded-For; a client-supplied header is never believed otherwise.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from django.conf import settings
from django_redis import get_redis_connection
from rest_framework.throttling import BaseThrottle

from .exceptions import ApplicationError

logger = logging.getLogger(__name__)

KEY_PREFIX = "ratelimit"
_DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""
_script = None


class RateLimited(ApplicationError):
    code = "ERROR_RATE_LIMITED"
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int):
        super().__init__(detail or f"Too many requests; try again in {retry_after} s.",
                         headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, rate: str) -> Rate:
        """'1200/min', '10/15m', '20/hour': a count per (optionally multiplied) unit."""
        count, period = rate.split("/")
        digits = "".join(ch for ch in period if ch.isdigit()) or "1"
        unit = period[len(digits):] if period[:1].isdigit() else period
        return cls(int(count), int(digits) * _DURATIONS[unit[0]])


def _counter():
    global _script
    if _script is None:
        _script = get_redis_connection("default").register_script(_HIT)
    return _script


def rate_hit(scope: str, ident: str, rate: str) -> int | None:
    """Count one hit on (scope, ident); the seconds to wait when over the rate, else None.
    None as well when Redis is unreachable (fail open)."""
    parsed = Rate.parse(rate)
    try:
        count, ttl_ms = _counter()(keys=[f"{KEY_PREFIX}:{scope}:{ident}"],
                                   args=[parsed.seconds * 1000])
    except Exception as error:  # any failure of the cache: serve the request
        logger.warning("rate limit %s not checked, Redis unavailable: %s", scope, error)
        return None
    if int(count) <= parsed.limit:
        return None
    return max(1, math.ceil(int(ttl_ms) / 1000))


def rate_check(scope: str, ident: str, rate: str | None = None) -> None:
    """rate_hit that raises RateLimited (429, Retry-After) when over the rate. The rate
    defaults to REST_FRAMEWORK's DEFAULT_THROTTLE_RATES[scope]."""
    rate = rate or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
    wait = rate_hit(scope, ident, rate)
    if wait is not None:
        raise RateLimited(retry_after=wait)


def caller_rate_check(*, schema_name: str | None, api_key_id: int | None) -> None:
    """The per-tenant and per-key limits of an authenticated call, whatever way it came in
    (REST, /mcp)."""
    if api_key_id is not None:
        rate_check("api_key", str(api_key_id))
    if schema_name and schema_name != "public":
        rate_check("tenant", schema_name)


def client_ip(request) -> str:
    """The client's address: the one NUM_PROXIES trusted proxies saw, else REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [item.strip() for item in forwarded.split(",") if item.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]


class AtomicThrottle(BaseThrottle):
    """A DRF throttle over rate_hit: `scope` names the rate, `ident(request)` the bucket."""

    scope = ""

    def ident(self, request) -> str | None:
        """The bucket this request counts in; None: not limited by this throttle."""
        return None

    def allow_request(self, request, view):
        ident = self.ident(request)
        if ident is None:
            return True
        rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]
        self._wait = rate_hit(self.scope, ident, rate)
        return self._wait is None

    def wait(self):
        return getattr(self, "_wait", None)


class TenantRateThrottle(AtomicThrottle):
    """All requests of one tenant together."""

    scope = "tenant"

    def ident(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return None
        return tenant.schema_name


class ApiKeyRateThrottle(AtomicThrottle):
    """Each API key on its own, so one noisy integration can't starve the rest."""

    scope = "api_key"

    def ident(self, request):
        api_key = getattr(request, "api_key", None)
        return None if api_key is None else str(api_key.pk)


class RegisterRateThrottle(AtomicThrottle):
    """Sign-ups per client address."""

    scope = "register"

    def ident(self, request):
        return client_ip(request)
