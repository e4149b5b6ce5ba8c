"""Operators' business metrics: bounded labels, no tenant, the same series for 1 or 1,000
tenants; gauges for queues and workers; /api/health shows both."""

from __future__ import annotations

import re

import pytest
from django_redis import get_redis_connection

from apps.analytics.metrics import LABEL_VALUES_MAX, counters_add
from apps.analytics.services import event_record, metric_increments
from apps.core.services import worker_heartbeat_record
from tests.analytics.helpers import ingest

pytestmark = pytest.mark.django_db

SERIES = re.compile(r"^(platform_[a-z_]+?)(?:_total)?(\{[^}]*\})? ", re.MULTILINE)


def _activity(schema_name: str, user_id: int) -> list[dict]:
    """One tenant's day: tool calls, a chat turn, a sync, a workflow run, as ingested."""
    def event(kind, data):
        return {"s": schema_name, "t": kind, "u": user_id, "d": data}

    return [event("tool.call", {"tool": "list_records", "outcome": "ok"}),
            event("tool.call", {"tool": "create_records", "outcome": "error"}),
            event("llm.usage", {"provider": "openai", "model": "gpt-4o-mini",
                                "prompt_tokens": 100, "completion_tokens": 20, "cost": 0.001}),
            event("sync.run", {"status": "succeeded", "records": 50, "rate_limited": 1}),
            event("workflow.run", {"status": "failed"}),
            event("file.extracted", {"outcome": "processed"})]


def _business_series(client) -> set[str]:
    text = client.get("/metrics").content.decode()
    return {name + (labels or "") for name, labels in SERIES.findall(text)
            if not name.startswith("platform_analytics_events_dropped")}


def test_series_do_not_grow_with_tenants(client):
    counters_add(metric_increments(_activity("t_one", 1)))
    one_tenant = _business_series(client)
    events = [e for n in range(1_000) for e in _activity(f"t_tenant_{n}", n)]
    counters_add(metric_increments(events))
    thousand = _business_series(client)
    assert thousand == one_tenant
    assert not [series for series in thousand if "tenant" in series or "t_tenant" in series]
    text = client.get("/metrics").content.decode()
    sync_records = re.search(r"^platform_sync_records_total (\S+)$", text, re.MULTILINE)
    assert float(sync_records[1]) == 50 * 1_001
    assert 'platform_llm_tokens_total{kind="prompt",model="gpt-4o-mini",provider="openai"} ' \
        '100100.0' in text


def test_label_values_are_capped(client):
    events = [{"s": "t_x", "t": "tool.call", "u": None,
               "d": {"tool": f"tool_{n}", "outcome": "ok"}} for n in range(LABEL_VALUES_MAX + 30)]
    counters_add(metric_increments(events))
    text = client.get("/metrics").content.decode()
    tools = set(re.findall(r'^platform_business_tool_calls_total\{outcome="ok",tool="([^"]+)"\}',
                           text, re.MULTILINE))
    assert len(tools) == LABEL_VALUES_MAX + 1 and "other" in tools


def test_ingested_events_feed_the_counters(team_a, client):
    for _ in range(3):
        event_record(type="workflow.run", schema_name=team_a.tenant.schema_name,
                     data={"workflow_id": 7, "status": "succeeded", "duration_ms": 40})
    ingest()
    text = client.get("/metrics").content.decode()
    assert 'platform_workflow_runs_total{status="succeeded"} 3.0' in text


def test_queue_length_and_heartbeat_age_in_metrics_and_health(client):
    redis = get_redis_connection("default")
    redis.rpush("celery", b"{}", b"{}")
    worker_heartbeat_record("worker-7")
    text = client.get("/metrics").content.decode()
    assert 'platform_celery_queue_length{queue="celery"} 2.0' in text
    assert re.search(r'^platform_worker_heartbeat_age_seconds\{worker="worker-7"\} \d',
                     text, re.MULTILINE)
    checks = client.get("/api/health").json()["checks"]
    assert checks["queues"]["lengths"] == {"celery": 2}
    assert checks["workers"]["heartbeats"][0]["worker"] == "worker-7"
    assert checks["workers"]["heartbeats"][0]["alive"] is True
