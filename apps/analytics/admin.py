"""Operator pages in the Django admin: every tenant's use, and one tenant's heaviest users.

Analytics live in each tenant's schema; these pages read each schema in turn (a page
of tenants at a time) and run in the public schema, where operators sign in."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django_tenants.utils import schema_context

from apps.tenants.selectors import tenant_get_by_slug, tenant_list

from . import selectors

PERIODS = (7, 30, 90)


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        return 30
    return days if days in PERIODS else 30


def usage(request):
    days = _days(request)
    page = Paginator(tenant_list(), 50).get_page(request.GET.get("page"))
    rows = []
    for tenant in page:
        with schema_context(tenant.schema_name):
            rows.append({"tenant": tenant, **selectors.tenant_usage(days=days)})
    rows.sort(key=lambda row: -row["events"])
    return render(request, "admin/analytics/usage.html", {
        **admin.site.each_context(request), "title": "Usage by tenant", "rows": rows,
        "page": page, "days": days, "periods": PERIODS})


def heaviest(request, slug: str):
    tenant = tenant_get_by_slug(slug)
    if tenant is None:
        raise Http404("No such tenant.")
    days = _days(request)
    with schema_context(tenant.schema_name):
        users = selectors.heaviest_users(days=days)
        totals = selectors.tenant_usage(days=days)
    emails = dict(get_user_model().objects.filter(pk__in=[u["user_id"] for u in users])
                  .values_list("pk", "email"))
    for user in users:
        user["email"] = emails.get(user["user_id"], f"user {user['user_id']} (deleted)")
    return render(request, "admin/analytics/heaviest.html", {
        **admin.site.each_context(request), "title": f"Heaviest users of {tenant.name}",
        "tenant": tenant, "users": users, "totals": totals, "days": days, "periods": PERIODS})


urlpatterns = [
    path("usage/", admin.site.admin_view(usage), name="analytics-admin-usage"),
    path("usage/<slug:slug>/", admin.site.admin_view(heaviest),
         name="analytics-admin-heaviest"),
]
