"""A sync against an Airtable that hangs: connections that are accepted and never
answered time out, are retried, and the sync ends with every record once."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.airtable.models import Record
from tests.support.faults import TcpProxy

from .conftest import connect, mirror_records, sync

pytestmark = pytest.mark.django_db


def test_hanging_connections_time_out_and_the_sync_finishes_once(
        team_a, server, make_base, settings, django_capture_on_commit_callbacks):
    sandbox = make_base(450)
    # Every third connection to "Airtable" is accepted and never answered.
    hanging = TcpProxy(server.port, hang=lambda number: number % 3 == 2)
    try:
        settings.AIRTABLE_TIMEOUT_READ_SECONDS = 1.0
        settings.AIRTABLE_RETRY_ATTEMPTS = 4
        connect(team_a, hanging, sandbox.token)
        job = sync(team_a, sandbox.base_id, full=True, capture=django_capture_on_commit_callbacks)
    finally:
        hanging.close()
    assert job.status == "succeeded", job.error
    assert hanging.hung >= 1
    assert job.created_count == 450
    with schema_context(team_a.tenant.schema_name):
        ids = list(Record.objects.filter(table__base__base_id=sandbox.base_id)
                   .values_list("record_id", flat=True))
    assert len(ids) == len(set(ids)) == 450
    assert mirror_records(team_a, sandbox.base_id, "Items") == sandbox.all("Items")
