"""Analytics benchmarks.

1. Request latency with event recording on and off, in the same run: two gunicorn
   servers (2 workers each, one with ANALYTICS_ENABLED=false), requests to
   GET /api/v1/auth/me with an API key sent alternately to each.
2. Ingest: events recorded in this process (buffer -> Redis -> beat's ingest,
   the whole path), events per second written into the tenant's tables.
3. Summary latency over a tenant with ANALYTICS_BENCH_EVENTS events (10 million by
   default) spread over 90 days: the events are loaded with the ingest's own writer
   (COPY plus the rollups), then the summary of 90 days by day and of 31 days by hour
   is asked for, in process and over HTTP.

Parts can be chosen with ANALYTICS_BENCH_PARTS=overhead,ingest,summary.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import time

from _common import Server, report, setup_django, summary

setup_django()

import httpx  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from apps.accounts.selectors import user_get_by_email  # noqa: E402
from apps.accounts.services import api_key_create, tokens_issue, user_register  # noqa: E402
from apps.analytics import selectors, services  # noqa: E402
from apps.analytics.registries import event_types  # noqa: E402
from apps.tenants.selectors import tenant_get_by_slug  # noqa: E402

REQUESTS = int(os.environ.get("ANALYTICS_BENCH_REQUESTS", 1500))
INGEST_EVENTS = int(os.environ.get("ANALYTICS_BENCH_INGEST", 100_000))
EVENTS = int(os.environ.get("ANALYTICS_BENCH_EVENTS", 10_000_000))
SUMMARIES = 40
PARTS = os.environ.get("ANALYTICS_BENCH_PARTS", "overhead,ingest,summary").split(",")
SLUG = "bench-analytics"

ROUTES = [f"GET /api/v1/airtable/bases/<str:base_id>/tables/<str:table>/records{n}"
          for n in range(25)] + ["POST /api/v1/mcp/tools/call", "GET /api/v1/files"]
TOOLS = ["list_bases", "list_tables", "describe_table", "list_records", "search_records",
         "get_record", "create_records", "update_records", "delete_records", "list_files",
         "get_file_content", "import_file"]
MODELS = [("openai", "gpt-4o-mini"), ("openai", "gpt-4.1"), ("gemini", "gemini-2.5-flash")]


def _team():
    email = f"owner@{SLUG}.example.com"
    user = user_get_by_email(email)
    if user is None:
        user, _tenant = user_register(email=email, password="bench-password-long-enough-1",
                                      tenant_name="Bench Analytics", tenant_slug=SLUG)
    return tenant_get_by_slug(SLUG), user


def _event(rng: random.Random, moment: dt.datetime, user_ids: list[int]) -> dict:
    roll = rng.random()
    user = rng.choice(user_ids)
    if roll < 0.70:
        kind, data = "api.request", {
            "method": "GET", "route": rng.choice(ROUTES), "status": 200 if rng.random() > .02
            else 500, "duration_ms": rng.lognormvariate(2.3, 0.6),
            "base_id": "appBENCH", "table": f"tbl{rng.randrange(12)}"}
    elif roll < 0.90:
        kind, data = "tool.call", {"tool": rng.choice(TOOLS), "channel": "mcp",
                                   "outcome": "ok" if rng.random() > .05 else "error",
                                   "duration_ms": rng.lognormvariate(3, 0.7)}
    elif roll < 0.96:
        provider, model = rng.choice(MODELS)
        kind, data = "llm.usage", {"provider": provider, "model": model,
                                   "prompt_tokens": rng.randrange(200, 4000),
                                   "completion_tokens": rng.randrange(20, 800), "cost": 0.001,
                                   "status": "ok", "latency_ms": rng.uniform(300, 5000)}
    elif roll < 0.98:
        kind, data = "workflow.run", {"workflow_id": rng.randrange(40),
                                      "status": "succeeded" if rng.random() > .1 else "failed",
                                      "duration_ms": rng.uniform(50, 9000)}
    else:
        kind, data = "sync.run", {"status": "succeeded", "records": rng.randrange(500),
                                  "rate_limited": rng.randrange(3),
                                  "duration_ms": rng.uniform(500, 20000)}
    clean = event_types.get(kind).clean(data)
    return {"s": "", "t": kind, "moment": moment, "u": user, "k": None, "g": "", "d": clean}


def recording_overhead(tenant, user) -> None:
    key = api_key_create(tenant=tenant, user=user, name="bench", scopes=["read"])[1]
    headers = {"Authorization": f"Bearer {key}"}
    on = Server(workers=2, extra_env={"ANALYTICS_ENABLED": "true"})
    off = Server(workers=2, extra_env={"ANALYTICS_ENABLED": "false"})
    samples: dict[str, list[float]] = {"on": [], "off": []}
    try:
        with httpx.Client(timeout=30) as client:
            for server in (on, off):  # warm both: imports, connections, caches
                for _ in range(50):
                    client.get(f"{server.url}/api/v1/auth/me", headers=headers)
            for n in range(REQUESTS * 2):
                name, server = ("on", on) if n % 2 == 0 else ("off", off)
                started = time.perf_counter()
                response = client.get(f"{server.url}/api/v1/auth/me", headers=headers)
                samples[name].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
    finally:
        _stop(on)
        _stop(off)
    with_events, without = summary(samples["on"]), summary(samples["off"])
    report(f"Request latency, recording on vs off ({REQUESTS} requests each, alternated)", [
        ("recording on  p50 / p95", f"{with_events['p50']:.2f} / {with_events['p95']:.2f} ms"),
        ("recording off p50 / p95", f"{without['p50']:.2f} / {without['p95']:.2f} ms"),
        ("p95 difference", f"{(with_events['p95'] / without['p95'] - 1) * 100:+.1f} %  "
                           "(target: under 5 %)"),
    ])


def ingest_rate(tenant, user) -> None:
    rng = random.Random(7)
    now = timezone.now()
    started = time.perf_counter()
    for _ in range(INGEST_EVENTS):
        event = _event(rng, now, [user.pk])
        services.event_record(type=event["t"], schema_name=tenant.schema_name,
                              user_id=user.pk, data=event["d"])
    recorded = time.perf_counter() - started
    started = time.perf_counter()
    written = services.events_ingest(max_seconds=3600)
    ingested = time.perf_counter() - started
    report(f"Ingest ({INGEST_EVENTS} events through buffer, Redis and the ingest)", [
        ("recording (event_record)", f"{recorded / INGEST_EVENTS * 1e6:.1f} µs per event"),
        ("ingest (Redis -> COPY + rollups)", f"{written / ingested:,.0f} events/s "
                                             f"({written} written in {ingested:.1f} s)"),
    ])


def _existing(schema_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{schema_name}".analytics_event')
        return cursor.fetchone()[0]


def load(tenant) -> None:
    """EVENTS events over the last 90 days (kept between runs: loaded once)."""
    schema_name = tenant.schema_name
    have = _existing(schema_name)
    if have >= EVENTS:
        return
    rng = random.Random(11)
    end = timezone.now()
    start = end - dt.timedelta(days=90)
    span = (end - start).total_seconds()
    user_ids = list(range(1_000_000, 1_000_300))
    started = time.perf_counter()
    batch = 50_000
    missing = EVENTS - have
    for offset in range(0, missing, batch):
        size = min(batch, missing - offset)
        moments = sorted(start + dt.timedelta(seconds=rng.random() * span) for _ in range(size))
        events = [_event(rng, moment, user_ids) for moment in moments]
        with schema_context(schema_name):
            services._store_with_partitions(schema_name, events)
    connection.set_schema_to_public()
    seconds = time.perf_counter() - started
    report("Load", [("events loaded", f"{missing:,} in {seconds:.0f} s "
                                      f"({missing / seconds:,.0f} events/s)")])


def summary_latency(tenant, user) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{tenant.schema_name}".analytics_rollup')
        cursor.execute(f'SELECT count(*) FROM "{tenant.schema_name}".analytics_rollup')
        (rollup_rows,) = cursor.fetchone()
    events = _existing(tenant.schema_name)
    end = timezone.now()
    rows = []
    for label, days, interval in (("90 days by day", 90, "day"),
                                  ("31 days by hour", 31, "hour")):
        timings = []
        with schema_context(tenant.schema_name):
            for _ in range(SUMMARIES):
                started = time.perf_counter()
                selectors.analytics_summary(start=end - dt.timedelta(days=days), end=end,
                                            interval=interval)
                timings.append((time.perf_counter() - started) * 1000)
        result = summary(timings)
        rows.append((f"{label}, in process p50 / p95",
                     f"{result['p50']:.1f} / {result['p95']:.1f} ms"))
    connection.set_schema_to_public()
    server = Server(workers=2)
    token = tokens_issue(user=user, tenant=tenant)["access"]
    try:
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
            for label, days, interval in (("90 days by day", 90, "day"),
                                          ("31 days by hour", 31, "hour")):
                params = {"from": (end - dt.timedelta(days=days)).isoformat(),
                          "to": end.isoformat(), "interval": interval}
                client.get(f"{server.url}/api/v1/analytics/summary", params=params)
                timings = []
                for _ in range(SUMMARIES):
                    started = time.perf_counter()
                    response = client.get(f"{server.url}/api/v1/analytics/summary",
                                          params=params)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text
                result = summary(timings)
                rows.append((f"{label}, over HTTP p50 / p95",
                             f"{result['p50']:.1f} / {result['p95']:.1f} ms  (target: p95 "
                             "under 300 ms)"))
    finally:
        _stop(server)
    report(f"Summary over {events:,} events ({rollup_rows:,} rollup rows)", rows)


def _stop(server: Server) -> None:
    try:
        server.stop()
    except subprocess.TimeoutExpired:
        server.process.kill()


def main() -> None:
    tenant, user = _team()
    if "overhead" in PARTS:
        recording_overhead(tenant, user)
    if "ingest" in PARTS:
        ingest_rate(tenant, user)
    if "summary" in PARTS:
        load(tenant)
        summary_latency(tenant, user)


if __name__ == "__main__":
    main()
