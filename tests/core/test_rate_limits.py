"""Rate limits are atomic across concurrent clients and processes, cover /mcp, and fail
open when Redis is gone."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from tests.conftest import committed_team

pytestmark = pytest.mark.django_db
LIMIT = 20


@pytest.fixture(scope="module")
def limited(platform_server_factory, django_db_blocker):
    from apps.accounts.services import api_key_create

    server = platform_server_factory(THROTTLE_API_KEY=f"{LIMIT}/min")
    with django_db_blocker.unblock():
        team = committed_team("ratelimited")
        keys = [api_key_create(tenant=team.tenant, user=team.owner, name=f"k{index}",
                               scopes=["read"])[1] for index in range(2)]
        connection.close()
    return server, keys


def _burst(send, count: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: send(), range(count)))


def test_concurrent_clients_get_exactly_the_limit_through(limited):
    server, (key, _other) = limited
    with httpx.Client(base_url=server.url, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as http:
        answers = _burst(lambda: http.get("/api/v1/auth/me"), LIMIT * 2)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * LIMIT + [429] * LIMIT
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["code"] == "ERROR_RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) > 0


def test_mcp_counts_in_the_same_limit(limited):
    server, (_key, key) = limited
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    with httpx.Client(base_url=server.url, timeout=60, headers={
            "Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25"}) as http:
        for _ in range(LIMIT - 5):
            http.get("/api/v1/auth/me")
        answers = _burst(lambda: http.post("/mcp", json=body), 10)
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(429) == 5, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.json()["error"]["data"]["code"] == "ERROR_RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) > 0


def test_redis_down_still_answers_rest_requests(team_a, client_for, settings):
    from apps.core import throttling

    key = team_a.api_key()
    settings.CACHES = {**settings.CACHES, "default": {
        **settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    throttling._script = None
    try:
        answer = client_for(key=key).get("/api/v1/auth/me")
    finally:
        throttling._script = None
    assert answer.status_code == 200, answer.content
    assert answer.json()["tenant"]["slug"] == team_a.tenant.slug
