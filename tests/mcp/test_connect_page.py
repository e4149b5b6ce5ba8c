"""The AI clients page: a key limited to bases and tools, the snippets, and the
signed-in clients on the API keys page."""

import pytest
from django_tenants.utils import tenant_context

from apps.accounts.selectors import api_key_list
from apps.mcp.models import ApiKeyGrant
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, team_a):
    client.post("/login", {"username": team_a.owner.email, "password": PASSWORD})
    return client


def test_the_page_has_a_snippet_for_each_client(browser):
    page = browser.get("/ai-clients/").content.decode()
    for client in ("claude.ai", "ChatGPT", "Claude Desktop", "Cursor", "VS Code",
                   "MCP Inspector"):
        assert client in page, client
    assert "mcp-remote" in page and "@modelcontextprotocol/inspector --cli" in page
    assert "http://testserver/mcp" in page


def test_a_key_made_on_the_page_keeps_its_tool_limits(browser, team_a):
    answer = browser.post("/ai-clients/", {"name": "cursor", "all_bases": "on",
                                           "tools": ["list_bases", "list_records"]})
    assert answer.status_code == 302
    page = browser.get("/ai-clients/").content.decode()
    assert "pat_" in page
    key = api_key_list(tenant=team_a.tenant).get(name="cursor")
    assert key.scopes == ["read"]
    with tenant_context(team_a.tenant):
        limits = ApiKeyGrant.objects.get(api_key_id=key.pk)
    assert limits.bases is None and limits.tools == ["list_bases", "list_records"]


def test_a_key_needs_a_tool_and_a_base_choice(browser, team_a):
    answer = browser.post("/ai-clients/", {"name": "nothing", "tools": []})
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "Pick at least one tool." in page
    assert "Pick at least one base, or every base." in page
    assert not api_key_list(tenant=team_a.tenant).filter(name="nothing").exists()


def test_the_api_keys_page_lists_signed_in_clients(browser):
    page = browser.get("/api-keys").content.decode()
    assert "Clients signed in with OAuth" in page
