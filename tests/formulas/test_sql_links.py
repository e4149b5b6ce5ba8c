"""Link fields in compiled formulas: the linked records' primary values, read through the
mirror, agree with the Python evaluator given those values."""

import json

import pytest
from django.db import connection

from apps.formulas import FieldSpec, compile_filter, evaluate, is_truthy, parse
from apps.formulas.sql import LinkTarget, link_sort_key

pytestmark = pytest.mark.django_db

COMPANIES = {"recC1": "Acme", "recC2": "Globex", "recC3": "acme"}
DEALS = {
    "recD1": {"Deal": "One", "Company": ["recC1"]},
    "recD2": {"Deal": "Two", "Company": ["recC2", "recC1"]},
    "recD3": {"Deal": "Three"},
    "recD4": {"Deal": "Four", "Company": ["recC3"]},
    "recD5": {"Deal": "Five", "Company": ["recGONE"]},
    "recD6": {"Deal": "Six", "Company": []},
}
FIELDS = {
    "Deal": FieldSpec("Deal", "singleLineText"),
    "Company": FieldSpec("Company", "multipleRecordLinks",
                         link=LinkTarget(table="mirror_links", scope=2,
                                         primary=FieldSpec("Name", "singleLineText"))),
}
FORMULAS = [
    "{Company} = 'Acme'", "{Company} != ''", "{Company} = BLANK()", "{Company}",
    "FIND('Acme', {Company})", "{Company} = 'Globex, Acme'", "LEN({Company}) > 4",
    "ARRAYJOIN({Company}, '|') = 'Globex|Acme'", "{Company} & '' = ''",
    "AND({Company} != '', {Deal} != 'One')", "LOWER({Company}) = 'acme'",
]


@pytest.fixture
def cursor():
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE mirror_links (table_id int, record_id text, "
                    "created_time timestamptz, last_modified_time timestamptz, fields jsonb) "
                    "ON COMMIT DROP")
        for record_id, name in COMPANIES.items():
            cur.execute("INSERT INTO mirror_links VALUES (2, %s, now(), now(), %s::jsonb)",
                        [record_id, json.dumps({"Name": name})])
        for record_id, fields in DEALS.items():
            cur.execute("INSERT INTO mirror_links VALUES (1, %s, now(), now(), %s::jsonb)",
                        [record_id, json.dumps(fields)])
        yield cur


def _python(formula):
    parsed = parse(formula)
    found = []
    for record_id, fields in DEALS.items():
        values = dict(fields)
        if "Company" in values:
            values["Company"] = [COMPANIES.get(item, "") for item in values["Company"]]
        if is_truthy(evaluate(parsed, values)):
            found.append(record_id)
    return found


@pytest.mark.parametrize("formula", FORMULAS)
def test_link_formulas_agree_with_python(cursor, formula):
    condition, params = compile_filter(parse(formula), FIELDS)
    cursor.execute(f"SELECT record_id FROM mirror_links WHERE table_id = 1 AND ({condition}) "
                   "ORDER BY record_id", params)
    got = [row[0] for row in cursor.fetchall()]
    assert got == sorted(_python(formula)), formula


def test_links_sort_by_their_primary_values(cursor):
    key = link_sort_key(FIELDS["Company"], "fields")
    cursor.execute(f"SELECT record_id FROM mirror_links WHERE table_id = 1 "
                   f"ORDER BY {key} COLLATE \"C\" ASC NULLS FIRST, record_id")
    assert [row[0] for row in cursor.fetchall()] == \
        ["recD3", "recD6", "recD5", "recD1", "recD4", "recD2"]


def test_link_sort_key_orders_as_folded_then_written_names(cursor):
    """The one-text key orders every mix of case, prefixes and blank names as the two
    lists (folded, then as written) would, ascending and descending."""
    names = ["a", "A", "b", "B", "", "ab", "aB", "a b", "a\x01", "a\x02", "\x01", "a\x01b", "\x02a"]
    deals = {}
    for index in range(300):
        count = (index * 7) % 4
        deals[f"recS{index:03d}"] = [names[(index * 5 + step * 3 + index // 8) % len(names)]
                                     for step in range(count)]
    linked = {}
    for record_id, linked_names in deals.items():
        ids = []
        for position, name in enumerate(linked_names):
            linked_id = f"{record_id}L{position}"
            linked[linked_id] = name
            ids.append(linked_id)
        cursor.execute("INSERT INTO mirror_links VALUES (3, %s, now(), now(), %s::jsonb)",
                       [record_id, json.dumps({"Company": ids})])
    for linked_id, name in linked.items():
        cursor.execute("INSERT INTO mirror_links VALUES (2, %s, now(), now(), %s::jsonb)",
                       [linked_id, json.dumps({"Name": name})])
    key = link_sort_key(FIELDS["Company"], "fields")

    def airtable_key(record_id):
        values = deals[record_id]
        exact = [[ord(char) for char in value] for value in values]
        folded = [[ord(char) for char in value.lower()] for value in values]
        return (bool(values), folded, exact)

    for direction, nulls in (("ASC", "FIRST"), ("DESC", "LAST")):
        cursor.execute(f"SELECT record_id FROM mirror_links WHERE table_id = 3 "
                       f"ORDER BY {key} COLLATE \"C\" {direction} NULLS {nulls}, record_id")
        got = [row[0] for row in cursor.fetchall()]
        # Python's sort is stable in both directions: equal keys keep the record order.
        expected = sorted(sorted(deals), key=airtable_key, reverse=direction == "DESC")
        assert got == expected, direction
