"""The chat page and the chat settings page, as a logged-in browser sees them."""

import re

import pytest
from django_tenants.utils import tenant_context

from apps.chat.models import ChatSettings
from tests.conftest import PASSWORD
from tests.support.openai_server import call, text_reply, tool_call_reply

from .conftest import ask, conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, team_a):
    client.post("/login", {"username": team_a.owner.email, "password": PASSWORD})
    return client


def test_pages_need_login(client):
    for path in ("/chat/", "/chat/settings"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login")


def test_chat_page_lists_conversations_and_shows_steps(browser, team_a, client_for, openai_env):
    api = client_for(jwt=team_a.jwt())
    older = conversation(api, title="Older talk")
    chat = conversation(api)
    openai_env.plan(tool_call_reply(call("whoami", {}, id="c1")),
                    text_reply("You are in <b>Alpha</b>."))
    ask(api, chat["id"], "Who am I?")

    page = browser.get(f"/chat/{chat['id']}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert '<a href="/chat/">Chat</a>' in html
    titles = re.findall(r'data-title="([^"]*)"', html)
    assert titles == ["who am i?", "older talk"]  # newest first
    assert "<details" in html and "whoami" in html
    assert "You are in &lt;b&gt;Alpha&lt;/b&gt;." in html  # the model's text is escaped
    assert 'src="/static/js/chat.js"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # CSP: no inline script
    assert 'id="chat-stop"' in html and 'id="chat-model"' in html
    assert older["id"] in html


def test_chat_page_search(browser, team_a, client_for):
    api = client_for(jwt=team_a.jwt())
    conversation(api, title="Quarterly deals")
    conversation(api, title="Hiring")

    html = browser.get("/chat/", {"q": "deals"}).content.decode()

    assert "Quarterly deals" in html and "Hiring" not in html


def test_another_users_or_tenants_conversation_is_not_found(browser, team_b, client_for):
    theirs = conversation(client_for(jwt=team_b.jwt()), title="Bravo private")
    response = browser.get(f"/chat/{theirs['id']}/")
    assert response.status_code == 404
    assert b"Bravo private" not in response.content


def test_page_says_when_no_model_is_configured(browser, no_llm):
    html = browser.get("/chat/").content.decode()
    assert "No language model is configured" in html and "/chat/settings" in html


def test_settings_page_saves_and_never_shows_the_key(browser, team_a, openai_env):
    page = browser.get("/chat/settings")
    assert page.status_code == 200 and b"Save" in page.content

    saved = browser.post("/chat/settings", {"provider": "openai", "model": "gpt-4.1-mini",
                                            "base_url": openai_env.url,
                                            "api_key": "sk-page-secret-123",
                                            "daily_token_budget": "5000"}, follow=True)

    html = saved.content.decode()
    assert "Chat settings saved." in html and "sk-page-secret-123" not in html
    assert "a key is stored" in html and "gpt-4.1-mini" in html
    with tenant_context(team_a.tenant):
        row = ChatSettings.objects.get()
    assert row.daily_token_budget == 5000 and row.has_api_key


def test_settings_page_rejects_bad_input(browser):
    response = browser.post("/chat/settings", {"provider": "nope", "base_url": "ftp://x",
                                               "daily_token_budget": "-4"})
    assert response.status_code == 200
    assert response.content.count(b'class="errorlist') >= 2


def test_members_see_settings_but_cannot_change_them(client, team_a):
    team_a.add_member("member@alpha.example.com", "member")
    client.post("/login", {"username": "member@alpha.example.com", "password": PASSWORD})
    page = client.get("/chat/settings")
    assert page.status_code == 200 and b"Only owners and admins" in page.content
    refused = client.post("/chat/settings", {"provider": "openai"})
    assert refused.status_code == 403


def test_settings_page_shows_usage(browser, team_a, client_for, openai_env):
    openai_env.plan(text_reply("ok", prompt_tokens=1200, completion_tokens=34))
    api = client_for(jwt=team_a.jwt())
    ask(api, conversation(api)["id"], "hi")

    html = browser.get("/chat/settings").content.decode()

    assert "<td>1200</td><td>34</td>" in html


def test_page_script_is_served(client):
    response = client.get("/static/js/chat.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"text/event-stream" in body
