"""The records grid in Debian's chromium against a real server process: the link picker
writes links through to the sandbox, and each member's column layout survives a reload and
another browser, while another member sees the table as it is."""

from __future__ import annotations

import json
import uuid

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from apps.airtable import services as airtable_services
from apps.sandbox.models import SandboxRecord
from tests.browser.helpers import SHOTS, in_thread, shoot
from tests.conftest import PASSWORD, committed_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}


@pytest.fixture(scope="module")
def site(platform_server_factory):
    return platform_server_factory(**UNLIMITED)


@pytest.fixture(scope="module")
def team(site, django_db_blocker):
    """A team of its own with a second member, the demo base connected and
    synced (the sync runs here, as the worker would)."""
    with django_db_blocker.unblock():
        team = committed_team(f"grid-{uuid.uuid4().hex[:8]}")
        member = team.add_member(f"member@{team.tenant.slug}.example.com", "member")
        with tenant_context(team.tenant):
            _demo, jobs = airtable_services.connection_demo_create(
                endpoint_url=f"{site.url}/sandbox/airtable", created_by_id=team.owner.pk,
                records=120)
            base_id = jobs[0].base.base_id
    team.member = member
    team.base_id = base_id
    return team



def _log_in(page, site, email: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(f"{site.url}/")


def _open_table(page, site, team, name: str) -> None:
    page.goto(f"{site.url}/airtable/bases/{team.base_id}/tables/{name}/")
    page.wait_for_selector("#grid tr[data-record]")


def test_the_link_picker_links_and_unlinks_in_airtable(site, team, page, django_db_blocker):
    _log_in(page, site, team.owner.email)
    _open_table(page, site, team, "Deals")
    row = page.locator("#grid tr[data-record]").first
    record_id = row.get_attribute("data-record")
    cell = row.locator("td[data-field='Company']")
    linked = [chip.get_attribute("data-record") for chip in cell.locator(".chip").all()]
    before = cell.inner_text()

    # The picker shows the linked companies as chips and offers the others by name.
    cell.dblclick()
    picker = page.locator(".link-picker")
    expect(picker).to_be_visible()
    expect(picker.locator(".chips .chip")).to_have_count(len(linked))
    expect(picker.locator(".link-option").first).to_be_visible()
    options = picker.locator(".link-option")
    target = next(option for option in options.all()
                  if option.get_attribute("data-record") not in linked)
    target_id, target_name = target.get_attribute("data-record"), target.inner_text()
    assert not target_name.startswith("rec")  # primary values, not ids

    # Escape leaves the cell as it was.
    picker.locator(".link-search").press("Escape")
    expect(picker).to_have_count(0)
    assert cell.inner_text() == before

    # Unlink what is there, find another company by typing part of its name, save.
    cell.dblclick()
    for chip_id in linked:
        picker.locator(f".chips .chip[data-record='{chip_id}'] .unlink").click()
    expect(picker.locator(".chips .chip")).to_have_count(0)
    picker.locator(".link-search").fill(target_name[1:-1])
    expect(picker.locator(f".link-option[data-record='{target_id}']")).to_be_visible()
    picker.locator(f".link-option[data-record='{target_id}']").click()
    expect(picker.locator(".chips .chip")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "10-link-picker-1366.png"))
    picker.locator("[data-picker=save]").click()
    page.wait_for_selector("#grid td.saved")
    expect(cell.locator(".chip")).to_have_text([target_name])
    assert cell.locator(".chip").get_attribute("data-record") == target_id

    def stored():
        return json.dumps(SandboxRecord.objects.get(pk=record_id).fields)

    in_sandbox = in_thread(django_db_blocker, stored)
    assert target_id in in_sandbox
    assert not any(old in in_sandbox for old in linked if old != target_id)

    # After a reload the grid shows the new link from the mirror; removing its chip unlinks.
    page.reload()
    page.wait_for_selector("#grid tr[data-record]")
    cell = page.locator(f"#grid tr[data-record='{record_id}'] td[data-field='Company']")
    expect(cell.locator(".chip")).to_have_text([target_name])
    cell.click()
    cell.press("Enter")  # the keyboard opens the picker too
    picker.locator(f".chips .chip[data-record='{target_id}'] .unlink").click()
    picker.locator("[data-picker=save]").click()
    page.wait_for_selector("#grid td.saved")
    expect(cell.locator(".chip")).to_have_count(0)
    assert target_id not in in_thread(django_db_blocker, stored)


def _headers(page) -> list[str]:
    return page.eval_on_selector_all(
        "#grid thead th[data-field]",
        "cells => cells.filter(c => !c.hidden).map(c => c.dataset.field)")


def test_the_column_layout_is_remembered_per_member(site, team, page):
    _log_in(page, site, team.owner.email)
    _open_table(page, site, team, "Companies")
    default = _headers(page)
    assert len(default) > 3
    # The demo's logos live on hosts the page loads no images from: their names show instead.
    expect(page.locator("#grid .cell-attachment img")).to_have_count(0)
    assert page.locator("#grid .cell-attachment").first.inner_text().endswith(".png")
    hidden, moved = default[1], default[3]

    page.click("#columns-menu summary")
    page.uncheck(f"#columns-menu input[data-column='{hidden}']")
    with page.expect_response(lambda answer: answer.url.endswith("/layout")
                              and moved in (answer.request.post_data or "")) as saved:
        page.click(f"#columns-menu li[data-column='{moved}'] [data-move='-1']")
    assert saved.value.ok
    mine = [name for name in default if name != hidden]
    mine.remove(moved)
    mine.insert(mine.index(default[2]), moved)  # one place left of where it was
    assert _headers(page) == mine
    assert page.locator(f"#grid td[data-field='{hidden}']:visible").count() == 0

    page.reload()
    page.wait_for_selector("#grid tr[data-record]")
    assert _headers(page) == mine
    page.click("#columns-menu summary")
    shoot(page, "11-columns")

    # Another browser of the same member (nothing in its localStorage): the server's copy.
    other = page.context.browser.new_context()
    try:
        second = other.new_page()
        _log_in(second, site, team.owner.email)
        _open_table(second, site, team, "Companies")
        assert second.evaluate("localStorage.length") >= 1  # the cache, filled from the page
        assert _headers(second) == mine
        # Sorting swaps the grid in place: the layout holds there too.
        second.click(f"#grid thead th[data-field='{moved}'] a")
        expect(second.locator(f"#grid thead th[data-field='{moved}']")).to_contain_text("▲")
        second.wait_for_function(
            "names => JSON.stringify([...document.querySelectorAll("
            "'#grid thead th[data-field]')].filter(c => !c.hidden).map(c => c.dataset.field))"
            " === JSON.stringify(names)", arg=mine, timeout=5000)
        assert _headers(second) == mine
    finally:
        other.close()

    # Another member sees the table as it is.
    third = page.context.browser.new_context()
    try:
        member = third.new_page()
        _log_in(member, site, team.member.email)
        _open_table(member, site, team, "Companies")
        assert _headers(member) == default
    finally:
        third.close()


def test_the_record_panel_links_with_the_same_picker(site, team, page, django_db_blocker):
    _log_in(page, site, team.owner.email)
    _open_table(page, site, team, "Deals")
    record_id = page.locator("#grid tr[data-record]").nth(1).get_attribute("data-record")
    page.goto(f"{site.url}/airtable/bases/{team.base_id}/tables/Deals/?open={record_id}")
    field = page.locator("#record-panel .link-field[data-field='Company']")
    field.locator("[data-edit-links]").click()
    picker = page.locator(".link-picker")
    expect(picker.locator(".link-option").first).to_be_visible()
    for unlink in picker.locator(".chips .unlink").all():
        unlink.click()
    page.set_viewport_size({"width": 390, "height": 900})  # the picker fits a phone
    box = picker.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(SHOTS / "12-link-picker-390.png"))
    target_name = picker.locator(".link-option").nth(2).inner_text()
    picker.locator(".link-search").fill(target_name)
    first = picker.locator(".link-option").first
    expect(first).to_have_text(target_name)
    expect(picker.locator(".link-option")).not_to_have_count(20)  # the search's answer
    target_id = first.get_attribute("data-record")
    picker.locator(".link-search").press("Enter")  # takes the first match
    picker.locator("[data-picker=save]").click()
    expect(field.locator(".link-chips .chip")).to_have_text([target_name])
    page.click("#record-panel button:has-text('Save')")
    page.wait_for_selector(".flash:has-text('Record saved.')")
    expect(page.locator("#record-panel .link-field[data-field='Company'] .chip")) \
        .to_have_text([target_name])
    fields = in_thread(django_db_blocker,
                       lambda: SandboxRecord.objects.get(pk=record_id).fields)
    assert [target_id] in fields.values()
