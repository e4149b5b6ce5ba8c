"""The text of :mod:`.display` as PostgreSQL expressions over a stored JSON value.

Each function takes SQL of a value (a ``jsonb`` or a ``float8``) and gives text SQL that
is NULL for a blank and otherwise exactly what :mod:`.display` shows for the same value
in the field's own formats (``field_format=True``): numbers by precision with thousands
separators (``to_char`` of a ``float8`` rounds the binary value as Python's format does,
up to 15 significant digits: past them it keeps fewer decimals than Python),
dates and instants in the field's date and time formats and zone. The SQL holds no bare
``%`` (the statements run with psycopg parameters).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

# to_char's patterns of display._DATE_PATTERNS (FM drops the zero padding of one field).
_DATE_FORMATS = {"us": "FMMM/FMDD/YYYY", "european": "FMDD/FMMM/YYYY", "iso": "YYYY-MM-DD",
                 "friendly": "FMMonth FMDD, YYYY", "local": "FMMM/FMDD/YYYY"}
_GROUPED_DIGITS = "999,999,999,999,999,999,990"
_DIGITS = "9999999999999999999990"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def json_text(value: str) -> str:
    return f"(CASE WHEN jsonb_typeof({value}) = 'string' THEN {value} #>> '{{}}' END)"


def json_number(value: str) -> str:
    return f"(CASE WHEN jsonb_typeof({value}) = 'number' THEN ({value})::float8 END)"


def _precision(options: dict | None) -> int | None:
    precision = (options or {}).get("precision")
    if isinstance(precision, int) and not isinstance(precision, bool) and 0 <= precision <= 8:
        return precision
    return None


def plain_number(number: str) -> str:
    """display.plain_number: whole numbers without a decimal point, others as Python's repr
    (PostgreSQL's float8 text is the same shortest form)."""
    return (f"(CASE WHEN {number} = trunc({number}) AND abs({number}) < 1e21"
            f" THEN to_char({number}, 'FM{_DIGITS}') ELSE ({number})::text END)")


def _fixed(number: str, precision: int, digits: str) -> str:
    pattern = f"FM{digits}" + (f".{'0' * precision}" if precision else "")
    return f"to_char({number}, '{pattern}')"


def number_text(number: str, options: dict | None) -> str:
    precision = _precision(options)
    if precision is None:
        return plain_number(number)
    return _fixed(number, precision, _GROUPED_DIGITS)


def currency_text(number: str, options: dict | None) -> str:
    options = options or {}
    precision = _precision(options)
    text = _fixed(number, 2 if precision is None else precision, _GROUPED_DIGITS)
    symbol = literal(str(options.get("symbol", "$")))
    return (f"(SELECT CASE WHEN left(_n, 1) = '-' THEN '-' || {symbol} || substr(_n, 2)"
            f" ELSE {symbol} || _n END FROM (SELECT {text} AS _n OFFSET 0) AS _c)")


def percent_text(number: str, options: dict | None) -> str:
    precision = _precision(options)
    hundred = f"({number} * 100)"
    text = plain_number(hundred) if precision is None else _fixed(hundred, precision, _DIGITS)
    return f"({text} || {literal('%')})"


def duration_text(number: str, options: dict | None) -> str | None:
    duration_format = (options or {}).get("durationFormat") or "h:mm"
    if duration_format not in ("h:mm", "h:mm:ss", "h:mm:ss.S", "h:mm:ss.SS", "h:mm:ss.SSS"):
        return None
    text = "(_h::text || ':' || lpad(((_s - _h * 3600) / 60)::text, 2, '0')"
    if duration_format.startswith("h:mm:ss"):
        text += " || ':' || lpad(mod(_s - _h * 3600, 60)::text, 2, '0')"
        digits = len(duration_format) - len("h:mm:ss.")
        if digits > 0:
            text += f" || '.' || substr(to_char(_v - trunc(_v), 'FM0.{'0' * digits}'), 3)"
    text += ")"
    return (f"(SELECT {text} FROM (SELECT _v, _s, floor(_s / 3600.0)::bigint AS _h FROM"
            f" (SELECT _v, trunc(_v)::bigint AS _s FROM (SELECT {number} AS _v OFFSET 0)"
            " AS _d0) AS _d1) AS _d2)")


def _date_format(options: dict | None) -> str:
    name = ((options or {}).get("dateFormat") or {}).get("name")
    return _DATE_FORMATS.get(name, _DATE_FORMATS["us"])


def _zone(options: dict | None) -> str:
    name = (options or {}).get("timeZone")
    if name in (None, "utc", "client") or not isinstance(name, str):
        return "UTC"
    try:
        ZoneInfo(name)
    except (KeyError, ValueError):
        return "UTC"
    return name


def moment_text(value: str, options: dict | None, *, with_time: bool) -> str:
    """display.moment_text in the field's formats: ``value`` (a jsonb string) as a date, or
    with ``with_time`` as an instant in the field's zone; text that is not an ISO date shows
    as it is."""
    from ..sql.core import Sql, iso_to_timestamp  # the compiler imports the field types

    text = json_text(value)
    moment = iso_to_timestamp(Sql("", kind="text", source=text)).sql
    if not with_time:
        day = iso_to_timestamp(Sql("", kind="text", source=f"left({text}, 10)")).sql
        shown = f"to_char({day} AT TIME ZONE 'UTC', '{_date_format(options)}')"
    else:
        local = f"({moment} AT TIME ZONE {literal(_zone(options))})"
        time_name = ((options or {}).get("timeFormat") or {}).get("name")
        clock = "HH24:MI" if time_name == "24hour" else "FMHH12:MIam"
        shown = f"to_char({local}, '{_date_format(options)} {clock}')"
    return f"COALESCE({shown}, {text})"
