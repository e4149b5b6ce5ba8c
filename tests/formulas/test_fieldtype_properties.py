"""Property: random formulas over a field of every registered field type (links read
through the linked rows, lookups, rollups and formulas of each result kind) give the
same value, error flag and filter truthiness in PostgreSQL as in the Python evaluator."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.formulas import FieldSpec, NotCompilable, evaluate, is_truthy, parse
from apps.formulas.fieldtypes import (
    CHECKBOX,
    DATE,
    LINKS,
    LOOKUP,
    NUMBER,
    RESULT,
    SELECT,
    SELECTS,
    TEXT,
    field_types,
)
from apps.formulas.sql import LinkTarget, compile_error, compile_filter, compile_sql

from .sqlcheck import agree

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
TABLE = "prop_types"
NAMES = {"recL1": "Acme", "recL2": "globex", "recL3": "", "recL4": "Acme, Inc"}
CHOICES = {"choices": [{"name": "Todo"}, {"name": "Done"}, {"name": "a, b"}]}

numbers = st.one_of(st.integers(-50, 50).map(float), st.sampled_from([0.5, -2.5, 1e-7, 12345.678]))
texts = st.sampled_from(["", "3", " 2.5 ", "abc", "Apple", "Acme", "a, b", "ß"])
dates = st.dates(min_value=datetime(2020, 1, 1).date(),
                 max_value=datetime(2026, 12, 31).date()).map(str)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 31)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z")
RESULTS = {"number": numbers, "singleLineText": texts, "dateTime": moments, "date": dates}


def _values(kind, type_name):
    if kind == TEXT:
        return texts
    if kind == SELECT:
        return st.sampled_from(["Todo", "Done", "a, b"])
    if kind == NUMBER:
        return numbers if type_name not in ("autoNumber", "count", "rating") else \
            st.integers(0, 9)
    if kind == CHECKBOX:
        return st.just(True)
    if kind == DATE:
        return dates if type_name == "date" else moments
    if kind == SELECTS:
        return st.lists(st.sampled_from(["Todo", "Done", "a, b"]), min_size=1, max_size=3)
    if kind == LINKS:
        return st.lists(st.sampled_from([*NAMES, "recGONE"]), min_size=1, max_size=3)
    return st.sampled_from([{"name": "Ada", "filename": "a.png", "text": "x", "label": "Go"}])


def _fields():
    """{name: (FieldSpec, value strategy)}: one field per registered type, and formulas,
    rollups and lookups of every result kind."""
    fields = {}
    for kind in field_types():
        name = f"f_{kind.type}"
        if kind.value == RESULT:
            for result, values in RESULTS.items():
                fields[f"{name}_{result}"] = (
                    FieldSpec(f"{name}_{result}", kind.type, {"result": {"type": result}}),
                    st.one_of(values, st.just({"error": "#ERROR!"})))
        elif kind.value == LOOKUP:
            for result in ("number", "singleLineText"):
                fields[f"{name}_{result}"] = (
                    FieldSpec(f"{name}_{result}", kind.type, {"result": {"type": result}}),
                    # Lookups leave blank values out.
                    st.lists(RESULTS[result].filter(bool), min_size=1, max_size=3))
        else:
            options = CHOICES if kind.value in (SELECT, SELECTS) else None
            link = LinkTarget(table=TABLE, scope=2, primary=FieldSpec("Name", "singleLineText")) \
                if kind.value == LINKS else None
            fields[name] = (FieldSpec(name, kind.type, options, link=link),
                            _values(kind.value, kind.type))
    return fields


FIELDS = _fields()
FIELD_MAP = {name: spec for name, (spec, _values) in FIELDS.items()}
REFERENCES = [f"{{{name}}}" for name in FIELDS]


@st.composite
def records(draw):
    fields = {}
    for name, (_spec, values) in FIELDS.items():
        if draw(st.booleans()):
            fields[name] = draw(values)
    return fields


def formulas():
    leaves = st.one_of(st.sampled_from(REFERENCES), texts.map(json.dumps),
                       numbers.map(lambda x: repr(x) if x >= 0 else f"({x!r})"))

    def extend(children):
        return st.one_of(
            st.tuples(children, st.sampled_from(["&", "=", "!=", "<", ">", "+", "*"]),
                      children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["LEN", "LOWER", "NOT", "T", "ISERROR"]), children)
            .map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(children, children).map(lambda t: f"FIND({t[0]}, {t[1]})"),
            st.tuples(children, children, children).map(lambda t: f"IF({t[0]}, {t[1]}, {t[2]})"),
        )

    return st.recursive(leaves, extend, max_leaves=4)


def _python_fields(fields):
    """What a formula sees: link fields as the linked records' primary values."""
    seen = dict(fields)
    for name, (spec, _values) in FIELDS.items():
        if spec.link is not None and name in seen:
            seen[name] = [NAMES.get(item, "") for item in seen[name]]
    return seen


def test_every_registered_type_has_a_field():
    assert {spec.type for spec in FIELD_MAP.values()} == {kind.type for kind in field_types()}


@settings(max_examples=250, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(formula=formulas(), rows=st.lists(records(), min_size=5, max_size=5))
def test_formulas_over_every_field_type_agree(formula, rows):
    parsed = parse(formula)
    try:
        value_sql, value_params = compile_sql(parsed, FIELD_MAP, now=NOW)
        error_sql, error_params = compile_error(parsed, FIELD_MAP, now=NOW)
        filter_sql, filter_params = compile_filter(parsed, FIELD_MAP, now=NOW)
    except NotCompilable:
        return
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT property")
        cursor.execute(f"CREATE TEMP TABLE {TABLE} (table_id int, record_id text, "
                       "created_time timestamptz, last_modified_time timestamptz, fields jsonb)"
                       " ON COMMIT DROP")
        for record_id, name in NAMES.items():
            cursor.execute(f"INSERT INTO {TABLE} VALUES (2, %s, now(), now(), %s::jsonb)",
                           [record_id, json.dumps({"Name": name} if name else {})])
        for index, fields in enumerate(rows):
            cursor.execute(f"INSERT INTO {TABLE} VALUES (1, %s, %s, %s, %s::jsonb)",
                           [f"rec{index}", "2023-05-01T08:30:00Z", "2024-02-20T16:45:10Z",
                            json.dumps(fields)])
        cursor.execute(f"SELECT record_id, {value_sql}, {error_sql}, {filter_sql} FROM {TABLE}"
                       " WHERE table_id = 1 ORDER BY record_id",
                       [*value_params, *error_params, *filter_params])
        results = cursor.fetchall()
        cursor.execute("ROLLBACK TO SAVEPOINT property")
    for (record_id, value, is_error, matched), fields in zip(results, rows, strict=True):
        python_value = evaluate(formula, _python_fields(fields), record_id=record_id,
                                created_time="2023-05-01T08:30:00Z",
                                last_modified_time="2024-02-20T16:45:10Z", now=NOW)
        assert agree(python_value, (value, is_error)), (formula, fields, python_value, value)
        assert matched == is_truthy(python_value), (formula, fields, python_value, matched)
