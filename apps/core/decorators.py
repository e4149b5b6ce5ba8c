"""Decorators for server-rendered pages and operator endpoints."""

from __future__ import annotations

import hmac
from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render

from apps.accounts.selectors import (
    SESSION_TENANT_KEY,
    membership_get,
    memberships_of_user,
)


def tenant_page(view):
    """Logged in and a member of the active tenant; otherwise somewhere sensible."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"/login?next={request.path}")
        tenant = getattr(request, "tenant", None)
        membership = membership_get(user_id=request.user.pk, tenant=tenant)
        if membership is None:
            first = memberships_of_user(user=request.user).first()
            if first and (tenant is None or request.tenant_source != "host"):
                request.session[SESSION_TENANT_KEY] = first.tenant.pk
                return redirect(request.path)
            return render(request, "errors/no_tenant.html", status=403)
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper


def metrics_token_required(view):
    """/metrics for scrapers that send `Authorization: Bearer <METRICS_TOKEN>`; with no token
    configured it is open (development), so production sets one (docs/security.md)."""

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
