"""A team's first hour, in Debian's chromium against a real server process: sign up,
connect the sandbox demo base and watch its sync, filter with the builder, edit a cell
(and find the change in the sandbox), add and delete a row, invite a viewer who sets a
password and sees no write controls, reset a password, chat with Markdown rendered.
Screenshots at 1366 and 390 px go to .artifacts/screenshots."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from apps.chat import services as chat_services
from apps.sandbox.models import SandboxRecord
from apps.tenants.selectors import tenant_get_by_slug
from tests.browser.helpers import in_thread, shoot
from tests.support.openai_server import ScriptedOpenAI, text_reply
from tests.support.signup import browser_sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "a-long-and-unusual-passphrase-91"


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="module")
def site(platform_server_factory, mail_dir):
    return platform_server_factory(SANDBOX_RATE_LIMIT_PER_BASE="0",
                                   SANDBOX_RATE_LIMIT_PER_TOKEN="0", EMAIL_URL="filemail://",
                                   EMAIL_FILE_PATH=str(mail_dir))


@pytest.fixture(scope="module")
def model_server():
    server = ScriptedOpenAI().start()
    yield server
    server.stop()


def _last_link(mail_dir: Path, pattern: str) -> str:
    paths = sorted(mail_dir.iterdir(), key=lambda path: path.stat().st_mtime)
    texts = [path.read_text() for path in paths]
    links = [link for text in texts for link in re.findall(r"https?://\S+", text)
             if re.search(pattern, link)]
    assert links, texts
    return links[-1]




def test_a_team_walks_through_the_platform(site, page, mail_dir, model_server,
                                           django_db_blocker):
    base = site.url
    slug = f"walk-{uuid.uuid4().hex[:8]}"
    owner = f"owner@{slug}.example.com"
    page.set_default_timeout(60_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_viewport_size({"width": 1366, "height": 900})

    # Sign up.
    browser_sign_up(page, site, email_address=owner, password=PASSWORD,
                    tenant_name="Walk Team", tenant_slug=slug)
    shoot(page, "01-dashboard")

    # Connect the sandbox demo base in one click; its first sync runs with progress.
    page.click("nav >> text=Airtable")
    shoot(page, "02-first-run")
    page.click("#connect-demo")
    page.wait_for_url(re.compile(r"/airtable/bases/app\w+/$"))
    page.wait_for_selector("#sync-status .status-succeeded")
    assert page.locator("#sync-status progress").get_attribute("value") == "100"
    page.wait_for_selector("#tables a:has-text('Companies')")
    shoot(page, "03-base-synced")

    # Filter with the builder.
    page.click("#tables a:has-text('Companies')")
    page.wait_for_selector("#grid tr[data-record]")
    total = int(re.search(r"of (\d+)", page.inner_text("#grid .pager .count")).group(1))
    page.click("[data-builder=add]")
    condition = page.locator("#filter-builder .condition").first
    condition.locator("select").nth(0).select_option("Active")
    condition.locator("select").nth(1).select_option("=")
    condition.locator("input").fill("true")
    page.click("[data-builder=apply]")
    expect(page.locator("#formula")).to_have_value("{Active}")
    expect(page.locator("#grid .pager .count")).not_to_have_text(re.compile(f"of {total}$"))
    filtered = int(re.search(r"of (\d+)", page.inner_text("#grid .pager .count")).group(1))
    assert 0 < filtered < total
    shoot(page, "04-grid-filtered")

    # Edit a cell: the change is in the sandbox.
    first_row = page.locator("#grid tr[data-record]").first
    record_id = first_row.get_attribute("data-record")
    name_cell = first_row.locator("td[data-field='Name']")
    name_cell.dblclick()
    page.fill("#grid .cell-editor", "Walk Edited Co")
    page.keyboard.press("Enter")
    page.wait_for_selector("#grid td.saved")
    assert name_cell.inner_text() == "Walk Edited Co"
    stored = in_thread(django_db_blocker,
                        lambda: SandboxRecord.objects.get(pk=record_id).fields)
    assert "Walk Edited Co" in json.dumps(stored)
    name_cell.press("ArrowRight")  # keyboard navigation moves to the next column
    assert page.evaluate("document.activeElement.dataset.field") != "Name"

    # Add a row, fill it in, delete it.
    page.click("#add-record")
    page.wait_for_selector("#record-panel")
    new_id = page.inner_text("#record-panel h2 code")
    page.locator("#record-panel dd input[type=text]").first.fill("Walk New Row")
    page.click("#record-panel button:has-text('Save')")
    page.wait_for_selector(".flash:has-text('Record saved.')")
    shoot(page, "05-record-panel")
    page.click("#record-panel button:has-text('Delete record')")
    page.wait_for_selector(".flash:has-text('Record deleted.')")
    assert not in_thread(django_db_blocker,
                          lambda: SandboxRecord.objects.filter(pk=new_id).exists())

    # Invite a viewer.
    page.click("nav >> text=Members")
    page.fill("#id_email", f"viewer@{slug}.example.com")
    page.select_option("#id_role", "viewer")
    page.click("button:has-text('Send invitation')")
    page.wait_for_selector(".flash:has-text('Invitation sent')")
    shoot(page, "06-members")
    invitation = _last_link(mail_dir, r"/invitations/")
    page.click("button:has-text('Log out')")

    # The invitee chooses a password, joins as a viewer and is offered no write controls.
    page.goto(re.sub(r"^https?://[^/]+", base, invitation))
    page.fill("#id_full_name", "Vic Viewer")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Create my account and join')")
    page.wait_for_url(f"{base}/")
    assert "your role viewer" in page.inner_text("main")
    page.click("nav >> text=Airtable")
    assert page.locator("text=Sync now").count() == 0
    page.locator("#bases a").first.click()
    page.click("#tables a:has-text('Companies')")
    page.wait_for_selector("#grid tr[data-record]")
    assert page.locator("#grid td[data-editor]").count() == 0
    assert page.locator("#add-record").count() == 0
    assert page.locator("#grid button:has-text('Delete')").count() == 0
    shoot(page, "07-viewer-grid")
    page.click("nav >> text=API keys")
    assert page.locator("text=Allow writes").count() == 0
    page.click("nav >> text=Files")
    assert page.locator("text=Upload files").count() == 0
    page.click("nav >> text=Members")
    assert page.locator("button:has-text('Send invitation')").count() == 0
    assert page.locator("button:has-text('Remove')").count() == 0
    page.click("button:has-text('Log out')")

    # The password the invitee chose is theirs: they log in with it.
    page.goto(f"{base}/login")
    page.fill("#id_username", f"viewer@{slug}.example.com")
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(f"{base}/")
    assert "your role viewer" in page.inner_text("main")
    page.click("button:has-text('Log out')")

    # Password reset by e-mail.
    page.click("text=Forgot your password?")
    page.fill("#id_email", owner)
    page.click("button:has-text('Send the link')")
    page.wait_for_selector("h1:has-text('Check your email')")
    reset = _last_link(mail_dir, r"/password/reset/")
    page.goto(re.sub(r"^https?://[^/]+", base, reset))
    page.fill("#id_new_password1", "a-new-walk-password-92")
    page.fill("#id_new_password2", "a-new-walk-password-92")
    page.click("button:has-text('Set password')")
    page.wait_for_selector("h1:has-text('Password set')")
    page.goto(f"{base}/login")
    page.fill("#id_username", owner)
    page.fill("#id_password", "a-new-walk-password-92")
    page.click("main button:has-text('Log in')")
    page.wait_for_url(f"{base}/")

    # Chat with the scripted model: its Markdown is rendered, not shown literally.
    def chat_settings():
        tenant = tenant_get_by_slug(slug)
        with tenant_context(tenant):
            chat_services.chat_settings_update(
                actor_id=tenant.memberships.get(role="owner").user_id, provider="openai",
                base_url=model_server.url, api_key="sk-walk")

    in_thread(django_db_blocker, chat_settings)
    model_server.plan(text_reply("**Total**: 3 companies\n\n- Acme\n- Globex"))
    page.click("nav >> text=Chat")
    page.fill("#chat-input", "How many companies are active?")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-log .msg.assistant .meta")
    assert page.locator("#chat-log .msg.assistant strong").inner_text() == "Total", \
        page.inner_html("#chat-log")
    assert page.locator("#chat-log .msg.assistant li").count() == 2
    assert "**" not in page.inner_text("#chat-log")
    page.reload()
    page.wait_for_selector("#chat-log .msg.assistant strong:has-text('Total')")
    shoot(page, "08-chat")
