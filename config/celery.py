"""The Celery application. Tasks receive the schema name explicitly and open
`schema_context` themselves (STYLE.md); the tenant-aware app also carries the
schema of the sender in a header for tasks enqueued inside a request."""

from __future__ import annotations

import logging
import os
import threading

from celery.signals import worker_ready, worker_shutdown
from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = TenantAwareCeleryApp("pyairtable")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_stop_heartbeat = threading.Event()


def _heartbeat_loop(hostname: str) -> None:
    from django.conf import settings

    from apps.core.services import worker_heartbeat_record

    while not _stop_heartbeat.is_set():
        try:
            worker_heartbeat_record(hostname)
        except Exception:  # Redis away for a moment: report again next round
            logging.getLogger(__name__).warning("worker heartbeat not recorded", exc_info=True)
        _stop_heartbeat.wait(settings.WORKER_HEARTBEAT_SECONDS)


@worker_ready.connect
def _start_heartbeat(sender=None, **kwargs):
    hostname = getattr(sender, "hostname", None) or "worker"
    threading.Thread(target=_heartbeat_loop, args=(hostname,), daemon=True,
                     name="heartbeat").start()


@worker_shutdown.connect
def _stop(**kwargs):
    _stop_heartbeat.set()
