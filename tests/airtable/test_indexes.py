"""Index builds on the mirror outside a transaction (as the worker runs them)."""

import threading

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from apps.airtable.models import AirtableConnection, Base, FieldIndex, Table
from apps.airtable.services.indexes import field_index_ensure
from apps.airtable.services.mirror import RECORD_TABLE
from apps.formulas import FieldSpec, compile_filter, parse
from tests.conftest import committed_team

from .conftest import connect, sync

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


PERCENT_TABLE = {
    "name": "Growth",
    "fields": [
        {"name": "100% done", "type": "singleLineText"},
        {"name": "Growth %", "type": "number", "options": {"precision": 1}},
    ],
}


def _explain(schema: str, table: Table, formula: str, field_map: dict) -> str:
    """The plan of the mirror's own filter query, with sequential scans priced out so that
    any index on the expression the filter reads is taken."""
    condition, params = compile_filter(parse(formula), field_map)
    with schema_context(schema), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT record_id FROM {RECORD_TABLE} "
                       f"WHERE table_id = %s AND ({condition})", [table.pk, *params])
        return "\n".join(row[0] for row in cursor.fetchall())


def test_fields_named_with_percent_signs_are_indexed_on_their_own_key(
        team_a, server, make_base, client_for, settings, django_capture_on_commit_callbacks):
    """A `%` in a field name is doubled in SQL meant for parameters; an index built from that
    SQL without parameters was keyed on `Growth %%`, a key no record has, and no filter
    used it."""
    settings.AIRTABLE_INDEX_AFTER_USES = 2
    sandbox = make_base(0)
    made = sandbox.http.post(f"/meta/bases/{sandbox.base_id}/tables", json=PERCENT_TABLE)
    assert made.status_code == 200, made.text
    for start in range(0, 40, 10):
        batch = [{"fields": {"100% done": f"step {index}", "Growth %": index / 2}}
                 for index in range(start, start + 10)]
        assert sandbox.http.post(f"/{sandbox.base_id}/Growth",
                                 json={"records": batch}).status_code == 200
    connect(team_a, server, sandbox.token)
    assert sync(team_a, sandbox.base_id, full=True,
                capture=django_capture_on_commit_callbacks).status == "succeeded"
    client = client_for(jwt=team_a.jwt())
    url = f"/api/v1/airtable/bases/{sandbox.base_id}/tables/Growth/records"
    with django_capture_on_commit_callbacks(execute=True):
        for bound in (3, 4):
            answer = client.get(url, {"filterByFormula": f"{{Growth %}} > {bound}"})
            assert answer.status_code == 200, answer.content
    assert len(answer.json()["records"]) == 31  # 4.5 .. 19.5

    schema = team_a.tenant.schema_name
    with schema_context(schema):
        table = Table.objects.get(base__base_id=sandbox.base_id, name="Growth")
        entries = {entry.field_name: entry.index_names for entry in table.field_indexes.all()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes "
                           "WHERE schemaname = current_schema() AND indexname = ANY(%s)",
                           [[name for names in entries.values() for name in names]])
            definitions = dict(cursor.fetchall())
        field_map = {item.name: FieldSpec(item.name, item.type, item.options)
                     for item in table.fields.all()}
    assert set(entries) == {"100% done", "Growth %"}
    assert definitions and not any("%%" in item for item in definitions.values()), definitions
    assert all(f"table_id = {table.pk}" in item for item in definitions.values())
    assert any("'Growth %'" in item for item in definitions.values())
    assert any("'100% done'" in item for item in definitions.values())
    for formula, field in (("{Growth %} > 4", "Growth %"),
                           ("{100% done} = 'step 7'", "100% done")):
        plan = _explain(schema, table, formula, field_map)
        assert any(name in plan for name in entries[field]), plan
