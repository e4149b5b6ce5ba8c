"""Evaluate formulas in Python.

A parsed formula is compiled once into a tree of closures (one per syntax node,
specialised for its operator and argument count), so evaluating a record is a
few direct calls instead of a walk over the syntax tree. Compiled formulas are
cached by source text.
"""

from datetime import datetime
from functools import lru_cache

from . import ast
from .dates import zone as find_zone
from .errors import FormulaError
from .functions import REGISTRY
from .parser import check_fields, parse
from .values import ERROR, UTC, ErrorValue, compare, from_json, parse_iso, to_number, to_text

_ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}
_COMPARISON_OPERATORS = {"=", "!=", "<", ">", "<=", ">="}


class Context:
    """What a formula may read besides the record's fields."""

    __slots__ = ("created_time", "last_modified_time", "now", "record_id", "zone")

    def __init__(self, record_id, created_time, last_modified_time, now, zone):
        self.record_id = record_id
        self.created_time = created_time
        self.last_modified_time = last_modified_time
        self.now = now
        self.zone = zone


class CompiledFormula:
    __slots__ = ("formula", "function", "needs_context")

    def __init__(self, formula):
        self.formula = formula
        self.function = _compile(formula.root)
        self.needs_context = any(
            isinstance(node, ast.Call) and REGISTRY[node.name].context
            for node in ast.walk(formula.root)
        )

    def __call__(self, fields, **context):
        return self.evaluate(fields, **context)

    def evaluate(
        self,
        fields,
        *,
        record_id=None,
        created_time=None,
        last_modified_time=None,
        now=None,
        timezone="UTC",
    ):
        context = None
        if self.needs_context:
            context = make_context(record_id, created_time, last_modified_time, now, timezone)
        return self.function(fields if fields is not None else {}, context)


def make_context(record_id, created_time, last_modified_time, now, timezone):
    zone = find_zone(timezone or "UTC")
    if zone is None:
        raise FormulaError(f"Unknown time zone {timezone!r}")
    return Context(
        record_id,
        _moment(created_time),
        _moment(last_modified_time),
        _moment(now) or datetime.now(UTC),
        zone,
    )


def _moment(value):
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return parse_iso(value)


@lru_cache(maxsize=2048)
def compiled(formula):
    """The compiled form of a formula text, parsed once per process (LRU cached)."""
    return CompiledFormula(parse(formula))


def evaluate(
    formula,
    fields=None,
    *,
    record_id=None,
    created_time=None,
    last_modified_time=None,
    now=None,
    timezone="UTC",
    known_fields=None,
):
    """Evaluate ``formula`` (text or a parsed formula) over one record's ``fields``.

    ``fields`` maps field names to values in Airtable's JSON shapes; an absent
    field is blank. With ``known_fields``, references to other names raise
    :class:`FormulaError` as :func:`parse` does.
    """
    program = compiled(formula) if type(formula) is str else _compiled_formula(formula)
    if known_fields is not None:
        check_fields(program.formula.root, known_fields)
    context = None
    if program.needs_context:
        context = make_context(record_id, created_time, last_modified_time, now, timezone)
    return program.function(fields if fields is not None else {}, context)


def _compiled_formula(formula):
    if not isinstance(formula, ast.Formula):
        raise FormulaError("evaluate() needs formula text or the result of parse()")
    return compiled(formula.source)


# --- compilation to closures -----------------------------------------------------------


def _compile(node):
    kind = type(node)
    if kind is ast.Number or kind is ast.String or kind is ast.Boolean:
        return _constant(node.value)
    if kind is ast.FieldRef:
        return _field(node.name)
    if kind is ast.Unary:
        return _negate(_compile(node.operand))
    if kind is ast.Binary:
        return _binary(node.op, _compile(node.left), _compile(node.right))
    return _call(node)


def _constant(value):
    def constant(fields, context):
        return value

    constant.constant = value
    return constant


def _field(name):
    def read(fields, context):
        value = fields.get(name)
        kind = type(value)
        if kind is float or kind is str or value is None or kind is bool:
            return value
        return from_json(value)

    return read


def _negate(operand):
    def negate(fields, context):
        value = operand(fields, context)
        if type(value) is not float:
            value = to_number(value)
            if type(value) is ErrorValue:
                return value
        return -value

    return _fold(negate, operand)


def _binary(op, left, right):
    if op in _COMPARISON_OPERATORS:
        node = _comparison(op, left, right)
    elif op == "&":

        def node(fields, context):
            a, b = left(fields, context), right(fields, context)
            if type(a) is ErrorValue:
                return a
            if type(b) is ErrorValue:
                return b
            return to_text(a) + to_text(b)
    elif op == "/":

        def node(fields, context):
            a, b = _numbers(left(fields, context), right(fields, context))
            if type(a) is ErrorValue:
                return a
            if b == 0:
                return ERROR
            return a / b
    else:
        operate = _ARITHMETIC[op]

        def node(fields, context):
            a, b = left(fields, context), right(fields, context)
            if type(a) is float and type(b) is float:
                return operate(a, b)
            a, b = _numbers(a, b)
            if type(a) is ErrorValue:
                return a
            return operate(a, b)

    return _fold(node, left, right)


def _numbers(a, b):
    """Both operands as numbers, or (error, None)."""
    if type(a) is not float:
        a = to_number(a)
        if type(a) is ErrorValue:
            return a, None
    if type(b) is not float:
        b = to_number(b)
        if type(b) is ErrorValue:
            return b, None
    return a, b


def _comparison(op, left, right):
    right_constant = getattr(right, "constant", None)
    if type(right_constant) is float and op in (">", "<", ">=", "<="):
        # The common filter shape {Field} > 2: skip the generic dispatch.
        fast = _COMPARE_CONSTANT[op]

        def compare_to_constant(fields, context):
            a = left(fields, context)
            if type(a) is float:
                return fast(a, right_constant)
            return compare(op, a, right_constant)

        return compare_to_constant

    def node(fields, context):
        return compare(op, left(fields, context), right(fields, context))

    return node


_COMPARE_CONSTANT = {
    ">": float.__gt__,
    "<": float.__lt__,
    ">=": float.__ge__,
    "<=": float.__le__,
}


def _call(node):
    spec = REGISTRY[node.name]
    args = [_compile(arg) for arg in node.args]
    impl = spec.impl
    if spec.lazy:

        def call(fields, context):
            return impl(fields, context, args)

        return call
    if spec.context:

        def call(fields, context):
            values = [arg(fields, context) for arg in args]
            if not spec.errors:
                for value in values:
                    if type(value) is ErrorValue:
                        return value
            return impl(context, *values)

        return call
    if len(args) == 1 and not spec.errors:
        (only,) = args

        def call(fields, context):
            value = only(fields, context)
            if type(value) is ErrorValue:
                return value
            return impl(value)
    elif spec.errors:

        def call(fields, context):
            return impl(*[arg(fields, context) for arg in args])
    else:

        def call(fields, context):
            values = [arg(fields, context) for arg in args]
            for value in values:
                if type(value) is ErrorValue:
                    return value
            return impl(*values)

    return _fold(call, *args)


def _fold(function, *operands):
    """Pre-compute a pure node whose operands are all constants."""
    if all(hasattr(operand, "constant") for operand in operands):
        return _constant(function({}, None))
    return function
