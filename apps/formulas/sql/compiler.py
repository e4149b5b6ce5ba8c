"""Formula syntax tree to PostgreSQL, agreeing with the Python evaluator.

Every construct either compiles to SQL whose result equals what
:func:`apps.formulas.evaluate` returns for the same record, or raises
:class:`NotCompilable`. Sub-expressions without field references are computed
once in Python and inlined, so e.g. ``DATEADD(TODAY(), 7, 'days')`` costs
nothing per row.
"""

import json
import math
from datetime import datetime, timedelta

from .. import ast, dates
from ..errors import NotCompilable
from ..evaluator import CompiledFormula
from ..values import UTC, ErrorValue
from ..values import compare as python_compare
from .comparison import COMPARISONS, MIRRORED, SQL_OPERATORS, compare, is_constant
from .core import (
    Sql,
    as_number,
    as_text,
    build,
    errors,
    number_literal,
    truthy,
)
from .fields import column_ref, read_field, text_order_key
from .functions import FUNCTIONS


class Compiler:
    def __init__(self, field_map, *, column="fields", table_alias=None, timezone="UTC", now=None):
        self.field_map = field_map
        self.column_sql = column_ref(column, table_alias)
        self.prefix = f"{table_alias}." if table_alias else ""
        self.timezone = timezone or "UTC"
        self.now = now or datetime.now(UTC)
        self.sql_timezone = "UTC" if self.timezone.upper() in ("UTC", "GMT", "Z") else self.timezone

    # --- values ---------------------------------------------------------------------

    def compile(self, node):
        if is_constant(node):
            return self.literal(self.fold(node))
        kind = type(node)
        if kind is ast.FieldRef:
            spec = self.field_map[node.name]
            return read_field(spec, self.column_sql)
        if kind is ast.Unary:
            operand = as_number(self.compile(node.operand))
            return build(
                "(-@0)", operand, kind="number", nullable=False, nan=operand.nan, err=operand.err
            )
        if kind is ast.Binary:
            return self.binary(node)
        handler = FUNCTIONS.get(node.name)
        if handler is None:
            raise NotCompilable(f"{node.name}() has no SQL translation")
        return handler(self, node.args)

    def fold(self, node):
        formula = ast.Formula("", node, frozenset())
        return CompiledFormula(formula).evaluate({}, now=self.now, timezone=self.timezone)

    def literal(self, value):
        if value is None:
            return Sql("NULL", kind="blank")
        if type(value) is ErrorValue:
            return Sql("NULL", kind="blank", err=Sql("TRUE"))
        if type(value) is bool:
            return Sql("TRUE" if value else "FALSE", kind="bool", nullable=False)
        if type(value) is float:
            return number_literal(value)
        if type(value) is str:
            return Sql("%s::text", (value,), kind="text", nullable=value == "")
        if isinstance(value, datetime):
            return Sql("%s::timestamptz", (value,), kind="date", nullable=False)
        if type(value) is list:
            if all(type(item) is str for item in value):
                element = "text"
            elif all(type(item) is float and math.isfinite(item) for item in value):
                element = "number"
            else:
                raise NotCompilable("an array of mixed values")
            return Sql(
                "%s::jsonb", (json.dumps(value),), kind="array", element=element, nullable=False
            )
        raise NotCompilable(f"a constant {type(value).__name__}")

    def record_column(self, name, kind):
        return Sql(f"{self.prefix}{name}", kind=kind)

    def binary(self, node):
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        if op in COMPARISONS:
            return compare(op, left, right)
        if op == "&":
            a, b = as_text(left), as_text(right)
            return build("(@0 || @1)", a, b, kind="text", nullable=False, err=errors(a, b))
        a, b = as_number(left), as_number(right)
        nan = a.nan or b.nan
        if op == "/":
            zero = build("(@0 = 0)", b)
            return build(
                "(@0 / NULLIF(@1, 0))", a, b, kind="number", nan=nan, err=errors(a, b, extra=zero)
            )
        return build(
            f"(@0 {op} @1)", a, b, kind="number", nullable=False, nan=nan, err=errors(a, b)
        )

    # --- conditions -----------------------------------------------------------------

    def condition(self, node):
        """Boolean SQL true exactly where the formula's value is truthy.

        At the top of a filter a NULL counts as false, which lets comparisons of
        a field with a constant stay in the plain ``expr > const`` shape that an
        expression index serves.
        """
        if type(node) is ast.Call and node.name in ("AND", "OR") and not is_constant(node):
            values = [self.compile(arg) for arg in node.args]
            if any(value.kind == "array" for value in values):
                raise NotCompilable("AND/OR over arrays")
            parts = [self.condition(arg) for arg in node.args]
            joiner = " AND " if node.name == "AND" else " OR "
            combined = build("(" + joiner.join(f"@{i}" for i in range(len(parts))) + ")", *parts)
            err = errors(*values)
            if node.name == "OR" and err is not None:
                combined = build("(@0 AND NOT @1)", combined, err)
            return combined
        if type(node) is ast.Binary and node.op in COMPARISONS:
            simple = self.indexable_comparison(node)
            if simple is not None:
                return simple
        test = truthy(self.compile(node))
        bound = self.date_bound(node)
        if bound is None:
            bound = self.containment_bound(node)
        return build("(@0 AND @1)", bound, test) if bound is not None else test

    def containment_bound(self, node):
        """FIND/SEARCH of a constant in a text field, alone or `> 0`: the field must contain
        the constant, which a LIKE states in a form trigram indexes serve. The exact test
        still follows it."""
        if type(node) is ast.Binary and node.op == ">" and is_constant(node.right) \
                and self.fold(node.right) == 0.0:
            node = node.left
        if type(node) is not ast.Call or node.name not in ("FIND", "SEARCH") \
                or type(node.args[1]) is not ast.FieldRef or not is_constant(node.args[0]):
            return None
        needle = self.fold(node.args[0])
        haystack = self.compile(node.args[1])
        if type(needle) is not str or not needle or haystack.kind != "text":
            return None
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        return Sql(f"({haystack.sql} LIKE %s)", (pattern,), kind="bool", nullable=False)

    def date_bound(self, node):
        """For IS_AFTER/IS_BEFORE of a date field and a constant date, a looser condition
        on the field's text order key that an index on it can serve. An ISO 8601 text is
        at most a day away from its instant (offsets are under 24 hours), so a value after
        C has a date no earlier than C - 1 day, and one before C a date before C + 2 days;
        the exact test still follows it."""
        if type(node) is not ast.Call or node.name not in ("IS_AFTER", "IS_BEFORE") \
                or len(node.args) != 2:
            return None
        (first, second), after = node.args, node.name == "IS_AFTER"
        if type(first) is not ast.FieldRef:
            first, second, after = second, first, not after
        if type(first) is not ast.FieldRef or not is_constant(second):
            return None
        field = self.compile(first)
        moment = dates.to_datetime(self.fold(second))
        if field.kind != "datestr" or not isinstance(moment, datetime):
            return None
        key, moment = text_order_key(field.sql), moment.astimezone(UTC)
        try:
            if after:
                return Sql(f"({key} >= %s)", ((moment - timedelta(days=1)).date().isoformat(),),
                           kind="bool", nullable=False)
            return Sql(f"({key} < %s)", ((moment + timedelta(days=2)).date().isoformat(),),
                       kind="bool", nullable=False)
        except OverflowError:  # within a day of year 1 or 9999: no bound
            return None

    def indexable_comparison(self, node):
        field, constant, op = node.left, node.right, node.op
        if type(field) is not ast.FieldRef:
            field, constant, op = node.right, node.left, MIRRORED[node.op]
        if type(field) is not ast.FieldRef or not is_constant(constant):
            return None
        value = self.compile(field)
        literal = self.compile(constant)
        if value.err is not None or value.nan or literal.err is not None:
            return None
        if value.kind == "number" and literal.kind == "number" and not literal.nan:
            blank_matches = compare_python(op, 0.0, self.fold(constant))
        elif (
            value.kind == "text"
            and literal.kind == "text"
            and op in ("=", "!=")
            and literal.nullable is False
        ):
            blank_matches = op == "!="
        else:
            return None
        test = build(f"(@0 {SQL_OPERATORS[op]} @1)", value, literal)
        if blank_matches:
            test = build("(@0 OR @1 IS NULL)", test, value)
        return test


def compare_python(op, left, right):
    return python_compare(op, left, right) is True
