"""The dashboard page and the front page's 7-day figures, as owners and members see them."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.test import Client

from apps.analytics.services import event_record, events_ingest
from tests.analytics.helpers import ingest
from tests.support.signup import browser_sign_up

pytestmark = pytest.mark.django_db


def _browser(team, user=None) -> Client:
    client = Client(HTTP_HOST=team.host)
    client.force_login(user or team.owner)
    return client


def _activity(team) -> None:
    schema = team.tenant.schema_name
    for _ in range(4):
        event_record(type="tool.call", schema_name=schema, user_id=team.owner.pk,
                     data={"tool": "list_records", "outcome": "ok", "duration_ms": 12})
    event_record(type="llm.usage", schema_name=schema, user_id=team.owner.pk,
                 data={"provider": "openai", "model": "gpt-4o-mini", "prompt_tokens": 900,
                       "completion_tokens": 100, "cost": 0.0042})
    ingest()


def test_dashboard_shows_the_periods_figures_and_tables(team_a):
    _activity(team_a)
    page = _browser(team_a).get("/analytics/?range=30d")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<code>list_records</code>" in html
    assert "openai/gpt-4o-mini" in html and "$0.0042" in html
    assert 'class="current" aria-current="page">Last 30 days' in html
    assert "vendor/uplot/uPlot.iife.min.js" in html and "defer" in html
    # Every chart has its CSV, of that chart's event type.
    assert html.count("section=series&amp;type=") == 5
    assert "section=active_users" in html


def test_members_see_no_analytics(team_a):
    member = team_a.add_member("plain-member@alpha.example.com", "member")
    page = _browser(team_a, member).get("/analytics/")
    assert page.status_code == 403
    assert "list_records" not in page.content.decode()
    front = _browser(team_a, member).get("/")
    assert "Last 7 days" not in front.content.decode()


def test_front_page_shows_the_last_7_days(team_a):
    _activity(team_a)
    html = _browser(team_a).get("/").content.decode()
    assert "Last 7 days" in html
    assert "<dt>Tool calls</dt><dd>4</dd>" in html
    assert "<dt>LLM tokens</dt><dd>1000</dd>" in html


@pytest.mark.browser
def test_charts_draw_after_first_paint_from_real_activity(platform_server, page):
    slug = f"charts-{uuid.uuid4().hex[:8]}"
    base = platform_server.url
    browser_sign_up(page, platform_server, email_address=f"owner@{slug}.example.com",
                    password="a-long-and-unusual-passphrase-78", tenant_name="Charts Team",
                    tenant_slug=slug, full_name="Ana Lytics")
    page.click("nav >> text=Analytics")
    page.wait_for_url(f"{base}/analytics/")
    page.locator("#analytics-charts[data-loaded=true]").wait_for(state="attached")
    # The chart's own request to the summary API is activity: ingest it (committed, from a
    # connection of its own) once the server's buffer has reached Redis.
    time.sleep(2.5)
    worker = threading.Thread(target=events_ingest)
    worker.start()
    worker.join()
    page.reload()
    page.locator("#analytics-charts[data-loaded=true]").wait_for(state="attached")
    assert page.locator(".chart.drawn").count() == 6
    assert page.locator(".chart.drawn canvas").count() == 6
    requests = page.locator("[data-chart=requests]")
    assert int(requests.get_attribute("data-points")) >= 1
    assert requests.locator(".empty").is_hidden()
    assert page.locator("[data-chart=users] .empty").is_hidden()
