"""Link fields in compiled formulas: the linked records' primary values, read through the
mirror, agree with the Python evaluator given those values."""

import json

import pytest
from django.db import connection

from apps.formulas import FieldSpec, compile_filter, evaluate, is_truthy, parse
from apps.formulas.sql import LinkTarget, link_names_array

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
    key = link_names_array(FIELDS["Company"], "fields", fold=True)
    cursor.execute(f"SELECT record_id FROM mirror_links WHERE table_id = 1 "
                   f"ORDER BY {key} COLLATE \"C\" ASC NULLS FIRST, record_id")
    assert [row[0] for row in cursor.fetchall()] == \
        ["recD3", "recD6", "recD5", "recD1", "recD4", "recD2"]
