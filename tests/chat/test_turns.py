"""A question, tool calls through the platform's registry, a final answer: over REST (JSON
and SSE) with the real `openai` SDK talking to a scripted OpenAI-compatible server."""

import json

import pytest
from django_tenants.utils import tenant_context

from apps.chat import services
from apps.chat.signals import chat_turn_completed
from apps.chat.streaming import sse_from_turn
from apps.core.tools import Tool, tool_registry
from tests.support.openai_server import (
    call,
    error_reply,
    hang_reply,
    text_reply,
    tool_call_reply,
)

from .conftest import API, ask, caller_for, conversation, messages_of, sent_messages, sse

QUESTION = "Which team am I in, and with which rights?"


def test_question_tool_call_and_answer(team_a, client_for, openai_env):
    openai_env.plan(tool_call_reply(call("whoami", {}, id="call_who")),
                    text_reply("You are in Alpha, with read and write rights."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response = ask(client, chat["id"], QUESTION)

    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["role"] == "assistant"
    assert answer["content"] == "You are in Alpha, with read and write rights."
    assert answer["usage"]["prompt_tokens"] == 20 and answer["usage"]["completion_tokens"] == 10
    assert answer["usage"]["cost"] > 0  # gpt-4o-mini has a price
    # The tool's result went back to the model, answering the call it made.
    second = sent_messages(openai_env, 1)
    assert second[-2]["role"] == "assistant"
    assert second[-2]["tool_calls"][0]["id"] == "call_who"
    assert second[-1]["role"] == "tool" and second[-1]["tool_call_id"] == "call_who"
    assert json.loads(second[-1]["content"])["tenant"]["slug"] == "alpha"
    # The platform's tools were offered, with the registry's JSON Schemas.
    offered = {tool["function"]["name"] for tool in openai_env.requests[0]["body"]["tools"]}
    assert {"whoami", "list_records"} <= offered
    assert openai_env.requests[0]["headers"]["authorization"] == "Bearer sk-test-platform-key"
    system = sent_messages(openai_env, 0)[0]
    assert system["role"] == "system" and "Alpha" in system["content"]

    steps = messages_of(client, chat["id"])
    assert [m["role"] for m in steps] == ["system", "user", "assistant", "tool", "assistant"]
    assert steps[2]["tool_calls"] == [{"id": "call_who", "name": "whoami", "arguments": {}}]
    assert steps[3]["result"]["tenant"]["slug"] == "alpha" and steps[3]["is_error"] is False
    detail = client.get(f"{API}/conversations/{chat['id']}").json()
    assert detail["title"] == QUESTION
    assert detail["usage"]["total_tokens"] == 60


def test_sse_streams_deltas_tool_steps_and_done(team_a, client_for, openai_env):
    openai_env.plan(tool_call_reply(call("whoami", {}, id="call_1"), text="Let me look."),
                    text_reply("You are a member of Alpha."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response, events = sse(client, chat["id"], QUESTION)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    names = [name for name, _ in events]
    assert names[-1] == "done"
    assert names.index("tool_call") < names.index("tool_result") < names.index("done")
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text == "Let me look.You are a member of Alpha."
    assert len([name for name in names if name == "delta"]) > 2  # streamed, not in one piece
    tool_call = dict(events)["tool_call"]
    assert tool_call == {"id": "call_1", "name": "whoami", "arguments": {}}
    result = dict(events)["tool_result"]
    assert result["is_error"] is False and result["result"]["tenant"]["slug"] == "alpha"
    done = dict(events)["done"]
    assert done["message"]["content"] == "You are a member of Alpha."
    assert done["usage"]["total_tokens"] == 60 and done["usage"]["rounds"] == 2
    assert done["conversation"]["usage"]["total_tokens"] == 60
    assert openai_env.requests[0]["body"]["stream"] is True
    assert openai_env.requests[0]["body"]["stream_options"] == {"include_usage": True}


def test_parallel_tool_calls_run_and_answer_each_call(outside_team, db, client_for,
                                                      openai_env):
    # Each call runs in a thread with a connection of its own, outside the test's transaction.
    team = outside_team
    openai_env.plan(tool_call_reply(call("whoami", {}, id="call_a"),
                                    call("whoami", {}, id="call_b"),
                                    call("list_bases", {}, id="call_c")),
                    text_reply("Done."))
    client = client_for(jwt=team.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], QUESTION)

    results = [data for name, data in events if name == "tool_result"]
    assert [r["id"] for r in results] == ["call_a", "call_b", "call_c"]
    assert all(not r["is_error"] for r in results)
    answered = [m["tool_call_id"] for m in sent_messages(openai_env, 1) if m["role"] == "tool"]
    assert answered == ["call_a", "call_b", "call_c"]
    assert events[-1][0] == "done"


def test_read_only_key_gets_only_read_tools(team_a, client_for, openai_env):
    openai_env.plan(text_reply("Hello."))
    client = client_for(key=team_a.api_key(scopes=("read",)))
    chat = conversation(client)

    assert ask(client, chat["id"], "hi").status_code == 201

    offered = {tool["function"]["name"] for tool in openai_env.requests[0]["body"]["tools"]}
    assert "list_records" in offered and "create_records" not in offered
    assert "can only read" in sent_messages(openai_env, 0)[0]["content"]


@pytest.mark.parametrize(("reply", "code", "status"), [
    (error_reply(401), "ERROR_LLM_AUTH_FAILED", 502),
    (error_reply(429), "ERROR_LLM_RATE_LIMITED", 503),
    (error_reply(500), "ERROR_LLM_UNAVAILABLE", 502),
])
def test_provider_errors_end_the_turn_clearly(team_a, client_for, openai_env, reply, code,
                                             status):
    openai_env.plan(reply, reply)
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response, events = sse(client, chat["id"], QUESTION)
    assert response.status_code == 200
    assert [name for name, _ in events] == ["error"]
    assert events[0][1]["code"] == code and events[0][1]["message"]

    answer = ask(client, chat["id"], QUESTION)
    assert answer.status_code == status
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == code
    if code == "ERROR_LLM_RATE_LIMITED":
        assert answer["Retry-After"] == "1"
    failed = [m for m in messages_of(client, chat["id"]) if m["role"] == "assistant"]
    assert [m["error"]["code"] for m in failed] == [code, code]


def test_provider_timeout_ends_the_turn(team_a, client_for, openai_env, settings):
    settings.CHAT_PROVIDER_TIMEOUT_SECONDS = 0.5
    openai_env.plan(hang_reply(10))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], QUESTION)

    assert events == [("error", {**events[0][1], "code": "ERROR_LLM_TIMEOUT"})]
    assert "did not answer in time" in events[0][1]["message"]
    assert messages_of(client, chat["id"])[-1]["error"]["code"] == "ERROR_LLM_TIMEOUT"


def test_stream_that_stalls_keeps_what_was_said(team_a, client_for, openai_env, settings):
    settings.CHAT_PROVIDER_TIMEOUT_SECONDS = 0.5
    openai_env.plan(text_reply("The answer is forty-two, because", stall_after_chunks=3))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], QUESTION)

    assert [name for name, _ in events] == ["delta", "delta", "error"]
    last = messages_of(client, chat["id"])[-1]
    assert last["content"] == "The answer i"
    assert last["error"]["code"] == "ERROR_LLM_TIMEOUT"


def test_malformed_tool_arguments_end_the_turn(team_a, client_for, openai_env):
    openai_env.plan(tool_call_reply(call("list_tables", '{"baseId": "app', id="call_bad")))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], "List my tables")

    assert [name for name, _ in events] == ["tool_call", "tool_result", "error"]
    result = dict(events)["tool_result"]
    assert result["is_error"] is True
    assert result["result"]["error"]["code"] == "ERROR_TOOL_ARGUMENTS"
    assert dict(events)["tool_call"]["arguments"] == '{"baseId": "app'
    error = dict(events)["error"]
    assert error["code"] == "ERROR_LLM_BAD_TOOL_CALL"
    assert "list_tables" in error["message"] and "not valid JSON" in error["message"]
    assert len(openai_env.requests) == 1  # the model was not asked again
    stored = messages_of(client, chat["id"])
    assert stored[2]["tool_calls"][0]["arguments"] is None
    assert stored[3]["is_error"] is True and stored[3]["error"]["code"] == "ERROR_TOOL_ARGUMENTS"
    assert stored[-1]["role"] == "assistant"
    assert stored[-1]["error"]["code"] == "ERROR_LLM_BAD_TOOL_CALL"
    assert str(stored[-1]["id"]) == error["message_id"]
    # The conversation goes on; the model sees the broken call as `{}` with its error answer,
    # so the history stays valid for the provider.
    openai_env.plan(text_reply("Here they are."))
    assert ask(client, chat["id"], "Try again").json()["content"] == "Here they are."
    history = sent_messages(openai_env, 1)
    assert history[2]["tool_calls"][0]["function"]["arguments"] == "{}"
    assert history[3]["role"] == "tool" and "not valid JSON" in history[3]["content"]
    assert history[-1] == {"role": "user", "content": "Try again"}


@pytest.fixture
def exploding_tool():
    """A tool whose code raises, registered for one test."""

    class Exploding(Tool):
        name = "test_exploding"
        title = "Explodes"
        description = "Always fails."
        input_schema = {"type": "object"}
        output_schema = {"type": "object"}

        def run(self, context, arguments):
            raise RuntimeError("boom")

    tool_registry.register(Exploding)
    yield Exploding
    tool_registry._tools.pop(Exploding.name)
    tool_registry._validators.pop(Exploding.name)


def test_a_tool_that_raises_ends_the_turn_with_an_error(team_a, client_for, openai_env,
                                                       exploding_tool):
    openai_env.plan(tool_call_reply(call("test_exploding", {}, id="c1")))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], "Explode")

    assert [name for name, _ in events] == ["tool_call", "tool_result", "error"]
    result = dict(events)["tool_result"]
    assert result["is_error"] is True
    assert result["result"]["error"]["code"] == "ERROR_TOOL_FAILED"
    error = dict(events)["error"]
    assert error["code"] == "ERROR_TOOL_FAILED" and "test_exploding" in error["message"]
    assert "boom" not in json.dumps(events)
    assert len(openai_env.requests) == 1
    stored = messages_of(client, chat["id"])
    assert stored[3]["error"]["code"] == "ERROR_TOOL_FAILED"
    assert stored[-1]["role"] == "assistant" and stored[-1]["error"]["code"] == "ERROR_TOOL_FAILED"


def test_a_tool_that_raises_answers_plain_json_with_problem_json(team_a, client_for, openai_env,
                                                                  exploding_tool):
    openai_env.plan(tool_call_reply(call("test_exploding", {}, id="c1")))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    response = ask(client, chat["id"], "Explode")

    assert response.status_code == 502
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "ERROR_TOOL_FAILED"
    assert "boom" not in response.content.decode()


def test_unknown_tool_and_invalid_arguments_are_tool_errors(outside_team, db, client_for,
                                                            openai_env):
    # Two calls in one reply run in threads of their own, which commit their audit rows:
    # the committed team keeps them away from the teams other tests count calls in.
    openai_env.plan(tool_call_reply(call("drop_database", {}, id="c1"),
                                    call("list_tables", {"baseId": 42}, id="c2")),
                    text_reply("Neither worked."))
    client = client_for(jwt=outside_team.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], "Do things")

    results = {data["id"]: data for name, data in events if name == "tool_result"}
    assert results["c1"]["result"]["error"]["code"] == "ERROR_TOOL_NOT_FOUND"
    assert results["c2"]["result"]["error"]["code"] == "ERROR_TOOL_ARGUMENTS"
    assert events[-1][0] == "done"


def test_turns_share_one_connection_to_the_model(team_a, client_for, openai_env):
    """The provider's client (its TLS context and connection pool) is built once per endpoint
    and key, not per call: every call of two turns arrives on one kept-alive connection."""
    openai_env.plan(tool_call_reply(call("whoami", {})), text_reply("Alpha."),
                    text_reply("Still Alpha."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    assert ask(client, chat["id"], QUESTION).status_code == 201
    assert ask(client, chat["id"], "And now?").status_code == 201

    assert len(openai_env.requests) == 3
    assert len({request["client_port"] for request in openai_env.requests}) == 1


def test_round_cap_stops_a_model_that_never_answers(team_a, client_for, openai_env, settings):
    settings.CHAT_MAX_ROUNDS = 3
    openai_env.plan(*[tool_call_reply(call("whoami", {})) for _ in range(3)])
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], QUESTION)

    assert len(openai_env.requests) == 3
    assert events[-1][0] == "error"
    assert events[-1][1]["code"] == "ERROR_LLM_TURN_LIMIT"
    assert "3 rounds" in events[-1][1]["message"]


def test_token_cap_per_turn(team_a, client_for, openai_env, settings):
    settings.CHAT_MAX_TURN_TOKENS = 50
    openai_env.plan(tool_call_reply(call("whoami", {}), prompt_tokens=40, completion_tokens=20),
                    text_reply("never asked"))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    _response, events = sse(client, chat["id"], QUESTION)

    assert len(openai_env.requests) == 1
    assert events[-1][1]["code"] == "ERROR_LLM_TURN_LIMIT"
    assert "CHAT_MAX_TURN_TOKENS" in events[-1][1]["message"]


def test_client_going_away_stops_the_turn_and_closes_the_provider_stream(
        team_a, client_for, openai_env):
    openai_env.plan(text_reply("A long answer that the user will not wait for. " * 5,
                               chunk_delay=0.01))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    turn = services.turn_start(caller=caller_for(team_a), conversation_id=chat["id"],
                               content="hi", stream=True)
    stream = sse_from_turn(turn)  # what a WSGI server iterates
    next(stream)  # the stream opens
    assert b"event: delta" in next(stream)

    stream.close()  # what a WSGI server does when the client goes away

    last = messages_of(client, chat["id"])[-1]
    assert last["error"]["code"] == "ERROR_CHAT_CANCELLED"
    assert last["content"].startswith("A long")
    # The conversation is free again.
    openai_env.plan(text_reply("Short."))
    assert ask(client, chat["id"], "again").status_code == 201


def test_stop_endpoint_stops_a_running_turn(team_a, client_for, openai_env):
    openai_env.plan(text_reply("word " * 600, chunk_delay=0.005))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    assert client.post(f"{API}/conversations/{chat['id']}/stop").json() == {"stopping": False}
    response = client.post(f"{API}/conversations/{chat['id']}/messages", {"content": "hi"},
                           format="json", HTTP_ACCEPT="text/event-stream")
    stream = iter(response.streaming_content)
    next(stream)
    next(stream)

    assert client.post(f"{API}/conversations/{chat['id']}/stop").json() == {"stopping": True}
    rest = b"".join(stream).decode()

    assert "ERROR_CHAT_CANCELLED" in rest and "event: done" not in rest


def test_second_message_while_answering_is_refused(team_a, client_for, openai_env):
    openai_env.plan(text_reply("slow " * 50, chunk_delay=0.005), text_reply("fine"))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    first = client.post(f"{API}/conversations/{chat['id']}/messages", {"content": "one"},
                        format="json", HTTP_ACCEPT="text/event-stream")
    stream = iter(first.streaming_content)
    next(stream)

    second = ask(client, chat["id"], "two")

    assert second.status_code == 409
    assert second.json()["code"] == "ERROR_CHAT_TURN_IN_PROGRESS"
    b"".join(stream)
    assert ask(client, chat["id"], "three").status_code == 201


def test_history_carries_earlier_turns(team_a, client_for, openai_env):
    openai_env.plan(tool_call_reply(call("whoami", {}, id="c1")), text_reply("Alpha."),
                    text_reply("Still Alpha."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    ask(client, chat["id"], "Which team?")

    ask(client, chat["id"], "And now?")

    roles = [m["role"] for m in sent_messages(openai_env, 2)]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]


def test_failed_turn_leaves_a_history_the_provider_accepts(team_a, client_for, openai_env):
    openai_env.plan(tool_call_reply(call("whoami", {}, id="c1")), error_reply(500),
                    text_reply("Recovered."))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    assert ask(client, chat["id"], "first").status_code == 502

    assert ask(client, chat["id"], "second").status_code == 201

    sent = sent_messages(openai_env, 2)
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "user"]


def test_signal_reports_each_turn(team_a, client_for, openai_env):
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    chat_turn_completed.connect(receiver)
    try:
        openai_env.plan(tool_call_reply(call("whoami", {})), text_reply("ok"))
        client = client_for(jwt=team_a.jwt())
        chat = conversation(client)
        ask(client, chat["id"], "hi")
    finally:
        chat_turn_completed.disconnect(receiver)

    assert len(seen) == 1
    report = seen[0]
    assert report["tenant"].slug == "alpha" and report["status"] == "ok"
    assert report["prompt_tokens"] == 40 and report["completion_tokens"] == 20
    assert report["rounds"] == 2 and report["tool_calls"] == 1 and report["cost"] > 0


def test_usage_per_day_and_per_conversation(team_a, client_for, openai_env):
    openai_env.plan(text_reply("one", prompt_tokens=100, completion_tokens=5),
                    text_reply("two", prompt_tokens=200, completion_tokens=10))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)
    ask(client, chat["id"], "a")
    ask(client, chat["id"], "b")

    usage = client.get(f"{API}/usage").json()

    today = usage["days"][0]
    assert today["prompt_tokens"] == 300 and today["completion_tokens"] == 15
    assert today["turns"] == 2 and today["calls"] == 2
    assert usage["daily_token_budget"] is None
    assert client.get(f"{API}/conversations/{chat['id']}").json()["usage"]["total_tokens"] == 315


def test_unknown_model_costs_nothing_and_prices_can_be_overridden(team_a, client_for,
                                                                   openai_env, settings):
    openai_env.plan(text_reply("a"), text_reply("b"))
    client = client_for(jwt=team_a.jwt())
    local = conversation(client, model="llama3.1:8b")
    assert ask(client, local["id"], "hi").json()["usage"]["cost"] == 0

    settings.CHAT_PRICES = {"llama3.1:8b": {"input": "1000000", "output": "0"}}
    assert ask(client, local["id"], "hi").json()["usage"]["cost"] == 20.0
    assert openai_env.requests[0]["body"]["model"] == "llama3.1:8b"


def test_no_usage_from_the_server_is_estimated(team_a, client_for, openai_env):
    openai_env.plan(text_reply("An answer of some length.", report_usage=False))
    client = client_for(jwt=team_a.jwt())
    chat = conversation(client)

    usage = ask(client, chat["id"], "hi").json()["usage"]

    assert usage["estimated"] is True and usage["completion_tokens"] > 0


def test_tool_audit_records_the_chat_channel(team_a, client_for, openai_env):
    from apps.mcp.selectors import tool_call_list

    def chat_calls():
        with tenant_context(team_a.tenant):
            return tool_call_list(tool="whoami", outcome=None).filter(channel="chat").count()

    before = chat_calls()
    openai_env.plan(tool_call_reply(call("whoami", {})), text_reply("ok"))
    client = client_for(jwt=team_a.jwt())
    ask(client, conversation(client)["id"], "hi")

    assert chat_calls() == before + 1


def test_a_broken_price_override_is_ignored(team_a, client_for, openai_env, settings):
    settings.CHAT_PRICES = {"gpt-4o-mini": {"input": "cheap"}, "other": 3}
    openai_env.plan(text_reply("ok"))
    client = client_for(jwt=team_a.jwt())

    answer = ask(client, conversation(client)["id"], "hi")

    assert answer.status_code == 201 and answer.json()["usage"]["cost"] > 0
