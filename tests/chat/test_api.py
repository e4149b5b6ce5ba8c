"""Conversations, settings and usage over REST: shapes, bad input, refusals, isolation."""

import pytest
from django_tenants.utils import tenant_context

from apps.chat import services
from apps.chat.models import ChatSettings, Conversation
from tests.support.openai_server import text_reply

from .conftest import API, ask, conversation, messages_of, sse


def test_conversations_list_newest_first_and_search(team_a, client_for, openai_env):
    client = client_for(jwt=team_a.jwt())
    first = conversation(client, title="Deals in March")
    second = conversation(client, title="Hiring plan")
    openai_env.plan(text_reply("Nothing about pipelines here."))
    ask(client, first["id"], "What about the pipeline?")  # now the most recent

    listed = client.get(f"{API}/conversations").json()
    assert [c["id"] for c in listed["results"]] == [first["id"], second["id"]]
    assert listed["next"] is None

    by_title = client.get(f"{API}/conversations", {"q": "hiring"}).json()["results"]
    assert [c["id"] for c in by_title] == [second["id"]]
    by_message = client.get(f"{API}/conversations", {"q": "pipeline"}).json()["results"]
    assert [c["id"] for c in by_message] == [first["id"]]
    paged = client.get(f"{API}/conversations", {"page_size": 1}).json()
    assert len(paged["results"]) == 1 and paged["next"]


def test_create_get_rename_pick_model_delete(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    created = conversation(client, title="Plans", provider="openai", model="gpt-4.1")
    assert created["title"] == "Plans" and created["model"] == "gpt-4.1"
    assert created["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
                                "cost": 0.0}

    url = f"{API}/conversations/{created['id']}"
    changed = client.patch(url, {"title": "Q3 plans", "provider": "gemini",
                                 "model": "gemini-2.5-pro"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["provider"]) == ("Q3 plans", "gemini")
    detail = client.get(url).json()
    assert detail["model"] == "gemini-2.5-pro" and detail["messages"] == []

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("body", [
    {"provider": "anthropic"},
    {"title": "x" * 201},
    {"model": "m" * 201},
    {"provider": 5},
    {"title": ["a"]},
])
def test_bad_conversation_input(team_a, client_for, body):
    client = client_for(jwt=team_a.jwt())
    response = client.post(f"{API}/conversations", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "ERROR_VALIDATION"


@pytest.mark.parametrize("body", [{}, {"content": ""}, {"content": "   "}, {"content": 12},
                                  {"content": ["a"]}, {"content": "x" * 20_001}])
def test_bad_message_input(team_a, client_for, openai_env, body):
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    for accept in ("application/json", "text/event-stream"):
        response = client.post(f"{API}/conversations/{chat['id']}/messages", body,
                               format="json", HTTP_ACCEPT=accept)
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "ERROR_VALIDATION"
    assert openai_env.requests == []


def test_unicode_and_malformed_json(team_a, client_for, openai_env):
    openai_env.plan(text_reply("Ça marche 👍 — 東京"))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client, title="Ünïcödé 🚀")
    answer = ask(client, chat["id"], "Grüße aus Köln 🎉 \u202e")
    assert answer.status_code == 201 and answer.json()["content"] == "Ça marche 👍 — 東京"
    assert messages_of(client, chat["id"])[1]["content"] == "Grüße aus Köln 🎉 \u202e"

    broken = client.post(f"{API}/conversations/{chat['id']}/messages", "{not json",
                         content_type="application/json")
    assert broken.status_code == 400


@pytest.mark.parametrize("conversation_id", ["nope", "00000000-0000-0000-0000-000000000000",
                                             "x" * 300, "%00"])
def test_unknown_conversation(team_a, client_for, conversation_id):
    client = client_for(jwt=team_a.jwt())
    for response in (client.get(f"{API}/conversations/{conversation_id}"),
                     ask(client, conversation_id, "hi"),
                     client.post(f"{API}/conversations/{conversation_id}/stop")):
        assert response.status_code == 404
        assert response.json()["code"] == "ERROR_CONVERSATION_NOT_FOUND"


def test_no_provider_configured(team_a, client_for, no_llm):
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response = ask(client, chat["id"], "hi")
    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "ERROR_LLM_NOT_CONFIGURED"
    assert "OPENAI_API_KEY" in problem["detail"] and "GEMINI_API_KEY" in problem["detail"]

    streamed, events = sse(client, chat["id"], "hi")
    assert streamed.status_code == 503 and events == []
    assert streamed["Content-Type"] == "application/problem+json"
    assert streamed.json()["code"] == "ERROR_LLM_NOT_CONFIGURED"
    assert messages_of(client, chat["id"]) == []  # refused before anything was recorded

    settings = client.get(f"{API}/settings").json()
    assert settings["effective"]["configured"] is False


def test_base_url_alone_configures_a_local_server(team_a, client_for, no_llm, openai_server):
    """Ollama, vLLM and LM Studio need no key: OPENAI_BASE_URL is enough."""
    no_llm.OPENAI_BASE_URL = openai_server.url
    openai_server.plan(text_reply("Local answer."))
    client = client_for(jwt=team_a.jwt())

    answer = ask(client, conversation(client)["id"], "hi")

    assert answer.status_code == 201 and answer.json()["content"] == "Local answer."


def test_daily_token_budget(team_a, client_for, openai_env):
    with tenant_context(team_a.tenant):
        services.chat_settings_update(actor_id=team_a.owner.pk, daily_token_budget=50)
    openai_env.plan(text_reply("first", prompt_tokens=40, completion_tokens=15))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    assert ask(client, chat["id"], "one").status_code == 201  # 55 of 50 now spent

    refused = ask(client, chat["id"], "two")

    assert refused.status_code == 429
    assert refused.json()["code"] == "ERROR_LLM_BUDGET_EXCEEDED"
    assert 0 < int(refused["Retry-After"]) <= 86_400
    streamed, _events = sse(client, chat["id"], "three")
    assert streamed.status_code == 429
    usage = client.get(f"{API}/usage").json()
    assert usage["daily_token_budget"] == 50 and usage["budget_remaining"] == 0
    assert len(openai_env.requests) == 1


def test_budget_also_stops_a_turn_midway(team_a, client_for, openai_env):
    from tests.support.openai_server import call, tool_call_reply

    with tenant_context(team_a.tenant):
        services.chat_settings_update(actor_id=team_a.owner.pk, daily_token_budget=50)
    openai_env.plan(tool_call_reply(call("whoami", {}), prompt_tokens=45, completion_tokens=10),
                    text_reply("never"))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], "hi")

    assert events[-1][0] == "error" and events[-1][1]["code"] == "ERROR_LLM_BUDGET_EXCEEDED"
    assert len(openai_env.requests) == 1


def test_budget_belongs_to_one_tenant(team_a, team_b, client_for, openai_env):
    with tenant_context(team_a.tenant):
        services.chat_settings_update(actor_id=team_a.owner.pk, daily_token_budget=1)
    openai_env.plan(text_reply("a", prompt_tokens=5), text_reply("b"), text_reply("c"))
    alpha = client_for(jwt=team_a.jwt())
    alpha_chat = conversation(alpha)
    assert ask(alpha, alpha_chat["id"], "hi").status_code == 201
    assert ask(alpha, alpha_chat["id"], "hi").status_code == 429

    bravo = client_for(jwt=team_b.jwt())
    assert ask(bravo, conversation(bravo)["id"], "hi").status_code == 201


def test_settings_keep_the_key_encrypted_and_never_return_it(team_a, client_for, openai_env):
    client = client_for(jwt=team_a.jwt())
    secret = "sk-team-secret-0123456789"

    saved = client.patch(f"{API}/settings", {"provider": "openai", "model": "gpt-4.1-mini",
                                             "base_url": openai_env.url, "api_key": secret,
                                             "daily_token_budget": 100000}, format="json")

    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["has_api_key"] is True and secret not in saved.content.decode()
    assert body["effective"] == {"configured": True, "provider": "openai",
                                 "model": "gpt-4.1-mini", "base_url": openai_env.url}
    with tenant_context(team_a.tenant):
        stored = ChatSettings.objects.get()
    assert secret not in stored.api_key_encrypted and stored.api_key_encrypted.startswith("gAAAA")
    assert secret not in client.get(f"{API}/settings").content.decode()

    openai_env.plan(text_reply("With the team's key."))
    ask(client, conversation(client)["id"], "hi")
    assert openai_env.requests[0]["headers"]["authorization"] == f"Bearer {secret}"
    assert openai_env.requests[0]["body"]["model"] == "gpt-4.1-mini"

    cleared = client.patch(f"{API}/settings", {"clear_api_key": True,
                                               "daily_token_budget": None}, format="json")
    assert cleared.json()["has_api_key"] is False
    assert cleared.json()["daily_token_budget"] is None
    assert cleared.json()["model"] == "gpt-4.1-mini"  # untouched fields stay


def test_rotated_encryption_keys(team_a, client_for, settings, openai_env):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CHAT_KEY_ENCRYPTION_KEYS = [old]
    client = client_for(jwt=team_a.jwt())
    client.patch(f"{API}/settings", {"provider": "openai", "base_url": openai_env.url,
                                     "api_key": "sk-rotated"}, format="json")
    chat = conversation(client)

    settings.CHAT_KEY_ENCRYPTION_KEYS = [new, old]
    openai_env.plan(text_reply("ok"))
    assert ask(client, chat["id"], "hi").status_code == 201
    assert openai_env.requests[0]["headers"]["authorization"] == "Bearer sk-rotated"

    settings.CHAT_KEY_ENCRYPTION_KEYS = [new]
    lost = ask(client, chat["id"], "hi")
    assert lost.status_code == 503 and "Enter the key again" in lost.json()["detail"]


@pytest.mark.parametrize("body", [
    {"provider": "claude"}, {"base_url": "ftp://example.com"}, {"base_url": "not a url"},
    {"daily_token_budget": 0}, {"daily_token_budget": "many"}, {"api_key": "k" * 501},
    {"model": "m" * 201},
])
def test_bad_settings(team_a, client_for, body):
    response = client_for(jwt=team_a.jwt()).patch(f"{API}/settings", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "ERROR_VALIDATION"


def test_operator_can_restrict_base_urls(team_a, client_for, settings):
    settings.CHAT_ALLOWED_BASE_URLS = ["http://ollama.internal:11434/"]
    client = client_for(jwt=team_a.jwt())
    refused = client.patch(f"{API}/settings", {"base_url": "http://169.254.169.254/"},
                           format="json")
    assert refused.status_code == 400 and "base_url" in refused.json()["errors"]
    allowed = client.patch(f"{API}/settings", {"provider": "openai",
                                               "base_url": "http://ollama.internal:11434/v1"},
                           format="json")
    assert allowed.status_code == 200


def test_only_owners_and_admins_change_settings(team_a, client_for):
    member = team_a.add_member("member@alpha.example.com", "member")
    from apps.accounts.services import tokens_issue

    client = client_for(jwt=tokens_issue(user=member, tenant=team_a.tenant)["access"])
    assert client.get(f"{API}/settings").status_code == 200
    refused = client.patch(f"{API}/settings", {"daily_token_budget": 5}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "ERROR_ROLE_REQUIRED"


def test_viewers_and_read_only_keys_can_chat(team_a, client_for, openai_env):
    from apps.accounts.services import tokens_issue

    viewer = team_a.add_member("viewer@alpha.example.com", "viewer")
    openai_env.plan(text_reply("a"), text_reply("b"))
    for client in (client_for(jwt=tokens_issue(user=viewer, tenant=team_a.tenant)["access"]),
                   client_for(key=team_a.api_key(scopes=("read",)))):
        assert ask(client, conversation(client)["id"], "hi").status_code == 201


def test_anonymous_and_tenantless_requests(anon, team_a):
    assert anon.get(f"{API}/conversations").status_code == 401
    assert anon.post(f"{API}/conversations", {}, format="json").status_code == 401


# --- isolation ------------------------------------------------------------------------


@pytest.fixture
def alpha_chat(team_a, client_for, openai_env):
    openai_env.plan(text_reply("Alpha's secret plan is ready."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client, title="Alpha secret plan")
    ask(client, chat["id"], "Tell me the secret plan")
    return chat


def _bravo_clients(team_b, client_for):
    return [client_for(jwt=team_b.jwt()), client_for(key=team_b.api_key()),
            client_for(key=team_b.api_key(), header="x-api-key")]


def test_other_tenant_cannot_read_or_post(team_b, client_for, alpha_chat, openai_env):
    for client in _bravo_clients(team_b, client_for):
        url = f"{API}/conversations/{alpha_chat['id']}"
        for response in (client.get(url), ask(client, alpha_chat["id"], "leak?"),
                         client.patch(url, {"title": "mine"}, format="json"),
                         client.delete(url), client.post(f"{url}/stop"),
                         sse(client, alpha_chat["id"], "leak?")[0]):
            assert response.status_code == 404
            assert b"secret" not in response.content
        listed = client.get(f"{API}/conversations", {"q": "secret"})
        assert listed.status_code == 200 and listed.json()["results"] == []
        assert b"secret" not in client.get(f"{API}/conversations").content
        assert client.get(f"{API}/usage").json()["days"] == []
    assert len(openai_env.requests) == 1


def test_alpha_host_with_bravo_credential_is_refused(team_a, team_b, client_for, alpha_chat):
    client = client_for(jwt=team_b.jwt(), host=team_a.host)
    response = client.get(f"{API}/conversations/{alpha_chat['id']}")
    assert response.status_code == 403
    assert b"secret" not in response.content


def test_teammates_do_not_see_each_others_conversations(team_a, client_for, alpha_chat):
    from apps.accounts.services import tokens_issue

    teammate = team_a.add_member("mate@alpha.example.com", "admin")
    client = client_for(jwt=tokens_issue(user=teammate, tenant=team_a.tenant)["access"])
    assert client.get(f"{API}/conversations/{alpha_chat['id']}").status_code == 404
    assert client.get(f"{API}/conversations").json()["results"] == []


def test_conversations_live_in_the_tenant_schema(team_a, team_b, alpha_chat):
    with tenant_context(team_a.tenant):
        assert Conversation.objects.filter(pk=alpha_chat["id"]).exists()
    with tenant_context(team_b.tenant):
        assert not Conversation.objects.filter(pk=alpha_chat["id"]).exists()


def test_a_key_needs_a_provider(team_a, client_for):
    response = client_for(jwt=team_a.jwt()).patch(f"{API}/settings", {"api_key": "sk-x"},
                                                  format="json")
    assert response.status_code == 400
    assert "provider" in response.json()["errors"]


def test_conversation_is_not_deleted_while_it_answers(team_a, client_for, openai_env):
    openai_env.plan(text_reply("slow " * 50, chunk_delay=0.005))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    streaming = client.post(f"{API}/conversations/{chat['id']}/messages", {"content": "hi"},
                            format="json", HTTP_ACCEPT="text/event-stream")
    stream = iter(streaming.streaming_content)
    next(stream)

    refused = client.delete(f"{API}/conversations/{chat['id']}")

    assert refused.status_code == 409
    assert b"event: done" in b"".join(stream)
    assert client.delete(f"{API}/conversations/{chat['id']}").status_code == 204


def test_base_url_must_be_public_without_an_allowlist(team_a, client_for, settings):
    settings.URLGUARD_ALLOWED_NETWORKS = []
    client = client_for(jwt=team_a.jwt())
    for base_url in ("http://169.254.169.254/", "http://127.0.0.1:11434/v1",
                     "http://10.0.0.2/v1", "https://api.openai.com@127.0.0.1/v1"):
        refused = client.patch(f"{API}/settings", {"provider": "openai", "base_url": base_url},
                               format="json")
        assert refused.status_code == 400, base_url
        assert "base_url" in refused.json()["errors"]


def test_allowlisted_base_url_is_an_exact_origin(team_a, client_for, settings):
    settings.CHAT_ALLOWED_BASE_URLS = ["https://api.openai.com"]
    client = client_for(jwt=team_a.jwt())
    refused = client.patch(f"{API}/settings", {"provider": "openai",
                                               "base_url": "https://api.openai.com@evil.example/"},
                           format="json")
    assert refused.status_code == 400 and "base_url" in refused.json()["errors"]
