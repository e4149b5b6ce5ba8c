"""Workflow fixtures: the Airtable gateway's (a real platform server with the sandbox, bases
made over HTTP) plus helpers that create workflows over the API and run what they queue."""

from __future__ import annotations

import pytest

from tests.airtable.conftest import (  # noqa: F401  (fixtures)
    Sandbox,
    _client_settings,
    connect,
    make_base,
    sandbox_token,
    seed,
    server,
    sync,
)

WHOAMI_STEPS = [{"id": "me", "type": "whoami", "params": {}},
                {"id": "check", "type": "condition",
                 "params": {"formula": "'{{ steps.me.scopes | length }}' = '2'"}}]


@pytest.fixture
def api(team_a, client_for):
    return client_for(jwt=team_a.jwt())


@pytest.fixture
def api_b(team_b, client_for):
    return client_for(jwt=team_b.jwt())


@pytest.fixture
def create(api):
    def make(client=None, **data) -> dict:
        body = {"name": "Flow", "trigger": {"type": "manual"}, "steps": WHOAMI_STEPS,
                "is_active": True, **data}
        answer = (client or api).post("/api/v1/workflows", body, format="json")
        assert answer.status_code == 201, answer.content
        return answer.json()

    return make
