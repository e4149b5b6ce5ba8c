"""PostgreSQL going away and coming back under a running web process: while it is away
every API answer is a 503 problem+json (never an HTML page, never a hang), and once it is
back the same processes answer again, with no restart. PostgreSQL sits behind a TCP proxy
that cuts every connection and refuses new ones, which is what its clients see during a
restart."""

from __future__ import annotations

import os
import re
import time
from urllib.parse import urlsplit

import httpx
import pytest
from django.db import connection

from tests.conftest import PlatformServer, committed_team
from tests.support.faults import TcpProxy

pytestmark = pytest.mark.django_db

DOWN_SECONDS = 3


@pytest.fixture(scope="module")
def api_key(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        return committed_team("pg-restart").api_key()


# The pooled ASGI process waits out the pool's 10 s timeout on each request while the
# database is away, and its pool reconnects with a backoff: over 20 s, so `make faults`.
@pytest.fixture(params=["gunicorn", pytest.param("uvicorn-pool", marks=pytest.mark.faults)])
def web(request):
    database = os.environ["DATABASE_URL"]
    proxy = TcpProxy(urlsplit(database).port)
    name = connection.settings_dict["NAME"]
    proxied = re.sub(r"@[^/]+/[^/?]*", f"@127.0.0.1:{proxy.port}/{name}", database)
    if request.param == "gunicorn":
        server = PlatformServer(connection.settings_dict["NAME"], {"DATABASE_URL": proxied},
                                gunicorn_workers=1)
    else:
        server = PlatformServer(connection.settings_dict["NAME"],
                                {"DATABASE_URL": proxied, "DATABASE_POOL": "true"})
    yield server, proxy
    server.stop()
    proxy.close()


def _me(client: httpx.Client, key: str) -> httpx.Response:
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"})


def test_a_database_restart_is_503_problems_then_recovery_without_a_restart(web, api_key):
    server, proxy = web
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert _me(client, api_key).status_code == 200
        pid = server.process.pid

        proxy.cut()
        started = time.monotonic()
        down = []
        while time.monotonic() - started < DOWN_SECONDS:
            down.append(_me(client, api_key))
            down.append(client.get("/api/health"))
        for answer in down:
            assert answer.status_code == 503, (answer.request.url, answer.text[:300])
            assert answer.headers["content-type"].startswith("application/"), answer.text[:300]
        problems = [answer for answer in down if answer.request.url.path != "/api/health"]
        assert {answer.json()["code"] for answer in problems} == {"ERROR_DATABASE_UNAVAILABLE"}
        assert all(answer.headers["Retry-After"] for answer in problems)
        health = [answer.json() for answer in down if answer.request.url.path == "/api/health"]
        assert all(body["checks"]["database"]["ok"] is False for body in health)
        # Each answer came quickly: nobody waits on a database that is not there.
        assert time.monotonic() - started < DOWN_SECONDS + 30

        proxy.restore()
        deadline = time.monotonic() + 30
        while _me(client, api_key).status_code != 200:
            assert time.monotonic() < deadline, "no recovery within 30 s"
            time.sleep(0.2)
        after = [_me(client, api_key) for _ in range(20)]
        assert [answer.status_code for answer in after] == [200] * 20
        assert client.get("/api/health").json()["checks"]["database"]["ok"] is True
    assert server.process.poll() is None and server.process.pid == pid
