"""Recording analytics events, moving them into the tables, keeping partitions.

Any app records an event with

    event_record(type="workflow.run", schema_name=..., user_id=..., data={...})

which only appends to the process's buffer (apps.analytics.buffer). The ingest
(`events_ingest`, run by beat every ANALYTICS_INGEST_SECONDS) takes batches from
Redis, and per schema writes the events with COPY and adds them to the hourly
and daily rollups and to the active users, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_redis import get_redis_connection

from apps.tenants.selectors import tenant_list

from . import partitions
from .buffer import REDIS_KEY, buffer
from .metrics import EVENTS_DROPPED, counters_add
from .models import Rollup
from .registries import LATENCY_BOUNDS_MS, event_types, latency_slot

logger = logging.getLogger(__name__)

_SKIPPED_SCHEMAS = frozenset({"public", ""})


def event_record(*, type: str, schema_name: str, user_id: int | None = None,
                 api_key_id: int | None = None, grant: str = "",
                 data: dict | None = None, timestamp: dt.datetime | None = None) -> bool:
    """Buffer one event of a tenant; False when it is not recorded (analytics off,
    no tenant). Only the keys the event type declares are kept from `data`."""
    if not settings.ANALYTICS_ENABLED or schema_name in _SKIPPED_SCHEMAS \
            or schema_name == settings.TENANT_BASE_SCHEMA:
        return False
    kind = event_types.get(type)
    if kind is None:
        raise ValueError(f"unknown analytics event type {type!r}")
    moment = timestamp or timezone.now()
    buffer.add(json.dumps({
        "s": schema_name, "t": type, "ts": moment.timestamp(), "u": user_id, "k": api_key_id,
        "g": (grant or "")[:200], "d": kind.clean(data or {}),
    }, separators=(",", ":"), default=str))
    return True


@dataclass
class _Row:
    count: int = 0
    errors: int = 0
    value1: int = 0
    value2: int = 0
    amount: Decimal = Decimal(0)
    duration_ms: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BOUNDS_MS))


def _hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _add(row: _Row, part, *, latency: bool) -> None:
    row.count += part.count
    row.errors += part.errors
    row.value1 += part.value1
    row.value2 += part.value2
    row.amount += part.amount
    if latency and part.duration_ms is not None:
        row.duration_ms += part.duration_ms
        row.histogram[latency_slot(part.duration_ms)] += 1


def _rollups(events: list[dict]) -> dict[tuple, _Row]:
    """Per hour and per day: a row for each type and dimension (with its latencies), and a
    row of the type's totals (what the series over time read)."""
    Grain = Rollup.Grain
    rows: dict[tuple, _Row] = defaultdict(_Row)
    for event in events:
        kind = event_types.get(event["t"])
        hour, day = _hour(event["moment"]), _day(event["moment"])
        for part in kind.contributions(event["d"]):
            dim = part.dim[:300]
            _add(rows[(Grain.HOUR, part.type, hour, dim)], part, latency=True)
            _add(rows[(Grain.DAY, part.type, day, dim)], part, latency=True)
            _add(rows[(Grain.HOUR_TOTAL, part.type, hour, "")], part, latency=False)
            _add(rows[(Grain.DAY_TOTAL, part.type, day, "")], part, latency=False)
    return rows


def metric_increments(events: list[dict]) -> list[tuple[str, dict[str, str], float]]:
    """What these events add to the operators' counters (no tenant among the labels)."""
    out = []
    for event in events:
        kind, data = event["t"], event["d"]
        out.append(("platform_events", {"type": kind}, 1))
        if kind == "tool.call":
            out.append(("platform_business_tool_calls",
                        {"tool": data.get("tool", ""), "outcome": data.get("outcome", "")}, 1))
        elif kind == "llm.usage":
            labels = {"provider": data.get("provider", ""), "model": data.get("model", "")}
            out.append(("platform_llm_tokens", {**labels, "kind": "prompt"},
                        data.get("prompt_tokens", 0) or 0))
            out.append(("platform_llm_tokens", {**labels, "kind": "completion"},
                        data.get("completion_tokens", 0) or 0))
            out.append(("platform_llm_cost_usd", labels, float(data.get("cost", 0) or 0)))
        elif kind == "sync.run":
            out.append(("platform_sync_runs", {"status": data.get("status", "")}, 1))
            out.append(("platform_sync_records", {}, data.get("records", 0) or 0))
            out.append(("platform_sync_rate_limited", {}, data.get("rate_limited", 0) or 0))
        elif kind == "workflow.run":
            out.append(("platform_workflow_runs", {"status": data.get("status", "")}, 1))
        elif kind == "file.extracted":
            out.append(("platform_files_processed", {"outcome": data.get("outcome", "")}, 1))
    return out


_ROLLUP_UPSERT = """
INSERT INTO {schema}.analytics_rollup
    (grain, type, bucket, dim, count, errors, value1, value2, amount, duration_ms, histogram)
VALUES {values}
ON CONFLICT (grain, type, bucket, dim) DO UPDATE SET
    count = analytics_rollup.count + excluded.count,
    errors = analytics_rollup.errors + excluded.errors,
    value1 = analytics_rollup.value1 + excluded.value1,
    value2 = analytics_rollup.value2 + excluded.value2,
    amount = analytics_rollup.amount + excluded.amount,
    duration_ms = analytics_rollup.duration_ms + excluded.duration_ms,
    histogram = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0)
                      FROM unnest(analytics_rollup.histogram, excluded.histogram) AS t(a, b))
"""

_USERS_UPSERT = """
INSERT INTO {schema}.analytics_active_user_day (day, user_id, events) VALUES {values}
ON CONFLICT (day, user_id) DO UPDATE SET
    events = analytics_active_user_day.events + excluded.events
"""


def _store(schema_name: str, events: list[dict]) -> None:
    """Write one schema's events, rollups and active users in one transaction."""
    schema = f'"{schema_name}"'
    rollups = _rollups(events)
    users: dict[tuple, int] = defaultdict(int)
    for event in events:
        if event["u"] and event_types.get(event["t"]).counts_activity:
            users[(event["moment"].date(), int(event["u"]))] += 1
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(
                f"COPY {schema}.analytics_event "
                '(timestamp, type, user_id, api_key_id, "grant", data) FROM STDIN') as copy:
            for event in events:
                copy.write_row((event["moment"], event["t"], event["u"], event["k"],
                                event.get("g") or "",
                                json.dumps(event["d"], separators=(",", ":"))))
        # Sorted, so two ingests that overlap lock rows in the same order.
        keys = sorted(rollups)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            params: list[Any] = []
            for key in chunk:
                row = rollups[key]
                # Rows of types that have no duration keep no histogram at all.
                params += [*key, row.count, row.errors, row.value1, row.value2, row.amount,
                           row.duration_ms, row.histogram if any(row.histogram) else []]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::bigint[])"]
                               * len(chunk))
            cursor.execute(_ROLLUP_UPSERT.format(schema=schema, values=values), params)
        if users:
            keys = sorted(users)
            values = ", ".join(["(%s, %s, %s)"] * len(keys))
            params = [item for key in keys for item in (*key, users[key])]
            cursor.execute(_USERS_UPSERT.format(schema=schema, values=values), params)


def _parse(raw: bytes) -> dict | None:
    try:
        event = json.loads(raw)
        event["moment"] = dt.datetime.fromtimestamp(float(event["ts"]), tz=dt.UTC)
        if event_types.get(event["t"]) is None or not isinstance(event.get("d"), dict):
            return None
        return event
    except (ValueError, KeyError, TypeError):
        return None


def _store_with_partitions(schema_name: str, events: list[dict]) -> None:
    try:
        _store(schema_name, events)
    except psycopg.errors.CheckViolation:
        # No partition for some event's month: create the months still kept, drop the rest.
        cutoff = (timezone.now() - dt.timedelta(days=settings.ANALYTICS_RETENTION_DAYS)).date()
        kept = [event for event in events if event["moment"].date() >= cutoff]
        for month in {partitions.month_start(event["moment"]) for event in kept}:
            partitions.partition_create(schema_name, month)
        EVENTS_DROPPED.labels("expired").inc(len(events) - len(kept))
        if kept:
            _store(schema_name, kept)


def events_ingest(*, batch: int | None = None, max_seconds: float = 30.0) -> int:
    """Move buffered events from Redis into their tenants' tables; the count written.

    A batch taken from Redis that cannot be written (a schema since dropped, the
    database away) is logged and counted as dropped: recording is at most once."""
    batch = batch or settings.ANALYTICS_INGEST_BATCH
    buffer.flush()
    redis = get_redis_connection("default")
    known = {tenant.schema_name for tenant in tenant_list()}
    written = 0
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        raws = redis.lpop(REDIS_KEY, batch) or []
        by_schema: dict[str, list[dict]] = defaultdict(list)
        for raw in raws:
            event = _parse(raw)
            if event is None or event["s"] not in known:
                EVENTS_DROPPED.labels("invalid").inc()
                continue
            by_schema[event["s"]].append(event)
        for schema_name, events in by_schema.items():
            try:
                _store_with_partitions(schema_name, events)
            except Exception:
                logger.exception("analytics events of %s not written (%d dropped)",
                                 schema_name, len(events))
                EVENTS_DROPPED.labels("write_failed").inc(len(events))
                continue
            written += len(events)
            try:
                counters_add(metric_increments(events))
            except Exception:
                logger.warning("business metrics not updated", exc_info=True)
        connection.set_schema_to_public()
        if len(raws) < batch:
            break
    return written


def _schemas_to_maintain() -> list[str]:
    return [settings.TENANT_BASE_SCHEMA] + [tenant.schema_name for tenant in tenant_list()]


def partitions_maintain(*, today: dt.date | None = None) -> dict[str, dict[str, list[str]]]:
    """In every tenant schema and in the template: create the coming months'
    partitions, drop the expired ones, and drop rollups past their retention."""
    today = today or timezone.now().date()
    cutoff = today - dt.timedelta(days=settings.ANALYTICS_RETENTION_DAYS)
    report: dict[str, dict[str, list[str]]] = {}
    with connection.cursor() as cursor:
        for schema_name in _schemas_to_maintain():
            cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".analytics_event'])
            if cursor.fetchone()[0] is None:
                continue
            created = partitions.partitions_ensure(
                schema_name, today=today, months_ahead=settings.ANALYTICS_PARTITION_MONTHS_AHEAD,
                cursor=cursor)
            dropped = partitions.partitions_drop_before(schema_name, cutoff=cutoff, cursor=cursor)
            cursor.execute(f'DELETE FROM "{schema_name}".analytics_rollup WHERE bucket < %s',
                           [cutoff])
            cursor.execute(f'DELETE FROM "{schema_name}".analytics_active_user_day '
                           "WHERE day < %s", [cutoff])
            if created or dropped:
                report[schema_name] = {"created": [m.isoformat() for m in created],
                                       "dropped": [m.isoformat() for m in dropped]}
    return report
