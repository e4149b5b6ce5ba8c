"""The SQL compiler in a real PostgreSQL, checked against the Python evaluator."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection

from apps.formulas import (
    FieldSpec,
    FormulaError,
    NotCompilable,
    compile_filter,
    compile_sort_key,
    compile_sql,
    parse,
)
from apps.formulas.sql import index_expression, text_order_key, text_search_expression

from .cases import CASES, CREATED, MODIFIED
from .helpers import CONTEXT
from .sqlcheck import compare_case, create_table, sql_matches
from .test_cases import RECORD

pytestmark = pytest.mark.django_db

FIELDS = {
    "Name": FieldSpec("Name", "singleLineText"),
    "Qty": FieldSpec("Qty", "number"),
    "Due": FieldSpec("Due", "date"),
    "Tags": FieldSpec("Tags", "multipleSelects"),
    "Done": FieldSpec("Done", "checkbox"),
    "Total": FieldSpec("Total", "formula", {"result": {"type": "number"}}),
}
ROWS = [
    (
        "rec1",
        CREATED,
        MODIFIED,
        {
            "Name": "Apple",
            "Qty": 5,
            "Due": "2024-03-10",
            "Tags": ["red", "sweet"],
            "Done": True,
            "Total": 10,
        },
    ),
    (
        "rec2",
        CREATED,
        MODIFIED,
        {"Name": "banana", "Qty": 1, "Due": "2024-02-01", "Tags": ["yellow"]},
    ),
    ("rec3", CREATED, MODIFIED, {"Name": "Cherry", "Total": {"error": "#ERROR!"}}),
    (
        "rec4",
        CREATED,
        MODIFIED,
        {
            "Qty": "lots",
            "Due": "2024-02-30",
            "Name": 7,
            "Tags": "red",
            "Total": {"specialValue": "NaN"},
        },
    ),
    ("rec5", CREATED, MODIFIED, {}),
]
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def cursor():
    with connection.cursor() as cur:
        create_table(cur, "mirror", ROWS)
        yield cur


def assert_every_row_agrees(cursor, table, rows, formula, fields):
    """The formula compiles, and on every row SQL's value, error and filter truthiness are
    what Python gives."""
    context = {"now": NOW, "timezone": "UTC"}
    for record_id, _created, _modified, record in rows:
        outcome = compare_case(cursor, table, formula, record, record_id, context, fields)
        assert outcome is not None, f"{formula} did not compile"
        assert outcome[2], f"{formula} on {record_id}: python {outcome[0]!r}, sql {outcome[1]!r}"


def plan_with_indexes_only(cursor, formula, **options) -> str:
    """PostgreSQL's plan for the formula as a filter of `mirror`, sequential scans off."""
    cursor.execute("SET LOCAL enable_seqscan = off")
    sql, params = compile_filter(parse(formula), FIELDS, **options)
    cursor.execute(f"EXPLAIN SELECT record_id FROM mirror WHERE {sql}", params)
    return "\n".join(row[0] for row in cursor.fetchall())


def test_every_compilable_documented_case_agrees_with_python(cursor):
    create_table(cursor, "cases", [("recABC123", CREATED, MODIFIED, RECORD)])
    compiled, disagreements = 0, []
    for formula, _expected in CASES:
        outcome = compare_case(cursor, "cases", formula, RECORD, "recABC123", CONTEXT)
        if outcome is None:
            continue
        compiled += 1
        if not outcome[2]:
            disagreements.append((formula, outcome[0], outcome[1]))
    assert disagreements == []
    assert compiled >= 400


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("{Qty} > 2", ["rec1"]),
        # rec4's text in a number field reads as blank, and blank is 0.
        ("{Qty} < 2", ["rec2", "rec3", "rec4", "rec5"]),
        ("{Name} = 'Apple'", ["rec1"]),
        ("{Name} != 'Apple'", ["rec2", "rec3", "rec4", "rec5"]),
        ("LOWER({Name}) = 'banana'", ["rec2"]),
        ("FIND('red', ARRAYJOIN({Tags}))", ["rec1"]),
        ("IS_BEFORE({Due}, TODAY())", ["rec2"]),
        ("{Due} > TODAY()", ["rec1"]),
        ("{Total} > 5", ["rec1"]),
        ("ISERROR({Total})", ["rec3"]),
        ("NOT({Total})", ["rec2", "rec4", "rec5"]),
        ("{Done}", ["rec1"]),
        ("OR({Qty} = 1, {Name} = 'Cherry')", ["rec2", "rec3"]),
        ("AND({Qty}, {Due})", ["rec1", "rec2"]),
        ("RECORD_ID() = 'rec4'", ["rec4"]),
        ("{Name}", ["rec1", "rec2", "rec3"]),
    ],
)
def test_filter_matches_what_python_matches(cursor, formula, expected):
    assert sql_matches(cursor, "mirror", formula, FIELDS, now=NOW) == expected


@pytest.mark.parametrize("formula", [
    "IS_AFTER({Due}, '2024-03-01')",
    "IS_BEFORE({Due}, 'March 1, 2024')",
    "IS_AFTER({Due}, '2024-02-15T10:00:00+02:00')",
    "IS_BEFORE('2024-02-15', {Due})",
    "DATETIME_DIFF('2024-03-15', {Due}, 'days')",
])
def test_constant_text_dates_compile_and_agree_with_python(cursor, formula):
    """A date written as text in the formula is parsed once, as Python parses it, so a
    filter such as IS_AFTER({Due}, '2026-06-01') runs in the database, not row by row."""
    assert_every_row_agrees(cursor, "mirror", ROWS, formula, FIELDS)


def test_text_that_is_not_a_date_is_left_to_python():
    with pytest.raises(NotCompilable):
        compile_sql(parse("IS_AFTER({Due}, 'someday')"), FIELDS)


def test_malformed_values_read_as_blank_instead_of_failing(cursor):
    # rec4 holds text in a number field, an impossible date and a number in a text field.
    sql, params = compile_sql(parse("{Qty} + LEN({Name}) & DATESTR({Due})"), FIELDS)
    cursor.execute(f"SELECT record_id, {sql} FROM mirror ORDER BY record_id", params)
    values = dict(cursor.fetchall())
    assert values["rec1"] == "102024-03-10"
    assert values["rec4"] is None


def test_value_types_come_back_as_python_types(cursor):
    formulas = {
        "{Qty} * 2": 10.0,
        "{Name} & '!'": "Apple!",
        "{Qty} > 2": True,
        "CREATED_TIME()": datetime(2023, 5, 1, 8, 30, tzinfo=UTC),
        "ARRAYJOIN({Tags})": "red, sweet",
        "{Due}": "2024-03-10",
    }
    for formula, expected in formulas.items():
        sql, params = compile_sql(formula, FIELDS)
        cursor.execute(f"SELECT {sql} FROM mirror WHERE record_id = 'rec1'", params)
        assert cursor.fetchone()[0] == expected, formula


def test_table_alias_and_column_are_respected(cursor):
    sql, params = compile_filter(parse("{Qty} > 2"), FIELDS, table_alias="m")
    assert "m.fields->'Qty'" in sql
    cursor.execute(f"SELECT m.record_id FROM mirror AS m WHERE {sql}", params)
    assert cursor.fetchall() == [("rec1",)]


def test_sort_keys_order_by_natural_type(cursor):
    orders = {}
    for name in ("Qty", "Name", "Due"):
        sql, params = compile_sort_key(name, FIELDS)
        cursor.execute(f"SELECT record_id FROM mirror ORDER BY {sql} NULLS LAST, record_id", params)
        orders[name] = [row[0] for row in cursor.fetchall()]
    assert orders["Qty"][:2] == ["rec2", "rec1"]
    assert orders["Name"][:3] == ["rec1", "rec2", "rec3"]
    assert orders["Due"][:2] == ["rec2", "rec1"]


def test_expression_index_serves_field_comparisons(cursor):
    cursor.execute(f"CREATE INDEX ON mirror (({index_expression('Qty', FIELDS)}))")
    cursor.execute(f"CREATE INDEX ON mirror (({index_expression('Name', FIELDS)}))")
    for formula in ("{Qty} > 2", "{Name} = 'Apple'"):
        plan = plan_with_indexes_only(cursor, formula)
        assert "Index" in plan, plan


def test_date_comparisons_with_a_constant_are_served_by_the_text_order_index(cursor):
    due_text = index_expression("Due", {"Due": FieldSpec("Due", "singleLineText")})
    cursor.execute(f"CREATE INDEX ON mirror (({text_order_key(due_text)}) NULLS FIRST)")
    for formula in ("IS_AFTER({Due}, '2024-03-01')", "IS_BEFORE('2024-03-01', {Due})",
                    "AND(IS_BEFORE({Due}, TODAY()), {Qty} > 0)"):
        plan = plan_with_indexes_only(cursor, formula, now=NOW)
        assert "Index" in plan, plan


# Instants a day's offset away from their written date, on both sides of the bounds.
OFFSET_ROWS = [
    ("recW1", CREATED, MODIFIED, {"When": "2024-02-29T23:30:00-23:00"}),  # 03-01 22:30Z
    ("recW2", CREATED, MODIFIED, {"When": "2024-03-01T00:30:00+23:59"}),  # 02-29 00:31Z
    ("recW3", CREATED, MODIFIED, {"When": "2024-03-02T22:00:00+23:59"}),  # 03-01 22:01Z
    ("recW4", CREATED, MODIFIED, {"When": "2024-02-28"}),
    ("recW5", CREATED, MODIFIED, {"When": "2024-03-03T00:00:00Z"}),
    ("recW6", CREATED, MODIFIED, {"When": "someday"}),
    ("recW7", CREATED, MODIFIED, {}),
]


@pytest.mark.parametrize("formula", [
    "IS_AFTER({When}, '2024-03-01T00:00:00Z')",
    "IS_AFTER({When}, '2024-03-01T22:00:00Z')",
    "IS_BEFORE({When}, '2024-03-01T00:00:00Z')",
    "IS_BEFORE({When}, '2024-03-02T00:00:00Z')",
    "IS_AFTER('2024-03-01T22:15:00Z', {When})",
    "IS_BEFORE('2024-02-29T00:00:00Z', {When})",
])
def test_date_bounds_keep_every_instant_an_offset_moves_across_midnight(cursor, formula):
    create_table(cursor, "moments", OFFSET_ROWS)
    assert_every_row_agrees(cursor, "moments", OFFSET_ROWS, formula,
                            {"When": FieldSpec("When", "dateTime")})


NAME_ROWS = [
    ("recN1", CREATED, MODIFIED, {"Name": "banana"}),
    ("recN2", CREATED, MODIFIED, {"Name": "100% sure"}),
    ("recN3", CREATED, MODIFIED, {"Name": "a_b"}),
    ("recN4", CREATED, MODIFIED, {"Name": "axb"}),
    ("recN5", CREATED, MODIFIED, {"Name": "back\\slash"}),
    ("recN6", CREATED, MODIFIED, {"Name": 42}),
    ("recN7", CREATED, MODIFIED, {}),
]


@pytest.mark.parametrize("formula", [
    "FIND('an', {Name})",
    "FIND('an', {Name}, 3)",
    "FIND('%', {Name})",
    "SEARCH('a_b', {Name}) > 0",
    "FIND('\\\\', {Name}) > 0",
    "FIND('', {Name})",
    "NOT(FIND('an', {Name}))",
])
def test_containment_bounds_agree_with_python(cursor, formula):
    """FIND/SEARCH filters gain a LIKE the trigram index serves; LIKE's wildcards in the
    searched text are matched literally."""
    create_table(cursor, "names", NAME_ROWS)
    assert_every_row_agrees(cursor, "names", NAME_ROWS, formula,
                            {"Name": FieldSpec("Name", "singleLineText")})


def test_find_filters_are_served_by_a_trigram_index(cursor):
    name = text_search_expression("Name", FIELDS)
    cursor.execute(f"CREATE INDEX ON mirror USING gin (({name}) gin_trgm_ops)")
    for formula in ("FIND('ppl', {Name})", "AND(SEARCH('anan', {Name}) > 0, {Qty} > 0)"):
        plan = plan_with_indexes_only(cursor, formula)
        assert "Bitmap Index Scan" in plan, plan


def test_field_names_with_quotes_and_percent_signs(cursor):
    fields = {"It's 100%": FieldSpec("It's 100%", "number")}
    cursor.execute(
        "INSERT INTO mirror (record_id, fields) VALUES ('rec9', %s::jsonb)",
        [json.dumps({"It's 100%": 7})],
    )
    assert sql_matches(cursor, "mirror", "{It's 100%} = 7", fields) == ["rec9"]


def test_untranslatable_formulas_raise_not_compilable():
    for formula in (
        "AND({Qty}, {Tags})",
        'REGEX_MATCH({Name}, "a")',
        "DATETIME_FORMAT({Due}, 'YYYY')",
        "MOD({Qty}, 2)",
        "ARRAYUNIQUE({Tags})",
        "DATETIME_DIFF({Due}, TODAY(), 'months')",
    ):
        with pytest.raises(NotCompilable):
            compile_sql(parse(formula), FIELDS)


def test_collaborator_fields_fall_back_to_python():
    with pytest.raises(NotCompilable):
        compile_filter("{Owner} = 'Jane'", {"Owner": FieldSpec("Owner", "singleCollaborator")})


def test_unknown_fields_are_reported_with_a_suggestion():
    with pytest.raises(
        FormulaError, match=r"Unknown field \{Nmae\}; did you mean \{Name\}\? at 1:1"
    ):
        compile_sql("{Nmae} = 'x'", FIELDS)


@pytest.mark.parametrize("formula", ["ROUNDUP(5, -400)", "ROUNDUP(-5, -400)",
                                     "ROUNDUP({Qty}, -999)", "ROUND(123.456, 400)",
                                     "ROUNDDOWN(7, -400)"])
def test_rounding_beyond_float_range_agrees_and_never_fails_the_query(cursor, formula):
    create_table(cursor, "cases", [("recABC123", CREATED, MODIFIED, RECORD)])
    outcome = compare_case(cursor, "cases", formula, RECORD, "recABC123", CONTEXT)
    assert outcome is not None, "compiles to SQL"
    assert outcome[2], (outcome[0], outcome[1])
