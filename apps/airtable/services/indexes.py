"""Expression indexes on the mirror, made where queries need them.

The GIN index on `fields` serves containment only; comparisons and ORDER BY
on a field need an index on the exact expression apps.formulas compiles for
that field. The rule (docs/airtable.md): every table's primary field is
indexed when the table is first synced; any other field once it has been
used AIRTABLE_INDEX_AFTER_USES times in filters or sorts. Each index is
partial (`WHERE table_id = <id>`), so it only holds that table's rows.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone
from django_redis import get_redis_connection

from apps.core.jobs import enqueue_on_commit
from apps.formulas import FieldSpec, FormulaError, NotCompilable
from apps.formulas.sql import index_expression, text_search_expression

from ..models import Field, FieldIndex, Table
from ..selectors.sorting import Unsortable, sort_keys
from .mirror import RECORD_TABLE

logger = logging.getLogger(__name__)
USES_SECONDS = 7 * 24 * 3600
DDL_LOCK_KEY = "airtable:mirror-ddl-lock"
DDL_LOCK_SECONDS = 1800


def _index_name(table: Table, field_name: str, expression: str) -> str:
    digest = hashlib.sha256(f"{table.pk}\x1f{field_name}\x1f{expression}".encode()).hexdigest()
    return f"airtable_rx_{table.pk}_{digest[:20]}"


def _statistics_name(index_name: str) -> str:
    return index_name.replace("airtable_rx_", "airtable_sx_", 1)


def _expressions(field_name: str, field_map: dict) -> list[tuple[str, str | None]]:
    """(index body, expression to keep statistics of): the expression filters
    read, and the first key sorts order by (blanks first, as Airtable sorts
    ascending; a backward scan serves descending)."""
    found: dict[str, str | None] = {}
    try:
        expression = index_expression(field_name, field_map)
        found[f"(({expression}))"] = expression
    except (NotCompilable, FormulaError):
        pass
    try:
        keys, params = sort_keys(field_map[field_name])
        if not params:
            found.setdefault(f"(({keys[0]}) NULLS FIRST)", None)
    except Unsortable:
        pass
    try:
        text = text_search_expression(field_name, field_map)
    except (NotCompilable, FormulaError):
        text = None
    if text is not None and trigram_available():
        found.setdefault(f"USING gin (({text}) gin_trgm_ops)", None)
    return list(found.items())


def trigram_available() -> bool:
    """Whether pg_trgm is installed (apps/tenants migration 0002; it may be refused)."""
    available = cache.get("airtable:pg_trgm")
    if available is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            available = cursor.fetchone() is not None
        cache.set("airtable:pg_trgm", available, 3600)
    return available


def _execute_ddl(statement: str) -> None:
    """Run a statement built from compiled expressions. Those are written for parameter
    binding (a `%` in a field name is `%%`), so the statement is sent with an empty
    parameter list, which turns `%%` back into `%`: sent bare, an index on `Growth %` was
    keyed on `Growth %%`."""
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # DDL on a table is refused while this transaction still owes deferred
            # foreign-key checks on it (rows written earlier in the same transaction).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(statement, [])
            return
        # Outside a transaction, build without locking out writers (a sync may be running).
        with _ddl_turn():
            cursor.execute(statement.replace("INDEX ", "INDEX CONCURRENTLY ", 1), [])


def _ddl_turn():
    """One concurrent index build or ANALYZE of the mirror at a time in the whole
    database, behind a Redis lock, so that waiting for it holds no snapshot. Two builds,
    or a build and an ANALYZE, each wait for the other's transaction (the build for every
    snapshot to end, the ANALYZE for the build's lock), and PostgreSQL ends one as a
    deadlock."""
    return get_redis_connection("default").lock(
        DDL_LOCK_KEY, timeout=DDL_LOCK_SECONDS, blocking_timeout=DDL_LOCK_SECONDS)


def _drop_if_invalid(name: str) -> None:
    """A concurrent build that failed leaves an invalid index behind, which
    `CREATE INDEX IF NOT EXISTS` would then take for done."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace"
                       " AND NOT i.indisvalid", [name])
        invalid = cursor.fetchone() is not None
    if invalid:
        _execute_ddl(f'DROP INDEX IF EXISTS "{name}"')


def _index_create(name: str, statement: str) -> None:
    _drop_if_invalid(name)
    try:
        _execute_ddl(statement)
    except DatabaseError:
        if not connection.in_atomic_block:
            _drop_if_invalid(name)
        raise


def field_index_ensure(*, table: Table, field_name: str, field_map: dict) -> FieldIndex | None:
    """Create the field's expression indexes for this table, once."""
    entry, built = _field_index_build(table=table, field_name=field_name, field_map=field_map)
    if built:
        # Statistics of the new expressions, without which the planner ignores the index.
        mirror_analyze()
    return entry


def _field_index_build(*, table: Table, field_name: str,
                       field_map: dict) -> tuple[FieldIndex | None, bool]:
    """The field's indexes made (no ANALYZE: the caller runs one for all it built, each
    taking seconds on a large mirror); and whether any is new."""
    if field_name not in field_map:
        return None, False
    entry, _ = FieldIndex.objects.get_or_create(table=table, field_name=field_name)
    names = []
    for expression, statistics in _expressions(field_name, field_map):
        name = _index_name(table, field_name, expression)
        names.append(name)
        if name in entry.index_names:
            continue
        _index_create(name, f'CREATE INDEX IF NOT EXISTS "{name}" ON {RECORD_TABLE} '
                            f"{expression} WHERE table_id = {int(table.pk)}")
        if statistics:
            # A partial index gives the planner no statistics of its expression; without
            # them it guesses 0.5 % of rows match and picks slow plans.
            _execute_ddl(f'CREATE STATISTICS IF NOT EXISTS "{_statistics_name(name)}" '
                         f"ON table_id, ({statistics}) FROM {RECORD_TABLE}")
    stale = [name for name in entry.index_names if name not in names]
    for name in stale:
        _execute_ddl(f'DROP INDEX IF EXISTS "{name}"')
        _execute_ddl(f'DROP STATISTICS IF EXISTS "{_statistics_name(name)}"')
    built = bool(set(names) - set(entry.index_names))
    if names != entry.index_names:
        entry.index_names = names
        entry.indexed_at = timezone.now()
        entry.save(update_fields=["index_names", "indexed_at"])
    return entry, built


def field_indexes_ensure(*, wanted: dict[int, list[str]]) -> None:
    """Build the indexes of these fields of these tables (`{table_pk: [field name]}`, what
    the job of that name runs), then one ANALYZE for all of them; nothing for a table
    that has gone since the job was queued."""
    built = False
    for table in Table.objects.filter(pk__in=list(wanted)):
        field_map = {item.name: FieldSpec(item.name, item.type, item.options)
                     for item in Field.objects.filter(table=table)}
        for name in wanted[table.pk]:
            built |= _field_index_build(table=table, field_name=name, field_map=field_map)[1]
    if built:
        # Statistics of the new expressions, without which the planner ignores the index.
        mirror_analyze()


def field_index_drop(*, table: Table, field_name: str) -> None:
    entry = FieldIndex.objects.filter(table=table, field_name=field_name).first()
    if entry is None:
        return
    for name in entry.index_names:
        _execute_ddl(f'DROP INDEX IF EXISTS "{name}"')
        _execute_ddl(f'DROP STATISTICS IF EXISTS "{_statistics_name(name)}"')
    entry.delete()


def mirror_analyze() -> None:
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {RECORD_TABLE}")
            return
        with _ddl_turn():
            cursor.execute(f"ANALYZE {RECORD_TABLE}")


def field_uses_record(*, schema_name: str, table_pk: int, base_id: str,
                      field_names: set[str]) -> list[str]:
    """Count filter/sort uses in Redis; returns the fields that just reached the
    threshold (and enqueues their index build)."""
    names = sorted(field_names)
    if not names:
        return []
    # One round trip for every field of the read: start each counter (with its expiry)
    # if it is new, then count the use.
    pipe = get_redis_connection("default").pipeline(transaction=False)
    for name in names:
        key = (f"airtable:field-uses:{schema_name}:{table_pk}:"
               f"{hashlib.sha256(name.encode()).hexdigest()[:16]}")
        pipe.set(key, 0, ex=USES_SECONDS, nx=True)
        pipe.incr(key)
    counts = pipe.execute()[1::2]
    due = [name for name, uses in zip(names, counts, strict=True)
           if uses == settings.AIRTABLE_INDEX_AFTER_USES]
    if due:
        enqueue_on_commit("airtable.field_indexes_ensure", schema_name=schema_name,
                          table_pk=table_pk, field_names=due)
    return due
