"""The realtime process (uvicorn, ASGI) keeps its PostgreSQL connections bounded whatever
DATABASE_POOL and DATABASE_CONN_MAX_AGE say, and an API or sandbox path never answers
with an HTML page: problem+json on /api/, Airtable's error body on /sandbox/."""

from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection

from apps.sandbox.services import sandbox_seed_demo
from tests.conftest import committed_team

pytestmark = pytest.mark.django_db

APPLICATION = "asgi-connection-test"
REQUESTS = 400


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """A committed team's API key and a sandbox base with its token."""
    with django_db_blocker.unblock():
        team = committed_team("asgi-conns")
        key = team.api_key()
        base_id, token = sandbox_seed_demo(records=20)
    return key, base_id, token


@pytest.fixture(scope="module")
def asgi_server(platform_server_factory):
    """uvicorn without the pool and with persistent connections asked for: what leaked."""
    url = re.sub(r"/[^/]*$", f"/{connection.settings_dict['NAME']}",
                 os.environ["DATABASE_URL"])
    return platform_server_factory(DATABASE_POOL="false", DATABASE_CONN_MAX_AGE="600",
                                   DATABASE_URL=f"{url}?application_name={APPLICATION}")


def _connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                       [APPLICATION])
        return cursor.fetchone()[0]


def _requests(key: str, base_id: str, token: str) -> list[tuple[str, dict]]:
    api = {"Authorization": f"Bearer {key}"}
    sandbox = {"Authorization": f"Bearer {token}"}
    return [
        ("/api/v1/auth/me", api),
        ("/api/v1/api-keys", api),
        (f"/sandbox/airtable/v0/{base_id}/Companies?pageSize=5", sandbox),
        (f"/sandbox/airtable/v0/meta/bases/{base_id}/tables", sandbox),
        ("/api/v1/no-such-endpoint", api),
        ("/sandbox/airtable/v0/no/such/path/here", sandbox),
        ("/api/v1/airtable/bases/appNoSuchBase00000/tables", api),
    ]


class _Sampler(threading.Thread):
    """Counts the server's connections every 50 ms while the load runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def run(self):
        try:
            while not self.done.is_set():
                self.peak = max(self.peak, _connections())
                time.sleep(0.05)
        finally:
            connection.close()


def test_connections_stay_bounded_and_errors_are_problems(asgi_server, seeded):
    key, base_id, token = seeded
    mix = _requests(key, base_id, token)
    sampler = _Sampler()
    sampler.start()
    with httpx.Client(base_url=asgi_server.url, timeout=60) as client:

        def one(index: int) -> httpx.Response:
            path, headers = mix[index % len(mix)]
            return client.get(path, headers=headers)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(REQUESTS)))
    sampler.done.set()
    sampler.join()
    peak = sampler.peak
    for answer in answers:
        assert answer.status_code < 500, (answer.request.url, answer.status_code, answer.text)
        assert "text/html" not in answer.headers.get("content-type", ""), answer.request.url
        if answer.status_code >= 400 and answer.request.url.path.startswith("/api/"):
            assert answer.headers["content-type"] == "application/problem+json", \
                (answer.request.url, answer.headers["content-type"])
            assert answer.json()["code"]
        elif answer.status_code >= 400:  # the sandbox speaks Airtable: {"error": ...}
            assert answer.headers["content-type"].startswith("application/json")
            assert {"error", "errors"} & set(answer.json()), answer.text
    assert {answer.status_code for answer in answers} >= {200, 404}
    # Eight clients: about as many connections at once, each closed with its request.
    # Persistent ones stayed open, idle, after the load (24 of them after 800 requests).
    assert 0 < peak <= 20, peak
    deadline = time.monotonic() + 30
    while _connections() > 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _connections() <= 2
