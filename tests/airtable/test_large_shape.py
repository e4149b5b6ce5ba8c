"""The large base's shape, mirrored: every field of every table, filtered and sorted through
the records API, answers what the sandbox answers, record for record, with no request to
Airtable.

A small instance is seeded, synced once into a team of this module's own, and then the
connection is pointed at a server that counts every request and answers 503: a query the
mirror passed on to Airtable shows up as a request there (and as an error).

Every field is sorted ascending and filtered one way (blank, not blank, equality or a
comparison, in turn over the fields); the first field of each type (and result type) in
the base is asked all six queries, both sorts and every filter. With
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
    """(table, field) of the first field of each (type, result type) in the base."""
    _team, sandbox, _airtable = large
    first: dict[tuple, tuple[str, str]] = {}
    for table in sandbox.get(f"meta/bases/{sandbox.base_id}/tables")["tables"]:
        for field in table["fields"]:
            result = (field.get("options") or {}).get("result") or {}
            first.setdefault((field["type"], result.get("type")), (table["name"], field["name"]))
    return set(first.values())


def _kinds(first_of_type: set, table: str, field: dict, position: int) -> tuple[str, ...]:
    if FULL or (table, field["name"]) in first_of_type:
        return SORTS + FILTERS
    return ("sort asc", FILTERS[position % len(FILTERS)])


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
