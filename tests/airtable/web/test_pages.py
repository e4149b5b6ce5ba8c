"""The Airtable pages as a logged-in member uses them (htmx requests included)."""

import csv
import io
import json
import re
import time

import httpx
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


def test_an_incremental_sync_shows_what_it_changed_and_scanned(
        team_a, synced, settings, django_capture_on_commit_callbacks):
    settings.AIRTABLE_SYNC_OVERLAP_SECONDS = 0
    time.sleep(1.1)
    records = synced.all("Items")
    synced.update("Items", records[0]["id"], {"Qty": 4242})
    synced.update("Items", records[1]["id"], {"Qty": 4343})
    browser = _browser(team_a)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = browser.post(f"/airtable/bases/{synced.base_id}/sync", **HTMX)
    progress_url = started.content.decode().split('hx-get="')[1].split('"')[0]
    for callback in queued:
        callback()
    done = " ".join(browser.get(progress_url, **HTMX).content.decode().split())
    assert "(incremental)" in done and "succeeded" in done
    # Two records changed; the id scan looked at the table's 60 records once.
    assert "· 2 changed" in done
    assert "· 60 of 60 records scanned" in done
    assert "120" not in done
    assert "0 created, 2 updated, 0 deleted." in done


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
    assert "This formula cannot be read: " in html and "line 1, column" in html
    assert "filterByFormula" not in html  # the API's parameter name is no word of the page
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


def _layout_on(html: str):
    found = re.search(r'<script id="grid-layout" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1)) if found else None


def test_the_column_layout_is_kept_per_user_and_table_on_the_server(team_a, team_b, synced):
    url = f"/airtable/bases/{synced.base_id}/tables/Items/"
    owner = _browser(team_a)
    assert _layout_on(owner.get(url).content.decode()) is None
    saved = owner.post(f"{url}layout", json.dumps(
        {"hidden": ["Notes", "Gone in Airtable"], "order": ["Qty", "Name", "Qty"]}),
        content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert saved.json() == {"hidden": ["Notes"], "order": ["Qty", "Name"]}
    assert _layout_on(owner.get(url).content.decode()) == saved.json()
    assert _layout_on(owner.get(url, **HTMX).content.decode()) == saved.json()

    viewer = team_a.add_member("viewer@alpha.example.com", "viewer")
    theirs = _browser(team_a, viewer)
    assert _layout_on(theirs.get(url).content.decode()) is None  # one member's, not the team's
    assert theirs.post(f"{url}layout", json.dumps({"hidden": ["Qty"], "order": []}),
                       content_type="application/json").status_code == 200
    assert _layout_on(owner.get(url).content.decode()) == saved.json()

    for body in ("not json", json.dumps([]), json.dumps({"hidden": "Notes"}),
                 json.dumps({"order": [1, 2]}), json.dumps({"hidden": ["x"] * 501})):
        refused = owner.post(f"{url}layout", body, content_type="application/json")
        assert refused.status_code == 400, body
        assert refused.json()["detail"]
    assert owner.post(f"/airtable/bases/{synced.base_id}/tables/Nope/layout", "{}",
                      content_type="application/json").status_code == 404

    other = _browser(team_b).post(f"{url}layout", json.dumps({"hidden": [], "order": []}),
                                  content_type="application/json")
    assert other.status_code == 404
    assert _layout_on(owner.get(url).content.decode()) == saved.json()


@pytest.fixture(scope="module")
def links_base(seed) -> tuple[str, str]:
    """A demo base of this module's own: its links are changed."""
    return seed(40)


@pytest.fixture
def demo(team_a, server, links_base, django_capture_on_commit_callbacks):
    """The links base, synced as team alpha; and an HTTP client of the sandbox for it."""
    base_id, token = links_base
    connect(team_a, server, token, name="Demo links")
    assert sync(team_a, base_id, capture=django_capture_on_commit_callbacks).status == \
        "succeeded"
    return base_id, httpx.Client(base_url=f"{server.url}/sandbox/airtable/v0",
                                 headers={"Authorization": f"Bearer {token}"})


def _company_names(http, base_id) -> dict[str, str]:
    records = http.get(f"/{base_id}/Companies", params={"pageSize": 100}).json()["records"]
    return {record["id"]: record["fields"]["Name"] for record in records}


def test_the_link_picker_searches_the_linked_table(team_a, demo):
    base_id, http = demo
    browser = _browser(team_a)
    deals = browser.get(f"/airtable/bases/{base_id}/tables/Deals/").content.decode()
    assert 'data-editor="links"' in deals
    field = next(item for item in json.loads(
        re.search(r'id="grid-columns" type="application/json">(.*?)</script>', deals).group(1))
        if item["name"] == "Company")
    url = f"/airtable/bases/{base_id}/tables/Deals/fields/{field['id']}/links"
    first = browser.get(url).json()
    companies = _company_names(http, base_id)
    assert first["table"]["name"] == "Companies" and first["single"] is False
    assert 0 < len(first["records"]) <= 20
    assert all(companies[item["id"]] == item["name"] for item in first["records"])
    name = first["records"][3]["name"]
    found = browser.get(url, {"q": name[1:-1].upper()}).json()["records"]
    assert {"id": first["records"][3]["id"], "name": name} in found
    assert all(name[1:-1].lower() in item["name"].lower() for item in found)
    assert browser.get(url, {"q": "no company is called this"}).json()["records"] == []
    # By name too; a field that is not a link, or no field, is a clear 404.
    assert browser.get(f"/airtable/bases/{base_id}/tables/Deals/fields/Company/links")\
        .json()["records"] == first["records"]
    missing = browser.get(f"/airtable/bases/{base_id}/tables/Deals/fields/Stage/links")
    assert missing.status_code == 404 and "no link field" in missing.json()["detail"]
    single = browser.get(f"/airtable/bases/{base_id}/tables/Deals/fields/Primary contact/links")
    assert single.json()["single"] is True and single.json()["table"]["name"] == "Contacts"
    assert browser.get(url, {"q": "x" * 1001}).status_code == 400


def test_links_written_from_the_grid_and_the_panel_reach_airtable(team_a, demo):
    base_id, http = demo
    browser = _browser(team_a)
    companies = list(_company_names(http, base_id).items())
    deal = http.get(f"/{base_id}/Deals", params={"pageSize": 1}).json()["records"][0]
    cell = f"/airtable/bases/{base_id}/tables/Deals/records/{deal['id']}/cell"
    chosen = [companies[0][0], companies[1][0]]
    answer = browser.post(cell, json.dumps({"field": "Company", "value": chosen}),
                          content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["value"] == chosen
    assert f'data-record="{chosen[0]}">{companies[0][1]}</span>' in answer.json()["html"]
    assert http.get(f"/{base_id}/Deals/{deal['id']}").json()["fields"]["Company"] == chosen
    # Unlinking every record clears the field.
    answer = browser.post(cell, json.dumps({"field": "Company", "value": []}),
                          content_type="application/json")
    assert answer.status_code == 200 and answer.json()["value"] is None
    assert "Company" not in http.get(f"/{base_id}/Deals/{deal['id']}").json()["fields"]
    # The record panel carries the ids in a hidden input the picker fills.
    panel = browser.get(f"/airtable/bases/{base_id}/tables/Deals/",
                        {"open": deal["id"]}).content.decode()
    company = next(item for item in json.loads(re.search(
        r'id="grid-columns" type="application/json">(.*?)</script>', panel).group(1))
        if item["name"] == "Company")
    assert f'name="field-{company["id"]}"' in panel and "data-edit-links" in panel
    save = f"/airtable/bases/{base_id}/tables/Deals/records/{deal['id']}/save"
    browser.post(save, {f"field-{company['id']}": json.dumps([companies[2][0]])})
    assert http.get(f"/{base_id}/Deals/{deal['id']}").json()["fields"]["Company"] == \
        [companies[2][0]]
    browser.post(save, {f"field-{company['id']}": "not a list of ids"})  # left as it is
    assert http.get(f"/{base_id}/Deals/{deal['id']}").json()["fields"]["Company"] == \
        [companies[2][0]]


def test_another_tenant_gets_no_link_choices(team_a, team_b, demo):
    base_id, _http = demo
    answer = _browser(team_b).get(f"/airtable/bases/{base_id}/tables/Deals/fields/Company/links")
    assert answer.status_code == 404
    assert "records" not in answer.json()
    viewer = team_a.add_member("links-viewer@alpha.example.com", "viewer")
    reading = _browser(team_a, viewer).get(
        f"/airtable/bases/{base_id}/tables/Deals/fields/Company/links")
    assert reading.status_code == 200  # a read: viewers see the names the grid shows anyway
    deals = _browser(team_a, viewer).get(f"/airtable/bases/{base_id}/tables/Deals/")
    assert 'data-editor="links"' not in deals.content.decode()
