"""Business metrics for operators, on /metrics.

Counters of what tenants do (tool calls, LLM tokens, syncs, workflow runs) are
added up in Redis by the ingest task, which sees every event whichever web
process, Celery worker or machine recorded it; gauges (queue lengths, worker
heartbeat age) are read at scrape time. One exporter, the /metrics view, turns
both into series, so totals are right however many processes there are.

No series carries a tenant label: a label per tenant makes one series per
tenant and value, which grows without bound with sign-ups and makes Prometheus
slow and expensive; per-tenant figures live in each tenant's PostgreSQL rollups
(the analytics API, the dashboard and the operator admin). Label values are
bounded: at most LABEL_VALUES_MAX distinct values per label, the rest count
under "other".
"""

from __future__ import annotations

import json
import logging
import os

import prometheus_client
from django.http import HttpResponse
from django_redis import get_redis_connection
from prometheus_client import Counter, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from apps.core.selectors import queue_lengths, worker_heartbeat_ages

logger = logging.getLogger(__name__)

EVENTS_DROPPED = Counter("platform_analytics_events_dropped_total",
                         "Analytics events not recorded, by reason", ["reason"])

# The Redis list of buffered events (apps.analytics.buffer) and the shared counters.
EVENTS_KEY = "analytics:events"
COUNTERS_KEY = "analytics:metrics:counters"
LABELS_KEY = "analytics:metrics:labels:"
LABEL_VALUES_MAX = 50

# name -> (help, label names)
BUSINESS_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "platform_events": ("Analytics events ingested, by type", ("type",)),
    "platform_business_tool_calls": ("Tool calls (MCP, REST, chat, workflows) by tool and "
                                     "outcome", ("tool", "outcome")),
    "platform_llm_tokens": ("LLM tokens by provider, model and kind (prompt, completion)",
                            ("provider", "model", "kind")),
    "platform_llm_cost_usd": ("LLM cost in USD by provider and model", ("provider", "model")),
    "platform_sync_runs": ("Airtable sync runs by status", ("status",)),
    "platform_sync_records": ("Records a sync created, updated or deleted", ()),
    "platform_sync_rate_limited": ("429 answers syncs received from Airtable", ()),
    "platform_workflow_runs": ("Workflow runs by status", ("status",)),
    "platform_files_processed": ("Files extracted by outcome", ("outcome",)),
}


def _bounded(pipe_values: dict[str, set], label: str, value: str) -> str:
    value = str(value or "")[:100] or "none"
    known = pipe_values.setdefault(label, set())
    if value in known:
        return value
    return "other"


def counters_add(increments: list[tuple[str, dict[str, str], float]]) -> None:
    """Add ingested events to the shared counters (one Redis round trip or two)."""
    if not increments:
        return
    redis = get_redis_connection("default")
    labels_used = {label for _name, labels, _value in increments for label in labels}
    known: dict[str, set] = {}
    for label in labels_used:
        known[label] = {value.decode() for value in redis.smembers(LABELS_KEY + label)}
    wanted: dict[str, set] = {}
    for _name, labels, _value in increments:
        for label, value in labels.items():
            value = str(value or "")[:100] or "none"
            if value not in known[label]:
                wanted.setdefault(label, set()).add(value)
    for label, values in wanted.items():
        room = LABEL_VALUES_MAX - len(known[label])
        admitted = sorted(values)[:max(room, 0)]
        if admitted:
            redis.sadd(LABELS_KEY + label, *admitted)
            known[label].update(admitted)
    totals: dict[str, float] = {}
    for name, labels, value in increments:
        key = json.dumps([name, {k: _bounded(known, k, v) for k, v in sorted(labels.items())}])
        totals[key] = totals.get(key, 0) + value
    pipe = redis.pipeline(transaction=False)
    for key, value in totals.items():
        pipe.hincrbyfloat(COUNTERS_KEY, key, value)
    pipe.execute()


class BusinessCollector:
    """Reads the shared counters and the gauges at scrape time."""

    def describe(self):
        """The series names, without reading Redis (registering calls this)."""
        return list(self._families().values())

    def collect(self):
        families = self._families()
        try:
            self._fill(families)
        except Exception:  # Redis away: the scrape still answers the process metrics
            logger.warning("business metrics not read from Redis", exc_info=True)
        return list(families.values())

    @staticmethod
    def _families() -> dict:
        families = {name: CounterMetricFamily(name, help_text, labels=list(labels))
                    for name, (help_text, labels) in BUSINESS_COUNTERS.items()}
        families["queue"] = GaugeMetricFamily("platform_celery_queue_length",
                                              "Tasks waiting in a Celery queue", labels=["queue"])
        families["heartbeat"] = GaugeMetricFamily(
            "platform_worker_heartbeat_age_seconds", "Seconds since a Celery worker last reported",
            labels=["worker"])
        families["waiting"] = GaugeMetricFamily(
            "platform_analytics_events_waiting", "Analytics events in Redis waiting for the ingest")
        return families

    @staticmethod
    def _fill(families: dict) -> None:
        redis = get_redis_connection("default")
        for key, value in redis.hgetall(COUNTERS_KEY).items():
            name, labels = json.loads(key)
            if name in BUSINESS_COUNTERS:
                families[name].add_metric(
                    [labels.get(label, "") for label in BUSINESS_COUNTERS[name][1]], float(value))
        for name, length in queue_lengths().items():
            families["queue"].add_metric([name], length)
        for worker, age in worker_heartbeat_ages().items():
            families["heartbeat"].add_metric([worker[:100]], age)
        families["waiting"].add_metric([], redis.llen(EVENTS_KEY))


_collector = BusinessCollector()


def collector_register() -> None:
    """Outside multiprocess mode the default registry serves the collector too."""
    try:
        prometheus_client.REGISTRY.register(_collector)
    except ValueError:  # registered already (ready() ran twice)
        pass


def metrics_export(request):
    """/metrics: every process's own metrics (added up across gunicorn workers in
    multiprocess mode) and the business metrics, once."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collector)
    else:
        registry = prometheus_client.REGISTRY
    return HttpResponse(prometheus_client.generate_latest(registry),
                        content_type=prometheus_client.CONTENT_TYPE_LATEST)
