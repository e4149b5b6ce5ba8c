"""The analytics dashboard page. Its numbers and tables are rendered with the page; the
charts are drawn after first paint by static/js/analytics.js from the summary API."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils import timezone

from apps.accounts.decorators import tenant_page

from . import selectors

PRESETS = {"24h": ("Last 24 hours", dt.timedelta(hours=24), "hour"),
           "7d": ("Last 7 days", dt.timedelta(days=7), "day"),
           "30d": ("Last 30 days", dt.timedelta(days=30), "day"),
           "90d": ("Last 90 days", dt.timedelta(days=90), "day")}
CHARTS = [
    ("requests", "Requests and errors", "api.request"),
    ("tools", "Tool calls", "tool.call"),
    ("tokens", "LLM tokens and cost", "llm.usage"),
    ("syncs", "Syncs and records", "sync.run"),
    ("workflows", "Workflow runs", "workflow.run"),
    ("users", "Active users", None),
]


def _period(request) -> tuple[str, dt.datetime, dt.datetime, str]:
    preset = request.GET.get("range", "7d")
    if preset not in PRESETS:
        preset = "7d"
    _label, length, interval = PRESETS[preset]
    end = timezone.now()
    return preset, end - length, end, interval


@tenant_page
def dashboard(request):
    if not request.membership.can_manage:
        return render(request, "analytics/forbidden.html", status=403)
    preset, start, end, interval = _period(request)
    summary = selectors.analytics_summary(start=start, end=end, interval=interval)
    top_calls = max((tool["calls"] for tool in summary["tools"]["top"]), default=0)
    return render(request, "analytics/dashboard.html", {
        "summary": summary, "preset": preset, "presets": PRESETS, "charts": CHARTS,
        "top_calls": top_calls, "interval": interval,
        "period_from": summary["from"], "period_to": summary["to"],
    })
