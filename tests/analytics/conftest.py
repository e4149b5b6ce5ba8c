"""Analytics fixtures: the other apps' real servers (the sandbox, the scripted LLM), so
events come from the code paths that users go through."""

from __future__ import annotations

import pytest

from apps.analytics.buffer import buffer
from tests.airtable.conftest import (  # noqa: F401  (fixtures)
    UNLIMITED,
    make_base,
    sandbox_token,
)
from tests.chat.conftest import no_llm, openai_env, openai_server  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def server(platform_server_factory):
    return platform_server_factory(**UNLIMITED)


@pytest.fixture(autouse=True)
def _empty_buffer():
    """Events a previous test left in this process's buffer are not this test's."""
    buffer.clear()
    yield
    buffer.clear()


@pytest.fixture
def admin_of(client_for):
    """admin_of(team): the API as the team's owner sees it."""
    return lambda team: client_for(jwt=team.jwt())
