"""Reads of the current tenant's analytics: the summary (from the rollups only,
so its cost depends on hours and dimensions, not on the number of events) and
the event list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from apps.files.selectors import file_storage_used

from .models import AnalyticsEvent
from .registries import LATENCY_BOUNDS_MS

INTERVALS = {"hour": "h", "day": "d"}
# The rows of a type's totals per bucket, read by the series.
TOTALS = {"hour": "H", "day": "D"}
TOP = 10
# What value1, value2 and amount of a rollup mean, by type (None: unused).
VALUE_NAMES: dict[str, tuple[str | None, str | None, str | None]] = {
    "api.request": ("client_errors", None, None),
    "llm.usage": ("prompt_tokens", "completion_tokens", "cost"),
    "sync.run": ("records", "rate_limited", None),
    "file.uploaded": (None, None, "bytes"),
    "file.imported": ("rows_created", "rows_failed", None),
}


NO_VALUES = (None, None, None)


def percentile(histogram: list[int], q: float) -> float | None:
    """The q-quantile (0..1) of a latency histogram, interpolated inside its bucket."""
    total = sum(histogram)
    if not total:
        return None
    wanted = q * total
    seen = 0
    for slot, count in enumerate(histogram):
        if count and seen + count >= wanted:
            low = 0.0 if slot == 0 else LATENCY_BOUNDS_MS[slot - 1]
            high = LATENCY_BOUNDS_MS[slot]
            if high == float("inf"):
                return round(low, 2)
            return round(low + (high - low) * (wanted - seen) / count, 2)
        seen += count
    return round(LATENCY_BOUNDS_MS[-2], 2)


def _named(kind: str, value1, value2, amount) -> dict:
    names = VALUE_NAMES.get(kind, (None, None, None))
    out = {}
    for name, value in zip(names, (value1, value2, amount), strict=True):
        if name:
            out[name] = float(value) if isinstance(value, Decimal) else int(value or 0)
    return out


def _query(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _series(grain: str, start: dt.datetime, end: dt.datetime) -> list[dict]:
    # Buckets come back as the ISO text the API answers (UTC), and sums as plain numbers:
    # a month by hour is thousands of rows, and parsing them would cost more than the query.
    rows = _query(
        "SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00', "
        "type, sum(count)::bigint, sum(errors)::bigint, sum(value1)::bigint, "
        "sum(value2)::bigint, sum(amount)::float8 "
        "FROM analytics_rollup WHERE grain = %s AND bucket >= %s AND bucket < %s "
        "GROUP BY bucket, type ORDER BY bucket, type", [grain, start, end])
    series = []
    for bucket, kind, count, errors, v1, v2, amount in rows:
        row = {"start": bucket, "type": kind, "count": count, "errors": errors}
        for name, value in zip(VALUE_NAMES.get(kind, NO_VALUES), (v1, v2, amount),
                               strict=True):
            if name:
                row[name] = value
        series.append(row)
    return series


def _pieces(start: dt.datetime, end: dt.datetime) -> tuple[str, list]:
    """The period as whole days (daily rows) plus the hours at either end (hourly rows): a
    SQL condition on analytics_rollup and its parameters. Totals over a period need not
    read one row per hour."""
    first_day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    if first_day < start:
        first_day += dt.timedelta(days=1)
    last_day = end.replace(hour=0, minute=0, second=0, microsecond=0)
    if first_day >= last_day:
        return "(r.grain = 'h' AND r.bucket >= %s AND r.bucket < %s)", [start, end]
    return ("((r.grain = 'd' AND r.bucket >= %s AND r.bucket < %s) OR "
            "(r.grain = 'h' AND ((r.bucket >= %s AND r.bucket < %s) OR "
            "(r.bucket >= %s AND r.bucket < %s))))",
            [first_day, last_day, start, first_day, last_day, end])


def _breakdown(start: dt.datetime, end: dt.datetime) -> dict[str, list[dict]]:
    """Every (type, dim) of the period with its sums and merged latency histogram."""
    where, params = _pieces(start, end)
    rows = _query(
        "SELECT type, dim, sum(count), sum(errors), sum(value1), sum(value2), sum(amount), "
        f"sum(duration_ms) FROM analytics_rollup r WHERE {where} GROUP BY type, dim", params)
    histograms: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(LATENCY_BOUNDS_MS))
    for kind, dim, slot, count in _query(
            "SELECT r.type, r.dim, u.slot, sum(u.n) FROM analytics_rollup r "
            "CROSS JOIN LATERAL unnest(r.histogram) WITH ORDINALITY AS u(n, slot) "
            f"WHERE {where} AND u.n > 0 AND cardinality(r.histogram) > 0 "
            "GROUP BY 1, 2, 3", params):
        if 0 < slot <= len(LATENCY_BOUNDS_MS):
            histograms[(kind, dim)][slot - 1] = int(count)
    out: dict[str, list[dict]] = defaultdict(list)
    for kind, dim, count, errors, v1, v2, amount, duration in rows:
        histogram = histograms.get((kind, dim), [0] * len(LATENCY_BOUNDS_MS))
        out[kind].append({"dim": dim, "count": int(count), "errors": int(errors),
                          "value1": int(v1), "value2": int(v2), "amount": amount,
                          "duration_ms": float(duration or 0), "histogram": histogram})
    for items in out.values():
        items.sort(key=lambda item: (-item["count"], item["dim"]))
    return out


def _latency(item: dict) -> dict:
    return {"p50_ms": percentile(item["histogram"], 0.50),
            "p95_ms": percentile(item["histogram"], 0.95)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _merged(items: list[dict]) -> list[int]:
    merged = [0] * len(LATENCY_BOUNDS_MS)
    for item in items:
        merged = [a + b for a, b in zip(merged, item["histogram"], strict=True)]
    return merged


def _active_users(start: dt.datetime, end: dt.datetime) -> dict:
    first, last = start.date(), (end - dt.timedelta(microseconds=1)).date()
    length = (last - first).days + 1
    previous_first = first - dt.timedelta(days=length)

    def distinct(since: dt.date, until: dt.date) -> int:
        return _query("SELECT count(DISTINCT user_id) FROM analytics_active_user_day "
                      "WHERE day >= %s AND day <= %s", [since, until])[0][0]

    (new,) = _query(
        "SELECT count(*) FROM (SELECT user_id FROM analytics_active_user_day "
        "GROUP BY user_id HAVING min(day) >= %s AND min(day) <= %s) AS firsts",
        [first, last])[0]
    active = distinct(first, last)
    previous = distinct(previous_first, first - dt.timedelta(days=1))
    daily = _query("SELECT day, count(*) FROM analytics_active_user_day "
                   "WHERE day >= %s AND day <= %s GROUP BY day ORDER BY day", [first, last])
    return {
        "daily": distinct(last, last),
        "weekly": distinct(last - dt.timedelta(days=6), last),
        "monthly": distinct(last - dt.timedelta(days=29), last),
        "period": active, "new": new, "returning": active - new,
        "previous_period": previous,
        "change": _rate(active - previous, previous),
        "by_day": [{"day": day.isoformat(), "users": users} for day, users in daily],
    }


def period_bounds(*, start: dt.datetime, end: dt.datetime, interval: str
                  ) -> tuple[dt.datetime, dt.datetime]:
    """The period widened to whole buckets of the interval."""
    if interval == "day":
        start = start.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end_day = end.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = end_day if end_day == end else end_day + dt.timedelta(days=1)
    else:
        start = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        end_hour = end.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        end = end_hour if end_hour == end else end_hour + dt.timedelta(hours=1)
    return start, end


def analytics_summary(*, start: dt.datetime, end: dt.datetime, interval: str = "day") -> dict:
    """Everything the dashboard shows for a period of the current tenant."""
    start, end = period_bounds(start=start, end=end, interval=interval)
    series = _series(TOTALS[interval], start, end)
    parts = _breakdown(start, end)
    counts: dict[str, int] = defaultdict(int)
    for row in series:
        counts[row["type"]] += row["count"]

    requests = parts.get("api.request", [])
    api_total = sum(item["count"] for item in requests)
    api_errors = sum(item["errors"] for item in requests)
    tools = parts.get("tool.call", [])
    tool_total = sum(item["count"] for item in tools)
    syncs = parts.get("sync.run", [])
    runs = parts.get("workflow.run", [])
    by_status = {item["dim"]: item["count"] for item in runs}
    finished = by_status.get("succeeded", 0) + by_status.get("failed", 0)
    llm = parts.get("llm.usage", [])
    uploads = parts.get("file.uploaded", [])
    extractions = parts.get("file.extracted", [])
    imports = parts.get("file.imported", [])
    return {
        "from": start.isoformat(), "to": end.isoformat(), "interval": interval,
        "counts": dict(sorted(counts.items())),
        "series": series,
        "active_users": _active_users(start, end),
        "api": {"requests": api_total, "server_errors": api_errors,
                "client_errors": sum(item["value1"] for item in requests),
                "error_rate": _rate(api_errors, api_total),
                **{k: v for k, v in _latency({"histogram": _merged(requests)}).items()},
                "routes": [{"route": item["dim"], "requests": item["count"],
                            "server_errors": item["errors"], "client_errors": item["value1"],
                            **_latency(item)} for item in requests[:25]]},
        "tools": {"calls": tool_total, "errors": sum(item["errors"] for item in tools),
                  "top": [{"tool": item["dim"], "calls": item["count"], "errors": item["errors"],
                           "error_rate": _rate(item["errors"], item["count"]),
                           **_latency(item)} for item in tools[:TOP]]},
        "tables": [{"table": item["dim"], "queries": item["count"]}
                   for item in parts.get("table.query", [])[:TOP]],
        "llm": {"prompt_tokens": sum(item["value1"] for item in llm),
                "completion_tokens": sum(item["value2"] for item in llm),
                "cost": float(sum((item["amount"] for item in llm), Decimal(0))),
                "turns": sum(item["count"] for item in llm),
                "models": [{"model": item["dim"], "turns": item["count"],
                            "prompt_tokens": item["value1"], "completion_tokens": item["value2"],
                            "cost": float(item["amount"])} for item in llm]},
        "syncs": {"runs": sum(item["count"] for item in syncs),
                  "failed": sum(item["errors"] for item in syncs),
                  "records": sum(item["value1"] for item in syncs),
                  "rate_limited": sum(item["value2"] for item in syncs),
                  "p95_ms": percentile(_merged(syncs), 0.95)},
        "workflows": {"runs": sum(by_status.values()), "by_status": by_status,
                      "success_rate": _rate(by_status.get("succeeded", 0), finished),
                      "p95_ms": percentile(_merged(runs), 0.95),
                      "failing": [{"workflow": item["dim"], "failures": item["errors"],
                                   "runs": item["count"]}
                                  for item in sorted(parts.get("workflow.by_workflow", []),
                                                     key=lambda i: (-i["errors"], i["dim"]))
                                  if item["errors"]][:TOP]},
        "files": {"uploaded": sum(item["count"] for item in uploads),
                  "uploaded_bytes": int(sum((item["amount"] for item in uploads), Decimal(0))),
                  "processed": sum(item["count"] - item["errors"] for item in extractions),
                  "failed": sum(item["errors"] for item in extractions),
                  "imported_rows": sum(item["value1"] for item in imports),
                  "storage": file_storage_used()},
    }


def key_numbers(*, days: int = 7) -> dict:
    """The front page's figures of the last `days` days."""
    end = timezone.now()
    summary = analytics_summary(start=end - dt.timedelta(days=days), end=end, interval="day")
    return {"days": days, "requests": summary["api"]["requests"],
            "error_rate": summary["api"]["error_rate"],
            "tool_calls": summary["tools"]["calls"],
            "tokens": summary["llm"]["prompt_tokens"] + summary["llm"]["completion_tokens"],
            "cost": summary["llm"]["cost"], "active_users": summary["active_users"]["period"],
            "syncs": summary["syncs"]["runs"], "workflow_runs": summary["workflows"]["runs"]}


def event_list(*, type: str | None = None, start: dt.datetime | None = None,
               end: dt.datetime | None = None) -> QuerySet[AnalyticsEvent]:
    events = AnalyticsEvent.objects.all()
    if type:
        events = events.filter(type=type)
    if start:
        events = events.filter(timestamp__gte=start)
    if end:
        events = events.filter(timestamp__lt=end)
    return events.order_by("-timestamp", "-id")


_DERIVED_TYPES = ("table.query", "workflow.by_workflow")


def tenant_usage(*, days: int = 30) -> dict:
    """The current tenant's use over the last `days` days, for operators."""
    since = timezone.now() - dt.timedelta(days=days)
    ((events, tokens, cost),) = _query(
        "SELECT coalesce(sum(count) FILTER (WHERE type <> ALL(%s)), 0), "
        "coalesce(sum(value1 + value2) FILTER (WHERE type = 'llm.usage'), 0), "
        "coalesce(sum(amount) FILTER (WHERE type = 'llm.usage'), 0) "
        "FROM analytics_rollup WHERE grain = 'd' AND bucket >= %s",
        [list(_DERIVED_TYPES), since])
    ((users,),) = _query("SELECT count(DISTINCT user_id) FROM analytics_active_user_day "
                         "WHERE day >= %s", [since.date()])
    return {"events": int(events), "tokens": int(tokens), "cost": float(cost),
            "active_users": users, "storage": file_storage_used()}


def heaviest_users(*, days: int = 30, limit: int = 20) -> list[dict]:
    """The current tenant's users by the events they caused in the last `days` days."""
    since = (timezone.now() - dt.timedelta(days=days)).date()
    rows = _query("SELECT user_id, sum(events), count(*) FROM analytics_active_user_day "
                  "WHERE day >= %s GROUP BY user_id ORDER BY sum(events) DESC, user_id "
                  "LIMIT %s", [since, limit])
    return [{"user_id": user_id, "events": int(events), "active_days": active_days}
            for user_id, events, active_days in rows]
