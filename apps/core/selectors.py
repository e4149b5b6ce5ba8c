"""Readiness checks: each answers {"ok": bool, ...} and never raises."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django_redis import get_redis_connection

HEARTBEAT_KEY = "platform:worker-heartbeat"
# The Celery queues whose length /api/health and /metrics report.
CELERY_QUEUES = ("celery",)


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


def worker_heartbeat_ages() -> dict[str, float]:
    """Seconds since each Celery worker last reported (kept an hour after its last report)."""
    now = time.time()
    raw = get_redis_connection("default").hgetall(HEARTBEAT_KEY)
    return {name.decode(): round(now - float(ts), 1) for name, ts in raw.items()}


def queue_lengths() -> dict[str, int]:
    """Tasks waiting in each Celery queue (the Redis broker keeps a queue as a list)."""
    redis = get_redis_connection("default")
    return {queue: int(redis.llen(queue)) for queue in CELERY_QUEUES}


def _workers() -> dict:
    ages = worker_heartbeat_ages()
    limit = settings.WORKER_HEARTBEAT_SECONDS * 4
    alive = {name: age for name, age in ages.items() if age < limit}
    return {"ok": bool(alive), "alive": len(alive),
            "heartbeats": [{"worker": name, "age_seconds": age, "alive": age < limit}
                           for name, age in sorted(ages.items())],
            **({} if alive else {"error": "no Celery worker has reported in the last "
                                           f"{limit} s"})}


def _queues() -> dict:
    return {"ok": True, "lengths": queue_lengths()}


def health_report(extra_checks: dict | None = None) -> dict:
    checks = {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "storage": _timed(_storage),
        "workers": _timed(_workers),
        "queues": _timed(_queues),
    }
    for name, check in (extra_checks or {}).items():
        checks[name] = _timed(check)
    return {"checks": checks, "healthy": all(c["ok"] for c in checks.values())}
