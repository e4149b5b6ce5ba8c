"""Tenant look-ups. Host look-ups are cached briefly in-process: they run on every
request, and a cached tenant still has its search_path set on the connection by the
middleware. A change to any tenant or domain bumps a generation number in Redis that
every process compares on each look-up, so a deactivated tenant stops being served at
once everywhere, not when each process's entry expires."""

from __future__ import annotations

import logging
import time

from django.db import connection
from django_redis import get_redis_connection

from .models import Domain, Tenant

logger = logging.getLogger(__name__)

_CACHE_SECONDS = 30.0
GENERATION_KEY = "tenants:generation"
_by_host: dict[str, tuple[float, int | None, Tenant | None]] = {}


def _generation() -> int | None:
    """The tenants' generation; None without Redis (entries then live _CACHE_SECONDS)."""
    try:
        return int(get_redis_connection("default").get(GENERATION_KEY) or 0)
    except Exception:  # the cache is down: fall back on the entries' age
        return None


def tenant_cache_clear() -> None:
    """Forget cached tenants here and, through the generation, in every other process."""
    _by_host.clear()
    try:
        get_redis_connection("default").incr(GENERATION_KEY)
    except Exception as error:
        logger.warning("tenant cache not invalidated across processes: %s", error)


def tenant_get_by_host(hostname: str) -> Tenant | None:
    now = time.monotonic()
    generation = _generation()
    cached = _by_host.get(hostname)
    if cached and now - cached[0] < _CACHE_SECONDS and cached[1] == generation:
        return cached[2]
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    tenant = domain.tenant if domain else None
    _by_host[hostname] = (now, generation, tenant)
    return tenant


def tenant_get(tenant_id: int) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id).first()


def tenant_get_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


def tenant_list():
    return Tenant.objects.exclude(schema_name="public").order_by("name")


def current_schema() -> str:
    return connection.schema_name
