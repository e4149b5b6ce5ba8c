"""Recording never fails or slows a request: not with Redis away, not with the table gone."""

from __future__ import annotations

import time

import pytest
import redis
from django.db import connection

from apps.analytics import buffer as buffer_module
from apps.analytics.buffer import buffer
from apps.analytics.services import events_ingest
from config import devservices
from tests.analytics.helpers import ingest, rows

pytestmark = pytest.mark.django_db


def _call(client):
    started = time.perf_counter()
    response = client.post("/api/v1/mcp/tools/call", {"name": "list_bases", "arguments": {}},
                           format="json")
    return response, time.perf_counter() - started


def test_requests_succeed_while_redis_refuses_the_events(team_a, client_for, monkeypatch):
    dead = redis.Redis(host="127.0.0.1", port=devservices.free_port(), socket_timeout=0.2,
                       socket_connect_timeout=0.2)
    monkeypatch.setattr(buffer_module, "get_redis_connection", lambda alias: dead)
    client = client_for(key=team_a.api_key())
    for _ in range(5):
        response, seconds = _call(client)
        assert response.status_code == 200
        assert seconds < 1.0
    with pytest.raises(redis.ConnectionError):
        buffer.flush()
    assert len(buffer) >= 10  # kept for when Redis is back
    monkeypatch.undo()
    ingest()
    counted = rows(team_a.tenant.schema_name,
                   "SELECT type, count(*) FROM {schema}.analytics_event GROUP BY type")
    assert dict(counted) == {"api.request": 5, "tool.call": 5}


def test_requests_succeed_while_the_events_table_is_unavailable(team_a, client_for):
    schema = team_a.tenant.schema_name
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}".analytics_event RENAME TO analytics_event_away')
    client = client_for(key=team_a.api_key())
    response, _seconds = _call(client)
    assert response.status_code == 200
    assert events_ingest() == 0  # logged and dropped; the ingest itself carries on
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}".analytics_event_away RENAME TO analytics_event')
    response, _seconds = _call(client)
    assert response.status_code == 200
    assert ingest() == 2
