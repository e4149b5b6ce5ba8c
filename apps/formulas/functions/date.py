"""Date and time functions (support.airtable.com, Formula field reference: Date and time
functions; Supported DATETIME_FORMAT format specifiers; Supported DATETIME_DIFF unit
specifiers).

Dates are computed in UTC and shown (DATETIME_FORMAT, DAY, HOUR, ...) in the
evaluation time zone unless SET_TIMEZONE chose another one.
"""

from datetime import datetime, timedelta

from .. import dates
from ..values import (
    ERROR,
    UTC,
    ErrorValue,
    flatten,
    format_iso,
    parse_iso,
    to_int,
    to_number,
    to_text,
)
from . import function


def _date(value):
    moment = dates.to_datetime(value)
    return ERROR if moment is None else moment


def _dated(impl):
    """Coerce the first argument to a datetime, returning #ERROR! when it isn't one."""

    def wrapper(context, value, *rest):
        moment = _date(value)
        if type(moment) is ErrorValue:
            return moment
        return impl(context, dates.localize(moment, context.zone), *rest)

    return wrapper


@function("NOW", 0, context=True)
def now(context):
    return context.now


@function("TODAY", 0, context=True)
def today(context):
    local = context.now.astimezone(context.zone)
    return datetime(local.year, local.month, local.day, tzinfo=UTC)


@function("CREATED_TIME", 0, context=True)
def created_time(context):
    return context.created_time


@function("LAST_MODIFIED_TIME", 0, variadic=True, context=True)
def last_modified_time(context, *_fields):
    # The mirror keeps one modification time per record, not per field.
    return context.last_modified_time


@function("RECORD_ID", 0, context=True)
def record_id(context):
    return context.record_id


def _component(extract):
    return _dated(lambda context, moment: float(extract(moment)))


for _name, _extract in {
    "YEAR": lambda t: t.year,
    "MONTH": lambda t: t.month,
    "DAY": lambda t: t.day,
    "HOUR": lambda t: t.hour,
    "MINUTE": lambda t: t.minute,
    "SECOND": lambda t: t.second,
}.items():
    function(_name, 1, context=True)(_component(_extract))


@function("WEEKDAY", 1, 2, context=True)
@_dated
def weekday(context, moment, start="Sunday"):
    offset = 0 if to_text(start).strip().lower() == "monday" else 1
    return float((moment.weekday() + offset) % 7)


@function("WEEKNUM", 1, 2, context=True)
@_dated
def weeknum(context, moment, start="Sunday"):
    monday_start = to_text(start).strip().lower() == "monday"
    jan1 = moment.replace(month=1, day=1)
    offset = jan1.weekday() if monday_start else (jan1.weekday() + 1) % 7
    return float((moment.timetuple().tm_yday - 1 + offset) // 7 + 1)


@function("DATESTR", 1, context=True)
@_dated
def datestr(context, moment):
    return moment.strftime("%Y-%m-%d")


@function("TIMESTR", 1, context=True)
@_dated
def timestr(context, moment):
    return moment.strftime("%H:%M:%S")


@function("DATETIME_FORMAT", 1, 2, context=True)
@_dated
def datetime_format(context, moment, pattern=None):
    if pattern is None:
        return format_iso(moment)
    return dates.format_datetime(moment, to_text(pattern))


@function("DATETIME_PARSE", 1, 3, context=True)
def datetime_parse(context, value, pattern=None, _locale=None):
    if isinstance(value, datetime):
        return value
    text = to_text(value).strip()
    if not text:
        return ERROR
    if pattern is None or to_text(pattern) == "":
        parsed = parse_iso(text) or dates.parse_loose(text)
    else:
        parsed = dates.parse_with_format(text, to_text(pattern))
    return ERROR if parsed is None else parsed


@function("DATEADD", 3)
def dateadd(value, count, unit):
    moment, count = _date(value), to_number(count)
    for item in (moment, count):
        if type(item) is ErrorValue:
            return item
    unit = dates.normalize_unit(to_text(unit).strip())
    if unit is None or count != count:
        return moment
    try:
        return dates.add(moment, count, unit)
    except (OverflowError, ValueError):
        return ERROR


@function("DATETIME_DIFF", 2, 3)
def datetime_diff(first, second, unit="seconds"):
    later, earlier = _date(first), _date(second)
    for item in (later, earlier):
        if type(item) is ErrorValue:
            return item
    unit = dates.normalize_unit(to_text(unit).strip()) or "ms"
    return dates.diff(later, earlier, unit)


def _compare_dates(first, second, check):
    a, b = _date(first), _date(second)
    for item in (a, b):
        if type(item) is ErrorValue:
            return item
    return check(a, b)


@function("IS_BEFORE", 2)
def is_before(first, second):
    return _compare_dates(first, second, lambda a, b: a < b)


@function("IS_AFTER", 2)
def is_after(first, second):
    return _compare_dates(first, second, lambda a, b: a > b)


@function("IS_SAME", 2, 3, context=True)
def is_same(context, first, second, unit=None):
    unit = dates.normalize_unit(to_text(unit).strip()) if unit is not None else "ms"
    if unit is None:
        return ERROR

    def same(a, b):
        a, b = dates.localize(a, context.zone), dates.localize(b, context.zone)
        return dates.start_of(a, unit) == dates.start_of(b.astimezone(a.tzinfo), unit)

    return _compare_dates(first, second, same)


@function("SET_TIMEZONE", 2)
def set_timezone(value, name):
    moment = _date(value)
    if type(moment) is ErrorValue:
        return moment
    target = dates.zone(to_text(name).strip())
    return ERROR if target is None else moment.astimezone(target)


@function("SET_LOCALE", 2)
def set_locale(value, _locale):
    # Month and weekday names are produced in English for every locale.
    return _date(value)


def _days(later, earlier):
    return dates.diff(later, earlier, "d")


@function("TONOW", 1, context=True)
def tonow(context, value):
    moment = _date(value)
    return moment if type(moment) is ErrorValue else _days(context.now, moment)


@function("FROMNOW", 1, context=True)
def fromnow(context, value):
    moment = _date(value)
    return moment if type(moment) is ErrorValue else _days(moment, context.now)


def _holidays(value):
    if value is None:
        return set()
    items = flatten(value) if type(value) is list else to_text(value).split(",")
    days = set()
    for item in items:
        moment = dates.to_datetime(item.strip() if type(item) is str else item)
        if isinstance(moment, datetime):
            days.add(moment.date())
    return days


MAX_WORKDAYS = 100_000


@function("WORKDAY", 2, 3)
def workday(start, count, holidays=None):
    moment, count = _date(start), to_number(count)
    for item in (moment, count):
        if type(item) is ErrorValue:
            return item
    count = to_int(count)
    if abs(count) > MAX_WORKDAYS:
        return ERROR
    skip = _holidays(holidays)
    step = timedelta(days=1 if count >= 0 else -1)
    remaining = abs(count)
    while remaining:
        moment += step
        if moment.weekday() < 5 and moment.date() not in skip:
            remaining -= 1
    return moment


@function("WORKDAY_DIFF", 2, 3)
def workday_diff(start, end, holidays=None):
    first, last = _date(start), _date(end)
    for item in (first, last):
        if type(item) is ErrorValue:
            return item
    sign = 1.0
    first, last = first.date(), last.date()
    if last < first:
        first, last, sign = last, first, -1.0
    weeks, rest = divmod((last - first).days + 1, 7)
    count = weeks * 5 + sum(1 for i in range(rest) if (first.weekday() + i) % 7 < 5)
    count -= sum(1 for day in _holidays(holidays) if first <= day <= last and day.weekday() < 5)
    return sign * count
