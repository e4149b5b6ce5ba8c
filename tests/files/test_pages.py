"""The files pages: list with search, sort and live status, upload, detail."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from . import documents
from .helpers import store, stored_blobs


def browser(team, user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user or team.owner)
    session = client.session
    session["active_tenant_id"] = team.tenant.pk
    session.save()
    return client


def csrf_of(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]


def test_the_nav_links_to_files(team_a):
    page = browser(team_a).get("/")
    assert '<a href="/files/">Files</a>' in page.content.decode()


def test_list_shows_searches_and_sorts_files(team_a):
    store(team_a, "minutes.txt", b"a" * 30)
    store(team_a, "budget.csv", b"item,cost\nlaptop,1200\n")
    store(team_a, "agenda.txt", b"b" * 5, extract=False)
    client = browser(team_a)
    page = client.get("/files/?sort=name").content.decode()
    assert page.index("agenda.txt") < page.index("budget.csv") < page.index("minutes.txt")
    assert 'class="status status-processed"' in page
    searched = client.get("/files/?q=MIN").content.decode()
    assert "minutes.txt" in searched and "budget.csv" not in searched
    assert "No file matches" in client.get("/files/?q=nothing").content.decode()


def test_rows_of_files_in_progress_poll_until_done(team_a):
    busy = store(team_a, "busy.txt", b"in progress", extract=False)
    client = browser(team_a)
    page = client.get("/files/").content.decode()
    assert f'hx-get="/files/{busy.pk}/row" hx-trigger="every 2s"' in page
    row = client.get(f"/files/{busy.pk}/row").content.decode()
    assert "hx-trigger" in row and "uploaded" in row
    done = store(team_a, "done.txt", b"finished")
    assert "hx-trigger" not in client.get(f"/files/{done.pk}/row").content.decode()


def test_the_status_of_a_detail_page_refreshes_the_page_once_done(team_a):
    file = store(team_a, "done.txt", b"finished")
    response = browser(team_a).get(f"/files/{file.pk}/status")
    assert response["HX-Refresh"] == "true"


def test_upload_page_is_a_dropzone_driven_by_a_script_file(team_a):
    page = browser(team_a).get("/files/upload").content.decode()
    assert "data-dropzone" in page
    assert 'data-endpoint="/api/v1/files"' in page
    assert 'data-max-bytes="26214400"' in page
    assert 'accept=".pdf,.doc,.docx,.txt,.csv,.xlsx"' in page
    assert '<script src="/static/js/files.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script breaks the CSP"


def test_the_upload_script_sends_each_file_with_progress(team_a):
    response = Client().get("/static/js/files.js")
    script = b"".join(response.streaming_content).decode()
    assert 'xhr.upload.addEventListener("progress"' in script
    assert 'setRequestHeader("X-CSRFToken"' in script


def test_the_page_script_uploads_through_the_api_with_the_session(team_a, storage):
    client = browser(team_a)
    token = csrf_of(client.get("/files/upload"))
    response = client.post("/api/v1/files", {"file": SimpleUploadedFile("a.txt", b"hello")},
                           HTTP_X_CSRFTOKEN=token, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    refused = client.post("/api/v1/files", {"file": SimpleUploadedFile("b.txt", b"bye")})
    assert refused.status_code == 403
    assert len(stored_blobs(storage)) == 1


def test_the_upload_form_works_without_script(team_a, storage, settings):
    client = browser(team_a)
    token = csrf_of(client.get("/files/upload"))
    response = client.post("/files/upload", {
        "csrfmiddlewaretoken": token,
        "file": [SimpleUploadedFile("one.txt", b"first"), SimpleUploadedFile("two.txt", b"2nd")],
    }, follow=True)
    page = response.content.decode()
    assert "one.txt uploaded." in page and "two.txt uploaded." in page
    assert len(stored_blobs(storage)) == 2
    settings.MAX_UPLOAD_MB = 1
    big = client.post("/files/upload", {
        "csrfmiddlewaretoken": token,
        "file": SimpleUploadedFile("big.txt", b"x" * (1024 * 1024 + 1))}, follow=True)
    assert "Files may be up to 1 MB." in big.content.decode()
    assert big.redirect_chain == [("/files/upload", 302)]
    assert len(stored_blobs(storage)) == 2


def test_the_upload_form_checks_csrf(team_a, storage):
    response = browser(team_a).post("/files/upload", {"file": SimpleUploadedFile("a.txt", b"a")})
    assert response.status_code == 403
    assert stored_blobs(storage) == []


def test_detail_previews_text_and_tables_and_offers_the_import(team_a):
    file = store(team_a, "people.xlsx", documents.xlsx_file())
    page = browser(team_a).get(f"/files/{file.pk}/").content.decode()
    assert "people.xlsx" in page
    assert "<th>Joined</th>" in page and "<td>Laptop</td>" in page
    assert "## People" in page
    # With no Airtable base connected yet, the import says what it needs first.
    assert f'action="/files/{file.pk}/import"' not in page
    assert "Connect an Airtable base and sync it first" in page
    assert f'href="/api/v1/files/{file.pk}/download"' in page


def test_a_failed_file_shows_its_reason_and_can_be_retried(team_a):
    file = store(team_a, "wide.csv", documents.wide_csv(3_000))
    page = browser(team_a).get(f"/files/{file.pk}/").content.decode()
    assert "ERROR_FILE_TOO_COMPLEX" not in page  # the reason in words, not its code
    assert "3,000 columns" in page
    assert f'action="/files/{file.pk}/retry"' in page


def test_an_import_with_no_base_connected_is_refused(team_a):
    file = store(team_a, "rows.csv", b"a,b\n1,2\n")
    client = browser(team_a)
    token = csrf_of(client.get(f"/files/{file.pk}/"))
    response = client.post(f"/files/{file.pk}/import", {
        "csrfmiddlewaretoken": token, "target": "appX/T", "sheet": "rows"})
    assert response.status_code == 400
    assert "Connect an Airtable base and sync it first" in response.content.decode()


def test_delete_from_the_page(team_a, storage):
    file = store(team_a, "bye.txt", b"bye")
    client = browser(team_a)
    token = csrf_of(client.get(f"/files/{file.pk}/"))
    response = client.post(f"/files/{file.pk}/delete", {"csrfmiddlewaretoken": token},
                           follow=True)
    assert "bye.txt deleted." in response.content.decode()
    assert stored_blobs(storage) == []


def test_viewers_see_files_but_no_upload_or_delete(team_a, storage):
    file = store(team_a, "shared.txt", b"for all")
    viewer = team_a.add_member("viewer2@alpha.example.com", "viewer")
    client = browser(team_a, viewer)
    listing = client.get("/files/").content.decode()
    assert "shared.txt" in listing and "Upload files" not in listing
    detail = client.get(f"/files/{file.pk}/").content.decode()
    assert "Delete" not in detail
    token = csrf_of(client.get("/files/upload"))
    response = client.post(f"/files/{file.pk}/delete", {"csrfmiddlewaretoken": token})
    assert response.status_code == 403
    assert len(stored_blobs(storage)) == 1


def test_another_tenant_gets_404_pages(team_a, team_b):
    file = store(team_a, "alpha-only.txt", b"alpha secret")
    client = browser(team_b)
    for path in (f"/files/{file.pk}/", f"/files/{file.pk}/row", f"/files/{file.pk}/status"):
        response = client.get(path)
        assert response.status_code == 404
        assert "alpha-only" not in response.content.decode()
    assert "alpha-only" not in client.get("/files/").content.decode()


@pytest.mark.parametrize("path", ["/files/", "/files/upload"])
def test_pages_need_a_login(db, client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
