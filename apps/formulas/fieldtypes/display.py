"""Values as text, the way Airtable shows them (``cellFormat=string``, US locale, and the
grid): currency with its symbol and precision, percent times 100, durations h:mm, dates in the
field's format."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UTC_ZONE = ZoneInfo("UTC")


def plain_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_time(moment: datetime) -> str:
    """Airtable's timestamps: UTC with milliseconds, e.g. 2024-01-05T10:00:00.000Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def number_text(value: float | int, options: dict | None) -> str:
    precision = (options or {}).get("precision")
    if isinstance(precision, int):
        return f"{value:,.{precision}f}"
    return plain_number(value)


def percent_text(value: float | int, options: dict | None) -> str:
    precision = (options or {}).get("precision")
    number = value * 100
    text = f"{number:.{precision}f}" if isinstance(precision, int) else plain_number(number)
    return f"{text}%"


def duration_text(value: float | int, options: dict | None) -> str:
    seconds = int(value)
    text = f"{seconds // 3600}:{seconds % 3600 // 60:02d}"
    duration_format = (options or {}).get("durationFormat") or "h:mm"
    if duration_format.startswith("h:mm:ss"):
        text += f":{seconds % 60:02d}"
        digits = len(duration_format) - len("h:mm:ss.")
        if digits > 0:
            fraction = f"{value - int(value):.{digits}f}"[2:]
            text += f".{fraction}"
    return text


_DATE_PATTERNS = {"us": "{m}/{d}/{y}", "european": "{d}/{m}/{y}",
                  "iso": "{y}-{mm}-{dd}", "friendly": "{month} {d}, {y}", "local": "{m}/{d}/{y}"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _date_part(day: date, options: dict | None, *, us_default: bool) -> str:
    name = ((options or {}).get("dateFormat") or {}).get("name")
    if us_default or name not in _DATE_PATTERNS:
        name = "us"
    return _DATE_PATTERNS[name].format(y=day.year, m=day.month, d=day.day,
                                       mm=f"{day.month:02d}", dd=f"{day.day:02d}",
                                       month=_MONTHS[day.month - 1])


def moment_text(value: str, options: dict | None, zone: ZoneInfo | None, *, with_time: bool,
                field_format: bool = False) -> str:
    """A date (or an instant, in ``zone``) as text. Airtable's cellFormat=string shows US
    dates; the grid (``field_format``) the field's own date and time formats."""
    try:
        if not with_time:
            day = date.fromisoformat(value[:10])
            return _date_part(day, options, us_default=not field_format)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    options = options or {}
    if zone is None:
        zone_name = options.get("timeZone")
        try:
            zone = ZoneInfo(zone_name) if zone_name not in (None, "utc", "client") else UTC_ZONE
        except (KeyError, ValueError):
            zone = UTC_ZONE
    moment = moment.astimezone(zone)
    day = _date_part(moment.date(), options, us_default=not field_format)
    time_name = (options.get("timeFormat") or {}).get("name")
    if field_format and time_name == "24hour":
        return f"{day} {moment.hour:02d}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{day} {hour}:{moment.minute:02d}{'pm' if moment.hour >= 12 else 'am'}"


def plain_text(value: object, link_names: dict[str, str]) -> str:
    if isinstance(value, bool):
        return "checked" if value else ""
    if isinstance(value, int | float):
        return plain_number(value)
    if isinstance(value, list):
        return ", ".join(plain_text(item, link_names) for item in value)
    if isinstance(value, dict):
        for key in ("name", "text", "filename", "email", "specialValue"):
            if isinstance(value.get(key), str):
                return value[key]
        return json.dumps(value)
    if isinstance(value, str):
        return link_names.get(value, value)
    return "" if value is None else str(value)
