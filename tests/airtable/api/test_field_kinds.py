"""One query per field kind on a base of 2,000 items (tests/support/field_kinds.py),
through the records API: every answer equals the sandbox's record for record, and none
reaches Airtable. bench/airtable_agreement.py runs the same queries on 100,000 items."""

import pytest
from django_tenants.utils import schema_context

from apps.airtable.models import AirtableConnection
from apps.sandbox.services import token_create
from tests.support.field_kinds import KIND_QUERIES, base_make, queries

from ..conftest import Sandbox, connect, sync
from .test_field_matrix import CLOSED, _page_through

RECORDS = 2000


@pytest.fixture(scope="module")
def kinds_base(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        owner, raw = token_create(name="field kinds")
        return base_make(owner, RECORDS), raw


def test_one_query_per_field_kind_agrees_with_the_sandbox(
        kinds_base, team_a, server, client_for, settings, django_capture_on_commit_callbacks):
    base_id, token = kinds_base
    sandbox = Sandbox(server.url, token, base_id)
    connect(team_a, server, token)
    job = sync(team_a, base_id, capture=django_capture_on_commit_callbacks)
    assert (job.status, job.created_count) == ("succeeded", RECORDS + RECORDS // 100)
    cases = queries(RECORDS)
    assert len(cases) == len(KIND_QUERIES) + 1
    expected = [(kind, params, sandbox.all("Items", **params)) for kind, params in cases]
    settings.AIRTABLE_RETRY_ATTEMPTS = 1
    with schema_context(team_a.tenant.schema_name):
        AirtableConnection.objects.update(endpoint_url=CLOSED)
    client = client_for(jwt=team_a.jwt())
    url = f"/api/v1/airtable/bases/{base_id}/tables/Items/records"
    assert not [kind for kind, _params, answer in expected if not answer]
    disagreed = []
    for kind, params, answer in expected:
        got = _page_through(client, url, params)
        if got != answer:
            detail = got if isinstance(got, str) else f"{len(got)} records, sandbox {len(answer)}"
            disagreed.append(f"{kind} {params['filterByFormula']}: {detail}")
    assert not disagreed, "\n".join(disagreed)
