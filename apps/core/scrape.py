"""The scrape token in front of /metrics (docs/security.md)."""

from __future__ import annotations

import hmac
from functools import wraps

from django.conf import settings
from django.http import HttpResponse


def metrics_token_required(view):
    """/metrics for scrapers that send `Authorization: Bearer <METRICS_TOKEN>`; with no token
    configured it is open (development), so production sets one."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = settings.METRICS_TOKEN
        if token:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                       token.encode()):
                response = HttpResponse("metrics need the scrape token\n", status=401,
                                        content_type="text/plain")
                response["WWW-Authenticate"] = 'Bearer realm="metrics"'
                return response
        return view(request, *args, **kwargs)

    return wrapper
