"""The chat over a WebSocket (/ws/chat/<id>/), through the project's ASGI application with
Channels' WebsocketCommunicator and the real Redis channel layer.

The server side runs as it does under uvicorn: the consumer's database calls in asgiref's
thread, the turn in a thread of its own, each with its own connection. So what the
server must see is committed first (`outside()`), and the test's own connection only
reads what the server committed.
"""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from django_tenants.utils import tenant_context

from apps.accounts.selectors import SESSION_TENANT_KEY
from apps.chat import services
from apps.chat.models import Message
from config.asgi import application
from tests.conftest import committed_team
from tests.support.openai_server import call, text_reply, tool_call_reply

pytestmark = pytest.mark.django_db
ORIGIN = [(b"origin", b"http://localhost")]


@pytest.fixture(scope="module")
def teams(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield committed_team("chat-ws-a"), committed_team("chat-ws-b")
    # The consumer's connection lives in asgiref's thread: close it before the
    # test database is dropped.
    asyncio.run(sync_to_async(connections.close_all)())


@pytest.fixture
def live(teams):
    return teams


def outside(function, *args, **kwargs):
    """Run `function` as the server would see its effects: on a connection of its own,
    committed, not in the test's transaction."""

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _conversation_create(team) -> str:
    with tenant_context(team.tenant):
        return str(services.conversation_create(user_id=team.owner.pk).pk)


def new_conversation(team) -> str:
    return outside(_conversation_create, team)


def api_key(team, scopes=("read", "write")) -> str:
    return outside(team.api_key, scopes=scopes)


def session_cookie(team) -> bytes:
    def login():
        browser = Client()
        browser.force_login(team.owner)
        session = browser.session
        session[SESSION_TENANT_KEY] = team.tenant.pk
        session.save()
        return f"sessionid={browser.cookies['sessionid'].value}".encode()

    return outside(login)


def stored(team, conversation_id) -> list[Message]:
    with tenant_context(team.tenant):
        return list(Message.objects.filter(conversation_id=conversation_id)
                    .order_by("position"))


async def _open(path: str, headers=()):
    communicator = WebsocketCommunicator(application, path,
                                         headers=[*ORIGIN, (b"host", b"localhost"), *headers])
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


def attempt(path: str, headers=()) -> tuple[bool, int | None]:
    async def run():
        communicator, connected, code = await _open(path, headers)
        if connected:
            await communicator.disconnect()
        return connected, code

    return asyncio.run(run())


async def _until_end(communicator) -> list[dict]:
    events = []
    while True:
        event = await communicator.receive_json_from(timeout=15)
        events.append(event)
        if event["type"] in ("done", "error"):
            return events


def converse(path: str, *messages: dict, headers=()) -> list[list[dict]]:
    """Send each message and collect the events up to its done or error."""

    async def run():
        communicator, connected, code = await _open(path, headers)
        assert connected, code
        answers = []
        for message in messages:
            await communicator.send_json_to(message)
            answers.append(await _until_end(communicator))
        await communicator.disconnect()
        return answers

    return asyncio.run(run())


def test_question_tool_call_and_answer_with_a_jwt(live, openai_env):
    alpha, _bravo = live
    chat = new_conversation(alpha)
    openai_env.plan(tool_call_reply(call("whoami", {}, id="call_ws"), text="Checking."),
                    text_reply("You are in Chat-Ws-A."))

    (events,) = converse(f"/ws/chat/{chat}/?token={alpha.jwt()}",
                         {"type": "message", "content": "Which team am I in?"})

    kinds = [event["type"] for event in events]
    assert kinds[-1] == "done"
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("done")
    assert "".join(e["text"] for e in events if e["type"] == "delta") == \
        "Checking.You are in Chat-Ws-A."
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["result"]["tenant"]["slug"] == "chat-ws-a"
    assert events[-1]["message"]["content"] == "You are in Chat-Ws-A."
    assert [m.role for m in stored(alpha, chat)] == ["system", "user", "assistant", "tool",
                                                     "assistant"]


def test_api_key_in_the_query_string_and_its_scopes(live, openai_env):
    alpha, _bravo = live
    chat = new_conversation(alpha)
    openai_env.plan(text_reply("Read only."))

    (events,) = converse(f"/ws/chat/{chat}/?token={api_key(alpha, scopes=('read',))}",
                         {"type": "message", "content": "hi"})

    assert events[-1]["type"] == "done"
    offered = {t["function"]["name"] for t in openai_env.requests[0]["body"]["tools"]}
    assert "list_records" in offered and "create_records" not in offered


def test_browser_session_cookie(live, openai_env):
    alpha, _bravo = live
    chat = new_conversation(alpha)
    cookie = session_cookie(alpha)
    openai_env.plan(text_reply("Hello from the session."))

    (events,) = converse(f"/ws/chat/{chat}/", {"type": "message", "content": "hi"},
                         headers=[(b"cookie", cookie)])

    assert events[-1]["message"]["content"] == "Hello from the session."


@pytest.mark.parametrize("token", ["", "garbage", "pat_" + "x" * 40, "x" * 5000])
def test_without_a_valid_credential_the_socket_is_denied(live, token):
    alpha, _bravo = live
    chat = new_conversation(alpha)
    connected, _code = attempt(f"/ws/chat/{chat}/?token={token}" if token else
                               f"/ws/chat/{chat}/")
    assert connected is False


def test_other_tenant_cannot_open_or_post(live, openai_env):
    alpha, bravo = live
    chat = new_conversation(alpha)
    for token in (bravo.jwt(), api_key(bravo)):
        connected, code = attempt(f"/ws/chat/{chat}/?token={token}")
        assert (connected, code) == (False, 4404)
    # Alpha's credential on bravo's host names two tenants: refused.
    connected, _code = attempt(f"/ws/chat/{chat}/?token={alpha.jwt()}",
                               headers=[(b"host", f"{bravo.host}".encode())])
    assert connected is False
    # Bravo's session can't reach it either.
    assert attempt(f"/ws/chat/{chat}/", headers=[(b"cookie", session_cookie(bravo))])[0] \
        is False
    assert stored(alpha, chat) == []
    assert openai_env.requests == []


@pytest.mark.parametrize("path", ["/ws/chat/not-a-uuid/",
                                  "/ws/chat/00000000-0000-0000-0000-000000000000/"])
def test_unknown_conversation_is_denied(live, path):
    alpha, _bravo = live
    assert attempt(f"{path}?token={alpha.jwt()}") == (False, 4404)


def test_bad_messages_get_an_error_and_the_socket_stays_open(live, openai_env):
    alpha, _bravo = live
    chat = new_conversation(alpha)
    openai_env.plan(text_reply("Still here."))

    path = f"/ws/chat/{chat}/?token={alpha.jwt()}"

    async def run():
        communicator, connected, _code = await _open(path)
        assert connected
        await communicator.send_to(text_data="{not json")
        malformed = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "dance"})
        unknown = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "message", "content": ""})
        empty = await communicator.receive_json_from(timeout=5)
        await communicator.send_json_to({"type": "message", "content": "hi"})
        answer = await _until_end(communicator)
        await communicator.disconnect()
        return malformed, unknown, empty, answer

    malformed, unknown, empty, answer = asyncio.run(run())
    assert malformed["code"] == "ERROR_MALFORMED_REQUEST"
    assert unknown["code"] == "ERROR_VALIDATION"
    assert empty["code"] == "ERROR_VALIDATION"
    assert answer[-1]["message"]["content"] == "Still here."


def test_no_provider_configured(live, no_llm):
    alpha, _bravo = live
    chat = new_conversation(alpha)

    (events,) = converse(f"/ws/chat/{chat}/?token={alpha.jwt()}",
                         {"type": "message", "content": "hi"})

    assert events == [{"type": "error", "code": "ERROR_LLM_NOT_CONFIGURED",
                       "message": events[0]["message"]}]
    assert "OPENAI_API_KEY" in events[0]["message"]


def test_stop_while_streaming(live, openai_env):
    alpha, _bravo = live
    chat = new_conversation(alpha)
    openai_env.plan(text_reply("word " * 400, chunk_delay=0.01))

    path = f"/ws/chat/{chat}/?token={alpha.jwt()}"

    async def run():
        communicator, _connected, _code = await _open(path)
        await communicator.send_json_to({"type": "message", "content": "talk a lot"})
        first = await communicator.receive_json_from(timeout=10)
        await communicator.send_json_to({"type": "message", "content": "again"})
        busy = await communicator.receive_json_from(timeout=10)
        while busy["type"] == "delta":
            busy = await communicator.receive_json_from(timeout=10)
        await communicator.send_json_to({"type": "stop"})
        rest = await _until_end(communicator)
        await communicator.disconnect()
        return first, busy, rest

    first, busy, rest = asyncio.run(run())
    assert first["type"] == "delta"
    assert busy["code"] == "ERROR_CHAT_TURN_IN_PROGRESS"
    assert rest[-1]["type"] == "error" and rest[-1]["code"] == "ERROR_CHAT_CANCELLED"
    last = stored(alpha, chat)[-1]
    assert last.error_code == "ERROR_CHAT_CANCELLED" and last.content.startswith("word")


def test_closing_the_socket_stops_the_turn(live, openai_env):
    alpha, _bravo = live
    chat = new_conversation(alpha)
    openai_env.plan(text_reply("word " * 400, chunk_delay=0.01))

    path = f"/ws/chat/{chat}/?token={alpha.jwt()}"

    async def run():
        communicator, _connected, _code = await _open(path)
        await communicator.send_json_to({"type": "message", "content": "talk a lot"})
        await communicator.receive_json_from(timeout=10)
        await communicator.disconnect()

    asyncio.run(run())

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        messages = stored(alpha, chat)
        if messages and messages[-1].role == "assistant":
            break
        time.sleep(0.1)
    assert messages[-1].error_code == "ERROR_CHAT_CANCELLED"
