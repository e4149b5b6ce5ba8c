"""A person uploads files on the upload page and sees each one's progress and
outcome, then the extracted table, in Debian's chromium against a real server."""

from __future__ import annotations

import uuid

import pytest

from tests.support.signup import browser_sign_up

from . import documents

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_upload_page_shows_progress_and_outcome_per_file(platform_server, page):
    slug = f"files-{uuid.uuid4().hex[:8]}"
    base = platform_server.url
    browser_sign_up(page, platform_server, email_address=f"uploader@{slug}.example.com",
                    password="a-long-and-unusual-passphrase-78", tenant_name="Upload Team",
                    tenant_slug=slug, full_name="Una Uploader")

    page.click("nav >> text=Files")
    page.wait_for_url(f"{base}/files/")
    page.click("text=Upload files")
    page.set_input_files("#file-input", [
        {"name": "cities.csv", "mimeType": "text/csv",
         "buffer": documents.csv_file([["City", "Population"], ["Lyon", "522250"]])},
        {"name": "fake.pdf", "mimeType": "application/pdf",
         "buffer": documents.ELF_HEADER + b"\x00" * 512},
        {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"},
    ])
    rows = page.locator("#uploads li")
    rows.nth(2).wait_for()  # the page lists the files once the browser has read them
    assert rows.count() == 3
    good = rows.filter(has_text="cities.csv")
    good.locator("a", has_text="open").wait_for()
    assert good.locator("progress").evaluate("bar => bar.value") == 100
    refused = rows.filter(has_text="fake.pdf").locator(".error")
    refused.wait_for()
    assert "its content is not a PDF document" in refused.inner_text()
    assert "Not an allowed type" in rows.filter(has_text="setup.exe").inner_text()

    good.locator("a", has_text="open").click()
    page.locator("th", has_text="Population").wait_for()
    assert page.locator("td", has_text="Lyon").count() == 1
    assert "processed" in page.locator("#file-status").inner_text()

    page.click("button:has-text('Delete')")
    page.wait_for_url(f"{base}/files/")
    assert "No files yet." in page.content()
