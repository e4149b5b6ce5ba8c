"""Index builds on the mirror outside a transaction (as the worker runs them)."""

import threading

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from apps.airtable.models import AirtableConnection, Base, FieldIndex, Table
from apps.airtable.services.indexes import field_index_ensure
from apps.formulas import FieldSpec
from tests.conftest import committed_team

pytestmark = pytest.mark.django_db

FIELDS = {"Name": FieldSpec("Name", "singleLineText"), "Qty": FieldSpec("Qty", "number")}


@pytest.fixture(scope="module")
def tables(django_db_setup, django_db_blocker):
    """Four tables of one base, committed, in a tenant of this module's own."""
    with django_db_blocker.unblock():
        team = committed_team("index-race")
        schema = team.tenant.schema_name
        with schema_context(schema):
            owner = AirtableConnection.objects.create(name="Race", token_encrypted="x")
            base = Base.objects.create(connection=owner, base_id="appRace0000000001", name="R")
            rows = [Table.objects.create(base=base, table_id=f"tblRace000000000{n}", name=f"T{n}")
                    for n in range(4)]
    return schema, rows


def _valid_indexes(schema: str) -> dict[str, bool]:
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, i.indisvalid FROM pg_index i "
                       "JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relnamespace = %s::regnamespace "
                       "AND c.relname LIKE 'airtable_rx_%%'", [schema])
        return dict(cursor.fetchall())


def test_builds_of_several_tables_at_once_all_finish_valid(tables):
    """Concurrent expression-index builds on the one mirror table deadlock in PostgreSQL
    unless they take turns; every index ends built and valid, none is lost."""
    schema, rows = tables
    start, failures = threading.Barrier(len(rows)), []

    def build(table):
        try:
            start.wait()
            with schema_context(schema):
                field_index_ensure(table=table, field_name="Name", field_map=FIELDS)
                field_index_ensure(table=table, field_name="Qty", field_map=FIELDS)
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=build, args=(table,)) for table in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert failures == []
    with schema_context(schema):
        names = [name for entry in FieldIndex.objects.filter(table__in=rows)
                 for name in entry.index_names]
    indexes = _valid_indexes(schema)
    assert len(names) == len(rows) * 5  # Name: value, order, trigram; Qty: value, order
    assert {name: indexes.get(name) for name in names} == {name: True for name in names}


def test_an_invalid_leftover_is_rebuilt(tables):
    """A build that failed half-way leaves an invalid index; the next ensure replaces it."""
    schema, rows = tables
    table = rows[0]
    with schema_context(schema):
        entry = field_index_ensure(table=table, field_name="Name", field_map=FIELDS)
        name = entry.index_names[0]
        with connection.cursor() as cursor:
            cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = "
                           "(SELECT oid FROM pg_class WHERE relname = %s "
                           "AND relnamespace = %s::regnamespace)", [name, schema])
        assert _valid_indexes(schema)[name] is False
        entry.index_names = []
        entry.save(update_fields=["index_names"])

        field_index_ensure(table=table, field_name="Name", field_map=FIELDS)

    assert _valid_indexes(schema)[name] is True
