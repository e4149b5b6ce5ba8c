"""Tenant look-ups. Host and slug look-ups are cached briefly in-process: they
run on every request, and a cached tenant still has its search_path set on the
connection by the middleware."""

from __future__ import annotations

import time

from django.db import connection

from .models import Domain, Tenant

_CACHE_SECONDS = 30.0
_by_host: dict[str, tuple[float, Tenant | None]] = {}


def tenant_cache_clear() -> None:
    _by_host.clear()


def tenant_get_by_host(hostname: str) -> Tenant | None:
    now = time.monotonic()
    cached = _by_host.get(hostname)
    if cached and now - cached[0] < _CACHE_SECONDS:
        return cached[1]
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    tenant = domain.tenant if domain else None
    _by_host[hostname] = (now, tenant)
    return tenant


def tenant_get(tenant_id: int) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id).first()


def tenant_get_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.filter(slug=slug).first()


def tenant_list():
    return Tenant.objects.exclude(schema_name="public").order_by("name")


def current_schema() -> str:
    return connection.schema_name
