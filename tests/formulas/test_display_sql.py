"""What a link to a record shows, said by PostgreSQL (``primary_text_sql``) and by Python
(``primary_text``): the same text for every type a primary field may have, in the field's
own formats, for awkward values too (rounding ties, negatives, thousands, zones)."""

import json

import pytest
from django.db import connection

from apps.formulas.fieldtypes import RESULT, field_types, primary_text, primary_text_sql

pytestmark = pytest.mark.django_db

# Up to 15 significant digits, which to_char keeps (display_sql.py).
NUMBERS = [0, 1, -3, 0.125, 2.675, 1234.5, -1234.5678, 1e-05, 999999.995, 0.1 + 0.2,
           1234567.25]
DATES = ["2026-01-05", "2025-12-31", "2026-10-02", "1999-02-28", "2026-1-5", "soon"]
MOMENTS = ["2026-01-05T10:30:00.000Z", "2026-01-05T23:15:00.000Z", "2025-06-01T00:00:00.000Z",
           "2026-07-14T12:00:00.000Z", "2026-03-29T00:59:00.000Z", "not a moment"]
DATE_FORMATS = [{"dateFormat": {"name": name}} for name in
                ("us", "european", "iso", "friendly", "local")] + [None]
TIME_OPTIONS = [{**dates, "timeFormat": {"name": clock}, "timeZone": zone}
                for dates in DATE_FORMATS[:4] for clock in ("12hour", "24hour")
                for zone in ("utc", "Europe/Paris", "America/Los_Angeles", "Nowhere/Else")]

CASES = [
    *[("singleLineText", None, value) for value in ["Acme", "", "Ünïcode 'quoted' 100%"]],
    *[("number", {"precision": precision}, value) for precision in (None, 0, 1, 2, 8)
      for value in NUMBERS],
    *[("currency", options, value)
      for options in ({"precision": 2, "symbol": "$"}, {"precision": 0, "symbol": "€"}, None)
      for value in NUMBERS],
    *[("percent", {"precision": precision}, value) for precision in (None, 0, 1)
      for value in (0.25, -0.125, 1.5, 0.0005)],
    *[("duration", {"durationFormat": duration}, value)
      for duration in ("h:mm", "h:mm:ss", "h:mm:ss.S", "h:mm:ss.SSS")
      for value in (0, 59, 3600, 3725.25, 90061.9994)],
    *[(kind, None, value) for kind in ("autoNumber", "rating", "number")
      for value in (1, 42, 100000, 1e20, 1.5e16)],
    ("barcode", None, {"text": "0012345", "type": "upce"}),
    *[("date", options, value) for options in DATE_FORMATS for value in DATES],
    *[("dateTime", options, value) for options in TIME_OPTIONS for value in MOMENTS],
    *[("formula", {"result": {"type": "number", "options": {"precision": 2}}}, value)
      for value in (1234.5, {"error": "#ERROR!"}, {"specialValue": "NaN"})],
    *[("formula", {"result": {"type": "dateTime", "options": TIME_OPTIONS[1]}}, value)
      for value in (*MOMENTS[:2], {"error": "#ERROR!"})],
    ("formula", {"result": {"type": "singleLineText"}}, "text"),
]


def _shown_by_postgres(type_name, options, value) -> str | None:
    sql = primary_text_sql(type_name, options, "_v.value")
    assert sql is not None, type_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql} FROM (SELECT %s::jsonb AS value) AS _v",
                       [json.dumps(value)])
        return cursor.fetchone()[0]


@pytest.mark.parametrize(("type_name", "options", "value"), CASES,
                         ids=[f"{kind}-{index}" for index, (kind, _o, _v) in enumerate(CASES)])
def test_postgres_shows_a_primary_value_as_python_does(type_name, options, value):
    assert (_shown_by_postgres(type_name, options, value) or "") == \
        primary_text(type_name, options, value)


def test_every_type_that_may_be_primary_is_shown_by_postgres():
    primaries = [kind for kind in field_types() if kind.primary]
    assert primaries
    text = {"result": {"type": "singleLineText"}}
    assert [kind.type for kind in primaries if kind.display_sql(
        "_v.value", text if kind.value == RESULT else None) is None] == []


def test_a_blank_primary_shows_as_blank():
    assert _shown_by_postgres("number", {"precision": 2}, None) is None
    assert _shown_by_postgres("date", None, None) is None
