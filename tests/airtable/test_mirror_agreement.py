"""Small bases built with the sandbox's own services, mirrored, then asked through the records
API what the sandbox is asked: links to tables whose primary field is a number, an auto
number, a date, a date and time or a formula show (and sort by) the text Airtable shows for
them; a date-and-time formula sorts by its instant; formulas over a lookup of a lookup are
blank, not blank and equal where the sandbox says. None of it asks Airtable."""

from __future__ import annotations

import pytest

from apps.sandbox.services import token_create
from apps.sandbox.services.meta import base_create, field_create, table_create
from apps.sandbox.services.records import records_create
from apps.sandbox.state import base_state_load

from ..conftest import committed_team
from .agreement import (
    FILTERS,
    SORTS,
    InProcessSandbox,
    connections_clear,
    counting_airtable,
    disagreements,
    field_queries,
    mirror_cut_off,
)

pytestmark = pytest.mark.django_db

US_DATE = {"dateFormat": {"name": "us"}}
PARIS_12_HOUR = {"dateFormat": {"name": "european"}, "timeFormat": {"name": "12hour"},
                 "timeZone": "Europe/Paris"}


def _table(token, base_id: str, name: str, fields: list[dict]):
    return table_create(token=token, base_id=base_id, spec={"name": name, "fields": fields})


def _link(token, base_id: str, table, name: str, linked) -> dict:
    return field_create(token=token, base_id=base_id, table_key=table.id, spec={
        "name": name, "type": "multipleRecordLinks", "options": {"linkedTableId": linked.id}})


def _create(token, base_id: str, table, rows: list[dict]) -> list[str]:
    made = []
    for start in range(0, len(rows), 10):
        _table_state, records = records_create(token=token, base_id=base_id,
                                               table_key=table.id, items=rows[start:start + 10],
                                               typecast=False)
        made += [record.id for record in records]
    return made


def _build(token) -> str:
    """People linking to a table of each non-text primary type; Suppliers → Countries →
    Regions with a lookup of a lookup and formulas over it; a date-and-time formula."""
    state = base_create(token=token, name="Agreement", tables=[{"name": "People", "fields": [
        {"name": "Name", "type": "singleLineText"},
        {"name": "Starts at", "type": "dateTime", "options": {
            "dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"},
            "timeZone": "utc"}}]}])
    base_id = state.base.id
    people = state.table("People")
    scores = _table(token, base_id, "Scores", [
        {"name": "Score", "type": "number", "options": {"precision": 2}}])
    invoices = _table(token, base_id, "Invoices", [
        {"name": "Number", "type": "autoNumber"},
        {"name": "Memo", "type": "singleLineText"}])
    days = _table(token, base_id, "Days", [
        {"name": "Day", "type": "date", "options": US_DATE}])
    stamps = _table(token, base_id, "Stamps", [
        {"name": "At", "type": "dateTime", "options": PARIS_12_HOUR}])
    prices = _table(token, base_id, "Prices", [
        {"name": "Price", "type": "currency", "options": {"precision": 2, "symbol": "€"}}])
    regions = _table(token, base_id, "Regions", [{"name": "Name", "type": "singleLineText"}])
    countries = _table(token, base_id, "Countries", [
        {"name": "Name", "type": "singleLineText"}])
    suppliers = _table(token, base_id, "Suppliers", [
        {"name": "Name", "type": "singleLineText"}])
    for name, linked in [("Scores", scores), ("Invoices", invoices), ("Days", days),
                         ("Stamps", stamps), ("Prices", prices)]:
        _link(token, base_id, people, name, linked)
    region = _link(token, base_id, countries, "Region", regions)
    country = _link(token, base_id, suppliers, "Country", countries)
    state = base_state_load(state.base)
    region_name = field_create(token=token, base_id=base_id, table_key=countries.id, spec={
        "name": "Region name", "type": "multipleLookupValues", "options": {
            "recordLinkFieldId": region["id"],
            "fieldIdInLinkedTable": state.table("Regions").primary_field["id"]}})
    field_create(token=token, base_id=base_id, table_key=suppliers.id, spec={
        "name": "Country region name", "type": "multipleLookupValues", "options": {
            "recordLinkFieldId": country["id"], "fieldIdInLinkedTable": region_name["id"]}})
    for name, formula in [
            ("Unique regions", "ARRAYUNIQUE({Country region name})"),
            ("Regions or none", "IF({Country region name}, "
                                "ARRAYJOIN({Country region name}, ' / '), '(none)')"),
            ("Region count", "LEN(ARRAYJOIN({Country region name}))")]:
        field_create(token=token, base_id=base_id, table_key=suppliers.id,
                     spec={"name": name, "type": "formula", "options": {"formula": formula}})
    field_create(token=token, base_id=base_id, table_key=people.id, spec={
        "name": "Follow up", "type": "formula",
        "options": {"formula": "DATEADD({Starts at}, 7, 'days')"}})

    score_ids = _create(token, base_id, scores, [{"Score": value} for value in
                                                  (1234.5, 9.5, 10.25, -3, 0.125)])
    invoice_ids = _create(token, base_id, invoices, [{"Memo": f"m{index}"}
                                                      for index in range(12)])
    day_ids = _create(token, base_id, days, [{"Day": day} for day in
                                             ("2026-01-05", "2025-12-31", "2026-10-02")])
    stamp_ids = _create(token, base_id, stamps, [{"At": moment} for moment in
                                                 ("2026-01-05T10:30:00.000Z",
                                                  "2026-01-05T23:15:00.000Z",
                                                  "2025-06-01T00:00:00.000Z")])
    price_ids = _create(token, base_id, prices, [{"Price": value} for value in
                                                 (5, 1250.75, -2.5)])
    _create(token, base_id, people, [
        {"Name": "Ada", "Scores": [score_ids[0]], "Invoices": [invoice_ids[9]],
         "Days": [day_ids[0]], "Stamps": [stamp_ids[1]], "Prices": [price_ids[1]],
         "Starts at": "2026-03-01T08:00:00.000Z"},
        {"Name": "Grace", "Scores": [score_ids[1], score_ids[2]],
         "Invoices": [invoice_ids[1], invoice_ids[10]], "Days": [day_ids[1]],
         "Stamps": [stamp_ids[0]], "Prices": [price_ids[0], price_ids[2]],
         "Starts at": "2025-11-20T17:45:00.000Z"},
        {"Name": "Alan", "Scores": [score_ids[3]], "Invoices": [invoice_ids[2]],
         "Days": [day_ids[2], day_ids[0]], "Stamps": [stamp_ids[2]],
         "Starts at": "2026-03-01T07:59:00.000Z"},
        {"Name": "Radia", "Scores": [score_ids[4]], "Prices": [price_ids[2]]},
        {"Name": "Ken"},
    ])
    region_ids = _create(token, base_id, regions, [{"Name": "North"}, {"Name": "South"}])
    country_ids = _create(token, base_id, countries, [
        {"Name": "Norway", "Region": [region_ids[0]]},
        {"Name": "Chile", "Region": [region_ids[1]]},
        {"Name": "Nowhere"}])
    _create(token, base_id, suppliers, [
        {"Name": "Fjord", "Country": [country_ids[0]]},
        {"Name": "Andes", "Country": [country_ids[1]]},
        {"Name": "Limbo", "Country": [country_ids[2]]},
        {"Name": "Loner"},
        {"Name": "Twice", "Country": [country_ids[0], country_ids[2]]}])
    return base_id


@pytest.fixture(scope="module")
def mirrored(django_db_setup, django_db_blocker, server):
    """(team, InProcessSandbox, the counting server Airtable's address now reaches)."""
    with django_db_blocker.unblock(), counting_airtable() as airtable:
        owner, token = token_create(name="agreement")
        base_id = _build(owner)
        team = committed_team("mirror-agreement")
        mirror_cut_off(team, base_id=base_id, token=token, sandbox_url=server.url,
                       airtable_url=airtable.url)
        yield team, InProcessSandbox(token, base_id), airtable
        connections_clear(team)


@pytest.fixture
def ask(mirrored, client_for, settings):
    """ask(table, field names, kinds) -> the disagreements, with no request to Airtable."""
    settings.SANDBOX_RATE_LIMIT_PER_BASE = 0
    settings.SANDBOX_RATE_LIMIT_PER_TOKEN = 0
    settings.AIRTABLE_RETRY_ATTEMPTS = 1
    team, sandbox, airtable = mirrored
    client = client_for(key=team.api_key(("read",)))

    def check(table: str, names: list[str], kinds=SORTS + FILTERS) -> list[str]:
        fields = {item["name"]: item for item in sandbox.table(table)["fields"]}
        records = sandbox.records(table)
        strings = sandbox.records(table, cellFormat="string", timeZone="UTC",
                                  userLocale="en-us")
        before = len(airtable.requests)
        failures = []
        for name in names:
            queries = field_queries(fields[name], records, strings, kinds)
            failures += [f"{{{name}}} {failure}" for failure in
                         disagreements(client, sandbox, table, queries)]
        failures += [f"asked Airtable: {request}" for request in airtable.requests[before:]]
        return failures

    check.sandbox = sandbox
    check.client = client
    return check


def _names(ask, table: str, params: dict) -> list[str]:
    """The primary names of the records the mirror answers, in its order."""
    answer = ask.client.get(f"/api/v1/airtable/bases/{ask.sandbox.base_id}/tables/{table}"
                            "/records", params)
    assert answer.status_code == 200, answer.json()
    return [record["fields"].get("Name") for record in answer.json()["records"]]


LINKS_TO_NON_TEXT = ["Scores", "Invoices", "Days", "Stamps", "Prices"]


def test_links_to_non_text_primaries_agree_with_the_sandbox(ask):
    assert ask("People", LINKS_TO_NON_TEXT) == []


@pytest.mark.parametrize(("formula", "names"), [
    # numbers by the field's precision, with thousands separators
    ("{Scores} = '1,234.50'", ["Ada"]),
    ("{Scores} & '' = '9.50, 10.25'", ["Grace"]),
    ("{Scores} = '-3.00'", ["Alan"]),
    # currency with its symbol, negative amounts with the sign first
    ("{Prices} & '' = '€5.00, -€2.50'", ["Grace"]),
    ("{Prices} = '€1,250.75'", ["Ada"]),
    # auto numbers as they are
    ("{Invoices} & '' = '2, 11'", ["Grace"]),
    # dates in the field's format
    ("{Days} & '' = '10/2/2026, 1/5/2026'", ["Alan"]),
    ("{Days} = '12/31/2025'", ["Grace"]),
    # instants in the field's zone, date format and 12-hour clock
    ("{Stamps} = '6/1/2026 12:15am'", ["Ada"]),
    ("{Stamps} = '5/1/2026 11:30am'", ["Grace"]),
])
def test_a_link_reads_as_the_text_its_primary_shows(ask, formula, names):
    assert _names(ask, "People", {"filterByFormula": formula}) == names
    assert [record["fields"]["Name"] for record in
            ask.sandbox.records("People", filterByFormula=formula)] == names


def test_links_sort_by_the_shown_text_of_their_first_record(ask):
    # By text, case folded: "-3.00" < "0.13" < "1,234.50" < "9.50, 10.25"; no link last.
    assert _names(ask, "People", {"sort[0][field]": "Scores"}) == \
        ["Ken", "Alan", "Radia", "Ada", "Grace"]
    assert _names(ask, "People", {"sort[0][field]": "Days", "sort[0][direction]": "desc"}) \
        == ["Grace", "Alan", "Ada", "Radia", "Ken"]


def test_a_date_time_formula_sorts_by_its_instant(ask):
    assert ask("People", ["Follow up"], SORTS) == []
    # By instant, then the errors (DATEADD of a blank date) after every value.
    assert _names(ask, "People", {"sort[0][field]": "Follow up"}) == \
        ["Grace", "Alan", "Ada", "Radia", "Ken"]


@pytest.mark.parametrize("name", ["Unique regions", "Regions or none", "Region count",
                                  "Country region name"])
def test_formulas_over_a_lookup_of_a_lookup_agree_with_the_sandbox(ask, name):
    assert ask("Suppliers", [name]) == []


def test_an_empty_lookup_of_a_lookup_is_falsy_in_if(ask):
    assert _names(ask, "Suppliers", {"filterByFormula": "{Regions or none} = '(none)'"}) == \
        ["Limbo", "Loner"]
    assert _names(ask, "Suppliers", {"filterByFormula": "{Unique regions} = BLANK()"}) == \
        ["Limbo", "Loner"]
