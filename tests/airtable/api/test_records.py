"""The records API: answers from the mirror equal what the sandbox (Airtable) answers."""

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.airtable import selectors
from apps.airtable.models import Table
from apps.airtable.selectors.schema import base_schema, field_map, table_info
from apps.formulas import NotCompilable, compile_filter, parse

from ..conftest import Sandbox, connect, index_definitions, sync

API = "/api/v1/airtable/bases"

# (table, Airtable query parameters) over the demo CRM: text, numbers, selects, dates,
# checkboxes, multiple selects, lookups, rollups and formula fields.
QUERIES = [
    ("Deals", {}),
    ("Deals", {"filterByFormula": "{Amount} > 100000"}),
    ("Deals", {"filterByFormula": "AND({Stage} = 'Won', {Amount} > 50000)",
               "sort[0][field]": "Amount", "sort[0][direction]": "desc"}),
    ("Deals", {"sort[0][field]": "Stage", "sort[1][field]": "Deal",
               "sort[1][direction]": "desc"}),
    ("Deals", {"filterByFormula": "FIND('deal 1', LOWER({Deal}))"}),
    ("Deals", {"filterByFormula": "IS_BEFORE({Close date}, TODAY())",
               "sort[0][field]": "Close date"}),
    ("Deals", {"filterByFormula": "OR({Stage} = 'Lost', {Probability} >= 0.75)",
               "fields[]": ["Deal", "Stage", "Probability"]}),
    ("Companies", {"sort[0][field]": "Name"}),
    ("Companies", {"sort[0][field]": "Employees", "sort[0][direction]": "desc",
                   "fields[]": ["Name", "Employees"]}),
    ("Companies", {"filterByFormula": "{Active}", "sort[0][field]": "Industry"}),
    ("Companies", {"filterByFormula": "FIND('Partner', ARRAYJOIN({Tags}))",
                   "sort[0][field]": "Tags"}),
    ("Companies", {"filterByFormula": "{Pipeline value} > 200000"}),
    ("Companies", {"filterByFormula": "NOT({Website} = '')", "maxRecords": "5"}),
    ("Contacts", {"filterByFormula": "REGEX_MATCH({Email}, '^a')",
                  "sort[0][field]": "Full name"}),
    ("Contacts", {"filterByFormula": "{Company industry} = 'Software'"}),
    ("Contacts", {"sort[0][field]": "Display name"}),
    ("Contacts", {"filterByFormula": "AND({Subscribed}, {Role} = 'Champion')",
                  "sort[0][field]": "Last contacted", "sort[0][direction]": "desc"}),
    ("Activities", {"filterByFormula": "AND({Done}, {Duration} >= 1800)",
                    "sort[0][field]": "When", "sort[0][direction]": "desc"}),
    ("Activities", {"filterByFormula": "DATETIME_DIFF(NOW(), {When}, 'days') < 30",
                    "sort[0][field]": "Subject"}),
    ("Activities", {"filterByFormula": "{Deal stage} = 'Won'"}),
    ("Activities", {"filterByFormula": "LEN({Notes}) > 45", "maxRecords": "7"}),
    ("Activities", {"filterByFormula": "MOD({Duration}, 7) = 4", "sort[0][field]": "Type"}),
]


@pytest.fixture
def demo(team_a, server, shared_base, django_capture_on_commit_callbacks):
    """The shared demo base, connected and synced as alpha: (Sandbox, API client)."""
    base_id, token = shared_base
    connect(team_a, server, token)
    job = sync(team_a, base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.error
    return Sandbox(server.url, token, base_id)


@pytest.fixture
def items(team_a, server, make_base, django_capture_on_commit_callbacks):
    """A fresh base of 30 items, connected and synced as alpha: a Sandbox to change it."""
    sandbox = make_base(30)
    connect(team_a, server, sandbox.token)
    job = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.error
    return sandbox


def _page_through(client, url: str, params: dict, page_size: int) -> list[dict]:
    records, offset = [], None
    while True:
        query = {**params, "pageSize": page_size, **({"offset": offset} if offset else {})}
        answer = client.get(url, query)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert len(body["records"]) <= page_size
        records += body["records"]
        offset = body.get("offset")
        if not offset:
            return records


@pytest.mark.parametrize(("table", "params"), QUERIES)
def test_mirror_answers_equal_the_sandbox(demo, team_a, client_for, table, params):
    client = client_for(jwt=team_a.jwt())
    expected = demo.all(table, **params)
    got = _page_through(client, f"{API}/{demo.base_id}/tables/{table}/records", params, 37)
    assert [record["id"] for record in got] == [record["id"] for record in expected]
    assert got == expected


def test_a_formula_without_sql_is_evaluated_in_python_with_the_same_answer(demo, team_a,
                                                                           client_for):
    with schema_context(team_a.tenant.schema_name):
        fields = field_map(table_info(base_schema(demo.base_id), "Activities"))
    candidates = ["MOD({Duration}, 7) = 4", "REGEX_MATCH({Subject}, '#1[0-9]$')",
                  "POWER({Duration}, 2) > 1000000", "REPT({Type}, 2) = 'CallCall'"]
    python_only = []
    for formula in candidates:
        try:
            compile_filter(parse(formula), fields)
        except NotCompilable:
            python_only.append(formula)
    assert python_only, "every candidate compiles now: add one that does not"
    client = client_for(jwt=team_a.jwt())
    for formula in python_only:
        params = {"filterByFormula": formula, "sort[0][field]": "When"}
        expected = demo.all("Activities", **params)
        assert expected
        got = _page_through(client, f"{API}/{demo.base_id}/tables/Activities/records",
                            params, 11)
        assert got == expected, formula


def test_records_by_table_id_and_one_record(demo, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    table = demo.tables()[2]
    listing = client.get(f"{API}/{demo.base_id}/tables/{table['id']}/records",
                         {"pageSize": 3}).json()
    first = listing["records"][0]
    one = client.get(f"{API}/{demo.base_id}/tables/{table['name']}/records/{first['id']}")
    assert one.status_code == 200
    assert one.json() == first == demo.http.get(
        f"/{demo.base_id}/{table['id']}/{first['id']}").json()


def test_live_reads_pass_through_and_page_with_airtable_offsets(demo, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{demo.base_id}/tables/Deals/records"
    params = {"consistency": "live", "filterByFormula": "{Amount} > 20000",
              "sort[0][field]": "Deal"}
    got = _page_through(client, url, params, 40)
    assert got == demo.all("Deals", filterByFormula="{Amount} > 20000", **{
        "sort[0][field]": "Deal"})
    first = client.get(url, {**params, "pageSize": 40}).json()
    assert first["offset"].startswith("itr")


def test_formulas_only_airtable_can_answer_are_read_live(demo, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    params = {"filterByFormula": "IS_AFTER(LAST_MODIFIED_TIME(), '2000-01-01')",
              "maxRecords": "15"}
    got = _page_through(client, f"{API}/{demo.base_id}/tables/Companies/records", params, 10)
    assert got == demo.all("Companies", **params)


def test_max_age_bypasses_a_stale_mirror(items, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{items.base_id}/tables/Items/records"
    created = items.create("Items", {"Name": "Made in Airtable", "Qty": 5})
    params = {"filterByFormula": "{Name} = 'Made in Airtable'"}
    assert client.get(url, params).json()["records"] == []  # the mirror does not know it yet
    assert client.get(url, {**params, "max_age": "3600"}).json()["records"] == []
    with schema_context(team_a.tenant.schema_name):
        Table.objects.filter(base__base_id=items.base_id).update(
            last_synced_at=timezone.now() - timezone.timedelta(minutes=10))
        from apps.airtable import schema_cache

        schema_cache.invalidate(items.base_id)
    fresh = client.get(url, {**params, "max_age": "60"}).json()["records"]
    assert [record["id"] for record in fresh] == [created["id"]]


def test_write_through_is_visible_at_once(items, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{items.base_id}/tables/Items/records"
    created = client.post(url, {"records": [{"fields": {"Name": f"New {index}", "Qty": index}}
                                            for index in range(25)]}, format="json")
    assert created.status_code == 200, created.content
    new_ids = [record["id"] for record in created.json()["records"]]
    assert len(new_ids) == 25
    listed = client.get(url, {"filterByFormula": "LEFT({Name}, 4) = 'New '",
                              "sort[0][field]": "Qty"}).json()["records"]
    assert [record["id"] for record in listed] == new_ids
    assert listed == items.all("Items", filterByFormula="LEFT({Name}, 4) = 'New '",
                               **{"sort[0][field]": "Qty"})

    single = client.post(url, {"fields": {"Name": "Single", "Status": "Doing"}}, format="json")
    assert single.status_code == 200
    assert single.json()["fields"] == {"Name": "Single", "Status": "Doing"}

    patched = client.patch(url, {"records": [{"id": new_ids[0], "fields": {"Qty": 100}}]},
                           format="json")
    assert patched.status_code == 200
    assert patched.json()["records"][0]["fields"] == {"Name": "New 0", "Qty": 100}
    assert client.get(f"{url}/{new_ids[0]}").json()["fields"]["Qty"] == 100

    upserted = client.patch(url, {
        "performUpsert": {"fieldsToMergeOn": ["Name"]},
        "records": [{"fields": {"Name": "New 1", "Qty": 41}},
                    {"fields": {"Name": "Upserted", "Qty": 42}}]}, format="json")
    assert upserted.status_code == 200, upserted.content
    body = upserted.json()
    assert body["updatedRecords"] == [new_ids[1]]
    assert len(body["createdRecords"]) == 1
    made = body["createdRecords"][0]
    assert client.get(f"{url}/{made}").json()["fields"] == {"Name": "Upserted", "Qty": 42}

    deleted = client.delete(f"{url}?records[]={new_ids[2]}&records[]={made}")
    assert deleted.status_code == 200
    assert deleted.json() == {"records": [{"id": new_ids[2], "deleted": True},
                                          {"id": made, "deleted": True}]}
    assert client.get(f"{url}/{new_ids[2]}").status_code == 404
    assert _page_through(client, url, {}, 100) == items.all("Items")


def test_writes_send_signals_after_the_mirror(items, team_a, client_for):
    from apps.airtable import signals

    heard = []

    def receiver(sender, **kwargs):
        with schema_context(kwargs["schema_name"]):
            mirrored = selectors.record_get(base_id=kwargs["base_id"], table=kwargs["table_id"],
                                            record_id=kwargs["record_ids"][0])
        heard.append((kwargs["source"], len(kwargs["record_ids"]), mirrored["fields"]["Name"]))

    signals.record_created.connect(receiver)
    try:
        client_for(jwt=team_a.jwt()).post(
            f"{API}/{items.base_id}/tables/Items/records",
            {"records": [{"fields": {"Name": f"S{index}"}} for index in range(12)]},
            format="json")
    finally:
        signals.record_created.disconnect(receiver)
    assert heard == [("api", 10, "S0"), ("api", 2, "S10")]


def test_errors_are_problem_json(items, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{items.base_id}/tables/Items/records"
    bad_formula = client.get(url, {"filterByFormula": "{Qty} > "})
    assert bad_formula.status_code == 422
    assert bad_formula["Content-Type"] == "application/problem+json"
    problem = bad_formula.json()
    assert problem["code"] == "ERROR_FORMULA_INVALID"
    assert "line 1, column" in problem["detail"]
    unknown = client.get(url, {"filterByFormula": "{Quantity} > 1"}).json()
    assert unknown["code"] == "ERROR_FORMULA_INVALID"
    assert "Unknown field {Quantity}" in unknown["detail"]

    assert client.get(f"{API}/appNOPENOPENOPENO/tables/Items/records").json()["code"] == \
        "ERROR_BASE_NOT_FOUND"
    assert client.get(f"{API}/{items.base_id}/tables/Nope/records").json()["code"] == \
        "ERROR_TABLE_NOT_FOUND"
    missing = client.get(f"{url}/recAAAAAAAAAAAAAA")
    assert (missing.status_code, missing.json()["code"]) == (404, "ERROR_RECORD_NOT_FOUND")

    refused = client.post(url, {"records": [{"fields": {"Qty": "many"}}]}, format="json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "ERROR_AIRTABLE_INVALID_REQUEST"
    assert "INVALID_VALUE_FOR_COLUMN" in refused.json()["detail"]
    unknown_field = client.post(url, {"records": [{"fields": {"Nope": 1}}]}, format="json")
    assert "UNKNOWN_FIELD_NAME" in unknown_field.json()["detail"]


@pytest.mark.parametrize("params", [
    {"pageSize": "0"}, {"pageSize": "101"}, {"pageSize": "ten"}, {"pageSize": "1e3"},
    {"maxRecords": "0"}, {"maxRecords": "-3"}, {"maxRecords": "x" * 300},
    {"sort[0][field]": "Qty", "sort[0][direction]": "up"},
    {"sort[0][direction]": "asc"},
    {"sort[0][field]": "No such field"},
    {"fields[]": "No such field"},
    {"offset": "garbage"}, {"offset": "m100.0123456789"}, {"offset": "x" * 500},
    {"consistency": "eventual"}, {"max_age": "soon"}, {"max_age": "-1"},
    {"filterByFormula": "x" * 60_000},
    {"view": "v" * 300},
])
def test_bad_list_input_is_a_400(items, team_a, client_for, params):
    answer = client_for(jwt=team_a.jwt()).get(
        f"{API}/{items.base_id}/tables/Items/records", params)
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "ERROR_VALIDATION"


@pytest.mark.parametrize("method,body", [
    ("post", {}), ("post", {"records": []}), ("post", {"records": "x"}),
    ("post", {"records": [{"fields": "x"}]}), ("post", {"records": [{}]}),
    ("post", {"records": [{"fields": {}}] * 1001}), ("post", {"records": [1, 2]}),
    ("post", {"records": [{"fields": {"Name": "x"}}], "typecast": "sometimes"}),
    ("patch", {}), ("patch", {"records": [{"fields": {"Qty": 1}}]}),
    ("patch", {"records": [{"id": "nope", "fields": {"Qty": 1}}]}),
    ("patch", {"records": [{"id": "recAAAAAAAAAAAAAA", "fields": []}]}),
    ("patch", {"performUpsert": {"fieldsToMergeOn": []}, "records": [{"fields": {}}]}),
    ("patch", {"performUpsert": {}, "records": [{"fields": {"Name": "x"}}]}),
    ("patch", {"performUpsert": {"fieldsToMergeOn": ["a", "b", "c", "d"]},
               "records": [{"fields": {"Name": "x"}}]}),
])
def test_bad_write_input_is_a_400(items, team_a, client_for, method, body):
    answer = getattr(client_for(jwt=team_a.jwt()), method)(
        f"{API}/{items.base_id}/tables/Items/records", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"] == "application/problem+json"


def test_bad_delete_input_is_a_400(items, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{items.base_id}/tables/Items/records"
    assert client.delete(url).status_code == 400
    assert client.delete(f"{url}?records[]=nope").status_code == 400
    malformed = client.post(url, "{not json", content_type="application/json")
    assert malformed.status_code == 400


def test_unicode_and_odd_names_are_answered(items, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{items.base_id}/tables/Items/records"
    made = client.post(url, {"records": [{"fields": {"Name": "Zürich ✓ 東京 'quoted' 50%"}}]},
                       format="json")
    assert made.status_code == 200
    found = client.get(url, {"filterByFormula": "{Name} = 'Zürich ✓ 東京 \\'quoted\\' 50%'"})
    assert [record["id"] for record in found.json()["records"]] == \
        [made.json()["records"][0]["id"]]
    for table in ("Ünïcødé", "%25", "a" * 300):
        assert client.get(f"{API}/{items.base_id}/tables/{table}/records").status_code == 404


def test_list_records_by_post_for_long_formulas(items, team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    formula = "OR(" + ", ".join(f"{{Name}} = 'Item {index:05d}'" for index in range(0, 30, 3)) \
        + ")"
    answer = client.post(f"{API}/{items.base_id}/tables/Items/records/listRecords",
                         {"filterByFormula": formula, "sort": [{"field": "Qty",
                                                                "direction": "desc"}],
                          "fields": ["Name", "Qty"], "pageSize": 4}, format="json")
    assert answer.status_code == 200
    assert answer.json()["records"] == items.list("Items", filterByFormula=formula, **{
        "sort[0][field]": "Qty", "sort[0][direction]": "desc", "fields[]": ["Name", "Qty"],
        "pageSize": 4}).json()["records"]
    read_only = client_for(key=team_a.api_key(scopes=("read",)))
    assert read_only.post(f"{API}/{items.base_id}/tables/Items/records/listRecords", {},
                          format="json").status_code == 200
    assert read_only.post(f"{API}/{items.base_id}/tables/Items/records",
                          {"records": [{"fields": {"Name": "x"}}]},
                          format="json").json()["code"] == "ERROR_READ_ONLY"


def test_search_finds_text_in_any_field(items, team_a):
    with schema_context(team_a.tenant.schema_name):
        found = selectors.record_search(base_id=items.base_id, table="Items", query="NOTE 1")
        names = [record["fields"]["Name"] for record in found["records"]]
        assert names == ["Item 00010", "Item 00015"]
        only_names = selectors.record_search(base_id=items.base_id, table="Items",
                                             query="note", fields=["Name"])
        assert only_names["records"] == []


def test_fields_used_often_get_an_expression_index(items, team_a, client_for, settings,
                                                   django_capture_on_commit_callbacks):
    settings.AIRTABLE_INDEX_AFTER_USES = 3
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{items.base_id}/tables/Items/records"
    with django_capture_on_commit_callbacks(execute=True):
        for bound in range(3):
            client.get(url, {"filterByFormula": f"{{Price}} > {bound}",
                             "sort[0][field]": "Price"})
    with schema_context(team_a.tenant.schema_name):
        table = Table.objects.get(base__base_id=items.base_id)
        definitions = index_definitions(table)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_statistic_ext WHERE stxname LIKE %s",
                           [f"airtable_sx_{table.pk}_%"])
            statistics = cursor.fetchone()[0]
    assert any("'Price'" in definition for definition in definitions)
    assert statistics >= 1  # the planner knows how selective the expression is


def test_airtable_trouble_reaches_users_as_problems(team_a, server, platform_server_factory,
                                                    items, client_for, settings):
    from apps.airtable.models import AirtableConnection

    from ..conftest import UNLIMITED

    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{items.base_id}/tables/Items/records"
    broken = platform_server_factory(SANDBOX_FAILURE_RATE="1", **UNLIMITED)
    settings.AIRTABLE_RETRY_ATTEMPTS = 1
    with schema_context(team_a.tenant.schema_name):
        AirtableConnection.objects.update(endpoint_url=f"{broken.url}/sandbox/airtable")
    # The mirror still answers while Airtable is down.
    assert len(client.get(url).json()["records"]) == 30
    for answer in (client.get(url, {"consistency": "live"}),
                   client.post(url, {"records": [{"fields": {"Name": "x"}}]}, format="json")):
        assert answer.status_code == 503
        assert answer["Content-Type"] == "application/problem+json"
        assert answer.json()["code"] == "ERROR_AIRTABLE_UNAVAILABLE"
        assert "SERVICE_UNAVAILABLE" in answer.json()["detail"]

    strict = platform_server_factory(SANDBOX_RATE_LIMIT_PER_BASE="1",
                                     SANDBOX_RATE_LIMIT_PER_TOKEN="0")
    settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS = 30
    settings.AIRTABLE_INTERACTIVE_MAX_WAIT_SECONDS = 1
    with schema_context(team_a.tenant.schema_name):
        AirtableConnection.objects.update(endpoint_url=f"{strict.url}/sandbox/airtable")
    answers = [client.get(url, {"consistency": "live"}) for _ in range(3)]
    limited = answers[-1]
    assert limited.status_code == 429
    assert limited.json()["code"] == "ERROR_AIRTABLE_RATE_LIMITED"
    assert 25 <= int(limited["Retry-After"]) <= 30
