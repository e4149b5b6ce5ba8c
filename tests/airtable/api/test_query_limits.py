"""Mirror queries run with a time limit: a slow filter is a 422 problem, never a stuck worker."""

import time

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.airtable.exceptions import QueryTimeout
from apps.airtable.selectors.records import bounded_query

from ..conftest import connect, sync

API = "/api/v1/airtable/bases"


@pytest.fixture
def items(team_a, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(30)
    connect(team_a, server, sandbox.token)
    job = sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    assert job.status == "succeeded", job.error
    return sandbox


def test_redos_filter_answers_quickly_on_the_mirror(team_a, items, client_for):
    client = client_for(key=team_a.api_key(scopes=("read",)))
    started = time.monotonic()
    answer = client.get(f"{API}/{items.base_id}/tables/Items/records",
                        {"filterByFormula": "REGEX_MATCH(REPT('a', 30) & {Name}, '(a+)+$')"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["records"] == []
    assert time.monotonic() - started < 5


def test_filter_evaluated_past_the_deadline_is_a_422_problem(team_a, items, client_for,
                                                             settings):
    settings.MIRROR_QUERY_TIMEOUT_MS = 1
    client = client_for(key=team_a.api_key(scopes=("read",)))
    answer = client.get(f"{API}/{items.base_id}/tables/Items/records", {
        "filterByFormula": "REGEX_MATCH(REPT({Name}, 30000), '(x|y)+z')"})
    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "ERROR_QUERY_TIMEOUT"


def test_postgresql_cancels_a_statement_past_the_limit(team_a, settings):
    settings.MIRROR_QUERY_TIMEOUT_MS = 50
    with schema_context(team_a.tenant.schema_name):
        started = time.monotonic()
        with pytest.raises(QueryTimeout), bounded_query(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 2
        with connection.cursor() as cursor:  # the connection is usable afterwards
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
