"""The operator's tenant page says where the tenant's data lives and how much there is."""

from __future__ import annotations

import re

from django.test import Client
from django_tenants.utils import tenant_context

from apps.airtable.models import AirtableConnection, Base, Table
from tests.files.helpers import store


def _operator(team) -> Client:
    team.owner.is_staff = team.owner.is_superuser = True
    team.owner.save(update_fields=["is_staff", "is_superuser"])
    client = Client(HTTP_HOST="localhost")
    client.force_login(team.owner)
    return client


def _counts(html: str) -> dict[str, str]:
    return dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]+)</td></tr>", html))


def test_a_tenants_admin_page_counts_its_own_data_only(team_a, team_b):
    team_a.add_member("second@alpha.example.com", "member")
    store(team_a, "counted.txt", b"one file", extract=False)
    with tenant_context(team_a.tenant):
        connection = AirtableConnection.objects.create(name="c", token_encrypted="x")
        base = Base.objects.create(connection=connection, base_id="appCOUNTED00000", name="B")
        Table.objects.create(base=base, table_id="tblA", name="A", record_count=1200)
        Table.objects.create(base=base, table_id="tblB", name="B", record_count=34)
    client = _operator(team_a)

    page = client.get(f"/admin/tenants/tenant/{team_a.tenant.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<code>{team_a.tenant.schema_name}</code>" in html
    assert f'href="//{team_a.host}/admin/"' in html
    assert _counts(html) == {"Members": "2", "Airtable bases": "1",
                             "Records mirrored": "1,234", "Files": "1"}

    other = client.get(f"/admin/tenants/tenant/{team_b.tenant.pk}/change/").content.decode()
    assert _counts(other) == {"Members": "1", "Airtable bases": "0",
                              "Records mirrored": "0", "Files": "0"}
    assert "appCOUNTED00000" not in other and "counted.txt" not in other


def test_the_tenant_page_is_for_operators_only(team_a, client):
    client.force_login(team_a.owner)  # an owner of a team, not staff
    answer = client.get(f"/admin/tenants/tenant/{team_a.tenant.pk}/change/",
                        HTTP_HOST="localhost")
    assert answer.status_code == 302 and "/admin/login" in answer["Location"]
