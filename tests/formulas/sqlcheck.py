"""Run compiled formulas in PostgreSQL next to the Python evaluator."""

import json
import math
from datetime import datetime

from apps.formulas import ErrorValue, FieldSpec, NotCompilable, evaluate, parse
from apps.formulas.sql import compile_error, compile_filter, compile_sql
from apps.formulas.values import is_truthy, to_airtable_json

CASE_FIELD_MAP = {
    **{
        name: FieldSpec(name, "singleLineText")
        for name in ("Name", "Notes", "Status", "NumText", "Email", "Amount", "Empty", "Brace}d")
    },
    **{
        name: FieldSpec(name, "number")
        for name in ("Age", "Price", "Qty", "Zero", "Negative", "Sales Tax")
    },
    "Done": FieldSpec("Done", "checkbox"),
    "Undone": FieldSpec("Undone", "checkbox"),
    "Due": FieldSpec("Due", "date"),
    "Start": FieldSpec("Start", "dateTime"),
    "Tags": FieldSpec("Tags", "multipleSelects"),
    "Dupes": FieldSpec("Dupes", "multipleSelects"),
    "Sparse": FieldSpec("Sparse", "multipleSelects"),
    "Links": FieldSpec("Links", "multipleRecordLinks"),
    "Scores": FieldSpec("Scores", "multipleLookupValues", {"result": {"type": "number"}}),
    "Broken": FieldSpec("Broken", "formula", {"result": {"type": "number"}}),
    "NotANumber": FieldSpec("NotANumber", "formula", {"result": {"type": "number"}}),
    "Owner": FieldSpec("Owner", "singleCollaborator"),
    "Photos": FieldSpec("Photos", "multipleAttachments"),
    "Nested": FieldSpec(
        "Nested", "multipleLookupValues", {"result": {"type": "multipleLookupValues"}}
    ),
}

CREATE_TABLE = (
    "CREATE TEMP TABLE {table} (record_id text, created_time timestamptz,"
    " last_modified_time timestamptz, fields jsonb) ON COMMIT DROP"
)


def create_table(cursor, table, rows):
    """``rows``: (record_id, created_time, last_modified_time, fields) tuples."""
    cursor.execute(CREATE_TABLE.format(table=table))
    for record_id, created, modified, fields in rows:
        cursor.execute(
            f"INSERT INTO {table} VALUES (%s, %s, %s, %s::jsonb)",
            [record_id, created, modified, json.dumps(fields)],
        )


def sql_value(cursor, table, formula, field_map, record_id, **options):
    """(value, is_error) of ``formula`` for one row, computed by PostgreSQL."""
    parsed = parse(formula)
    value_sql, value_params = compile_sql(parsed, field_map, **options)
    error_sql, error_params = compile_error(parsed, field_map, **options)
    cursor.execute(
        f"SELECT {value_sql}, {error_sql} FROM {table} WHERE record_id = %s",
        [*value_params, *error_params, record_id],
    )
    return cursor.fetchone()


def sql_matches(cursor, table, formula, field_map, **options):
    condition, params = compile_filter(parse(formula), field_map, **options)
    cursor.execute(f"SELECT record_id FROM {table} WHERE {condition} ORDER BY record_id", params)
    return [row[0] for row in cursor.fetchall()]


def agree(python_value, sql_result):
    """Whether PostgreSQL's (value, is_error) is what the Python evaluator returned."""
    value, is_error = sql_result
    if isinstance(python_value, ErrorValue):
        return bool(is_error)
    if is_error:
        return False
    if python_value is None or python_value == "":
        return value is None or value == "" or value == []
    if isinstance(python_value, bool):
        return value is python_value
    if isinstance(python_value, float):
        return isinstance(value, float) and (
            value == python_value or (math.isnan(value) and math.isnan(python_value))
        )
    if isinstance(python_value, datetime):
        return isinstance(value, datetime) and value == python_value
    if isinstance(python_value, list):
        # Django hands jsonb back undecoded; plain psycopg decodes it.
        return to_airtable_json(python_value) == (
            json.loads(value) if isinstance(value, str) else value
        )
    return python_value == value


def compare_case(cursor, table, formula, record, record_id, context, field_map=CASE_FIELD_MAP):
    """None when the formula isn't compilable, else (python value, sql result, agreed)."""
    sql_options = {"timezone": context["timezone"], "now": context["now"]}
    try:
        result = sql_value(cursor, table, formula, field_map, record_id, **sql_options)
    except NotCompilable:
        return None
    python_value = evaluate(formula, record, **context)
    matched = sql_matches(cursor, table, formula, field_map, **sql_options)
    filter_agrees = (record_id in matched) == is_truthy(python_value)
    return python_value, result, agree(python_value, result) and filter_agrees
