"""The three layers of the schema cache, on the real Redis."""

from django.db import connection

from apps.airtable import schema_cache


def test_layers_and_invalidation(db):
    loads = []

    def loader():
        loads.append(1)
        return {"tables": [{"name": f"version {len(loads)}"}]}

    first = schema_cache.base_schema_get("appCACHE", loader)
    assert schema_cache.base_schema_get("appCACHE", loader) is first  # in-process
    assert len(loads) == 1

    schema_cache._l1.clear()  # another process: empty memory, same Redis
    assert schema_cache.base_schema_get("appCACHE", loader) == first
    assert len(loads) == 1

    schema_cache.invalidate("appCACHE")  # a sync or a schema write, in any process
    fresh = schema_cache.base_schema_get("appCACHE", loader)
    assert fresh["tables"][0]["name"] == "version 2"


def test_entries_belong_to_one_tenant(team_a, team_b):
    from django_tenants.utils import schema_context

    with schema_context(team_a.tenant.schema_name):
        schema_cache.base_schema_get("appSHARED", lambda: {"owner": "alpha"})
    with schema_context(team_b.tenant.schema_name):
        seen = schema_cache.base_schema_get("appSHARED", lambda: {"owner": "bravo"})
        assert seen == {"owner": "bravo"}
        assert connection.schema_name == team_b.tenant.schema_name
