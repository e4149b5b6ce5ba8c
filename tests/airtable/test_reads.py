"""Selectors only read; the read services do what a read calls for: load a
schema never read, refresh one that misses a new table, queue a sync of a
stale table."""

import pytest
from django_tenants.utils import schema_context

from apps.airtable import selectors, services
from apps.airtable.exceptions import SchemaNotLoaded, TableNotFound
from apps.airtable.models import SyncJob

from .conftest import ITEMS_TABLE, connect, sync

pytestmark = pytest.mark.django_db


def test_a_base_never_read_is_loaded_by_the_service_not_the_selector(team_a, server,
                                                                      make_base):
    sandbox = make_base(3)
    connect(team_a, server, sandbox.token)
    with schema_context(team_a.tenant.schema_name):
        with pytest.raises(SchemaNotLoaded) as refused:
            selectors.table_list(base_id=sandbox.base_id)
        assert (refused.value.status, refused.value.code) == (503, "ERROR_SCHEMA_NOT_LOADED")
        tables = services.table_list(base_id=sandbox.base_id)
        assert [table["name"] for table in tables] == ["Items"]
        assert [table["name"] for table in selectors.table_list(base_id=sandbox.base_id)] == \
            ["Items"]


def test_a_table_new_in_airtable_is_found_by_the_service_after_a_refresh(
        team_a, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(3)
    connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    made = sandbox.http.post(f"/meta/bases/{sandbox.base_id}/tables",
                             json={**ITEMS_TABLE, "name": "Later"})
    assert made.status_code == 200, made.text
    with schema_context(team_a.tenant.schema_name):
        with pytest.raises(TableNotFound):
            selectors.record_list(base_id=sandbox.base_id, table="Later")
        with django_capture_on_commit_callbacks() as queued:
            page = services.record_list(base_id=sandbox.base_id, table="Later")
        assert page["records"] == []  # never synced: read live from Airtable
        assert len(queued) == 1  # and its sync is queued
        job = SyncJob.objects.get(base__base_id=sandbox.base_id, status="queued")
        assert job.trigger == "stale-read"


def test_a_stale_read_queues_a_sync_through_the_service_only(
        team_a, server, make_base, django_capture_on_commit_callbacks):
    sandbox = make_base(3)
    connect(team_a, server, sandbox.token)
    sync(team_a, sandbox.base_id, capture=django_capture_on_commit_callbacks)
    with schema_context(team_a.tenant.schema_name):
        read = selectors.record_page(base_id=sandbox.base_id, table="Items", max_age=0)
        assert read.sync_due and len(read.page["records"]) == 3
        assert not SyncJob.objects.filter(trigger="stale-read").exists()
        services.record_list(base_id=sandbox.base_id, table="Items", max_age=0)
        assert SyncJob.objects.filter(trigger="stale-read", status="queued").count() == 1
