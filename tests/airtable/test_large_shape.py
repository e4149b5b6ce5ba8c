"""The large base's shape, mirrored: every field of every table, filtered and sorted through
the records API, answers what the sandbox answers, record for record, with no request to
Airtable.

A small instance is seeded, synced once into a team of this module's own, and then the
connection is pointed at a server that counts every request and answers 503: a query the
mirror passed on to Airtable shows up as a request there (and as an error).

Every field is filtered one way (blank, not blank, equality or a comparison, in turn over
the fields) and sorted by in the same query; the first field of each kind in the base (its
type, and its result type or the type of the linked table's primary field) is asked all
six queries, both sorts and every filter apart. With
``LARGE_SHAPE_FULL=1`` every field is asked all six, on ``LARGE_SHAPE_RECORDS`` records
(``python bench/large_base.py --agreement`` runs it so), and the module ends by printing
how many fields agree.
"""

from __future__ import annotations

import os

import pytest

from apps.sandbox.services import sandbox_seed_large
from apps.sandbox.services.seed_large import TABLE_NAMES

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

FULL = os.environ.get("LARGE_SHAPE_FULL") == "1"
# 10 records a table on average (Events, a fifth of them, still fits in one page).
RECORDS = int(os.environ.get("LARGE_SHAPE_RECORDS") or 10 * len(TABLE_NAMES))


@pytest.fixture(scope="module")
def large(django_db_setup, django_db_blocker, server):
    """(team, InProcessSandbox of the large base, the counting server), synced once."""
    with django_db_blocker.unblock(), counting_airtable() as airtable:
        base_id, token = sandbox_seed_large(records=RECORDS, seed=1)
        team = committed_team("large-shape")
        mirror_cut_off(team, base_id=base_id, token=token, sandbox_url=server.url,
                       airtable_url=airtable.url, records=RECORDS)
        yield team, InProcessSandbox(token, base_id), airtable
        connections_clear(team)


@pytest.fixture(scope="module")
def tally():
    """{(table, field): agreed} over the module; printed at its end."""
    agreed: dict[tuple[str, str], bool] = {}
    yield agreed
    if agreed:
        print(f"\nlarge shape ({RECORDS} records, "
              f"{'every query' if FULL else 'CI subset'}): agree "
              f"{sum(agreed.values())}/{len(agreed)} fields")


@pytest.fixture(scope="module")
def first_of_type(large) -> set[tuple[str, str]]:
    """(table, field) of the first field of each kind in the base: its type, and the type
    of its result (a formula, rollup or lookup) or of the linked table's primary field."""
    _team, sandbox, _airtable = large
    tables = sandbox.get(f"meta/bases/{sandbox.base_id}/tables")["tables"]
    primaries = {table["id"]: next(item["type"] for item in table["fields"]
                                   if item["id"] == table["primaryFieldId"])
                 for table in tables}
    first: dict[tuple, tuple[str, str]] = {}
    for table in tables:
        for field in table["fields"]:
            options = field.get("options") or {}
            shown = (options.get("result") or {}).get("type") or \
                primaries.get(options.get("linkedTableId"))
            first.setdefault((field["type"], shown), (table["name"], field["name"]))
    return set(first.values())


# One query for each other field: a filter, in turn, with a sort on the field.
SUBSET = ("not blank, sort asc", "comparison, sort desc", "blank, sort asc",
          "equality, sort desc", "not blank, sort desc", "comparison, sort asc")


def _kinds(first_of_type: set, table: str, field: dict, position: int) -> tuple[str, ...]:
    if FULL or (table, field["name"]) in first_of_type:
        return SORTS + FILTERS
    return (SUBSET[position % len(SUBSET)],)


@pytest.fixture
def quick(settings):
    """The sandbox answers in this process without limits; a request sent to Airtable is
    not retried (it is a failure here anyway)."""
    settings.SANDBOX_RATE_LIMIT_PER_BASE = 0
    settings.SANDBOX_RATE_LIMIT_PER_TOKEN = 0
    settings.AIRTABLE_RETRY_ATTEMPTS = 1


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_every_field_filtered_and_sorted_agrees_with_the_sandbox(large, first_of_type, quick,
                                                                 tally, client_for, table):
    team, sandbox, airtable = large
    schema = sandbox.table(table)
    records = sandbox.records(table)
    assert records, table
    strings = sandbox.records(table, cellFormat="string", timeZone="UTC", userLocale="en-us")
    client = client_for(key=team.api_key(("read",)))
    asked_before = len(airtable.requests)
    failures = []
    for position, field in enumerate(schema["fields"]):
        kinds = _kinds(first_of_type, table, field, position)
        queries = field_queries(field, records, strings, kinds)
        differ = disagreements(client, sandbox, table, queries)
        tally[(table, field["name"])] = not differ
        failures += [f"{field['type']} {{{field['name']}}} {failure}" for failure in differ]
    asked = airtable.requests[asked_before:]
    assert not failures and not asked, (
        f"{len(failures)} queries of {table} differ from the sandbox and {len(asked)} "
        "requests went to Airtable:\n" + "\n".join(failures))
