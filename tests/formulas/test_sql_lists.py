"""Lists of text (a lookup, a lookup of a lookup, a formula such as ``ARRAYUNIQUE({Lookup})``
whose values the mirror observed to be lists) in filters: PostgreSQL matches the records the
Python evaluator matches; an empty list is falsy in IF and blank, as in Airtable."""

import pytest
from django.db import connection

from apps.formulas import FieldSpec, evaluate, is_truthy
from apps.formulas.fieldtypes import observed_result

from .sqlcheck import create_table, sql_matches

pytestmark = pytest.mark.django_db

ROWS = [("rec1", None, None, {"L": ["North"], "U": ["North"]}),
        ("rec2", None, None, {"L": ["North", "South", "North"], "U": ["North", "South"]}),
        ("rec3", None, None, {"L": [], "U": []}),
        ("rec4", None, None, {}),
        ("rec5", None, None, {"L": [""], "U": [""]})]
FIELDS = {"L": FieldSpec("L", "multipleLookupValues", {"result": {"type": "singleLineText"}}),
          # What the mirror compiles a text formula to once its values are seen to be lists.
          "U": FieldSpec("U", "formula",
                         {"result": {"type": observed_result({"texts": 4})}})}


@pytest.mark.parametrize("formula", [
    "IF({L}, 1, 0)", "IF({U}, 'yes', '')", "{U} = BLANK()", "NOT({U} = BLANK())",
    "{U} = 'North'", "{U} = 'North, South'", "{U} > 'North'", "{L} & '' = 'North, South, North'",
    "IF({U}, ARRAYJOIN({U}, ' / '), '(none)') = '(none)'", "LEN(ARRAYJOIN({U})) > 0",
])
def test_postgres_matches_what_python_matches(formula):
    expected = [record_id for record_id, _c, _m, fields in ROWS
                if is_truthy(evaluate(formula, fields))]
    with connection.cursor() as cursor:
        create_table(cursor, "lists", ROWS)
        assert sql_matches(cursor, "lists", formula, FIELDS) == expected


def test_an_empty_list_is_falsy_and_blank():
    assert evaluate("IF({U}, 'yes', 'no')", {"U": []}) == "no"
    assert is_truthy(evaluate("{U} = BLANK()", {"U": []}))
    assert observed_result({"texts": 3, "object": 1}) == "multipleLookupValues"
    assert observed_result({"texts": 3, "string": 1}) is None
