"""A client on the previous SDK generation (mcp 1.x, handshake protocol) in a
virtualenv of its own, against /mcp of a real server process."""

import json

import pytest

from tests.conftest import committed_team
from tests.support.mcp_clients import run_python_sdk1

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def key(django_db_setup, django_db_blocker):
    from apps.accounts.services import api_key_create

    with django_db_blocker.unblock():
        team = committed_team("mcp-one")
        return api_key_create(tenant=team.tenant, user=team.owner, name="sdk1",
                              scopes=["read"])[1]


def test_sdk1_client_handshakes_lists_and_calls(platform_server, mcp1_python, key):
    answer = run_python_sdk1(mcp1_python, platform_server.url, key, [["whoami", {}]])
    assert answer["protocolVersion"].startswith("2025")
    assert "whoami" in answer["tools"]
    (whoami,) = answer["results"]
    assert whoami["isError"] is False
    assert whoami["structuredContent"]["tenant"]["slug"] == "mcp-one"
    assert json.loads(whoami["text"]) == whoami["structuredContent"]
