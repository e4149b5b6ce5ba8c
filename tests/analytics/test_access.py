"""Only a team's owners and admins see its analytics, and only its own."""

from __future__ import annotations

import pytest

from apps.analytics.services import event_record
from tests.analytics.helpers import ingest

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/analytics/summary", "/api/v1/analytics/events",
             "/api/v1/analytics/summary.csv", "/api/v1/analytics/events.csv"]


def _activity(team, calls: int) -> None:
    for _ in range(calls):
        event_record(type="tool.call", schema_name=team.tenant.schema_name,
                     user_id=team.owner.pk, data={"tool": "list_bases", "outcome": "ok",
                                                  "duration_ms": 3.0})


def test_a_summary_counts_only_its_own_tenants_events(team_a, team_b, client_for):
    _activity(team_a, 5)
    _activity(team_b, 2)
    ingest()
    a = client_for(jwt=team_a.jwt()).get("/api/v1/analytics/summary").json()
    b = client_for(jwt=team_b.jwt()).get("/api/v1/analytics/summary").json()
    assert a["counts"]["tool.call"] == 5 and b["counts"]["tool.call"] == 2
    a_events = client_for(jwt=team_a.jwt()).get("/api/v1/analytics/events").json()["results"]
    b_events = client_for(jwt=team_b.jwt()).get("/api/v1/analytics/events").json()["results"]
    assert {e["user_id"] for e in a_events} == {team_a.owner.pk}
    assert {e["user_id"] for e in b_events} == {team_b.owner.pk}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_another_tenants_credential_sees_nothing(team_a, team_b, client_for, path):
    _activity(team_a, 3)
    ingest()
    # Bravo's key on alpha's host is refused before anything is read.
    refused = client_for(key=team_b.api_key(), host=team_a.host).get(path)
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")
    # Bravo's own view of the same endpoint holds none of alpha's events.
    own = client_for(key=team_b.api_key()).get(path)
    assert own.status_code == 200
    body = b"".join(own.streaming_content) if own.streaming else own.content
    assert b"list_bases" not in body


@pytest.mark.parametrize("path", ENDPOINTS)
def test_members_and_viewers_are_refused(team_a, client_for, path):
    for role in ("member", "viewer"):
        user = team_a.add_member(f"{role}-analytics@alpha.example.com", role)
        response = client_for(key=team_a.api_key(scopes=("read",), user=user)).get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "ERROR_ROLE_REQUIRED"
    assert client_for().get(path).status_code in (401, 403)


@pytest.mark.parametrize("params, field", [
    ({"from": "yesterday"}, "from"),
    ({"interval": "week"}, "interval"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "from"),
    ({"from": "2026-01-01", "to": "2026-03-01", "interval": "hour"}, "from"),
    ({"section": "passwords"}, "section"),
])
def test_bad_summary_input_is_a_validation_problem(team_a, client_for, params, field):
    for path in ("/api/v1/analytics/summary", "/api/v1/analytics/summary.csv"):
        response = client_for(jwt=team_a.jwt()).get(path, params)
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "ERROR_VALIDATION"
        assert field in response.json()["errors"]


def test_events_page_by_cursor_and_filter_by_type(team_a, client_for):
    _activity(team_a, 7)
    event_record(type="auth.login", schema_name=team_a.tenant.schema_name,
                 user_id=team_a.owner.pk, data={"method": "web"})
    ingest()
    client = client_for(jwt=team_a.jwt())
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/analytics/events", {"type": "tool.call", "page_size": 3,
                                                        **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        seen += page.json()["results"]
        cursor = page.json()["next"]
        if not cursor:
            break
    assert len(seen) == 7 and {e["type"] for e in seen} == {"tool.call"}
    assert len({e["id"] for e in seen}) == 7
    assert client.get("/api/v1/analytics/events", {"type": "nope"}).status_code == 400


def test_csv_exports(team_a, client_for):
    _activity(team_a, 4)
    ingest()
    client = client_for(jwt=team_a.jwt())
    tools = client.get("/api/v1/analytics/summary.csv", {"section": "tools"})
    assert tools["Content-Type"].startswith("text/csv")
    lines = b"".join(tools.streaming_content).decode().splitlines()
    assert lines[0].startswith("tool,calls,errors,error_rate")
    assert lines[1].startswith("list_bases,4,0,0.0")
    events = b"".join(client.get("/api/v1/analytics/events.csv").streaming_content).decode()
    assert events.splitlines()[0] == "id,timestamp,type,user_id,api_key_id,grant,data"
    assert len(events.splitlines()) == 5


def test_hourly_periods_add_whole_days_and_edge_hours_once(team_a, client_for):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    for hours_ago in (70, 50, 30, 26, 10, 1):
        event_record(type="tool.call", schema_name=team_a.tenant.schema_name,
                     user_id=team_a.owner.pk, timestamp=now - dt.timedelta(hours=hours_ago),
                     data={"tool": "list_bases", "outcome": "ok", "duration_ms": 5})
    ingest()
    client = client_for(jwt=team_a.jwt())
    for since, expected in ((72, 6), (60, 5), (28, 3), (12, 2), (2, 1)):
        summary = client.get("/api/v1/analytics/summary", {
            "from": (now - dt.timedelta(hours=since)).isoformat(),
            "to": (now + dt.timedelta(minutes=1)).isoformat(), "interval": "hour"}).json()
        assert summary["tools"]["calls"] == expected, since
        assert sum(r["count"] for r in summary["series"] if r["type"] == "tool.call") == expected
