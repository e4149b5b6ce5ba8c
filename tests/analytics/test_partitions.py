"""The events table is partitioned by month, in every tenant schema and in the template."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.analytics import partitions
from apps.analytics.services import event_record, partitions_maintain
from tests.analytics.helpers import ingest, rows

pytestmark = pytest.mark.django_db


def _months(schema_name):
    return partitions.partitions_of(schema_name)


def _kind(schema_name):
    return rows(schema_name, "SELECT c.relkind, pg_get_partkeydef(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = 'analytics_event'", [schema_name])


def test_a_cloned_tenant_has_the_partitioned_table_and_next_month(team_a):
    this_month = partitions.month_start(timezone.now().date())
    for schema_name in (settings.TENANT_BASE_SCHEMA, team_a.tenant.schema_name):
        assert _kind(schema_name) == [("p", 'RANGE ("timestamp")')]
        months = _months(schema_name)
        assert partitions.month_add(this_month, 1) in months
        assert this_month in months
    default = rows(team_a.tenant.schema_name,
                   "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "WHERE pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'")
    assert default == [(0,)]


def test_maintenance_creates_months_ahead_and_drops_expired(team_a):
    schema_name = team_a.tenant.schema_name
    old = partitions.month_add(partitions.month_start(timezone.now().date()), -30)
    assert partitions.partition_create(schema_name, old)
    event_record(type="auth.login", schema_name=schema_name, user_id=team_a.owner.pk,
                 data={"method": "api"}, timestamp=dt.datetime(old.year, old.month, 3,
                                                                tzinfo=dt.UTC))
    assert ingest() == 1
    later = timezone.now().date() + dt.timedelta(days=70)
    report = partitions_maintain(today=later)
    connection.set_schema_to_public()
    months = _months(schema_name)
    assert old not in months
    assert report[schema_name]["dropped"] == [old.isoformat()]
    assert partitions.month_add(partitions.month_start(later), settings.
                                ANALYTICS_PARTITION_MONTHS_AHEAD) in months
    assert rows(schema_name, "SELECT count(*) FROM {schema}.analytics_event") == [(0,)]
    # The template gets them too, so tenants cloned later start with them.
    assert partitions.month_add(partitions.month_start(later), 1) in _months(
        settings.TENANT_BASE_SCHEMA)


def test_an_event_of_a_month_without_partition_gets_its_partition(team_a):
    schema_name = team_a.tenant.schema_name
    moment = timezone.now() - dt.timedelta(days=62)
    month = partitions.month_start(moment)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{schema_name}".{partitions.partition_name(month)}')
    event_record(type="auth.login", schema_name=schema_name, user_id=team_a.owner.pk,
                 data={"method": "api"}, timestamp=moment)
    assert ingest() == 1
    assert month in _months(schema_name)
    assert rows(schema_name, "SELECT type FROM {schema}.analytics_event") == [("auth.login",)]
