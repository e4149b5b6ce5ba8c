"""Dates: coercion, moment.js-style format tokens, units and calendar arithmetic."""

import calendar
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .values import ERROR, UTC, ErrorValue, parse_iso

MONTHS = [calendar.month_name[i] for i in range(1, 13)]
WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

UNIT_ALIASES = {
    "ms": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "s": "s",
    "second": "s",
    "seconds": "s",
    "m": "m",
    "minute": "m",
    "minutes": "m",
    "h": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
    "w": "w",
    "week": "w",
    "weeks": "w",
    "M": "M",
    "month": "M",
    "months": "M",
    "Q": "Q",
    "quarter": "Q",
    "quarters": "Q",
    "y": "y",
    "year": "y",
    "years": "y",
}
UNIT_MICROSECONDS = {
    "ms": 1000,
    "s": 10**6,
    "m": 60 * 10**6,
    "h": 3600 * 10**6,
    "d": 86400 * 10**6,
    "w": 7 * 86400 * 10**6,
}


def normalize_unit(unit):
    """Canonical unit; single letters are case-sensitive (M months, m minutes)."""
    if unit in UNIT_ALIASES:
        return UNIT_ALIASES[unit]
    return UNIT_ALIASES.get(unit.lower()) if len(unit) > 1 else None


_ZONE_NAMES = frozenset(available_timezones())


def zone(name):
    """The zone of an IANA name, or None for a name that is not one (checked against the
    known names first: ZoneInfo would otherwise try to open any string as a file path)."""
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    if name not in _ZONE_NAMES:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def to_datetime(value):
    """Coerce a date argument: datetime, None for blank, or ERROR."""
    if isinstance(value, datetime):
        return value
    if value is None or value == "":
        return None
    if type(value) is list:
        items = [item for item in value if item is not None]
        return to_datetime(items[0]) if len(items) == 1 else ERROR
    if type(value) is ErrorValue:
        return value
    if type(value) is str:
        parsed = parse_iso(value) or parse_loose(value)
        return parsed if parsed is not None else ERROR
    return ERROR


def localize(moment, default_zone):
    """A datetime in the zone it should be shown in (SET_TIMEZONE wins)."""
    return moment if moment.tzinfo is not UTC else moment.astimezone(default_zone)


# --- format tokens ------------------------------------------------------------

TOKEN = re.compile(
    r"\[[^\]]*\]|YYYYYY|YYYY|YY|Y|Qo|Q|MMMM|MMM|Mo|MM|M|DDDD|DDDo|DDD|Do|DD|D"
    r"|dddd|ddd|dd|do|d|E|e|Wo|WW|W|wo|ww|w|GGGG|GG|gggg|gg|HH|H|hh|h|kk|k"
    r"|mm|m|ss|s|S{1,9}|A|a|ZZ|Z|X|x|LTS|LT|LLLL|LLL|LL|L|llll|lll|ll|l"
)
LONG_FORMATS = {
    "LT": "h:mm A",
    "LTS": "h:mm:ss A",
    "L": "MM/DD/YYYY",
    "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A",
    "LLLL": "dddd, MMMM D, YYYY h:mm A",
    "l": "M/D/YYYY",
    "ll": "MMM D, YYYY",
    "lll": "MMM D, YYYY h:mm A",
    "llll": "ddd, MMM D, YYYY h:mm A",
}
DEFAULT_FORMAT = "YYYY-MM-DDTHH:mm:ss.SSS[Z]"


def ordinal(number):
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def locale_week(moment):
    """moment's 'w' for the English locale: weeks start Sunday, Jan 1 is in week 1.

    Returns (week, week_year); a week belongs to the year of its Saturday.
    """
    saturday = moment.date() + timedelta(days=(5 - moment.weekday()) % 7)
    jan1 = saturday.replace(month=1, day=1)
    first_saturday = jan1 + timedelta(days=(5 - jan1.weekday()) % 7)
    return (saturday - first_saturday).days // 7 + 1, saturday.year


def _offset(moment, colon):
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"


def _hour12(moment):
    return moment.hour % 12 or 12


FORMATTERS = {
    "YYYYYY": lambda t: f"{'-' if t.year < 0 else '+'}{abs(t.year):06d}",
    "YYYY": lambda t: f"{t.year:04d}",
    "YY": lambda t: f"{t.year % 100:02d}",
    "Y": lambda t: str(t.year),
    "Q": lambda t: str((t.month - 1) // 3 + 1),
    "Qo": lambda t: ordinal((t.month - 1) // 3 + 1),
    "M": lambda t: str(t.month),
    "Mo": lambda t: ordinal(t.month),
    "MM": lambda t: f"{t.month:02d}",
    "MMM": lambda t: MONTHS[t.month - 1][:3],
    "MMMM": lambda t: MONTHS[t.month - 1],
    "D": lambda t: str(t.day),
    "Do": lambda t: ordinal(t.day),
    "DD": lambda t: f"{t.day:02d}",
    "DDD": lambda t: str(t.timetuple().tm_yday),
    "DDDo": lambda t: ordinal(t.timetuple().tm_yday),
    "DDDD": lambda t: f"{t.timetuple().tm_yday:03d}",
    "d": lambda t: str((t.weekday() + 1) % 7),
    "do": lambda t: ordinal((t.weekday() + 1) % 7),
    "dd": lambda t: WEEKDAYS[(t.weekday() + 1) % 7][:2],
    "ddd": lambda t: WEEKDAYS[(t.weekday() + 1) % 7][:3],
    "dddd": lambda t: WEEKDAYS[(t.weekday() + 1) % 7],
    "e": lambda t: str((t.weekday() + 1) % 7),
    "E": lambda t: str(t.isoweekday()),
    "w": lambda t: str(locale_week(t)[0]),
    "wo": lambda t: ordinal(locale_week(t)[0]),
    "ww": lambda t: f"{locale_week(t)[0]:02d}",
    "W": lambda t: str(t.isocalendar()[1]),
    "Wo": lambda t: ordinal(t.isocalendar()[1]),
    "WW": lambda t: f"{t.isocalendar()[1]:02d}",
    "gggg": lambda t: f"{locale_week(t)[1]:04d}",
    "gg": lambda t: f"{locale_week(t)[1] % 100:02d}",
    "GGGG": lambda t: f"{t.isocalendar()[0]:04d}",
    "GG": lambda t: f"{t.isocalendar()[0] % 100:02d}",
    "H": lambda t: str(t.hour),
    "HH": lambda t: f"{t.hour:02d}",
    "h": lambda t: str(_hour12(t)),
    "hh": lambda t: f"{_hour12(t):02d}",
    "k": lambda t: str(t.hour or 24),
    "kk": lambda t: f"{t.hour or 24:02d}",
    "m": lambda t: str(t.minute),
    "mm": lambda t: f"{t.minute:02d}",
    "s": lambda t: str(t.second),
    "ss": lambda t: f"{t.second:02d}",
    "a": lambda t: "am" if t.hour < 12 else "pm",
    "A": lambda t: "AM" if t.hour < 12 else "PM",
    "Z": lambda t: _offset(t, True),
    "ZZ": lambda t: _offset(t, False),
    "X": lambda t: str(int(t.timestamp())),
    "x": lambda t: str(int(t.timestamp() * 1000)),
}


def format_datetime(moment, pattern):
    def replace(match):
        token = match.group(0)
        if token.startswith("["):
            return token[1:-1]
        if token in LONG_FORMATS:
            return format_datetime(moment, LONG_FORMATS[token])
        if token[0] == "S":
            return f"{moment.microsecond:06d}".ljust(9, "0")[: len(token)]
        return FORMATTERS[token](moment)

    return TOKEN.sub(replace, pattern)


# --- parsing --------------------------------------------------------------------

_MONTH_LOOKUP = {name.lower(): i for i, name in enumerate(MONTHS, 1)}
_MONTH_LOOKUP.update({name.lower()[:3]: i for i, name in enumerate(MONTHS, 1)})
_MONTH_NAMES = "|".join(sorted(_MONTH_LOOKUP, key=len, reverse=True))
_DAY_NAMES = "|".join(
    sorted({d.lower() for d in WEEKDAYS} | {d.lower()[:3] for d in WEEKDAYS}, key=len, reverse=True)
)
# Possessive digit runs: "2024-01-15 10:00" must not split "15" into day 1, hour 5.
_PARSE_PATTERNS = {
    "YYYY": ("year", r"[+-]?\d{4}"),
    "YY": ("year2", r"\d{2}"),
    "Y": ("year", r"[+-]?\d{1,6}"),
    "M": ("month", r"\d{1,2}+"),
    "MM": ("month", r"\d{1,2}+"),
    "Mo": ("month", r"\d{1,2}+(?:st|nd|rd|th)"),
    "MMM": ("monthname", _MONTH_NAMES),
    "MMMM": ("monthname", _MONTH_NAMES),
    "D": ("day", r"\d{1,2}+"),
    "DD": ("day", r"\d{1,2}+"),
    "Do": ("day", r"\d{1,2}+(?:st|nd|rd|th)"),
    "H": ("hour", r"\d{1,2}+"),
    "HH": ("hour", r"\d{1,2}+"),
    "h": ("hour", r"\d{1,2}+"),
    "hh": ("hour", r"\d{1,2}+"),
    "k": ("hour", r"\d{1,2}+"),
    "kk": ("hour", r"\d{1,2}+"),
    "m": ("minute", r"\d{1,2}+"),
    "mm": ("minute", r"\d{1,2}+"),
    "s": ("second", r"\d{1,2}+"),
    "ss": ("second", r"\d{1,2}+"),
    "a": ("meridiem", r"[ap]\.?m\.?"),
    "A": ("meridiem", r"[ap]\.?m\.?"),
    "Z": ("offset", r"Z|[+-]\d\d:?\d\d"),
    "ZZ": ("offset", r"Z|[+-]\d\d:?\d\d"),
    "X": ("unix", r"-?\d+(?:\.\d+)?"),
    "x": ("unixms", r"-?\d+"),
    "dddd": (None, _DAY_NAMES),
    "ddd": (None, _DAY_NAMES),
    "dd": (None, r"su|mo|tu|we|th|fr|sa"),
}
LOOSE_FORMATS = (
    "YYYY-MM-DD HH:mm:ss",
    "YYYY-MM-DD HH:mm",
    "M/D/YYYY h:mm:ss a",
    "M/D/YYYY h:mm a",
    "M/D/YYYY H:mm:ss",
    "M/D/YYYY H:mm",
    "M/D/YYYY",
    "M/D/YY H:mm",
    "M/D/YY",
    "YYYY/M/D H:mm",
    "YYYY/M/D",
    "D MMMM YYYY H:mm",
    "D MMMM YYYY",
    "MMMM D, YYYY h:mm a",
    "MMMM D, YYYY H:mm",
    "MMMM D YYYY",
    "dddd, MMMM D, YYYY",
    "YYYY",
)


def _compile_parser(pattern):
    parts, groups = [], []
    position = 0
    for match in TOKEN.finditer(pattern):
        parts.append(_literal(pattern[position : match.start()]))
        token = match.group(0)
        position = match.end()
        if token.startswith("["):
            parts.append(re.escape(token[1:-1]))
        elif token[0] == "S":
            groups.append("fraction")
            parts.append(r"(\d{1,9})")
        elif token in _PARSE_PATTERNS:
            name, regex = _PARSE_PATTERNS[token]
            if name is None:
                parts.append(f"(?:{regex})")
            else:
                groups.append(name)
                parts.append(f"({regex})")
        else:
            parts.append(r"\S*?")
    parts.append(_literal(pattern[position:]))
    return re.compile("".join(parts), re.IGNORECASE), groups


def _literal(text):
    # moment parses forgivingly: a run of separators matches any other run
    # (spaces may also be missing, as in "10:30pm").
    return "".join(
        re.escape(run) if run[0].isalnum() else (r"[\W_]*" if run.isspace() else r"[\W_]+")
        for run in re.findall(r"[^\W_]+|[\W_]+", text)
    )


_PARSERS = {}


def parse_with_format(text, pattern, default_zone=UTC):
    if pattern not in _PARSERS:
        _PARSERS[pattern] = _compile_parser(pattern)
    regex, groups = _PARSERS[pattern]
    match = regex.match(text.strip())
    if match is None:
        return None
    values = dict(zip(groups, match.groups(), strict=True))
    try:
        return _assemble(values, default_zone)
    except (ValueError, OverflowError):
        return None


def _assemble(values, default_zone):
    if "unix" in values:
        return datetime.fromtimestamp(float(values["unix"]), UTC)
    if "unixms" in values:
        return datetime.fromtimestamp(int(values["unixms"]) / 1000, UTC)
    year = int(values.get("year") or 0) or None
    if "year2" in values:
        short = int(values["year2"])
        year = short + (1900 if short > 68 else 2000)
    if year is None:
        year = datetime.now(UTC).year
    month = int(re.sub(r"\D", "", values["month"])) if "month" in values else 1
    if "monthname" in values:
        month = _MONTH_LOOKUP[values["monthname"].lower()]
    day = int(re.sub(r"\D", "", values["day"])) if "day" in values else 1
    hour = int(values.get("hour") or 0)
    meridiem = (values.get("meridiem") or "").lower()
    if meridiem.startswith("p") and hour < 12:
        hour += 12
    elif meridiem.startswith("a") and hour == 12:
        hour = 0
    hour, extra_day = (0, 1) if hour == 24 else (hour, 0)
    fraction = values.get("fraction")
    microsecond = int(fraction.ljust(6, "0")[:6]) if fraction else 0
    moment = datetime(
        year,
        month,
        day,
        hour,
        int(values.get("minute") or 0),
        int(values.get("second") or 0),
        microsecond,
    ) + timedelta(days=extra_day)
    offset = values.get("offset")
    if offset and offset.upper() != "Z":
        digits = offset.replace(":", "")
        minutes = int(digits[1:3]) * 60 + int(digits[3:5])
        sign = -1 if digits[0] == "-" else 1
        return (moment - timedelta(minutes=sign * minutes)).replace(tzinfo=UTC)
    if offset:
        return moment.replace(tzinfo=UTC)
    return moment.replace(tzinfo=default_zone).astimezone(UTC)


def parse_loose(text, default_zone=UTC):
    """moment's forgiving parse of the common non-ISO date spellings."""
    for pattern in LOOSE_FORMATS:
        parsed = parse_with_format(text, pattern, default_zone)
        if parsed is not None and _consumed(text, pattern):
            return parsed
    return None


def _consumed(text, pattern):
    regex, _ = _PARSERS[pattern]
    match = regex.match(text.strip())
    return match is not None and not text.strip()[match.end() :].strip()


# --- calendar arithmetic --------------------------------------------------------


def add_months(moment, months):
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def add(moment, count, unit):
    if unit in ("d", "w", "M", "Q", "y"):
        # moment rounds fractional calendar amounts half away from zero.
        count = int(abs(count) + 0.5) * (1 if count >= 0 else -1)
    if unit in UNIT_MICROSECONDS:
        return moment + timedelta(microseconds=round(count * UNIT_MICROSECONDS[unit]))
    months = {"M": 1, "Q": 3, "y": 12}[unit] * count
    return add_months(moment, months)


def diff(later, earlier, unit):
    """moment's ``later.diff(earlier, unit)``: truncated toward zero."""
    if unit in UNIT_MICROSECONDS:
        delta = later - earlier
        micros = (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
        quotient = abs(micros) // UNIT_MICROSECONDS[unit]
        return float(quotient if micros >= 0 else -quotient)
    months = _month_diff(later, earlier)
    months /= {"M": 1, "Q": 3, "y": 12}[unit]
    return float(int(months))


def _month_diff(a, b):
    if a.day < b.day:
        return -_month_diff(b, a)
    whole = (b.year - a.year) * 12 + (b.month - a.month)
    anchor = add_months(a, whole)
    if b < anchor:
        anchor2 = add_months(a, whole - 1)
        adjust = (b - anchor) / (anchor - anchor2)
    else:
        anchor2 = add_months(a, whole + 1)
        adjust = (b - anchor) / (anchor2 - anchor)
    return -(whole + adjust) or 0.0


def start_of(moment, unit):
    if unit == "y":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "Q":
        month = (moment.month - 1) // 3 * 3 + 1
        return moment.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "w":
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=(moment.weekday() + 1) % 7)
    if unit == "ms":
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    names = {
        "d": ("hour", "minute", "second", "microsecond"),
        "h": ("minute", "second", "microsecond"),
        "m": ("second", "microsecond"),
        "s": ("microsecond",),
    }[unit]
    return moment.replace(**{name: 0 for name in names})
