"""The server the fuzz tests aim at: a real platform server with a seeded, synced tenant."""

from __future__ import annotations

import pytest

from tests.conftest import committed_team, demo_base_connected

# Generous limits: the fuzzer is one client sending thousands of requests.
SERVER_ENV = {"THROTTLE_TENANT": "100000/min", "THROTTLE_API_KEY": "100000/min",
              "THROTTLE_REGISTER": "100000/min", "SANDBOX_RATE_LIMIT_PER_BASE": "0",
              "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}


@pytest.fixture(scope="session")
def fuzz_target(platform_server_factory, django_db_blocker):
    from django.db import connection

    from apps.accounts.services import api_key_create

    server = platform_server_factory(**SERVER_ENV)
    with django_db_blocker.unblock():
        team = committed_team("fuzz")
        demo_base_connected(team, server.url, records=20)
        key = api_key_create(tenant=team.tenant, user=team.owner, name="fuzz",
                             scopes=["read", "write"])[1]
        connection.close()
    return {"url": server.url, "key": key}
