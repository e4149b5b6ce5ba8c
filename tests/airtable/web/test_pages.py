"""The Airtable pages as a logged-in member uses them (htmx requests included)."""

import csv
import io
import json
import re

import pytest
from django.test import Client

from ..conftest import connect, sync

HTMX = {"HTTP_HX_REQUEST": "true"}
DASH = "\u2013"  # the grid counts rows as "1 DASH 50 of 60"


def _browser(team, user=None) -> Client:
    client = Client()
    client.force_login(user or team.owner)
    session = client.session
    session["active_tenant_id"] = team.tenant.pk
    session.save()
    return client


@pytest.fixture
def synced(team_a, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(60)
    connect(team_a, server, sandbox.token, name="Sandbox link")
    job = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded"
    return sandbox


def test_pages_need_a_login(db, client):
    answer = client.get("/airtable/")
    assert answer.status_code == 302
    assert "/login" in answer["Location"]


def test_index_lists_connections_and_bases_but_never_the_token(team_a, synced):
    page = _browser(team_a).get("/airtable/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sandbox link" in html
    assert synced.base_id in html and "Inventory" in html
    assert synced.token not in html
    assert synced.token.split(".")[1] not in html


def test_adding_a_connection_from_the_page(team_a, server, make_base):
    sandbox = make_base(1)
    browser = _browser(team_a)
    refused = browser.post("/airtable/connections", {
        "name": "Wrong", "token": "patAAAAAAAAAAAAAA." + "0" * 64,
        "endpoint_url": f"{server.url}/sandbox/airtable"})
    assert refused.status_code == 400
    assert "AUTHENTICATION_REQUIRED" in refused.content.decode()
    assert "patAAAAAAAAAAAAAA" not in refused.content.decode()  # the field is not echoed
    added = browser.post("/airtable/connections", {
        "name": "From the page", "token": sandbox.token,
        "endpoint_url": f"{server.url}/sandbox/airtable"}, follow=True)
    html = added.content.decode()
    assert "Connected “From the page”" in html
    assert sandbox.base_id in html
    assert sandbox.token not in html


def test_test_and_remove_buttons(team_a, synced):
    browser = _browser(team_a)
    index = browser.get("/airtable/").content.decode()
    connection_id = index.split('id="connection-')[1].split('"')[0]
    row = browser.post(f"/airtable/connections/{connection_id}/test", **HTMX)
    assert row.status_code == 200
    assert "works: " in row.content.decode()
    assert synced.token not in row.content.decode()
    removed = browser.post(f"/airtable/connections/{connection_id}/remove", **HTMX)
    assert removed["HX-Refresh"] == "true"
    assert synced.base_id not in browser.get("/airtable/").content.decode()


def test_sync_now_shows_live_progress_until_done(team_a, synced,
                                                 django_capture_on_commit_callbacks):
    browser = _browser(team_a)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = browser.post(f"/airtable/bases/{synced.base_id}/sync", {"full": "1"}, **HTMX)
    html = started.content.decode()
    assert "queued" in html
    assert 'hx-trigger="every 1s"' in html  # the bar polls while the job is active
    progress_url = html.split('hx-get="')[1].split('"')[0]
    for callback in queued:
        callback()
    done = browser.get(progress_url, **HTMX).content.decode()
    assert "succeeded" in done
    assert "every 1s" not in done
    base_page = browser.get(f"/airtable/bases/{synced.base_id}/").content.decode()
    assert "Last sync failed" not in base_page
    assert "Items" in base_page and ">60<" in base_page


def _cells(html: str, field: str) -> list[str]:
    return re.findall(rf'<td tabindex="-1" data-field="{field}"[^>]*>([^<]*)</td>', html)


def test_the_grid_pages_sorts_and_filters(team_a, synced):
    browser = _browser(team_a)
    url = f"/airtable/bases/{synced.base_id}/tables/Items/"
    first = browser.get(url)
    assert first.status_code == 200
    html = first.content.decode()
    assert html.count("data-record=") == 50
    assert f"1{DASH}50 of 60" in html and "Previous" not in html
    next_url = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = browser.get(next_url.replace("&amp;", "&"), **HTMX).content.decode()
    assert second.count("data-record=") == 10
    assert f"51{DASH}60 of 60" in second and 'rel="prev"' in second and 'rel="next"' not in second
    back_url = second.split('rel="prev"')[0].rsplit('href="', 1)[1].split('"')[0]
    back = browser.get(back_url.replace("&amp;", "&"), **HTMX).content.decode()
    assert f"1{DASH}50 of 60" in back

    by_qty = browser.get(url, {"sort": "Qty", "dir": "desc"}, **HTMX).content.decode()
    assert by_qty.startswith('<div id="grid"')  # only the grid is swapped
    cells = _cells(by_qty, "Qty")
    assert len(cells) == 50 and cells == sorted(cells, key=int, reverse=True)
    assert "Qty ▼" in by_qty

    filtered = browser.get(url, {"formula": "{Status} = 'Done'"}, **HTMX).content.decode()
    assert filtered.count("data-record=") == 20 and f"1{DASH}20 of 20" in filtered


def test_a_formula_error_is_shown_inline(team_a, synced):
    page = _browser(team_a).get(f"/airtable/bases/{synced.base_id}/tables/Items/",
                                {"formula": "{Qty} >"}, **HTMX)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="errorlist formula-error"' in html
    assert "line 1, column" in html
    assert "No records" not in html  # the error alone, not also an empty result


def test_viewers_read_but_do_not_sync_or_manage(team_a, synced):
    viewer = team_a.add_member("viewer@alpha.example.com", "viewer")
    browser = _browser(team_a, viewer)
    index = browser.get("/airtable/").content.decode()
    assert "Sync now" not in index and "Add a connection" not in index
    assert browser.post(f"/airtable/bases/{synced.base_id}/sync").status_code == 403
    assert browser.post("/airtable/connections", {"name": "x", "token": "y"}).status_code == 403
    assert browser.get(f"/airtable/bases/{synced.base_id}/tables/Items/").status_code == 200


def test_another_tenant_gets_404s(team_a, team_b, synced):
    browser = _browser(team_b)
    assert synced.base_id not in browser.get("/airtable/").content.decode()
    for url in (f"/airtable/bases/{synced.base_id}/",
                f"/airtable/bases/{synced.base_id}/tables/Items/"):
        answer = browser.get(url)
        assert answer.status_code == 404
        assert "Item 0" not in answer.content.decode()
    assert browser.post(f"/airtable/bases/{synced.base_id}/sync").status_code in (302, 404)


def test_the_grid_shows_values_as_airtable_does(team_a, server, shared_base,
                                                django_capture_on_commit_callbacks):
    base_id, token = shared_base
    connect(team_a, server, token, name="Demo")
    assert sync(team_a, base_id, capture=django_capture_on_commit_callbacks).status == \
        "succeeded"
    browser = _browser(team_a)
    deals = browser.get(f"/airtable/bases/{base_id}/tables/Deals/",
                        {"formula": "{Amount} > 0", "sort": "Amount", "dir": "desc"})
    html = deals.content.decode()
    cells = html.split('<tr data-record="rec')[1].split("</tr>")[0]
    # Currency with its symbol and precision, percent as %, links as chips with names.
    assert "$" in cells and ".0000" not in cells
    amount = next(cell for cell in re.split(r"<td[^>]*>", cells) if cell.startswith("$"))
    assert amount.split("</td>")[0].split(".")[-1].isdigit()
    assert len(amount.split("</td>")[0].split(".")[-1]) == 2
    assert "%</td>" in cells
    assert '<span class="chip" data-record="rec' in cells
    company_chip = cells.split('<span class="chip"')[1].split(">", 1)[1].split("</span>")[0]
    assert not company_chip.startswith("rec")  # the company's name, not its id
    activities = browser.get(f"/airtable/bases/{base_id}/tables/Activities/",
                             {"formula": "AND({Done}, {Notes} != '', {Duration} > 0)"})
    row = activities.content.decode().split('<tr data-record="rec')[1].split("</tr>")[0]
    assert 'class="cell-check"' in row
    assert 'class="cell-clamp"' in row
    assert any(part.split("</td>")[0].count(":") == 1 and part.split("</td>")[0]
               .replace(":", "").isdigit() for part in re.split(r"<td[^>]*>", row))  # h:mm


def test_first_run_offers_the_demo_base_and_a_token(team_a):
    browser = _browser(team_a)
    index = browser.get("/airtable/").content.decode()
    assert 'id="first-run"' in index and "Try the demo base" in index
    assert 'data-busy="Checking the token' in index
    answer = browser.post("/airtable/connections/demo", follow=True)
    html = answer.content.decode()
    # In this process the sandbox's address (testserver) resolves nowhere: the page says so
    # (the browser walk connects the demo base through a real server).
    assert answer.status_code == 200
    assert "testserver cannot be resolved" in html and 'id="first-run"' in html


def test_viewer_is_not_offered_the_first_run(team_a):
    viewer = team_a.add_member("first-viewer@alpha.example.com", "viewer")
    index = _browser(team_a, viewer).get("/airtable/").content.decode()
    assert "Try the demo base" not in index
    assert _browser(team_a, viewer).post("/airtable/connections/demo").status_code == 403


def test_favicon(db, client):
    answer = client.get("/favicon.ico", follow=True)
    assert answer.status_code == 200
    assert b"<svg" in b"".join(answer.streaming_content)


def _first_record(browser, base_id) -> str:
    html = browser.get(f"/airtable/bases/{base_id}/tables/Items/", {"sort": "Name"}).content
    return re.search(r'data-record="(rec\w+)"', html.decode()).group(1)


def test_a_cell_edit_writes_through_to_airtable(team_a, synced):
    browser = _browser(team_a)
    record = _first_record(browser, synced.base_id)
    url = f"/airtable/bases/{synced.base_id}/tables/Items/records/{record}/cell"
    for field, value, shown in (("Qty", 42, "42"), ("Status", "Doing", "Doing"),
                                ("Done", False, ""), ("Name", "Renamed", "Renamed"),
                                ("Due", "2026-07-04", "2026-07-04")):
        answer = browser.post(url, json.dumps({"field": field, "value": value}),
                              content_type="application/json")
        assert answer.status_code == 200, answer.content
        assert answer.json()["value"] == (value or None)
        assert shown in answer.json()["html"]
    stored = synced.http.get(f"/{synced.base_id}/Items/{record}").json()["fields"]
    assert stored["Qty"] == 42 and stored["Status"] == "Doing" and stored["Name"] == "Renamed"
    assert "Done" not in stored and stored["Due"] == "2026-07-04"
    grid = browser.get(f"/airtable/bases/{synced.base_id}/tables/Items/",
                       {"formula": "{Name} = 'Renamed'"}).content.decode()
    assert _cells(grid, "Qty") == ["42"]  # the mirror has the change too


def test_a_refused_cell_edit_answers_a_clear_error(team_a, synced):
    browser = _browser(team_a)
    record = _first_record(browser, synced.base_id)
    url = f"/airtable/bases/{synced.base_id}/tables/Items/records/{record}/cell"
    refused = browser.post(url, json.dumps({"field": "Qty", "value": "many"}),
                           content_type="application/json")
    assert refused.status_code in (400, 422) and refused.json()["detail"]
    assert "ERROR_" not in refused.json()["detail"]
    unknown = browser.post(url, json.dumps({"field": "Nope", "value": 1}),
                           content_type="application/json")
    assert unknown.status_code in (400, 404, 422) and unknown.json()["detail"]
    garbage = browser.post(url, "not json", content_type="application/json")
    assert garbage.status_code == 400


def test_add_save_and_delete_a_record(team_a, synced):
    browser = _browser(team_a)
    table = f"/airtable/bases/{synced.base_id}/tables/Items/"
    added = browser.post(f"{table}records/new", follow=True)
    html = added.content.decode()
    assert 'id="record-panel"' in html and "of 61" in html
    record = re.search(r'<code class="muted">(rec\w+)</code>', html).group(1)
    ids = dict(re.findall(r'<label for="(field-\w+)">(\w+)</label>', html))
    by_name = {name: key for key, name in ids.items()}
    saved = browser.post(f"{table}records/{record}/save", {
        by_name["Name"]: "Fresh", by_name["Qty"]: "7", by_name["Status"]: "Todo",
        by_name["Done"]: "on"}, follow=True).content.decode()
    assert "Record saved." in saved
    stored = synced.http.get(f"/{synced.base_id}/Items/{record}").json()["fields"]
    assert stored == {"Name": "Fresh", "Qty": 7, "Status": "Todo", "Done": True}
    gone = browser.post(f"{table}records/{record}/delete", follow=True).content.decode()
    assert "Record deleted." in gone and "of 60" in gone
    assert synced.http.get(f"/{synced.base_id}/Items/{record}").status_code == 404


def test_csv_export_of_the_current_filter(team_a, synced):
    browser = _browser(team_a)
    answer = browser.get(f"/airtable/bases/{synced.base_id}/tables/Items/export.csv",
                         {"formula": "{Status} = 'Done'", "sort": "Qty", "dir": "desc"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert rows[0][:4] == ["id", "Name", "Qty", "Status"]
    assert len(rows) == 21 and {row[3] for row in rows[1:]} == {"Done"}
    quantities = [int(row[2]) for row in rows[1:]]
    assert quantities == sorted(quantities, reverse=True)


def test_viewer_gets_no_write_controls_and_cannot_write(team_a, synced):
    viewer = team_a.add_member("grid-viewer@alpha.example.com", "viewer")
    browser = _browser(team_a, viewer)
    record = _first_record(browser, synced.base_id)
    html = browser.get(f"/airtable/bases/{synced.base_id}/tables/Items/",
                       {"open": record}).content.decode()
    assert "data-editor=" not in html and "Add record" not in html
    assert "Delete" not in html and "data-can-write" not in html and 'id="record-panel"' in html
    table = f"/airtable/bases/{synced.base_id}/tables/Items/"
    assert browser.post(f"{table}records/{record}/cell", json.dumps({"field": "Qty", "value": 1}),
                        content_type="application/json").status_code == 403
    assert browser.post(f"{table}records/new").status_code == 403
    assert browser.post(f"{table}records/{record}/delete").status_code == 403


def test_another_tenant_cannot_edit_export_or_delete(team_a, team_b, synced):
    record = _first_record(_browser(team_a), synced.base_id)
    browser = _browser(team_b)
    table = f"/airtable/bases/{synced.base_id}/tables/Items/"
    edit = browser.post(f"{table}records/{record}/cell", json.dumps({"field": "Qty", "value": 1}),
                        content_type="application/json")
    assert edit.status_code == 404 and "Item" not in edit.content.decode()
    assert browser.get(f"{table}export.csv").status_code == 404
    assert browser.post(f"{table}records/{record}/delete").status_code in (302, 404)
    assert browser.post(f"{table}records/new").status_code in (302, 404)
    assert synced.http.get(f"/{synced.base_id}/Items/{record}").status_code == 200
