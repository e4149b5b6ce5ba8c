"""Operators see every tenant's use and a tenant's heaviest users in the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.analytics.services import event_record
from tests.analytics.helpers import ingest

pytestmark = pytest.mark.django_db


def _operator(team) -> Client:
    team.owner.is_staff = team.owner.is_superuser = True
    team.owner.save(update_fields=["is_staff", "is_superuser"])
    client = Client(HTTP_HOST="localhost")
    client.force_login(team.owner)
    return client


def test_usage_by_tenant_and_heaviest_users(team_a, team_b):
    busy = team_a.add_member("busy@alpha.example.com", "member")
    for user, calls in ((team_a.owner, 2), (busy, 6)):
        for _ in range(calls):
            event_record(type="tool.call", schema_name=team_a.tenant.schema_name,
                         user_id=user.pk, data={"tool": "list_bases", "outcome": "ok"})
    event_record(type="llm.usage", schema_name=team_b.tenant.schema_name,
                 user_id=team_b.owner.pk, data={"provider": "openai", "model": "m",
                                                "prompt_tokens": 70, "completion_tokens": 7})
    ingest()
    client = _operator(team_a)
    usage = client.get("/admin/analytics/usage/")
    assert usage.status_code == 200
    html = usage.content.decode()
    alpha_row = html[html.index("<code>alpha</code>"):].split("</tr>")[0]
    bravo_row = html[html.index("<code>bravo</code>"):].split("</tr>")[0]
    assert "<td>8</td><td>2</td>" in alpha_row
    assert "<td>1</td><td>1</td><td>77</td>" in bravo_row

    page = client.get("/admin/analytics/usage/alpha/?days=7").content.decode()
    heaviest = page[page.index('id="heaviest"'):]
    assert heaviest.index("busy@alpha.example.com") < heaviest.index(team_a.owner.email)
    assert "<td>busy@alpha.example.com</td><td>6</td><td>1</td>" in heaviest


def test_only_operators_get_in(team_a):
    client = Client(HTTP_HOST="localhost")
    client.force_login(team_a.owner)  # an owner of a team, not staff
    assert client.get("/admin/analytics/usage/").status_code == 302
    assert _operator(team_a).get("/admin/analytics/usage/nope/").status_code == 404
