"""pyairtable itself against the sandbox in a real server: if pyairtable can't tell the
difference, neither can the gateway."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import requests
from pyairtable import Api
from pyairtable.formulas import AND, EQ, GT, Field

from apps.sandbox.services import sandbox_seed_demo, token_create

pytestmark = pytest.mark.django_db

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}


@pytest.fixture(scope="module")
def server(platform_server_factory):
    return platform_server_factory(**UNLIMITED)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """A committed demo base of 1,200 records, so the server process sees it."""
    with django_db_blocker.unblock():
        return sandbox_seed_demo(records=1200)


@pytest.fixture(scope="module")
def api(server, demo) -> Api:
    return Api(demo[1], endpoint_url=f"{server.url}/sandbox/airtable")


@pytest.fixture(scope="module")
def base(api, demo):
    return api.base(demo[0])


@pytest.fixture
def scratch(base):
    """A table of this test's own, made through the meta API."""
    name = f"Scratch {time.monotonic_ns()}"
    return base.create_table(name, [
        {"name": "Name", "type": "singleLineText"},
        {"name": "Qty", "type": "number", "options": {"precision": 0}},
        {"name": "Status", "type": "singleSelect",
         "options": {"choices": [{"name": "Todo"}, {"name": "Done"}]}},
        {"name": "Due", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
        {"name": "Flag", "type": "checkbox", "options": {"icon": "check", "color": "greenBright"}},
    ])


def test_endpoint_url_gets_v0_appended(api, server):
    assert api.build_url("meta/whoami") == f"{server.url}/sandbox/airtable/v0/meta/whoami"
    assert api.whoami()["id"].startswith("usr")


def test_all_pages_through_every_record(base):
    table = base.table("Activities")
    pages = list(table.iterate(page_size=100))
    records = [record for page in pages for record in page]
    assert len(pages) > 4
    assert all(len(page) == 100 for page in pages[:-1])
    assert len({record["id"] for record in records}) == len(records)
    assert len(table.all()) == len(records)


def test_pagination_is_stable_over_a_thousand_records(base):
    table = base.table("Activities")
    seen = [record["id"] for record in table.all(page_size=7, sort=["Type", "-When"])]
    again = [record["id"] for record in table.all(page_size=100, sort=["Type", "-When"])]
    assert seen == again
    assert len(seen) == len(set(seen)) >= 400


def test_max_records_fields_and_sort(base):
    table = base.table("Deals")
    records = table.all(max_records=15, page_size=4, fields=["Deal", "Amount"], sort=["-Amount"])
    assert len(records) == 15
    amounts = [record["fields"]["Amount"] for record in records]
    assert amounts == sorted(amounts, reverse=True)
    assert all(set(record["fields"]) <= {"Deal", "Amount"} for record in records)


def test_filter_by_formula(base):
    table = base.table("Deals")
    won = table.all(formula=EQ(Field("Stage"), "Won"))
    assert won and all(record["fields"]["Stage"] == "Won" for record in won)
    big = table.all(formula=AND(GT(Field("Amount"), 200000), EQ(Field("Is open"), 1)))
    assert all(record["fields"]["Amount"] > 200000 and record["fields"]["Is open"] == 1
               for record in big)
    everything = table.all(fields=["Stage"])
    assert len(won) == sum(1 for record in everything if record["fields"].get("Stage") == "Won")


def test_filter_by_formula_over_a_link_uses_primary_names(base):
    deal = base.table("Deals").first(formula="{Company name}")
    company = deal["fields"]["Company name"][0]
    matches = base.table("Deals").all(formula=f"FIND('{company}', {{Company}})")
    assert deal["id"] in {record["id"] for record in matches}


def test_use_field_ids_and_cell_format_string(base):
    table = base.table("Deals")
    record = table.first(use_field_ids=True)
    assert all(key.startswith("fld") for key in record["fields"])
    text = table.first(cell_format="string", time_zone="Europe/Paris", user_locale="en-us",
                       formula="{Amount}")
    assert text["fields"]["Amount"].startswith("$")
    assert all(isinstance(value, str) for value in text["fields"].values())


def test_view_by_name_and_comment_count(base):
    table = base.table("Contacts")
    record = table.first(view="Grid view", count_comments=True)
    assert record["commentCount"] == 0


def test_long_urls_fall_back_to_post_list_records(base):
    table = base.table("Activities")
    ids = [record["id"] for record in table.all(max_records=400, fields=["Subject"])]
    formula = "OR(" + ",".join(f"RECORD_ID()='{record_id}'" for record_id in ids) + ")"
    assert len(quote(formula)) > Api.MAX_URL_LENGTH
    assert sorted(record["id"] for record in table.all(formula=formula)) == sorted(ids)


def test_get_create_update_delete(scratch):
    created = scratch.create({"Name": "one", "Qty": 2, "Status": "Todo", "Flag": True})
    assert created["fields"] == {"Name": "one", "Qty": 2, "Status": "Todo", "Flag": True}
    assert scratch.get(created["id"]) == created
    updated = scratch.update(created["id"], {"Qty": 3, "Flag": False})
    assert updated["fields"] == {"Name": "one", "Qty": 3, "Status": "Todo"}
    replaced = scratch.update(created["id"], {"Name": "uno"}, replace=True)
    assert replaced["fields"] == {"Name": "uno"}
    assert scratch.delete(created["id"]) == {"id": created["id"], "deleted": True}
    with pytest.raises(requests.HTTPError) as error:
        scratch.get(created["id"])
    assert error.value.response.status_code == 404
    assert error.value.response.json()["error"]["type"] == "MODEL_ID_NOT_FOUND"


def test_batch_create_update_upsert_delete(scratch):
    created = scratch.batch_create([{"Name": f"row {i}", "Qty": i} for i in range(25)])
    assert [record["fields"]["Qty"] for record in created] == list(range(25))
    updated = scratch.batch_update([{"id": record["id"], "fields": {"Status": "Done"}}
                                    for record in created[:12]])
    assert {record["fields"]["Status"] for record in updated} == {"Done"}
    result = scratch.batch_upsert(
        [{"fields": {"Name": "row 3", "Qty": 300}}, {"fields": {"Name": "row 99", "Qty": 99}}],
        key_fields=["Name"])
    assert result["updatedRecords"] == [created[3]["id"]]
    assert len(result["createdRecords"]) == 1
    assert [record["fields"]["Qty"] for record in result["records"]] == [300, 99]
    assert scratch.get(created[3]["id"])["fields"]["Status"] == "Done"
    deleted = scratch.batch_delete([record["id"] for record in created])
    assert len(deleted) == 25 and all(item["deleted"] for item in deleted)
    assert [record["fields"]["Name"] for record in scratch.all()] == ["row 99"]


def test_typecast(scratch):
    record = scratch.create({"Qty": "42", "Status": "Blocked", "Due": "March 3, 2024",
                             "Flag": "yes"}, typecast=True)
    assert record["fields"] == {"Qty": 42, "Status": "Blocked", "Due": "2024-03-03",
                                "Flag": True}
    choices = [choice.name for choice in scratch.schema(force=True).field("Status").options.choices]
    assert choices == ["Todo", "Done", "Blocked"]


def test_schema_create_table_create_field_and_rename(base, scratch):
    schema = base.schema(force=True)
    assert {"Companies", "Contacts", "Deals", "Activities"} <= {t.name for t in schema.tables}
    deals = schema.table("Deals")
    assert deals.field("Company").type == "multipleRecordLinks"
    assert deals.field("Weighted amount").type == "formula"
    assert deals.field("Activity count").type == "count"
    assert deals.field("Last activity").type == "rollup"
    assert deals.field("Company name").type == "multipleLookupValues"
    assert deals.view("Grid view").type == "grid"

    field = scratch.create_field("Notes", "multilineText", description="free text")
    assert field.id.startswith("fld") and field.description == "free text"
    field.name = "Remarks"
    field.save()
    assert scratch.schema(force=True).field(field.id).name == "Remarks"

    table_schema = scratch.schema(force=True)
    table_schema.description = "described"
    table_schema.save()
    assert base.schema(force=True).table(scratch.id).description == "described"


def test_computed_fields_follow_writes(base):
    deals, activities = base.table("Deals"), base.table("Activities")
    deal = deals.create({"Deal": "Computed", "Amount": 1000, "Probability": 0.5,
                         "Stage": "Proposal"})
    assert deal["fields"]["Weighted amount"] == 500
    assert deal["fields"]["Activity count"] == 0
    first = activities.create({"Subject": "Kick-off", "Deal": [deal["id"]],
                               "When": "2024-05-01T09:00:00.000Z"})
    activities.create({"Subject": "Follow-up", "Deal": [deal["id"]],
                       "When": "2024-06-01T09:00:00.000Z"})
    deal = deals.get(deal["id"])
    assert deal["fields"]["Activity count"] == 2
    assert deal["fields"]["Last activity"] == "2024-06-01T09:00:00.000Z"
    assert len(deal["fields"]["Activities"]) == 2
    assert first["fields"]["Deal stage"] == ["Proposal"]

    deals.update(deal["id"], {"Stage": "Won", "Probability": 1})
    assert activities.get(first["id"])["fields"]["Deal stage"] == ["Won"]
    assert deals.get(deal["id"])["fields"]["Weighted amount"] == 1000

    activities.delete(first["id"])
    deal = deals.get(deal["id"])
    assert deal["fields"]["Activity count"] == 1
    assert deal["fields"]["Last activity"] == "2024-06-01T09:00:00.000Z"


def test_incremental_sync_by_last_modified_time(base):
    table = base.table("Contacts")
    contact = table.first()
    time.sleep(0.01)
    since = datetime.now(UTC) - timedelta(milliseconds=5)
    table.update(contact["id"], {"Title": "Chief Sandbox Officer"})
    stamp = since.strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
    changed = table.all(formula=f"IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE('{stamp}'))")
    assert [record["id"] for record in changed] == [contact["id"]]


def test_errors_are_airtables(api, base, server):
    def failure(call):
        with pytest.raises(requests.HTTPError) as error:
            call()
        return error.value.response.status_code, error.value.response.json()

    status, body = failure(lambda: Api("patNotARealToken00.x", endpoint_url=api.endpoint_url)
                           .whoami())
    assert (status, body["error"]["type"]) == (401, "AUTHENTICATION_REQUIRED")
    status, body = failure(lambda: base.table("No such table").all())
    assert (status, body["error"]["type"]) == (403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
    status, body = failure(lambda: api.table("appAAAAAAAAAAAAAA", "Deals").all())
    assert (status, body["error"]["type"]) == (403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
    status, body = failure(lambda: base.table("Deals").all(formula="{Nope} = 1"))
    assert (status, body["error"]["type"]) == (422, "INVALID_FILTER_BY_FORMULA")
    status, body = failure(lambda: base.table("Deals").create({"Nope": 1}))
    assert (status, body["error"]["type"]) == (422, "UNKNOWN_FIELD_NAME")
    status, body = failure(lambda: base.table("Deals").create({"Weighted amount": 1}))
    assert (status, body["error"]["type"]) == (422, "INVALID_VALUE_FOR_COLUMN")
    assert body["error"]["message"] == ('Field "Weighted amount" cannot accept a value '
                                        "because the field is computed")
    status, body = failure(lambda: base.table("Deals").create({"Amount": "lots"}))
    assert (status, body["error"]["type"]) == (422, "INVALID_VALUE_FOR_COLUMN")
    status, body = failure(lambda: base.table("Deals").all(sort=["Nope"]))
    assert (status, body["error"]["type"]) == (422, "UNKNOWN_FIELD_NAME")


@pytest.fixture(scope="module")
def other_token(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        return token_create(name="other")[1]


def test_another_tokens_base_is_not_found(server, demo, other_token):
    other = Api(other_token, endpoint_url=f"{server.url}/sandbox/airtable")
    assert other.bases() == []
    with pytest.raises(requests.HTTPError) as error:
        other.table(demo[0], "Deals").first()
    assert error.value.response.status_code == 403


def test_bases_and_create_base(api, demo):
    assert demo[0] in {base.id for base in api.bases(force=True)}
    made = api.create_base("wspAnything000000", "Made by pyairtable", [
        {"name": "Things", "fields": [{"name": "Title", "type": "singleLineText"}]}])
    assert made.name is None or made.name == "Made by pyairtable"
    things = made.table("Things")
    things.create({"Title": "first"})
    assert [record["fields"] for record in things.all()] == [{"Title": "first"}]
