"""With Redis unreachable, reads that only cache in it go to PostgreSQL, and what needs it
is a 503 problem to retry, never a 500 (tests/core/test_redis_restart.py restarts a real
Redis under a running web process and worker)."""

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.airtable import schema_cache
from apps.airtable.models import AirtableConnection, Base, Field, Table
from apps.core import throttling

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_away(settings):
    settings.CACHES = {**settings.CACHES, "default": {
        **settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    throttling._script = None
    schema_cache._l1.clear()
    yield
    throttling._script = None
    schema_cache._l1.clear()


def test_the_tables_of_a_base_are_read_from_the_mirror_while_redis_is_away(
        team_a, client_for, redis_away):
    with schema_context(team_a.tenant.schema_name):
        owner = AirtableConnection.objects.create(name="Away", token_encrypted="x")
        base = Base.objects.create(connection=owner, base_id="appRedisAway00001", name="Away",
                                   schema_synced_at=timezone.now())
        table = Table.objects.create(base=base, table_id="tblRedisAway00001", name="Items")
        Field.objects.create(table=table, field_id="fldRedisAway00001", name="Name",
                             type="singleLineText")
    key = team_a.api_key()
    answer = client_for(key=key).get(f"/api/v1/airtable/bases/{base.base_id}/tables")
    assert answer.status_code == 200, answer.content[:300]
    assert [item["name"] for item in answer.json()["results"]] == ["Items"]
