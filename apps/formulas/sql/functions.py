"""SQL translations of formula functions; each mirrors its Python implementation."""

from datetime import datetime

from .. import ast, dates
from ..errors import NotCompilable
from .comparison import compare, is_constant
from .core import (
    FALSE,
    WHITESPACE_LITERAL,
    Sql,
    array_join,
    as_number,
    as_text,
    build,
    errors,
    iso_to_timestamp,
    truthy,
)

FUNCTIONS = {}
MAX_PRECISION = 350
FLOAT8_MAX = "1.7976931348623157e308::numeric"


def translates(*names):
    def register(handler):
        for name in names:
            FUNCTIONS[name] = handler
        return handler

    return register


def _kind_of_branches(*branches):
    kinds = {branch.kind for branch in branches} - {"blank"}
    if kinds <= {"text", "datestr"} and len(kinds) == 2:
        return "text", None
    if len(kinds) > 1:
        raise NotCompilable("branches of different types")
    if not kinds:
        return "blank", None
    elements = {branch.element for branch in branches if branch.kind == "array"}
    if len(elements) > 1:
        raise NotCompilable("arrays of different item types")
    return kinds.pop(), (elements.pop() if elements else None)


def _integer(expr, limit=1_000_000_000):
    """Python's to_int: truncated, clamped, NaN is 0."""
    number = as_number(expr)
    clamped = f"trunc(LEAST(GREATEST(@0, -{limit}), {limit}))::int"
    if number.nan:
        return build(
            f"(CASE WHEN @0 = 'NaN'::float8 THEN 0 ELSE {clamped} END)", number, err=number.err
        )
    return build(f"({clamped})", number, err=number.err)


def _text_result(template, *parts, nullable=False):
    return build(template, *parts, kind="text", nullable=nullable, err=errors(*parts))


def _number_result(template, *parts, nan=False, nullable=False, extra_error=None):
    return build(
        template,
        *parts,
        kind="number",
        nullable=nullable,
        nan=nan,
        err=errors(*parts, extra=extra_error),
    )


# --- logical ---------------------------------------------------------------------------


@translates("IF")
def if_(compiler, args):
    condition = compiler.compile(args[0])
    then = compiler.compile(args[1])
    otherwise = compiler.compile(args[2]) if len(args) > 2 else Sql("NULL", kind="blank")
    return _choose(truthy(condition), condition.err, [(then, None)], otherwise)


def _choose(test, condition_error, cases, otherwise):
    """CASE over (result, test) pairs; ``test`` None uses the leading ``test``."""
    branches = [result for result, _ in cases] + [otherwise]
    kind, element = _kind_of_branches(*branches)
    parts, sql = [], ["(CASE"]
    for result, case_test in cases:
        parts.extend([case_test or test, result])
        sql.append(f" WHEN @{len(parts) - 2} THEN @{len(parts) - 1}")
    parts.append(otherwise)
    sql.append(f" ELSE @{len(parts) - 1} END)")
    value = build("".join(sql), *parts)
    err = None
    if any(branch.err is not None for branch in branches):
        err_parts, err_sql = [], ["(CASE"]
        for result, case_test in cases:
            err_parts.extend([case_test or test, result.err or FALSE])
            err_sql.append(f" WHEN @{len(err_parts) - 2} THEN @{len(err_parts) - 1}")
        err_parts.append(otherwise.err or FALSE)
        err_sql.append(f" ELSE @{len(err_parts) - 1} END)")
        err = build("".join(err_sql), *err_parts)
    if condition_error is not None:
        err = condition_error if err is None else build("(@0 OR @1)", condition_error, err)
    return Sql(
        value.sql,
        value.params,
        kind=kind,
        element=element,
        err=err,
        nan=any(branch.nan for branch in branches),
    )


@translates("SWITCH")
def switch(compiler, args):
    subject = compiler.compile(args[0])
    pairs = args[1:]
    cases = []
    for index in range(0, len(pairs) - 1, 2):
        if not is_constant(pairs[index]):
            raise NotCompilable("SWITCH with a computed pattern")
        pattern = compiler.compile(pairs[index])
        if pattern.err is not None:
            raise NotCompilable("SWITCH with an error pattern")
        matched = compare(
            "=",
            Sql(
                subject.sql,
                subject.params,
                kind=subject.kind,
                nullable=subject.nullable,
                nan=subject.nan,
                element=subject.element,
            ),
            pattern,
        )
        cases.append((compiler.compile(pairs[index + 1]), matched))
    otherwise = compiler.compile(pairs[-1]) if len(pairs) % 2 else Sql("NULL", kind="blank")
    return _choose(None, subject.err, cases, otherwise)


def _logical_arguments(compiler, args):
    values = [compiler.compile(arg) for arg in args]
    if any(value.kind == "array" for value in values):
        raise NotCompilable("logical functions over arrays")
    return values


def _junction(joiner):
    def translate(compiler, args):
        values = _logical_arguments(compiler, args)
        tests = [truthy(value) for value in values]
        sql = "(" + joiner.join(f"@{i}" for i in range(len(tests))) + ")"
        return build(sql, *tests, kind="bool", nullable=False, err=errors(*values))

    return translate


FUNCTIONS["AND"] = _junction(" AND ")
FUNCTIONS["OR"] = _junction(" OR ")


@translates("XOR")
def xor(compiler, args):
    values = _logical_arguments(compiler, args)
    tests = [truthy(value) for value in values]
    total = " + ".join(f"@{i}::int" for i in range(len(tests)))
    return build(f"(mod({total}, 2) = 1)", *tests, kind="bool", nullable=False, err=errors(*values))


@translates("NOT")
def not_(compiler, args):
    (value,) = _logical_arguments(compiler, args)
    return build("(NOT @0)", truthy(value), kind="bool", nullable=False, err=value.err)


@translates("ISERROR")
def iserror(compiler, args):
    value = compiler.compile(args[0])
    if value.err is None:
        return Sql("FALSE", kind="bool", nullable=False)
    return build("COALESCE(@0, FALSE)", value.err, kind="bool", nullable=False)


# --- text ---------------------------------------------------------------------------------


@translates("CONCATENATE")
def concatenate(compiler, args):
    texts = [as_text(compiler.compile(arg)) for arg in args]
    return _text_result("(" + " || ".join(f"@{i}" for i in range(len(texts))) + ")", *texts)


def _case(function):
    def translate(compiler, args):
        text = as_text(compiler.compile(args[0]))
        # ICU applies full Unicode case mapping, as Python's str.lower/upper do.
        return _text_result(f'{function}(@0 COLLATE "und-x-icu")', text)

    return translate


FUNCTIONS["LOWER"] = _case("lower")
FUNCTIONS["UPPER"] = _case("upper")


@translates("LEN")
def length(compiler, args):
    return _number_result("length(@0)::float8", as_text(compiler.compile(args[0])))


@translates("TRIM")
def trim(compiler, args):
    return _text_result(f"btrim(@0, {WHITESPACE_LITERAL})", as_text(compiler.compile(args[0])))


@translates("LEFT")
def left(compiler, args):
    text, count = as_text(compiler.compile(args[0])), _integer(compiler.compile(args[1]))
    return _text_result("left(@0, GREATEST(@1, 0))", text, count)


@translates("RIGHT")
def right(compiler, args):
    text, count = as_text(compiler.compile(args[0])), _integer(compiler.compile(args[1]))
    return _text_result(
        "(SELECT CASE WHEN _n > 0 THEN right(@0, _n) ELSE '' END"
        " FROM (SELECT @1 AS _n OFFSET 0) AS _c)",
        text,
        count,
    )


@translates("MID")
def mid(compiler, args):
    text = as_text(compiler.compile(args[0]))
    start, count = _integer(compiler.compile(args[1])), _integer(compiler.compile(args[2]))
    return _text_result("substr(@0, GREATEST(@1, 1), GREATEST(@2, 0))", text, start, count)


def _position(compiler, args):
    needle, haystack = as_text(compiler.compile(args[0])), as_text(compiler.compile(args[1]))
    start = _integer(compiler.compile(args[2])) if len(args) > 2 else Sql("1")
    return build(
        "(SELECT CASE WHEN _p = 0 THEN 0 ELSE _p + _st - 1 END"
        " FROM (SELECT strpos(substr(_h, _st), _n) AS _p, _st"
        " FROM (SELECT GREATEST(@2, 1) AS _st, @1 AS _h, @0 AS _n OFFSET 0) AS _a) AS _b)::float8",
        needle,
        haystack,
        start,
        err=errors(needle, haystack, start),
    )


@translates("FIND")
def find(compiler, args):
    found = _position(compiler, args)
    return Sql(found.sql, found.params, kind="number", nullable=False, err=found.err)


@translates("SEARCH")
def search(compiler, args):
    found = _position(compiler, args)
    return build("NULLIF(@0, 0)", found, kind="number", err=found.err)


@translates("SUBSTITUTE")
def substitute(compiler, args):
    if len(args) > 3:
        raise NotCompilable("SUBSTITUTE with an occurrence index")
    text, old, new = (as_text(compiler.compile(arg)) for arg in args)
    return _text_result("replace(@0, @1, @2)", text, old, new)


@translates("T")
def t(compiler, args):
    value = compiler.compile(args[0])
    if value.kind in ("text", "datestr"):
        return Sql(value.sql, value.params, kind="text", err=value.err)
    if value.kind == "array":
        raise NotCompilable("T() of an array")
    return Sql("NULL", kind="blank", err=value.err)


# --- numeric -------------------------------------------------------------------------------


@translates("ABS")
def abs_(compiler, args):
    number = as_number(compiler.compile(args[0]))
    return _number_result("abs(@0)", number, nan=number.nan)


@translates("INT")
def int_(compiler, args):
    number = as_number(compiler.compile(args[0]))
    return _number_result("floor(@0)", number, nan=number.nan)


def _whole(function):
    def translate(compiler, args):
        if len(args) > 1 and not (isinstance(args[1], ast.Number) and args[1].value == 1):
            raise NotCompilable(f"{function.upper()} with a significance")
        number = as_number(compiler.compile(args[0]))
        return _number_result(f"{function}(@0)", number, nan=number.nan)

    return translate


FUNCTIONS["CEILING"] = _whole("ceil")
FUNCTIONS["FLOOR"] = _whole("floor")


def _rounding(template):
    def translate(compiler, args):
        number = as_number(compiler.compile(args[0]))
        digits = _integer(compiler.compile(args[1]), MAX_PRECISION) if len(args) > 1 else Sql("0")
        # Shortest decimal spelling (float8::text) -> exact numeric rounding, as in Python.
        # A result beyond float8's range (ROUNDUP(5, -400)) is ±Infinity, as Python's
        # float(Decimal) gives, instead of an out-of-range error that fails the query.
        return _number_result(
            "(SELECT CASE WHEN abs(_v) > " + FLOAT8_MAX + " THEN sign(_v)::float8 * "
            "'Infinity'::float8 ELSE _v::float8 END FROM (SELECT "
            + template
            + " AS _v FROM (SELECT (@0)::text::numeric AS _n, @1 AS _d OFFSET 0) AS _r) AS _w)",
            number,
            digits,
            nan=number.nan,
        )

    return translate


FUNCTIONS["ROUND"] = _rounding("round(_n, _d)")
FUNCTIONS["ROUNDDOWN"] = _rounding("trunc(_n, _d)")
FUNCTIONS["ROUNDUP"] = _rounding(
    "CASE WHEN trunc(_n, _d) = _n THEN _n"
    " ELSE trunc(_n, _d) + sign(_n) * power(10::numeric, -_d) END"
)


@translates("SQRT")
def sqrt(compiler, args):
    number = as_number(compiler.compile(args[0]))
    return _number_result(
        "(SELECT CASE WHEN _x < 0 THEN 'NaN'::float8 ELSE sqrt(_x) END"
        " FROM (SELECT @0 AS _x OFFSET 0) AS _s)",
        number,
        nan=True,
    )


def _numeric_arguments(compiler, args):
    """Arguments of the aggregate functions, which count numbers and booleans only."""
    values = []
    for arg in args:
        value = compiler.compile(arg)
        if value.kind in ("blank",) or (value.kind == "text" and value.sql == "%s::text"):
            if value.err is not None:
                raise NotCompilable("an error among aggregate arguments")
            continue
        if value.kind not in ("number", "bool"):
            raise NotCompilable(f"aggregating a {value.kind} value")
        if value.kind == "bool":
            value = build(
                "(CASE WHEN @0 THEN 1::float8 WHEN NOT @0 THEN 0::float8 END)",
                value,
                kind="number",
                nullable=value.nullable,
                err=value.err,
            )
        values.append(value)
    return values


@translates("SUM")
def sum_(compiler, args):
    values = _numeric_arguments(compiler, args)
    if not values:
        return _number_result("0::float8")
    total = " + ".join(f"COALESCE(@{i}, 0)" for i in range(len(values)))
    return _number_result(f"({total})", *values, nan=any(v.nan for v in values))


@translates("AVERAGE")
def average(compiler, args):
    values = _numeric_arguments(compiler, args)
    if not values:
        return _number_result("0::float8")
    total = " + ".join(f"COALESCE(@{i}, 0)" for i in range(len(values)))
    count = " + ".join(f"(@{i} IS NOT NULL)::int" for i in range(len(values)))
    return _number_result(
        f"COALESCE(({total}) / NULLIF({count}, 0), 0)", *values, nan=any(v.nan for v in values)
    )


def _extreme(function):
    def translate(compiler, args):
        values = _numeric_arguments(compiler, args)
        if any(value.nan for value in values):
            raise NotCompilable(f"{function} over values that may be NaN")
        if not values:
            return _number_result("0::float8")
        listed = ", ".join(f"@{i}" for i in range(len(values)))
        return _number_result(f"COALESCE({function}({listed}), 0)", *values)

    return translate


FUNCTIONS["MAX"] = _extreme("GREATEST")
FUNCTIONS["MIN"] = _extreme("LEAST")


@translates("COUNT")
def count(compiler, args):
    values = _numeric_arguments(compiler, args)
    if not values:
        return _number_result("0::float8")
    total = " + ".join(f"(@{i} IS NOT NULL)::int" for i in range(len(values)))
    return _number_result(f"({total})::float8", *values)


# --- dates ------------------------------------------------------------------------------------


def _date(compiler, node):
    """A date argument. Text fields are not compiled because Python parses them loosely;
    constant text ('2026-06-01', 'June 1, 2026') is parsed here, once, the way Python
    parses it, and becomes a timestamp parameter."""
    value = compiler.compile(node)
    if value.kind == "date":
        return value
    if value.kind == "datestr":
        return iso_to_timestamp(value)
    if value.kind == "text" and is_constant(node):
        moment = dates.to_datetime(compiler.fold(node))
        if isinstance(moment, datetime):
            return compiler.literal(moment)
    raise NotCompilable(f"a {value.kind} value used as a date")


def _date_result(template, *dates_, kind="number", nullable=False):
    missing = " OR ".join(f"@{i} IS NULL" for i in range(len(dates_)))
    err = errors(*dates_, extra=build(f"({missing})", *dates_))
    # The template is NULL exactly when a date is missing, which is the error case.
    return build(template, *dates_, kind=kind, nullable=nullable, err=err, null_is_error=True)


def _dates(compiler, args):
    return [_date(compiler, arg) for arg in args]


@translates("IS_BEFORE")
def is_before(compiler, args):
    return _date_result("(@0 < @1)", *_dates(compiler, args[:2]), kind="bool")


@translates("IS_AFTER")
def is_after(compiler, args):
    return _date_result("(@0 > @1)", *_dates(compiler, args[:2]), kind="bool")


@translates("DATETIME_DIFF")
def datetime_diff(compiler, args):
    unit = "seconds"
    if len(args) > 2:
        if not isinstance(args[2], ast.String):
            raise NotCompilable("DATETIME_DIFF with a computed unit")
        unit = args[2].value
    unit = dates.normalize_unit(unit.strip()) or "ms"
    if unit not in dates.UNIT_MICROSECONDS:
        raise NotCompilable("DATETIME_DIFF in calendar units")
    later, earlier = _dates(compiler, args[:2])
    return _date_result(
        "trunc((extract(epoch FROM @0) - extract(epoch FROM @1)) * 1000000"
        f" / {dates.UNIT_MICROSECONDS[unit]})::float8",
        later,
        earlier,
    )


def _component(field, compiler, args):
    (moment,) = _dates(compiler, args[:1])
    return _date_result(
        f"floor(extract({field} FROM @0 AT TIME ZONE {_zone(compiler)}))::float8", moment
    )


def _zone(compiler):
    return "'" + compiler.sql_timezone.replace("'", "''").replace("%", "%%") + "'"


for _name, _field in {
    "YEAR": "year",
    "MONTH": "month",
    "DAY": "day",
    "HOUR": "hour",
    "MINUTE": "minute",
    "SECOND": "second",
}.items():
    FUNCTIONS[_name] = (lambda field: lambda compiler, args: _component(field, compiler, args))(
        _field
    )


@translates("WEEKDAY")
def weekday(compiler, args):
    monday = False
    if len(args) > 1:
        if not isinstance(args[1], ast.String):
            raise NotCompilable("WEEKDAY with a computed start day")
        monday = args[1].value.strip().lower() == "monday"
    (moment,) = _dates(compiler, args[:1])
    dow = f"extract(dow FROM @0 AT TIME ZONE {_zone(compiler)})"
    return _date_result(f"mod({dow}::int + 6, 7)::float8" if monday else f"{dow}::float8", moment)


@translates("DATESTR")
def datestr(compiler, args):
    (moment,) = _dates(compiler, args)
    return _date_result(
        f"to_char(@0 AT TIME ZONE {_zone(compiler)}, 'YYYY-MM-DD')", moment, kind="text"
    )


@translates("TIMESTR")
def timestr(compiler, args):
    (moment,) = _dates(compiler, args)
    return _date_result(
        f"to_char(@0 AT TIME ZONE {_zone(compiler)}, 'HH24:MI:SS')", moment, kind="text"
    )


# --- record ------------------------------------------------------------------------------------


@translates("RECORD_ID")
def record_id(compiler, args):
    return compiler.record_column("record_id", "text")


@translates("CREATED_TIME")
def created_time(compiler, args):
    return compiler.record_column("created_time", "date")


@translates("LAST_MODIFIED_TIME")
def last_modified_time(compiler, args):
    return compiler.record_column("last_modified_time", "date")


# --- arrays ------------------------------------------------------------------------------------


@translates("ARRAYJOIN")
def arrayjoin(compiler, args):
    value = compiler.compile(args[0])
    separator = (
        as_text(compiler.compile(args[1]))
        if len(args) > 1
        else Sql("', '", kind="text", nullable=False)
    )
    if value.kind != "array":
        return as_text(value)
    joined = build("COALESCE(" + array_join(value, "@1") + ", '')", value, separator)
    return Sql(joined.sql, joined.params, kind="text", nullable=False, err=errors(value, separator))
