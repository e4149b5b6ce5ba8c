"""Readiness checks: each answers {"ok": bool, ...} and never raises."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django_redis import get_redis_connection

HEARTBEAT_KEY = "platform:worker-heartbeat"


def _timed(check):
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a readiness probe reports every failure, whatever it is
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _redis() -> dict:
    get_redis_connection("default").ping()
    return {"ok": True}


def _storage() -> dict:
    default_storage.exists("health-probe")
    return {"ok": True, "backend": settings.STORAGE_BACKEND}


def _workers() -> dict:
    raw = get_redis_connection("default").hgetall(HEARTBEAT_KEY)
    now = time.time()
    limit = settings.WORKER_HEARTBEAT_SECONDS * 4
    alive = {name.decode(): round(now - float(ts), 1) for name, ts in raw.items()
             if now - float(ts) < limit}
    return {"ok": bool(alive), "alive": len(alive),
            **({} if alive else {"error": "no Celery worker has reported in the last "
                                           f"{limit} s"})}


def health_report(extra_checks: dict | None = None) -> dict:
    checks = {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "storage": _timed(_storage),
        "workers": _timed(_workers),
    }
    for name, check in (extra_checks or {}).items():
        checks[name] = _timed(check)
    return {"checks": checks, "healthy": all(c["ok"] for c in checks.values())}
