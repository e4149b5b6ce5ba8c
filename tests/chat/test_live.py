"""The chat through the platform's real ASGI process (uvicorn, as the realtime process runs
it): SSE reaches the client while the model is still talking, a client that hangs up
stops the turn, and the WebSocket answers over a real socket."""

import asyncio
import json
import time

import httpx
import pytest
import websockets
from django_tenants.utils import tenant_context

from apps.chat import services
from apps.chat.models import Message
from tests.conftest import committed_team
from tests.support.openai_server import (
    ScriptedOpenAI,
    call,
    hang_reply,
    text_reply,
    tool_call_reply,
)

pytestmark = pytest.mark.django_db

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}


@pytest.fixture(scope="module")
def model_server():
    server = ScriptedOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live(platform_server_factory, model_server, django_db_blocker):
    """A team whose own chat settings point at the scripted model server, committed, and
    the platform in a uvicorn process."""
    server = platform_server_factory(**UNLIMITED, CHAT_SSE_KEEPALIVE_SECONDS="0.4")
    with django_db_blocker.unblock():
        team = committed_team("chat-live")
        with tenant_context(team.tenant):
            services.chat_settings_update(actor_id=team.owner.pk, provider="openai",
                                          model="gpt-4o-mini", base_url=model_server.url,
                                          api_key="sk-live-team")
        token = team.jwt()
    return server, team, token


def _conversation(server, token) -> str:
    response = httpx.post(f"{server.url}/api/v1/chat/conversations", json={},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _stored(team, conversation_id) -> list[Message]:
    with tenant_context(team.tenant):
        return list(Message.objects.filter(conversation_id=conversation_id)
                    .order_by("position"))


def test_sse_arrives_while_the_model_still_talks_and_hanging_up_stops_it(live, model_server):
    server, team, token = live
    chat = _conversation(server, token)
    # Three pieces of text, then the model server says nothing more until released: the
    # pieces can only reach the client if the platform streams them as they come.
    model_server.plan(text_reply("Deals closed: three of them.", stall_after_chunks=4))

    received = []
    with httpx.stream("POST", f"{server.url}/api/v1/chat/conversations/{chat}/messages",
                      json={"content": "Which deals closed?"}, timeout=30,
                      headers={"Authorization": f"Bearer {token}",
                               "Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data:"):
                received.append(json.loads(line[5:]))
            if len(received) == 3:
                break
    # The client has hung up; once the platform has had a moment to see that, the model
    # server may fail its stalled stream.
    time.sleep(1.0)
    model_server.release()

    assert "".join(event["text"] for event in received) == "Deals closed: thre"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        messages = _stored(team, chat)
        if messages and messages[-1].role == "assistant":
            break
        time.sleep(0.2)
    last = messages[-1]
    assert last.error_code == "ERROR_CHAT_CANCELLED"
    assert last.content == "Deals closed: thre"


def test_sse_full_turn_over_asgi(live, model_server):
    server, _team, token = live
    chat = _conversation(server, token)
    model_server.plan(tool_call_reply(call("whoami", {}, id="call_live")),
                      text_reply("You are in Chat-Live."))

    response = httpx.post(f"{server.url}/api/v1/chat/conversations/{chat}/messages",
                          json={"content": "Who am I?"}, timeout=30,
                          headers={"Authorization": f"Bearer {token}",
                                   "Accept": "text/event-stream"})

    events = [line.split(":", 1)[1].strip() for line in response.text.splitlines()
              if line.startswith("event:")]
    assert events[-1] == "done"
    assert "tool_call" in events and "tool_result" in events
    assert "You are in Chat-Live." in response.text


def test_a_silent_model_keeps_the_stream_alive_with_comments(live, model_server):
    """While nothing happens (here the model thinks for 1.5 s) a comment line goes out
    every CHAT_SSE_KEEPALIVE_SECONDS (0.4 s for this server), then the answer."""
    server, _team, token = live
    chat = _conversation(server, token)
    model_server.plan(hang_reply(1.5))

    response = httpx.post(f"{server.url}/api/v1/chat/conversations/{chat}/messages",
                          json={"content": "Think hard"}, timeout=30,
                          headers={"Authorization": f"Bearer {token}",
                                   "Accept": "text/event-stream"})

    lines = response.text.splitlines()
    assert lines.count(": keep-alive") >= 2
    first_event = next(index for index, line in enumerate(lines) if line.startswith("event:"))
    assert ": keep-alive" in lines[:first_event]
    assert "event: done" in lines
    assert "too late" in response.text


def test_websocket_over_a_real_socket(live, model_server):
    server, _team, token = live
    chat = _conversation(server, token)
    model_server.plan(text_reply("Hello over the socket."))
    url = server.url.replace("http://", "ws://") + f"/ws/chat/{chat}/?token={token}"

    async def run():
        async with websockets.connect(url, origin=server.url) as socket:
            await socket.send(json.dumps({"type": "message", "content": "hi"}))
            events = []
            while not events or events[-1]["type"] not in ("done", "error"):
                events.append(json.loads(await asyncio.wait_for(socket.recv(), 30)))
            return events

    events = asyncio.run(run())

    assert events[-1]["type"] == "done"
    assert events[-1]["message"]["content"] == "Hello over the socket."
    assert model_server.requests[-1]["headers"]["authorization"] == "Bearer sk-live-team"


def test_websocket_of_another_tenant_is_refused_over_a_real_socket(live, django_db_blocker):
    server, _team, token = live
    chat = _conversation(server, token)
    with django_db_blocker.unblock():
        other = committed_team("chat-live-other").jwt()
    url = server.url.replace("http://", "ws://") + f"/ws/chat/{chat}/?token={other}"

    async def run():
        async with websockets.connect(url, origin=server.url) as socket:
            await socket.recv()

    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        asyncio.run(run())
    assert refused.value.response.status_code == 403
