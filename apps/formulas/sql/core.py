"""SQL fragments with their formula type, and the coercions between types.

A compiled expression is an :class:`Sql`: PostgreSQL text with ``%s``
placeholders, its parameters, and what the value is at runtime:

=========  ====================================  =======================
kind       SQL type                              blank is
=========  ====================================  =======================
number     double precision (JavaScript double)  NULL
text       text                                  NULL or ''
datestr    text holding an ISO date (date and    NULL
           dateTime fields stay text, as in the
           Python evaluator, until a date
           operation needs a timestamp)
date       timestamptz                           NULL
bool       boolean                               NULL (empty checkbox)
array      jsonb array of text or numbers        NULL
blank      NULL                                  always
=========  ====================================  =======================

``err`` is a boolean SQL fragment that is true where the value is
``#ERROR!`` (None: never). ``nan`` marks numbers that may be NaN or
Infinity, which PostgreSQL orders differently from JavaScript.
"""

import re
from dataclasses import dataclass, field

from ..errors import NotCompilable
from ..values import WHITESPACE

PLACEHOLDER = re.compile(r"@(\d+)")
WHITESPACE_LITERAL = "E'" + "".join(f"\\u{ord(c):04x}" for c in WHITESPACE) + "'"
NUMERIC_TEXT_REGEX = r"'^[+-]?([0-9]{1,255}(\.[0-9]{0,255})?|\.[0-9]{1,255})$'"
ISO_REGEX = (
    r"'^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$'"
)


@dataclass(frozen=True)
class Sql:
    sql: str
    params: tuple = ()
    kind: str = "text"
    nullable: bool = True
    nan: bool = False
    err: "Sql | None" = None
    element: str | None = field(default=None)  # kind of an array's items
    source: str | None = None  # for field reads: the cheap unguarded text form
    null_is_error: bool = False  # NULL exactly where err is true (strict date functions)


def raw(text, params=()):
    return Sql(text, tuple(params), kind="raw")


def build(template, *parts, **attributes):
    """Fill ``@0``, ``@1``... in ``template`` with fragments, keeping params in order."""
    pieces, params = [], []
    position = 0
    for match in PLACEHOLDER.finditer(template):
        pieces.append(template[position : match.start()])
        part = parts[int(match.group(1))]
        pieces.append(part.sql)
        params.extend(part.params)
        position = match.end()
    pieces.append(template[position:])
    attributes.setdefault("kind", "raw")
    return Sql("".join(pieces), tuple(params), **attributes)


def quote_literal(text):
    # Inlined (not a parameter) so expression indexes can match; '%' is doubled
    # because the statement is run with psycopg parameters.
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def number_literal(number):
    return Sql(
        f"'{float(number)!r}'::float8",
        kind="number",
        nullable=False,
        nan=number != number or number in (float("inf"), float("-inf")),
    )


FALSE = raw("FALSE")
TRUE = raw("TRUE")


def errors(*parts, extra=None):
    """The error condition of an expression built from ``parts``."""
    conditions = [part.err for part in parts if part.err is not None]
    if extra is not None:
        conditions.append(extra)
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return build("(" + " OR ".join(f"@{i}" for i in range(len(conditions))) + ")", *conditions)


# --- coercions ------------------------------------------------------------------------


def as_number(expr):
    """Arithmetic operand: blank is 0, booleans 1/0, text like JavaScript's Number()."""
    kind = expr.kind
    if kind == "number":
        return (
            expr
            if not expr.nullable
            else build(
                "COALESCE(@0, 0)", expr, kind="number", nullable=False, nan=expr.nan, err=expr.err
            )
        )
    if kind == "bool":
        return build(
            "(CASE WHEN @0 THEN 1 ELSE 0 END)::float8",
            expr,
            kind="number",
            nullable=False,
            err=expr.err,
        )
    if kind in ("text", "datestr"):
        return build(
            "(SELECT CASE WHEN _s = '' THEN 0::float8 WHEN _s ~ "
            + NUMERIC_TEXT_REGEX
            + " THEN _s::float8 ELSE 'NaN'::float8 END FROM (SELECT btrim(COALESCE(@0, ''), "
            + WHITESPACE_LITERAL
            + ") AS _s OFFSET 0) AS _n)",
            expr,
            kind="number",
            nullable=False,
            nan=True,
            err=expr.err,
        )
    if kind == "blank":
        return Sql("0::float8", kind="number", nullable=False, err=expr.err)
    raise NotCompilable(f"a {kind} value used as a number")


def number_text(number_sql):
    """JavaScript's Number.prototype.toString() of a non-null float8, from its shortest digits."""
    return build(
        "(SELECT CASE WHEN _v = 0 THEN '0' WHEN _t !~ 'e' THEN _t ELSE ("
        "SELECT CASE"
        " WHEN _e >= 21 THEN _sign"
        " || CASE WHEN length(_d) > 1 THEN left(_d, 1) || '.' || substr(_d, 2)"
        " ELSE _d END || 'e+' || _e"
        " WHEN _e >= 0 THEN _sign || CASE WHEN length(_d) <= _e + 1 THEN rpad(_d, _e + 1, '0')"
        " ELSE left(_d, _e + 1) || '.' || substr(_d, _e + 2) END"
        " WHEN _e >= -6 THEN _sign || '0.' || repeat('0', -_e - 1) || _d"
        " ELSE _sign || CASE WHEN length(_d) > 1 THEN left(_d, 1) || '.' || substr(_d, 2)"
        " ELSE _d END || 'e-' || (-_e) END"
        " FROM (SELECT CASE WHEN left(_t, 1) = '-' THEN '-' ELSE '' END AS _sign,"
        " replace(replace(split_part(_t, 'e', 1), '-', ''), '.', '') AS _d,"
        " split_part(_t, 'e', 2)::int AS _e OFFSET 0) AS _p) END"
        " FROM (SELECT _v, _v::text AS _t FROM (SELECT @0 AS _v OFFSET 0) AS _q0) AS _q)",
        number_sql,
        kind="text",
    )


def as_text(expr):
    """Text operand (never NULL): what ``&`` and the text functions see."""
    kind = expr.kind
    if kind in ("text", "datestr"):
        return (
            build("COALESCE(@0, '')", expr, kind="text", nullable=False, err=expr.err)
            if expr.nullable
            else expr
        )
    if kind == "number":
        text = number_text(expr)
        if expr.nullable:
            return build(
                "CASE WHEN @0 IS NULL THEN '' ELSE @1 END",
                expr,
                text,
                kind="text",
                nullable=False,
                err=expr.err,
            )
        return Sql(text.sql, text.params, kind="text", nullable=False, err=expr.err)
    if kind == "bool":
        return build(
            "CASE WHEN @0 IS NULL THEN '' WHEN @0 THEN '1' ELSE '0' END",
            expr,
            kind="text",
            nullable=False,
            err=expr.err,
        )
    if kind == "date":
        return build(
            "COALESCE(to_char(@0 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')",
            expr,
            kind="text",
            nullable=False,
            err=expr.err,
        )
    if kind == "array":
        return build(
            "COALESCE(" + array_join(expr, "', '") + ", '')",
            expr,
            kind="text",
            nullable=False,
            err=expr.err,
        )
    if kind == "blank":
        return Sql("''", kind="text", nullable=False, err=expr.err)
    raise NotCompilable(f"a {kind} value used as text")


def array_join(expr, separator_sql):
    """SQL text (with ``@0`` for the array) joining its items like ARRAYJOIN."""
    if expr.element == "number":
        item = (
            "CASE WHEN jsonb_typeof(_e) = 'number' THEN "
            + number_text(raw("(_e)::float8")).sql
            + " ELSE COALESCE(_e #>> '{}', '') END"
        )
    else:
        item = "COALESCE(_e #>> '{}', '')"
    return (
        f"(SELECT string_agg({item}, {separator_sql} ORDER BY _o)"
        " FROM jsonb_array_elements(@0) WITH ORDINALITY AS _a(_e, _o))"
    )


def truthy(expr):
    """Non-null boolean: Airtable truthiness, false for errors."""
    kind = expr.kind
    if kind == "number":
        test = "(@0 <> 0 AND @0 <> 'NaN'::float8)" if expr.nan else "(@0 <> 0)"
        value = build(f"COALESCE({test}, FALSE)", expr) if expr.nullable else build(test, expr)
    elif kind in ("text", "datestr"):
        value = build("COALESCE(@0 <> '', FALSE)", expr)
    elif kind == "bool":
        value = build("COALESCE(@0, FALSE)", expr) if expr.nullable or expr.null_is_error else expr
    elif kind == "date":
        value = build("(@0 IS NOT NULL)", expr)
    elif kind == "array":
        value = build("COALESCE(jsonb_array_length(@0) > 0, FALSE)", expr)
    elif kind == "blank":
        value = FALSE
    else:
        raise NotCompilable(f"truthiness of a {kind} value")
    if expr.err is not None and not (expr.null_is_error and kind == "bool"):
        value = build("(@0 AND NOT @1)", value, expr.err)
    return Sql(value.sql, value.params, kind="bool", nullable=False)


# An ISO 8601 date-time the regex accepted, from its parts: immutable (so it can be indexed),
# and any offset Python accepts (up to ±23:59; a timestamptz cast refuses beyond ±15:59).
_ISO_PARTS = (
    "timezone('UTC', make_timestamp(substr(@0, 1, 4)::int, substr(@0, 6, 2)::int,"
    " substr(@0, 9, 2)::int, substr(@0, 12, 2)::int, substr(@0, 15, 2)::int,"
    " COALESCE(substring(@0 from '^.{16}:([0-9]{2}(?:[.][0-9]+)?)')::float8, 0))"
    " - make_interval(mins => (CASE WHEN @0 ~ '[+-][0-9]{2}:[0-9]{2}$' THEN"
    " (CASE WHEN substr(@0, length(@0) - 5, 1) = '-' THEN -1 ELSE 1 END)"
    " * (substr(@0, length(@0) - 4, 2)::int * 60 + substr(@0, length(@0) - 1, 2)::int)"
    " ELSE 0 END)))"
)


def iso_to_timestamp(text_sql):
    """Guarded cast of ISO 8601 text to timestamptz: NULL unless it is a valid date.

    Inline (no subquery, so parallel scans stay possible), with a regex-free
    fast path for the plain dates that date fields hold.
    """
    if not text_sql.source:
        # The guard repeats its input many times: evaluate a computed text once.
        inner = iso_to_timestamp(Sql("", kind="text", source="_s"))
        return build(
            "(SELECT " + inner.sql + " FROM (SELECT @0 AS _s OFFSET 0) AS _i)",
            text_sql,
            kind="date",
            err=text_sql.err,
        )
    source = Sql(text_sql.source, kind="text")
    days_in_month = (
        "CASE WHEN substr(@0, 6, 2) IN ('04', '06', '09', '11') THEN 30"
        " WHEN substr(@0, 6, 2) = '02' THEN CASE WHEN (mod(substr(@0, 1, 4)::int, 4) = 0"
        " AND mod(substr(@0, 1, 4)::int, 100) <> 0) OR mod(substr(@0, 1, 4)::int, 400) = 0"
        " THEN 29 ELSE 28 END ELSE 31 END"
    )
    return build(
        "(CASE WHEN length(@0) = 10 THEN (CASE WHEN translate(@0, '0123456789', '') = '--'"
        " AND substr(@0, 5, 1) = '-' AND substr(@0, 8, 1) = '-'"
        " THEN (CASE WHEN substr(@0, 1, 4) <> '0000'"
        " AND substr(@0, 6, 2)::int BETWEEN 1 AND 12 AND substr(@0, 9, 2)::int BETWEEN 1 AND "
        + days_in_month
        + " THEN (@0::timestamp AT TIME ZONE 'UTC') END) END)"
        " WHEN @0 ~ "
        + ISO_REGEX
        + " THEN (CASE WHEN substr(@0, 9, 2)::int <= "
        + days_in_month
        + " THEN "
        + _ISO_PARTS
        + " END) END)",
        source,
        kind="date",
        err=text_sql.err,
    )
