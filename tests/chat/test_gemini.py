"""The same turns through Google's `google-genai` SDK and a scripted Gemini API server, the
team's own Gemini settings pointing at it."""

import base64

import pytest
from django_tenants.utils import tenant_context

from apps.chat import services
from tests.support.gemini_server import (
    gemini_call,
    gemini_error_reply,
    gemini_hang_reply,
    gemini_text_reply,
    gemini_tool_call_reply,
)

from .conftest import ask, conversation, messages_of, sse


def _bytes(encoded: str) -> bytes:
    """Protocol JSON carries bytes as base64, standard or URL-safe, padded or not."""
    encoded = encoded.replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def _parts(request: dict) -> list[dict]:
    return [part for content in request["body"]["contents"] for part in content["parts"]]


def test_question_tool_call_and_answer(team_a, client_for, gemini_for):
    server = gemini_for(team_a)
    who = gemini_call("whoami", {})
    server.plan(gemini_tool_call_reply(who), gemini_text_reply("You are in team Alpha."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response = ask(client, chat["id"], "Which team am I in?")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["content"] == "You are in team Alpha."
    assert answer["usage"]["provider"] == "gemini"
    assert answer["usage"]["prompt_tokens"] == 30
    first, second = server.requests
    assert first["path"].endswith("/models/gemini-2.5-flash:generateContent")
    assert first["headers"]["x-goog-api-key"] == "team-gemini-key"
    declared = {d["name"] for d in first["body"]["tools"][0]["functionDeclarations"]}
    assert {"whoami", "list_records"} <= declared
    assert "Alpha" in first["body"]["systemInstruction"]["parts"][0]["text"]
    # The call goes back with its thought signature, and the tool's result as a
    # functionResponse in a user turn.
    sent_call = next(p for p in _parts(second) if "functionCall" in p)
    assert sent_call["functionCall"]["name"] == "whoami"
    assert _bytes(sent_call["thoughtSignature"]) == who.signature
    sent_result = next(p for p in _parts(second) if "functionResponse" in p)
    assert sent_result["functionResponse"]["name"] == "whoami"
    assert sent_result["functionResponse"]["response"]["result"]["tenant"]["slug"] == "alpha"
    assert [c["role"] for c in second["body"]["contents"]] == ["user", "model", "user"]
    # One client for the team's endpoint and key: both calls on one kept-alive connection.
    assert first["client_port"] == second["client_port"]


def test_sse_streams_through_gemini(team_a, client_for, gemini_for):
    server = gemini_for(team_a)
    server.plan(gemini_tool_call_reply(gemini_call("whoami", {}, id="fc-1"), text="Checking."),
                gemini_text_reply("You are a member of the Alpha team, with write rights."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response, events = sse(client, chat["id"], "Who am I?")

    assert response.status_code == 200
    names = [name for name, _ in events]
    assert names[-1] == "done"
    assert dict(events)["tool_call"] == {"id": "fc-1", "name": "whoami", "arguments": {}}
    assert dict(events)["tool_result"]["result"]["tenant"]["slug"] == "alpha"
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) > 2
    assert "".join(deltas) == "Checking.You are a member of the Alpha team, with write rights."
    assert server.requests[0]["path"].endswith(":streamGenerateContent?alt=sse")
    # An id Gemini gave is sent back with the result.
    sent = next(p for p in _parts(server.requests[1]) if "functionResponse" in p)
    assert sent["functionResponse"]["id"] == "fc-1"


def test_parallel_function_calls_answered_in_one_turn(outside_team, db, client_for,
                                                      gemini_for):
    # The calls run in threads with connections of their own (see test_turns.py).
    server = gemini_for(outside_team)
    server.plan(gemini_tool_call_reply(gemini_call("whoami", {}), gemini_call("list_bases", {})),
                gemini_text_reply("Both done."))
    client = client_for(jwt=outside_team.jwt())
    chat = conversation(client)

    assert ask(client, chat["id"], "Who am I and what bases?").status_code == 201

    last_turn = server.requests[1]["body"]["contents"][-1]
    assert last_turn["role"] == "user"
    assert [p["functionResponse"]["name"] for p in last_turn["parts"]] == ["whoami", "list_bases"]


@pytest.mark.parametrize(("status", "code"), [(401, "ERROR_LLM_AUTH_FAILED"),
                                              (429, "ERROR_LLM_RATE_LIMITED"),
                                              (500, "ERROR_LLM_UNAVAILABLE")])
def test_provider_errors(team_a, client_for, gemini_for, status, code):
    server = gemini_for(team_a)
    server.plan(gemini_error_reply(status))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], "hi")

    assert [name for name, _ in events] == ["error"]
    assert events[0][1]["code"] == code
    assert messages_of(client, chat["id"])[-1]["error"]["code"] == code


def test_timeout(team_a, client_for, gemini_for, settings):
    settings.CHAT_PROVIDER_TIMEOUT_SECONDS = 0.5
    server = gemini_for(team_a)
    server.plan(gemini_hang_reply(10))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response = ask(client, chat["id"], "hi")

    assert response.status_code == 504
    assert response.json()["code"] == "ERROR_LLM_TIMEOUT"


def test_arguments_that_break_the_schema_go_back_as_a_tool_error(team_a, client_for,
                                                                 gemini_for):
    server = gemini_for(team_a)
    server.plan(gemini_tool_call_reply(gemini_call("list_tables", {"baseId": 7})),
                gemini_text_reply("That base id was wrong."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], "tables?")

    assert dict(events)["tool_result"]["result"]["error"]["code"] == "ERROR_TOOL_ARGUMENTS"
    sent = next(p for p in _parts(server.requests[1]) if "functionResponse" in p)
    assert sent["functionResponse"]["response"]["error"]["code"] == "ERROR_TOOL_ARGUMENTS"
    assert events[-1][0] == "done"


def test_unreadable_function_call_ends_the_turn(team_a, client_for, gemini_for):
    server = gemini_for(team_a)
    server.plan(gemini_tool_call_reply(gemini_call("whoami", "not an object")))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], "hi")

    assert [name for name, _ in events] == ["error"]
    assert events[0][1]["code"] == "ERROR_LLM_UNAVAILABLE"
    assert "could not be read" in events[0][1]["message"]


def test_conversation_model_and_the_platform_key(team_a, client_for, no_llm, gemini_server):
    """The team chose Gemini at its own endpoint but stored no key: the platform's
    GEMINI_API_KEY is used; a conversation's model wins over the team's."""
    no_llm.GEMINI_API_KEY = "platform-gemini-key"
    with tenant_context(team_a.tenant):
        services.chat_settings_update(actor_id=team_a.owner.pk, provider="gemini",
                                      model="gemini-2.5-flash", base_url=gemini_server.url)
    gemini_server.plan(gemini_text_reply("From Gemini Pro."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client, model="gemini-2.5-pro")

    answer = ask(client, chat["id"], "hi").json()

    assert answer["usage"]["model"] == "gemini-2.5-pro"
    assert gemini_server.requests[0]["path"].endswith("/models/gemini-2.5-pro:generateContent")
    assert gemini_server.requests[0]["headers"]["x-goog-api-key"] == "platform-gemini-key"
