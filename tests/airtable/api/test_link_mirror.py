"""Filters and sorts over linked records stay right when the linked records change: the
mirror answers `{Company} = '…'` from the linked table's primary index and the records
that link to what it finds, and sorts by a lookup through an index of its values; after
an incremental sync renames a company, after a rename and a relink written through the
platform, and after a company is deleted through it, the answers equal the sandbox's."""

import time

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.airtable import selectors
from apps.airtable.models import Table
from apps.airtable.selectors.schema import base_schema, field_map, table_info

from ..conftest import Sandbox, connect, sync
from .test_field_matrix import _page_through, _quoted

API = "/api/v1/airtable/bases"


@pytest.fixture(scope="module")
def crm(seed):
    """A demo base of this module's own (the tests change it)."""
    return seed(200)


def _ids(records) -> list[str]:
    assert not isinstance(records, str), records
    return [record["id"] for record in records]


def _queries(names: list[str]) -> list[dict]:
    out = [{"sort[0][field]": "Company", "sort[0][direction]": "desc"},
           {"filterByFormula": "{Company} = BLANK()"}]
    for name in names:
        out += [{"filterByFormula": f"{{Company}} = {_quoted(name)}"},
                {"filterByFormula": f"AND({{Company}} = {_quoted(name)}, {{Amount}} > 0)",
                 "sort[0][field]": "Amount"},
                {"filterByFormula": f"{{Company}} != {_quoted(name)}",
                 "sort[0][field]": "Company"}]
    return out


def _agree(client, sandbox: Sandbox, names: list[str]) -> int:
    url = f"{API}/{sandbox.base_id}/tables/Deals/records"
    matched = 0
    for params in _queries(names):
        expected = _ids(sandbox.all("Deals", **params))
        assert _ids(_page_through(client, url, params)) == expected, params
        matched += len(expected)
    return matched


def _companies_with_deals(sandbox: Sandbox) -> list[dict]:
    linked = {company for deal in sandbox.all("Deals")
              for company in deal["fields"].get("Company", [])}
    return [company for company in sandbox.all("Companies") if company["id"] in linked]


def _prefilter(team, base_id: str, name: str) -> tuple[str, list]:
    """The index-served condition the mirror adds to `{Company} = name` on Deals."""
    from apps.airtable.selectors.records import _link_prefilter, _Plan
    from apps.formulas import parse

    with schema_context(team.tenant.schema_name):
        schema = base_schema(base_id)
        info = table_info(schema, "Deals")
        fmap = field_map(info, schema)
        return _link_prefilter(_Plan(schema=schema, table=info, field_map=fmap, parsed=parse(
            f"{{Company}} = {_quoted(name)}", fields=list(fmap))))


def _kept_keys(team) -> tuple[int, int, int]:
    """(rows, kept link keys not current, current kept keys that differ from the key made
    on the spot) over every link field of the base."""
    from apps.airtable.selectors.sorting import link_key_current, link_key_kept
    from apps.airtable.services.linkkeys import _link_specs
    from apps.formulas.sql import link_sort_key

    rows = missing = wrong = 0
    with schema_context(team.tenant.schema_name), connection.cursor() as cursor:
        base_id = Table.objects.first().base.base_id
        schema = base_schema(base_id)
        for table in schema["tables"]:
            for spec in _link_specs(schema, table):
                current, params = link_key_current(spec, table["pk"])
                cursor.execute(
                    f"SELECT count(*), count(*) FILTER (WHERE {current} IS NOT TRUE),"
                    f" count(*) FILTER (WHERE {current} AND {link_key_kept(spec)} ->> 'k'"
                    f" IS DISTINCT FROM {link_sort_key(spec, 'fields')}) "
                    "FROM airtable_record WHERE table_id = %s",
                    [*params, *params, table["pk"]])
                counted = cursor.fetchone()
                rows, missing, wrong = rows + counted[0], missing + counted[1], \
                    wrong + counted[2]
    return rows, missing, wrong


def _kept_keys_right(team) -> bool:
    rows, missing, wrong = _kept_keys(team)
    return rows > 0 and (missing, wrong) == (0, 0)


def test_link_filters_follow_renames_relinks_and_deletes(
        crm, team_a, server, client_for, settings, django_capture_on_commit_callbacks):
    settings.AIRTABLE_SYNC_OVERLAP_SECONDS = 0
    base_id, token = crm
    sandbox = Sandbox(server.url, token, base_id)
    connect(team_a, server, token)
    assert sync(team_a, base_id, capture=django_capture_on_commit_callbacks).status == \
        "succeeded"
    client = client_for(jwt=team_a.jwt())
    first, second, third, *_ = _companies_with_deals(sandbox)
    names = [first["fields"]["Name"], second["fields"]["Name"], third["fields"]["Name"]]
    assert _agree(client, sandbox, names) > 0
    # Every row keeps its link fields' sort keys, equal to the keys made on the spot, and
    # they stay so through each change below.
    assert _kept_keys_right(team_a)
    # The filter starts from the records linking to the companies of that name.
    condition, params = _prefilter(team_a, base_id, names[0])
    assert condition == "fields @? %s::jsonpath"
    assert first["id"] in params[0]
    assert _prefilter(team_a, base_id, "No such company") == ("FALSE", [])

    # 1. Airtable renames a company; an incremental sync brings the new name.
    time.sleep(1.1)
    sandbox.update("Companies", first["id"], {"Name": "Renamed & Co"})
    job = sync(team_a, base_id, capture=django_capture_on_commit_callbacks)
    assert (job.status, job.full) == ("succeeded", False)
    assert _agree(client, sandbox, [*names, "Renamed & Co"]) > 0
    assert _kept_keys_right(team_a)

    # 1b. Airtable renames more companies than are looked up one by one: the sync makes
    # the deals' keys old at once and makes them again at its end.
    time.sleep(1.1)
    kept = {first["id"], second["id"], third["id"]}
    many = [company for company in _companies_with_deals(sandbox) if company["id"] not in kept]
    many += [company for company in sandbox.all("Companies")
             if company["id"] not in kept and company not in many]
    settings.AIRTABLE_LINK_KEYS_TARGETED_MAX = 10
    many = many[:15]
    for index, company in enumerate(many):
        sandbox.update("Companies", company["id"], {"Name": f"{index:02d} Bulk renamed"})
    job = sync(team_a, base_id, capture=django_capture_on_commit_callbacks)
    assert (job.status, job.full) == ("succeeded", False)
    assert _agree(client, sandbox, [*names, "Renamed & Co", "00 Bulk renamed"]) > 0
    assert _kept_keys_right(team_a)
    assert _ids(sandbox.all("Deals", filterByFormula="{Company} = 'Renamed & Co'"))

    # 2. Written through the platform: another rename, and a deal moved to that company.
    url = f"{API}/{base_id}/tables"
    renamed = client.patch(f"{url}/Companies/records", {"records": [
        {"id": second["id"], "fields": {"Name": "Written, Inc"}}]}, format="json")
    assert renamed.status_code == 200, renamed.content
    deal = sandbox.all("Deals", filterByFormula=f"{{Company}} = {_quoted(names[2])}")[0]
    moved = client.patch(f"{url}/Deals/records", {"records": [
        {"id": deal["id"], "fields": {"Company": [second["id"], third["id"]]}}]}, format="json")
    assert moved.status_code == 200, moved.content
    # A deal of two companies reads as both names, joined by ", " (and "Written, Inc" has one).
    both = f"Written, Inc, {names[2]}"
    assert _ids(sandbox.all("Deals", filterByFormula=f"{{Company}} = {_quoted(both)}")) == \
        [deal["id"]]
    assert _agree(client, sandbox, [*names, "Written, Inc", "Written", both]) > 0
    assert _kept_keys_right(team_a)

    # 3. A company deleted through the platform: its deals no longer link to it.
    deleted = client.delete(f"{url}/Companies/records?records[]={third['id']}")
    assert deleted.status_code == 200, deleted.content
    assert _agree(client, sandbox, [*names, "Written, Inc", both]) > 0
    assert _ids(sandbox.all("Deals", filterByFormula="{Company} = BLANK()"))
    assert _kept_keys_right(team_a)


def test_a_lookup_sort_is_served_by_an_index_of_its_values(
        crm, team_a, server, client_for, settings, django_capture_on_commit_callbacks):
    settings.AIRTABLE_INDEX_AFTER_USES = 1
    base_id, token = crm
    sandbox = Sandbox(server.url, token, base_id)
    connect(team_a, server, token)
    assert sync(team_a, base_id, full=True,
                capture=django_capture_on_commit_callbacks).status == "succeeded"
    client = client_for(jwt=team_a.jwt())
    url = f"{API}/{base_id}/tables/Deals/records"
    for direction in ("desc", "asc"):
        params = {"filterByFormula": "{Amount} > 1000", "sort[0][field]": "Company name",
                  "sort[0][direction]": direction}
        with django_capture_on_commit_callbacks(execute=True):
            answer = _page_through(client, url, params)
        assert _ids(answer) == _ids(sandbox.all("Deals", **params)), direction
    with schema_context(team_a.tenant.schema_name):
        table = Table.objects.get(base__base_id=base_id, name="Deals")
        entry = table.field_indexes.get(field_name="Company name")
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
                           [entry.index_names])
            definitions = [row[0] for row in cursor.fetchall()]
        assert any("airtable_text_items" in item for item in definitions), definitions
        page = selectors.record_list(base_id=base_id, table="Deals", sort=[
            {"field": "Company name", "direction": "desc"}])
    assert _ids(page["records"]) == _ids(sandbox.list("Deals", **{
        "sort[0][field]": "Company name", "sort[0][direction]": "desc"}).json()["records"])
