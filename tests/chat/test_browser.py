"""The chat page in Debian's chromium against a real server process: a question streams
its answer with the tool step shown, and the stop button stops a long answer."""

import re

import pytest
from django_tenants.utils import tenant_context

from apps.chat import services
from tests.conftest import PASSWORD, committed_team
from tests.support.openai_server import ScriptedOpenAI, call, text_reply, tool_call_reply

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}


@pytest.fixture(scope="module")
def model_server():
    server = ScriptedOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(platform_server_factory, model_server, django_db_blocker):
    server = platform_server_factory(**UNLIMITED)
    with django_db_blocker.unblock():
        team = committed_team("chat-browser")
        with tenant_context(team.tenant):
            services.chat_settings_update(actor_id=team.owner.pk, provider="openai",
                                          base_url=model_server.url, api_key="sk-browser")
    return server, team


def _log_in(page, site):
    server, team = site
    page.goto(f"{server.url}/login")
    page.fill("#id_username", team.owner.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(f"{server.url}/")
    page.click("nav >> text=Chat")
    page.wait_for_url(f"{server.url}/chat/")


def test_ask_and_watch_the_answer_stream(site, model_server, page):
    _log_in(page, site)
    model_server.plan(tool_call_reply(call("whoami", {}), text="Let me check."),
                      text_reply("You are in the Chat-Browser team."))

    page.fill("#chat-input", "Which team am I in?")
    page.keyboard.press("Enter")

    page.wait_for_selector("text=You are in the Chat-Browser team.")
    step = page.locator("details.step")
    assert step.count() == 1 and "whoami" in step.inner_text()
    step.locator("summary").click()
    assert "chat-browser" in step.inner_text()  # the tool's result, shown in the step
    assert re.search(r"/chat/[0-9a-f-]{36}/$", page.url)
    assert "Which team am I in?" in page.locator("#chat-list").inner_text()
    assert "60 tokens" in page.locator("#chat-counters").inner_text()

    page.reload()  # the conversation as saved
    assert "You are in the Chat-Browser team." in page.locator("#chat-log").inner_text()


def test_stop_button_stops_a_long_answer(site, model_server, page):
    _log_in(page, site)
    model_server.plan(text_reply("and so on " * 300, chunk_delay=0.02))

    page.fill("#chat-input", "Tell me everything.")
    page.click("#chat-send")
    page.wait_for_selector("text=and so on")
    page.click("#chat-stop")

    page.wait_for_selector(".msg.error")
    assert page.locator("#chat-stop").is_hidden()
    page.wait_for_timeout(500)
    page.reload()
    saved = page.locator("#chat-log").inner_text()
    assert "Stopped" in saved or "went away" in saved
