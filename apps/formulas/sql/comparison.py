"""Airtable's comparisons of compiled values, and which sub-expressions are
constant: shared by the compiler and the function translations."""

from .. import ast
from .core import Sql, as_number, as_text, build, errors, iso_to_timestamp

RECORD_FUNCTIONS = frozenset({"RECORD_ID", "CREATED_TIME", "LAST_MODIFIED_TIME"})
NUMERIC_KINDS = frozenset({"number", "bool"})
COMPARISONS = frozenset({"=", "!=", "<", ">", "<=", ">="})
SQL_OPERATORS = {"=": "=", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
MIRRORED = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def is_constant(node):
    return not any(
        type(child) is ast.FieldRef or (type(child) is ast.Call and child.name in RECORD_FUNCTIONS)
        for child in ast.walk(node)
    )


def compare(op, left, right):
    """Airtable's comparison of two compiled values (see values.compare)."""
    err = errors(left, right)
    if left.kind == "array":
        left = as_text(left)
    if right.kind == "array":
        right = as_text(right)
    if "date" in (left.kind, right.kind):
        result = _compare_dates(op, _comparable_date(left), _comparable_date(right))
    elif left.kind in NUMERIC_KINDS and right.kind in NUMERIC_KINDS:
        result = _compare_numbers(op, as_number(left), as_number(right))
    elif left.kind in NUMERIC_KINDS:
        result = _compare_number_with_text(op, left, right)
    elif right.kind in NUMERIC_KINDS:
        result = _compare_number_with_text(MIRRORED[op], right, left)
    else:
        result = _compare_texts(op, as_text(left), as_text(right))
    return Sql(result.sql, result.params, kind="bool", nullable=False, err=err)


def _comparable_date(expr):
    if expr.kind == "date":
        return expr
    if expr.kind in ("text", "datestr"):
        return iso_to_timestamp(expr)
    return Sql("NULL::timestamptz", kind="date")


def _compare_dates(op, left, right):
    both_blank = "TRUE" if op in ("=", "<=", ">=") else "FALSE"
    one_blank = "TRUE" if op == "!=" else "FALSE"
    test = build(f"(@0 {SQL_OPERATORS[op]} @1)", left, right)
    if not (left.nullable or right.nullable):
        return test
    if left.nullable and right.nullable:
        return build(
            f"(CASE WHEN @0 IS NULL AND @1 IS NULL THEN {both_blank}"
            f" ELSE COALESCE(@2, {one_blank}) END)",
            left,
            right,
            test,
        )
    return build(f"COALESCE(@0, {one_blank})", test)


def _compare_numbers(op, left, right):
    sql_op = SQL_OPERATORS[op]
    if not (left.nan or right.nan):
        return build(f"(@0 {sql_op} @1)", left, right)
    # PostgreSQL orders NaN above everything; JavaScript says every comparison
    # with NaN is false (and != true).
    if op == "!=":
        return build(
            "(SELECT _a <> _b OR _a = 'NaN'::float8 OR _b = 'NaN'::float8"
            " FROM (SELECT @0 AS _a, @1 AS _b OFFSET 0) AS _c)",
            left,
            right,
        )
    return build(
        f"(SELECT _a {sql_op} _b AND _a <> 'NaN'::float8 AND _b <> 'NaN'::float8"
        " FROM (SELECT @0 AS _a, @1 AS _b OFFSET 0) AS _c)",
        left,
        right,
    )


def _compare_texts(op, left, right):
    return build(f'(@0 COLLATE "C" {SQL_OPERATORS[op]} @1 COLLATE "C")', left, right)


def _compare_number_with_text(op, number, other):
    numeric = _compare_numbers(op, as_number(number), as_number(other))
    if not number.nullable:
        return numeric
    # A blank number is not a number at runtime: it compares as "" with text.
    textual = _compare_texts(op, Sql("''", kind="text", nullable=False), as_text(other))
    return build("(CASE WHEN @0 IS NULL THEN @1 ELSE @2 END)", number, textual, numeric)
