"""Property: for random formulas over random records, PostgreSQL agrees with Python."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.formulas import FieldSpec, NotCompilable, evaluate, is_truthy, parse
from apps.formulas.sql import compile_error, compile_filter, compile_sql

from .sqlcheck import CREATE_TABLE, agree

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
FIELDS = {
    "N": FieldSpec("N", "number"),
    "M": FieldSpec("M", "currency"),
    "T": FieldSpec("T", "singleLineText"),
    "U": FieldSpec("U", "singleSelect"),
    "B": FieldSpec("B", "checkbox"),
    "D": FieldSpec("D", "date"),
    "DT": FieldSpec("DT", "dateTime"),
    "S": FieldSpec("S", "multipleSelects"),
    "F": FieldSpec("F", "formula", {"result": {"type": "number"}}),
}

numbers = st.one_of(
    st.integers(-1000, 1000).map(float),
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False).filter(
        lambda x: x == 0 or abs(x) > 1e-6
    ),
    st.sampled_from([0.1, 0.2, 0.5, 1.5, 2.5, -2.5, 1e-7, 123456.789, 1e15 + 0.5]),
)
texts = st.one_of(
    st.text(alphabet="aAbZ é-.1 ßΣ", max_size=6),
    st.sampled_from(["", "3", " 2.5 ", "-1", "abc", "Apple", "1e3", "0x10"]),
)
dates = st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2030, 12, 31).date())
datetimes = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
)
FIELD_VALUES = {
    "N": numbers,
    "M": numbers,
    "T": texts,
    "U": st.sampled_from(["Todo", "Done", "Blocked"]),
    "B": st.just(True),
    "D": dates.map(str),
    "DT": datetimes,
    "S": st.lists(st.sampled_from(["red", "green", "", "a, b"]), max_size=3),
    "F": st.one_of(numbers, st.just({"error": "#ERROR!"}), st.just({"specialValue": "NaN"})),
}


@st.composite
def records(draw):
    fields = {}
    for name, values in FIELD_VALUES.items():
        if draw(st.booleans()):
            fields[name] = draw(values)
    return fields


number_leaves = st.one_of(
    st.sampled_from(["{N}", "{M}", "{F}", "{B}", "LEN({T})"]),
    numbers.map(lambda x: repr(x) if x >= 0 else f"({x!r})"),
)
text_leaves = st.one_of(
    st.sampled_from(["{T}", "{U}", "{D}", "ARRAYJOIN({S})", "{S}", "RECORD_ID()", "BLANK()"]),
    texts.map(json.dumps),
)
date_leaves = st.sampled_from(
    [
        "{D}",
        "{DT}",
        "TODAY()",
        "NOW()",
        "CREATED_TIME()",
        'DATEADD(TODAY(), -30, "days")',
    ]
)


def expressions():
    def extend(children):
        pair = st.tuples(children, children)
        return st.one_of(
            st.tuples(
                children,
                st.sampled_from(["+", "-", "*", "/", "&", "=", "!=", "<", ">", "<=", ">="]),
                children,
            ).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            children.map(lambda c: f"-{c}"),
            st.tuples(children, children, children).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
            st.tuples(st.sampled_from(["AND", "OR", "XOR"]), pair).map(
                lambda t: f"{t[0]}({t[1][0]}, {t[1][1]})"
            ),
            st.tuples(
                st.sampled_from(
                    [
                        "NOT",
                        "ISERROR",
                        "LEN",
                        "LOWER",
                        "UPPER",
                        "TRIM",
                        "ABS",
                        "INT",
                        "SQRT",
                        "ROUND",
                        "T",
                        "CEILING",
                        "FLOOR",
                    ]
                ),
                children,
            ).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(
                st.sampled_from(
                    [
                        "LEFT",
                        "RIGHT",
                        "FIND",
                        "SEARCH",
                        "ROUND",
                        "ROUNDUP",
                        "ROUNDDOWN",
                        "CONCATENATE",
                        "SUM",
                        "MAX",
                        "MIN",
                        "AVERAGE",
                        "COUNT",
                    ]
                ),
                pair,
            ).map(lambda t: f"{t[0]}({t[1][0]}, {t[1][1]})"),
            st.tuples(children, children, children).map(lambda t: f"MID({t[0]}, {t[1]}, {t[2]})"),
            st.tuples(children, children, children).map(
                lambda t: f"SUBSTITUTE({t[0]}, {t[1]}, {t[2]})"
            ),
            st.tuples(children, st.sampled_from(['"a"', "1", "BLANK()"]), children, children).map(
                lambda t: f"SWITCH({t[0]}, {t[1]}, {t[2]}, {t[3]})"
            ),
        )

    dated = st.one_of(
        st.tuples(st.sampled_from(["IS_BEFORE", "IS_AFTER"]), date_leaves, date_leaves).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        st.tuples(
            date_leaves, date_leaves, st.sampled_from(["days", "hours", "minutes", "weeks", "ms"])
        ).map(lambda t: f'DATETIME_DIFF({t[0]}, {t[1]}, "{t[2]}")'),
        st.tuples(
            st.sampled_from(["YEAR", "MONTH", "DAY", "HOUR", "WEEKDAY", "DATESTR"]), date_leaves
        ).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(
            date_leaves, st.sampled_from(["<", ">", "=", "!="]), st.one_of(date_leaves, text_leaves)
        ).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    )
    return st.recursive(st.one_of(number_leaves, text_leaves, dated), extend, max_leaves=6)


ROW_IDS = [f"rec{i}" for i in range(6)]


@settings(
    max_examples=300, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    formula=expressions(),
    rows=st.lists(records(), min_size=len(ROW_IDS), max_size=len(ROW_IDS)),
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]),
)
def test_sql_agrees_with_python(formula, rows, zone):
    parsed = parse(formula)
    options = {"timezone": zone, "now": NOW}
    try:
        value_sql, value_params = compile_sql(parsed, FIELDS, **options)
        error_sql, error_params = compile_error(parsed, FIELDS, **options)
        filter_sql, filter_params = compile_filter(parsed, FIELDS, **options)
    except NotCompilable:
        return
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT property")
        cursor.execute("SET LOCAL statement_timeout = '10s'")
        cursor.execute(CREATE_TABLE.format(table="prop"))
        for record_id, fields in zip(ROW_IDS, rows):
            cursor.execute(
                "INSERT INTO prop VALUES (%s, %s, %s, %s::jsonb)",
                [record_id, "2023-05-01T08:30:00Z", "2024-02-20T16:45:10Z", json.dumps(fields)],
            )
        cursor.execute(
            f"SELECT record_id, {value_sql}, {error_sql}, {filter_sql}"
            " FROM prop ORDER BY record_id",
            [*value_params, *error_params, *filter_params],
        )
        results = cursor.fetchall()
        cursor.execute("ROLLBACK TO SAVEPOINT property")
    for (record_id, value, is_error, matched), fields in zip(results, rows):
        python_value = evaluate(
            formula,
            fields,
            record_id=record_id,
            created_time="2023-05-01T08:30:00Z",
            last_modified_time="2024-02-20T16:45:10Z",
            now=NOW,
            timezone=zone,
        )
        assert agree(python_value, (value, is_error)), (
            formula,
            fields,
            python_value,
            value,
            is_error,
        )
        assert matched == is_truthy(python_value), (formula, fields, python_value, matched)


@settings(max_examples=150, deadline=None, database=None)
@given(formula=expressions())
def test_most_random_formulas_compile(formula):
    parsed = parse(formula)
    try:
        compile_filter(parsed, FIELDS, now=NOW)
    except NotCompilable:
        pass
