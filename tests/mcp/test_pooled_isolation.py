"""Two tenants' requests alternate on one pooled server process (psycopg pool,
TENANT_LIMIT_SET_CALLS): no answer may carry a row of the other tenant."""

import httpx
import pytest

from tests.conftest import committed_team

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def keys(django_db_setup, django_db_blocker):
    from apps.accounts.services import api_key_create

    with django_db_blocker.unblock():
        result = {}
        for slug in ("pool-one", "pool-two"):
            team = committed_team(slug)
            result[slug] = api_key_create(tenant=team.tenant, user=team.owner, name=slug,
                                          scopes=["read"])[1]
    return result


def test_alternating_tenants_never_cross(platform_server, keys):
    clients = {slug: httpx.Client(base_url=platform_server.url, timeout=30,
                                  headers={"X-API-Key": key}) for slug, key in keys.items()}
    for slug, client in clients.items():
        for _ in range(3):
            called = client.post("/api/v1/mcp/tools/call", json={"name": "whoami"}).json()
            assert called["structuredContent"]["tenant"]["slug"] == slug
    for round_ in range(60):
        for slug, client in clients.items():
            answer = client.get("/api/v1/mcp/tool-calls?page_size=100")
            assert answer.status_code == 200
            emails = {row["user_email"] for row in answer.json()["results"]}
            assert emails == {f"owner@{slug}.example.com"}, (round_, slug, emails)
            me = client.post("/api/v1/mcp/tools/call", json={"name": "whoami"}).json()
            assert me["structuredContent"]["tenant"]["slug"] == slug
