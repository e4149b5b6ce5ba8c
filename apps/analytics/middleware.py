"""One `api.request` event per API request of a tenant: method, route template,
status and duration (never the path's values beyond the base and table ids, never
a query string or a body). Recording is an append to the process's buffer, and
any failure in it is swallowed: the response goes out whatever happens here."""

from __future__ import annotations

import logging
import time

from django.db import connection

from .metrics import EVENTS_DROPPED
from .services import event_record

logger = logging.getLogger(__name__)

_RECORDED_PREFIXES = ("/api/v1/", "/mcp")
_BASE_KWARGS = ("base_id", "baseId")
_TABLE_KWARGS = ("table", "table_id", "tableIdOrName")


class RequestEventMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path.startswith(_RECORDED_PREFIXES):
            try:
                self._record(request, response, (time.perf_counter() - started) * 1000)
            except Exception:
                EVENTS_DROPPED.labels("error").inc()
                logger.warning("request event not recorded", exc_info=True)
        return response

    @staticmethod
    def _record(request, response, duration_ms: float) -> None:
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return
        match = getattr(request, "resolver_match", None)
        route = ("/" + match.route) if match is not None and match.route else "(unmatched)"
        kwargs = match.kwargs if match is not None else {}
        user = getattr(request, "user", None)
        api_key = getattr(request, "api_key", None)
        event_record(
            type="api.request", schema_name=tenant.schema_name or connection.schema_name,
            user_id=user.pk if user is not None and user.is_authenticated else None,
            api_key_id=getattr(api_key, "pk", None),
            data={"method": request.method, "route": route, "status": response.status_code,
                  "duration_ms": round(duration_ms, 3),
                  "base_id": next((kwargs[k] for k in _BASE_KWARGS if k in kwargs), None),
                  "table": next((kwargs[k] for k in _TABLE_KWARGS if k in kwargs), None)})
