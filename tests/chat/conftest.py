"""Chat fixtures: the scripted provider servers, settings that point the chat at them,
and helpers that read a turn the way a client does."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from apps.chat import services
from apps.core.tools import ToolContext
from tests.conftest import committed_team
from tests.support.gemini_server import ScriptedGemini
from tests.support.openai_server import ScriptedOpenAI

API = "/api/v1/chat"


@pytest.fixture
def openai_server():
    server = ScriptedOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def gemini_server():
    server = ScriptedGemini().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def outside_team(django_db_setup, django_db_blocker):
    """A team committed outside any test's transaction, for tests whose other side (the
    threads of parallel tool calls, a WebSocket turn, a server process) reads the database
    through connections of their own. Made once per session, before tests open theirs."""
    with django_db_blocker.unblock():
        return committed_team("chat-outside")


@pytest.fixture
def no_llm(settings):
    """No provider in the environment."""
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = ""
    settings.GEMINI_API_KEY = ""
    settings.LLM_DEFAULT_MODEL = "gpt-4o-mini"
    settings.CHAT_PROVIDER_RETRIES = 0
    settings.CHAT_PROVIDER_TIMEOUT_SECONDS = 5.0
    return settings


@pytest.fixture
def openai_env(no_llm, openai_server):
    """The platform's OpenAI key and base URL, pointing at the scripted server."""
    no_llm.OPENAI_API_KEY = "sk-test-platform-key"
    no_llm.OPENAI_BASE_URL = openai_server.url
    return openai_server


@pytest.fixture
def gemini_for(no_llm, gemini_server):
    """gemini_for(team): the team's own Gemini settings, pointing at the scripted server."""

    def configure(team, model="gemini-2.5-flash"):
        with tenant_context(team.tenant):
            services.chat_settings_update(actor_id=team.owner.pk, provider="gemini",
                                          model=model, base_url=gemini_server.url,
                                          api_key="team-gemini-key")
        return gemini_server

    return configure


def conversation(client, **fields) -> dict:
    response = client.post(f"{API}/conversations", fields, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def ask(client, conversation_id: str, content: str):
    return client.post(f"{API}/conversations/{conversation_id}/messages",
                       {"content": content}, format="json")


def sse(client, conversation_id: str, content: str) -> tuple[object, list[tuple[str, dict]]]:
    """POST with Accept: text/event-stream; the response and its events, read as they come."""
    response = client.post(f"{API}/conversations/{conversation_id}/messages",
                           {"content": content}, format="json",
                           HTTP_ACCEPT="text/event-stream")
    if not response.streaming:
        return response, []
    return response, parse_sse(b"".join(response.streaming_content).decode())


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if name:
            events.append((name, json.loads("\n".join(data))))
    return events


def messages_of(client, conversation_id: str) -> list[dict]:
    response = client.get(f"{API}/conversations/{conversation_id}")
    assert response.status_code == 200, response.content
    return response.json()["messages"]


def sent_messages(server, index: int) -> list[dict]:
    """The messages the chat sent to the scripted OpenAI server in its index-th request."""
    return server.requests[index]["body"]["messages"]



def caller_for(team, scopes=("read", "write")) -> ToolContext:
    return ToolContext(tenant=team.tenant, user=team.owner, scopes=frozenset(scopes),
                       channel="chat")
