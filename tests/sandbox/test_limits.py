"""Rate limits and injected failures, against real server processes (Redis is shared)."""

from __future__ import annotations

import time

import httpx
import pytest
from pyairtable import Api

from apps.sandbox.services import sandbox_seed_demo

pytestmark = pytest.mark.django_db

RATE_LIMIT_BODY = {"errors": [{"error": "RATE_LIMIT_REACHED",
                               "message": "Rate limit exceeded. Please try again later"}]}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return sandbox_seed_demo(records=400)


def _burst(url: str, token: str, count: int) -> list[httpx.Response]:
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        return [client.get(url) for _ in range(count)]


def test_per_base_limit_answers_429_with_airtables_body(platform_server_factory, demo):
    server = platform_server_factory(SANDBOX_RATE_LIMIT_PER_BASE="3",
                                     SANDBOX_RATE_LIMIT_PER_TOKEN="0")
    base_id, token = demo
    url = f"{server.url}/sandbox/airtable/v0/{base_id}/Deals?pageSize=1"
    responses = _burst(url, token, 12)
    statuses = [response.status_code for response in responses]
    # Twelve quick requests span at most two one-second windows of three each.
    assert statuses[0] == 200
    assert 3 <= statuses.count(200) <= 6
    limited = [response for response in responses if response.status_code == 429]
    assert limited and all(response.json() == RATE_LIMIT_BODY for response in limited)
    time.sleep(1.1)
    assert _burst(url, token, 1)[0].status_code == 200


def test_per_token_limit_counts_every_request_of_the_token(platform_server_factory, demo):
    server = platform_server_factory(SANDBOX_RATE_LIMIT_PER_BASE="0",
                                     SANDBOX_RATE_LIMIT_PER_TOKEN="4")
    responses = _burst(f"{server.url}/sandbox/airtable/v0/meta/whoami", demo[1], 12)
    statuses = [response.status_code for response in responses]
    assert statuses[0] == 200 and 4 <= statuses.count(200) <= 8
    assert statuses.count(429) >= 4


def test_pyairtable_retries_its_way_through_the_default_limits(platform_server, demo):
    """Five requests a second per base, as Airtable: pyairtable's own 429 retries cope."""
    api = Api(demo[1], endpoint_url=f"{platform_server.url}/sandbox/airtable")
    table = api.table(demo[0], "Activities")
    records = [record for page in table.iterate(page_size=10) for record in page]
    assert len(records) == 140


def test_failure_injection_answers_503(platform_server_factory, demo):
    server = platform_server_factory(SANDBOX_FAILURE_RATE="1")
    response = _burst(f"{server.url}/sandbox/airtable/v0/meta/whoami", demo[1], 1)[0]
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "SERVICE_UNAVAILABLE"
