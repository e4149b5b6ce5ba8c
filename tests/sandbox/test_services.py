"""Services and the management command, in-process."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.sandbox import selectors
from apps.sandbox.exceptions import InvalidRequest, RecordNotFound
from apps.sandbox.selectors import ListQuery
from apps.sandbox.services import (
    records_create,
    records_delete,
    records_update,
    sandbox_seed_demo,
    token_create,
    token_ensure,
)

TOKEN = re.compile(r"pat[A-Za-z0-9]{14}\.[0-9a-f]{64}")
DEMO_TABLES = ("Companies", "Contacts", "Deals", "Activities")


def _all(token, base_id: str, table: str, **query) -> list[dict]:
    records, offset = [], None
    while True:
        page = selectors.records_list(token=token, base_id=base_id, table_key=table,
                                      query=ListQuery(offset=offset, **query))
        records += page["records"]
        offset = page.get("offset")
        if not offset:
            return records


@pytest.fixture
def owner(db):
    return token_create(name="owner")


def test_tokens_look_like_airtable_pats_and_only_their_digest_is_kept(owner):
    token, raw = owner
    assert TOKEN.fullmatch(raw)
    assert raw not in (token.token_hash, token.prefix) and raw.startswith(token.prefix)
    assert selectors.token_authenticate(raw) == token
    assert selectors.token_authenticate(raw[:-1] + ("1" if raw[-1] == "0" else "0")) is None
    assert token_ensure(raw=raw) == token
    with pytest.raises(InvalidRequest):
        token_ensure(raw="pat_platform_key")


def test_seed_spreads_records_over_the_crm(db):
    base_id, raw = sandbox_seed_demo(records=100)
    token = selectors.token_authenticate(raw)
    counts = {name: len(_all(token, base_id, name)) for name in DEMO_TABLES}
    assert counts == {"Companies": 10, "Contacts": 30, "Deals": 25, "Activities": 35}
    schema = selectors.base_schema(token=token, base_id=base_id)
    types = {field["type"] for table in schema["tables"] for field in table["fields"]}
    assert {"multipleRecordLinks", "multipleLookupValues", "rollup", "count", "formula",
            "singleSelect", "multipleSelects", "date", "dateTime", "checkbox",
            "multipleAttachments", "autoNumber", "createdTime", "lastModifiedTime",
            "currency", "percent"} <= types
    companies = _all(token, base_id, "Companies")
    deals = _all(token, base_id, "Deals")
    for company in companies:
        own = [deal for deal in deals if company["id"] in deal["fields"].get("Company", [])]
        expected = round(sum(deal["fields"]["Amount"] for deal in own), 2)
        assert round(company["fields"].get("Pipeline value", 0), 2) == expected
        assert company["fields"]["Contact count"] == len(company["fields"].get("Contacts", []))
    assert all(company["fields"]["Logo"][0]["url"].startswith("https://") for company in companies)


def test_seed_is_repeatable_and_reuses_a_tokens_demo_base(db):
    raw = token_create()[1]
    base_id, same_raw = sandbox_seed_demo(records=8, token=raw)
    assert same_raw == raw
    assert sandbox_seed_demo(records=8, token=raw) == (base_id, raw)
    fresh = token_create()[1]
    other_base, _ = sandbox_seed_demo(records=8, token=fresh)
    token, other = selectors.token_authenticate(raw), selectors.token_authenticate(fresh)
    names = [r["fields"]["Deal"] for r in _all(token, base_id, "Deals")]
    assert names == [r["fields"]["Deal"] for r in _all(other, other_base, "Deals")]


def test_seed_with_no_records_makes_the_schema_only(db):
    base_id, raw = sandbox_seed_demo(records=0)
    token = selectors.token_authenticate(raw)
    assert all(_all(token, base_id, name) == [] for name in DEMO_TABLES)
    with pytest.raises(ValueError):
        sandbox_seed_demo(records=-1)


def test_command_token_and_seed(db):
    out = StringIO()
    call_command("sandbox", "token", stdout=out)
    raw = out.getvalue().strip()
    assert TOKEN.fullmatch(raw)
    out = StringIO()
    call_command("sandbox", "seed", "--records", "20", "--token", raw, stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    assert lines["token"] == raw and re.fullmatch(r"app[A-Za-z0-9]{14}", lines["base_id"])
    token = selectors.token_authenticate(raw)
    assert sum(len(_all(token, lines["base_id"], name)) for name in DEMO_TABLES) == 20
    with pytest.raises(CommandError):
        call_command("sandbox", "seed", "--token", "not-a-token", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("sandbox", "seed", "--records", "-5", stdout=StringIO())


def test_services_write_and_recompute(owner, demo):
    base_id, raw = demo
    token = selectors.token_authenticate(raw)
    company = _all(token, base_id, "Companies", max_records=1)[0]
    before = company["fields"].get("Pipeline value", 0)
    _table, (deal,) = records_create(token=token, base_id=base_id, table_key="Deals",
                                     items=[{"Deal": "Big one", "Amount": 1000.5,
                                             "Company": [company["id"]]}], typecast=False)
    after = selectors.record_get(token=token, base_id=base_id, table_key="Companies",
                                 record_id=company["id"], query=ListQuery())
    assert after["fields"]["Pipeline value"] == pytest.approx(before + 1000.5)
    records_update(token=token, base_id=base_id, table_key="Deals",
                   items=[(deal.id, {"Amount": 0.5})], typecast=False, replace=False)
    records_delete(token=token, base_id=base_id, table_key="Deals", record_ids=[deal.id])
    again = selectors.record_get(token=token, base_id=base_id, table_key="Companies",
                                 record_id=company["id"], query=ListQuery())
    assert again["fields"].get("Pipeline value", 0) == pytest.approx(before)
    with pytest.raises(RecordNotFound):
        records_delete(token=token, base_id=base_id, table_key="Deals", record_ids=[deal.id])
