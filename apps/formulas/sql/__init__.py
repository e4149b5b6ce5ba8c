"""Compile formulas to PostgreSQL over the record mirror.

Mirror contract
---------------
A mirrored record is a row with at least these columns::

    record_id           text          -- "rec..."; RECORD_ID()
    created_time        timestamptz   -- CREATED_TIME()
    last_modified_time  timestamptz   -- LAST_MODIFIED_TIME()
    fields              jsonb         -- {"Field name": <Airtable JSON value>, ...}

Keys of ``fields`` are Airtable field *names*; values are exactly what the
Airtable API returns (empty fields absent). ``field_map`` maps each field name
to a :class:`FieldSpec` with the Airtable type (and, for formula, rollup and
lookup fields, ``options={"result": {"type": ...}}``).

Compiled SQL uses psycopg ``%s`` placeholders: always execute it with the
returned params, even when empty (a ``%`` inside a field name is escaped as
``%%``). Every cast is guarded, so a malformed value reads as blank instead of
failing the query. Results agree with :func:`apps.formulas.evaluate`;
anything without an exact translation raises :class:`NotCompilable`.
"""

from ..ast import Formula
from ..errors import FormulaError
from ..parser import check_fields, parse
from .compiler import Compiler
from .core import as_text
from .fields import (
    FieldSpec,
    LinkTarget,
    column_ref,
    link_sort_key,
    object_label,
    read_field,
    sort_key,
    text_order_key,
)

__all__ = [
    "FieldSpec",
    "LinkTarget",
    "compile_error",
    "compile_filter",
    "compile_sort_key",
    "compile_sql",
    "index_expression",
    "link_sort_key",
    "object_label",
    "text_order_key",
    "text_search_expression",
]


def _prepare(formula, field_map, column, table_alias, timezone, now):
    formula = formula if isinstance(formula, Formula) else parse(formula)
    check_fields(formula.root, field_map)
    compiler = Compiler(
        field_map, column=column, table_alias=table_alias, timezone=timezone, now=now
    )
    return formula, compiler


def compile_sql(formula, field_map, *, column="fields", table_alias=None, timezone="UTC", now=None):
    """SQL expression of the formula's value: ``(sql, params)``.

    Numbers are ``double precision``, text ``text``, dates ``timestamptz``,
    booleans ``boolean``, arrays ``jsonb``; blank is NULL. Rows where the
    formula evaluates to ``#ERROR!`` yield NULL; use :func:`compile_error` to
    tell them apart.
    """
    formula, compiler = _prepare(formula, field_map, column, table_alias, timezone, now)
    value = compiler.compile(formula.root)
    if value.kind == "datestr":
        value = as_text(value)
    if value.err is None:
        return value.sql, list(value.params)
    guarded = f"(CASE WHEN {value.err.sql} THEN NULL ELSE {value.sql} END)"
    return guarded, list(value.err.params) + list(value.params)


def compile_error(
    formula, field_map, *, column="fields", table_alias=None, timezone="UTC", now=None
):
    """Boolean SQL: true where the formula evaluates to ``#ERROR!``."""
    formula, compiler = _prepare(formula, field_map, column, table_alias, timezone, now)
    value = compiler.compile(formula.root)
    if value.err is None:
        return "FALSE", []
    return f"COALESCE({value.err.sql}, FALSE)", list(value.err.params)


def compile_filter(
    formula, field_map, *, column="fields", table_alias=None, timezone="UTC", now=None
):
    """Boolean SQL condition matching the records for which the formula is truthy.

    Same truthiness as :func:`apps.formulas.is_truthy` (errors and blanks do
    not match), for ``WHERE``.
    """
    formula, compiler = _prepare(formula, field_map, column, table_alias, timezone, now)
    condition = compiler.condition(formula.root)
    return condition.sql, list(condition.params)


def compile_sort_key(field_name, field_map, *, column="fields", table_alias=None):
    """ORDER BY expression for one field by its natural type: ``(sql, params)``."""
    spec = _spec(field_name, field_map)
    key = sort_key(spec, column_ref(column, table_alias))
    return key.sql, list(key.params)


def index_expression(field_name, field_map, *, column="fields"):
    """The expression compiled filters use to read a field.

    ``CREATE INDEX ... ON mirror ((<expression>))`` lets PostgreSQL serve
    ``{Field} > 2`` or ``{Status} = 'Done'`` filters from the index. The table
    must not be aliased in the filter for the index to match.
    """
    value = read_field(_spec(field_name, field_map), column)
    return value.sql


def text_search_expression(field_name, field_map, *, column="fields"):
    """The text expression FIND() and SEARCH() filters bound with LIKE (a trigram index
    on it serves them), or None when the field is not read as text."""
    value = read_field(_spec(field_name, field_map), column)
    return value.sql if value.kind == "text" else None


def _spec(field_name, field_map):
    if field_name not in field_map:
        check_fields(
            parse("{" + field_name.replace("\\", "\\\\").replace("}", "\\}") + "}").root, field_map
        )
        raise FormulaError(f"Unknown field {{{field_name}}}")
    return field_map[field_name]
