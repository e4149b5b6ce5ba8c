"""A person signs up, logs in, creates an API key and sees it listed, in
Debian's chromium driven by Playwright against a real server process."""

import uuid

import pytest

from tests.support.signup import browser_sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_sign_up_log_in_create_key(platform_server, page):
    slug = f"web-{uuid.uuid4().hex[:8]}"
    email = f"person@{slug}.example.com"
    password = "a-long-and-unusual-passphrase-77"
    base = platform_server.url

    browser_sign_up(page, platform_server, email_address=email, password=password,
                    tenant_name="Web Team", tenant_slug=slug, full_name="Pat Person")
    assert page.locator("h1").inner_text() == "Web Team"
    assert "owner" in page.content()

    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{base}/login")
    page.fill("#id_username", email)
    page.fill("#id_password", "wrong password")
    page.click("main button:has-text('Log in')")
    assert page.locator(".errorlist").count() == 1

    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(f"{base}/")

    page.click("nav >> text=API keys")
    page.fill("#id_name", "Reporting script")
    page.click("button:has-text('Create key')")
    key = page.input_value("#new-key-value")
    assert key.startswith("pat_")
    row = page.locator("#keys tbody tr", has_text="Reporting script")
    assert row.count() == 1
    assert key[:12] in row.inner_text()
    assert key not in page.locator("#keys").inner_html()

    page.reload()
    assert page.locator("#new-key-value").count() == 0

    page.once("dialog", lambda dialog: dialog.accept())  # Revoke asks first
    page.locator("#keys tbody tr", has_text="Reporting script").locator(
        "button:has-text('Revoke')").click()
    page.wait_for_url(f"{base}/api-keys")
    assert "revoked" in page.locator("#keys tbody tr", has_text="Reporting script").inner_text()
