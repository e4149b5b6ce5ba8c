"""Field types in the sandbox: their options at creation, written values and sort order.

What each type is (computed, writable, how formulas see it, how it is shown)
comes from the shared registry, `apps.formulas.fieldtypes`.

Values are kept in Airtable's JSON shapes (what the API answers with
cellFormat=json); an empty value (``None``, ``""``, ``[]``, ``false``) is not
stored at all, as Airtable omits empty fields from its answers.
"""

from __future__ import annotations

import json
import math
import mimetypes
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo, available_timezones

from dateutil import parser as date_parser

from apps.formulas.fieldtypes import (
    NUMBER as NUMBER_VALUE,
)
from apps.formulas.fieldtypes import (
    TEXT,
    display_text,
    field_type,
    format_time,
    plain_number,
)

from . import ids
from .exceptions import InvalidFieldOptions, InvalidMultipleChoiceOptions, InvalidValueForColumn

SINGLE_LINE_TEXT, MULTILINE_TEXT, RICH_TEXT = "singleLineText", "multilineText", "richText"
EMAIL, URL, PHONE = "email", "url", "phoneNumber"
NUMBER, PERCENT, CURRENCY, RATING, DURATION = "number", "percent", "currency", "rating", "duration"
CHECKBOX = "checkbox"
SINGLE_SELECT, MULTIPLE_SELECTS = "singleSelect", "multipleSelects"
DATE, DATE_TIME = "date", "dateTime"
ATTACHMENTS = "multipleAttachments"
LINK = "multipleRecordLinks"
BARCODE = "barcode"
SINGLE_COLLABORATOR, MULTIPLE_COLLABORATORS = "singleCollaborator", "multipleCollaborators"
FORMULA, LOOKUP, ROLLUP, COUNT = "formula", "multipleLookupValues", "rollup", "count"
AUTO_NUMBER, CREATED_TIME, LAST_MODIFIED_TIME = "autoNumber", "createdTime", "lastModifiedTime"
CREATED_BY, LAST_MODIFIED_BY, BUTTON = "createdBy", "lastModifiedBy", "button"

DATE_FORMATS = {"local": "l", "friendly": "LL", "us": "M/D/YYYY", "european": "D/M/YYYY",
                "iso": "YYYY-MM-DD"}
TIME_FORMATS = {"12hour": "h:mma", "24hour": "HH:mm"}
DURATION_FORMATS = ("h:mm", "h:mm:ss", "h:mm:ss.S", "h:mm:ss.SS", "h:mm:ss.SSS")
CHOICE_COLORS = ("blueLight2", "cyanLight2", "tealLight2", "greenLight2", "yellowLight2",
                 "orangeLight2", "redLight2", "pinkLight2", "purpleLight2", "grayLight2")
MAX_TEXT = 100_000


def _options_error(field_name: str, detail: str) -> InvalidFieldOptions:
    return InvalidFieldOptions(f'Invalid options for field "{field_name}": {detail}')


def _int_option(options: dict, key: str, default: int, low: int, high: int, name: str) -> int:
    value = options.get(key, default)
    if type(value) is not int or not low <= value <= high:
        raise _options_error(name, f"{key} must be an integer from {low} to {high}")
    return value


def _date_format(options: dict, name: str) -> dict:
    raw = options.get("dateFormat") or {"name": "iso"}
    if not isinstance(raw, dict) or raw.get("name", "iso") not in DATE_FORMATS:
        raise _options_error(name, f"dateFormat.name must be one of {', '.join(DATE_FORMATS)}")
    format_name = raw.get("name", "iso")
    return {"format": DATE_FORMATS[format_name], "name": format_name}


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: object) -> ZoneInfo | None:
    """The IANA time zone ``name``, or None; never touches the file system for other text."""
    if not isinstance(name, str) or name not in _zone_names():
        return None
    return ZoneInfo(name)


def _time_zone(value: object, name: str) -> str:
    if value in (None, "utc", "client"):
        return value or "utc"
    if zone_named(value) is None:
        raise _options_error(name, f"unknown timeZone {str(value)[:60]!r}")
    return value


def _choices(options: dict, name: str) -> list[dict]:
    raw = options.get("choices", [])
    if not isinstance(raw, list):
        raise _options_error(name, "choices must be a list")
    choices, seen = [], set()
    for index, choice in enumerate(raw):
        if not isinstance(choice, dict) or not isinstance(choice.get("name"), str) \
                or not choice["name"].strip():
            raise _options_error(name, "each choice needs a name")
        if choice["name"] in seen:
            raise _options_error(name, f"duplicate choice {choice['name']!r}")
        seen.add(choice["name"])
        color = choice.get("color", CHOICE_COLORS[index % len(CHOICE_COLORS)])
        if not isinstance(color, str):
            raise _options_error(name, "a choice color must be text")
        choices.append({"id": ids.new_id(ids.CHOICE), "name": choice["name"], "color": color})
    return choices


def date_time_options(options: dict, name: str) -> dict:
    time_format = options.get("timeFormat") or {"name": "24hour"}
    if not isinstance(time_format, dict) or time_format.get("name", "24hour") not in TIME_FORMATS:
        raise _options_error(name, "timeFormat.name must be 12hour or 24hour")
    time_name = time_format.get("name", "24hour")
    return {"dateFormat": _date_format(options, name),
            "timeFormat": {"format": TIME_FORMATS[time_name], "name": time_name},
            "timeZone": _time_zone(options.get("timeZone"), name)}


def simple_options(field_type: str, options: object, name: str) -> dict | None:
    """Options of a field type that needs no other field, with Airtable's defaults filled in."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise _options_error(name, "options must be an object")
    if field_type == CHECKBOX:
        color, icon = options.get("color", "greenBright"), options.get("icon", "check")
        if not isinstance(color, str) or not isinstance(icon, str):
            raise _options_error(name, "color and icon must be text")
        return {"color": color, "icon": icon}
    if field_type in (NUMBER, PERCENT):
        return {"precision": _int_option(options, "precision", 0, 0, 8, name)}
    if field_type == CURRENCY:
        symbol = options.get("symbol", "$")
        if not isinstance(symbol, str) or not 0 < len(symbol) <= 5:
            raise _options_error(name, "symbol must be short text")
        return {"precision": _int_option(options, "precision", 2, 0, 7, name), "symbol": symbol}
    if field_type == RATING:
        color, icon = options.get("color", "yellowBright"), options.get("icon", "star")
        if not isinstance(color, str) or not isinstance(icon, str):
            raise _options_error(name, "color and icon must be text")
        return {"color": color, "icon": icon, "max": _int_option(options, "max", 5, 1, 10, name)}
    if field_type == DURATION:
        duration_format = options.get("durationFormat", "h:mm")
        if duration_format not in DURATION_FORMATS:
            raise _options_error(name, f"durationFormat must be one of {DURATION_FORMATS}")
        return {"durationFormat": duration_format}
    if field_type in (SINGLE_SELECT, MULTIPLE_SELECTS):
        return {"choices": _choices(options, name)}
    if field_type == DATE:
        return {"dateFormat": _date_format(options, name)}
    if field_type == DATE_TIME:
        return date_time_options(options, name)
    if field_type == ATTACHMENTS:
        return {"isReversed": bool(options.get("isReversed", False))}
    if field_type == CREATED_TIME:
        result = options.get("result")
        shown = result.get("options") if isinstance(result, dict) else None
        return {"result": {"type": DATE_TIME,
                           "options": date_time_options(shown if isinstance(shown, dict)
                                                        else {}, name)}}
    if field_type == LAST_MODIFIED_TIME:
        return {"isValid": True, "referencedFieldIds": [],
                "result": {"type": DATE_TIME, "options": date_time_options({}, name)}}
    if options:
        raise _options_error(name, f"a {field_type} field takes no options")
    return None


# --- Written values ------------------------------------------------------------------


def _reject(field: dict, detail: str = "cannot accept the provided value") -> InvalidValueForColumn:
    return InvalidValueForColumn(f'Field "{field["name"]}" {detail}')


def _number(field: dict, value: object, typecast: bool) -> float | int | None:
    if isinstance(value, bool):
        if typecast:
            return int(value)
        raise _reject(field)
    if isinstance(value, str) and typecast:
        text = value.strip().replace(",", "").lstrip("$€£")
        percent = text.endswith("%")
        text = text.rstrip("%").strip()
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _reject(field) from None
        if not number.is_finite():
            raise _reject(field)
        if percent and field["type"] == PERCENT:
            number /= 100
        value = float(number) if number != number.to_integral_value() else int(number)
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise _reject(field)
    if abs(value) > 1e15:
        raise _reject(field, "cannot accept a number this large")
    precision = (field.get("options") or {}).get("precision")
    if field["type"] in (NUMBER, CURRENCY) and isinstance(precision, int):
        value = round(value, precision)
        if precision == 0:
            value = int(value)
    if field["type"] == RATING:
        maximum = (field.get("options") or {}).get("max", 5)
        value = round(value)
        if value <= 0:
            return None
        if value > maximum:
            raise _reject(field, f"cannot accept a rating above {maximum}")
    if isinstance(value, float) and value.is_integer() and field["type"] != PERCENT:
        value = int(value)
    return value


def _text(field: dict, value: object, typecast: bool) -> str | None:
    if isinstance(value, str):
        text = value
    elif typecast and isinstance(value, int | float | bool):
        text = str(value).lower() if isinstance(value, bool) else plain_number(value)
    elif typecast and isinstance(value, list):
        text = ", ".join(str(item) for item in value if item not in (None, ""))
    else:
        raise _reject(field)
    if len(text) > MAX_TEXT:
        raise _reject(field, "cannot accept text this long")
    if field["type"] == SINGLE_LINE_TEXT and typecast:
        text = " ".join(text.splitlines())
    return text or None


def _checkbox(field: dict, value: object, typecast: bool) -> bool | None:
    if isinstance(value, bool):
        return True if value else None
    if typecast:
        if isinstance(value, str):
            return True if value.strip().lower() in ("true", "yes", "1", "checked", "x") else None
        if isinstance(value, int | float):
            return True if value else None
    raise _reject(field)


def _choice(field: dict, name: object, typecast: bool) -> str:
    if not isinstance(name, str):
        if typecast and isinstance(name, int | float) and not isinstance(name, bool):
            name = plain_number(name)
        else:
            raise _reject(field)
    choices = field["options"]["choices"]
    if any(choice["name"] == name for choice in choices):
        return name
    if not typecast:
        raise InvalidMultipleChoiceOptions(
            f'Insufficient permissions to create new select option ""{name}""')
    choices.append({"id": ids.new_id(ids.CHOICE), "name": name,
                    "color": CHOICE_COLORS[len(choices) % len(CHOICE_COLORS)]})
    return name


def _single_select(field: dict, value: object, typecast: bool) -> str | None:
    if isinstance(value, str) and not value:
        return None
    return _choice(field, value, typecast)


def _multiple_selects(field: dict, value: object, typecast: bool) -> list[str] | None:
    if isinstance(value, str) and typecast:
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise _reject(field)
    names: list[str] = []
    for item in value:
        name = _choice(field, item, typecast)
        if name not in names:
            names.append(name)
    return names or None


def _parse_moment(field: dict, value: object, typecast: bool) -> datetime | date:
    if not isinstance(value, str) or len(value) > 100:
        raise _reject(field)
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
                        r"(Z|[+-]\d{2}:?\d{2})?", text):
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        if typecast:
            return date_parser.parse(text)
    except (ValueError, OverflowError):
        pass
    raise _reject(field)


def _zone(field: dict) -> ZoneInfo:
    return zone_named((field.get("options") or {}).get("timeZone")) or ZoneInfo("UTC")


def _date(field: dict, value: object, typecast: bool) -> str | None:
    if value == "":
        return None
    moment = _parse_moment(field, value, typecast)
    return (moment.date() if isinstance(moment, datetime) else moment).isoformat()


def _date_time(field: dict, value: object, typecast: bool) -> str | None:
    if value == "":
        return None
    moment = _parse_moment(field, value, typecast)
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(field))
    return format_time(moment)


def _attachments(field: dict, value: object, typecast: bool, current: object) -> list | None:
    if isinstance(value, str) and typecast:
        value = [{"url": part.strip()} for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise _reject(field)
    existing = {item.get("id"): item for item in current or [] if isinstance(item, dict)}
    result = []
    for item in value:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and "url" not in item:
            if item["id"] not in existing:
                raise _reject(field, f"cannot accept attachment id {item['id'][:20]!r}")
            result.append(existing[item["id"]])
            continue
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise _reject(field)
        url = item["url"]
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
            raise _reject(field, "cannot accept an attachment url that is not http(s)")
        filename = item.get("filename")
        if filename is None:
            filename = unquote(parsed.path.rsplit("/", 1)[-1]) or "file"
        if not isinstance(filename, str) or len(filename) > 255:
            raise _reject(field)
        attachment = {"id": item.get("id") if ids.is_id(item.get("id"), ids.ATTACHMENT)
                      else ids.new_id(ids.ATTACHMENT), "url": url, "filename": filename}
        mime = mimetypes.guess_type(filename)[0]
        if mime:
            attachment["type"] = mime
        result.append(attachment)
    return result or None


def _collaborator(field: dict, value: object, typecast: bool) -> dict:
    if isinstance(value, str) and typecast:
        value = {"email": value} if "@" in value else {"id": value}
    if not isinstance(value, dict) or not any(isinstance(value.get(key), str)
                                              for key in ("id", "email")):
        raise _reject(field)
    return {key: value[key] for key in ("id", "email", "name") if isinstance(value.get(key), str)}


def _barcode(field: dict, value: object, typecast: bool) -> dict | None:
    if isinstance(value, str) and typecast:
        value = {"text": value}
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        raise _reject(field)
    barcode = {"text": value["text"]}
    if isinstance(value.get("type"), str):
        barcode["type"] = value["type"]
    return barcode if barcode["text"] else None


def convert(field: dict, value: object, *, typecast: bool, current: object = None) -> object:
    """The stored form of ``value`` written to ``field`` (a writable, non-link field).

    ``None`` means empty. Raises INVALID_VALUE_FOR_COLUMN for a value of the
    wrong shape and INVALID_MULTIPLE_CHOICE_OPTIONS for an unknown select
    option without typecast (with typecast the option is added to ``field``).
    """
    if value is None:
        return None
    kind = field["type"]
    shown = field_type(kind).value
    if shown == TEXT:
        return _text(field, value, typecast)
    if shown == NUMBER_VALUE:
        if value == "" and typecast:
            return None
        return _number(field, value, typecast)
    if kind == CHECKBOX:
        return _checkbox(field, value, typecast)
    if kind == SINGLE_SELECT:
        return _single_select(field, value, typecast)
    if kind == MULTIPLE_SELECTS:
        return _multiple_selects(field, value, typecast)
    if kind == DATE:
        return _date(field, value, typecast)
    if kind == DATE_TIME:
        return _date_time(field, value, typecast)
    if kind == ATTACHMENTS:
        return _attachments(field, value, typecast, current)
    if kind == SINGLE_COLLABORATOR:
        return _collaborator(field, value, typecast)
    if kind == MULTIPLE_COLLABORATORS:
        if not isinstance(value, list):
            raise _reject(field)
        return [_collaborator(field, item, typecast) for item in value] or None
    if kind == BARCODE:
        return _barcode(field, value, typecast)
    raise _reject(field)


def is_empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value is False


# --- Sorting -------------------------------------------------------------------------


def _generic_key(value: object) -> tuple:
    if value is None or value == "" or value == []:
        return (0,)
    if isinstance(value, bool):
        return (1, float(value))
    if isinstance(value, int | float):
        return (1, float(value))
    if isinstance(value, str):
        return (2, value.casefold(), value)
    if isinstance(value, list):
        return (3, tuple(_generic_key(item) for item in value))
    if isinstance(value, dict):
        label = value.get("name") or value.get("filename") or value.get("text") \
            or value.get("email") or json.dumps(value, sort_keys=True)
        return (4, str(label).casefold())
    return (5, str(value))


def sort_key(field: dict, value: object) -> tuple:
    """A key that orders values as Airtable's sort does; blanks come first ascending."""
    if value is None or value == "" or value == []:
        return (0,)
    kind = field["type"]
    if kind == SINGLE_SELECT:
        names = [choice["name"] for choice in field["options"]["choices"]]
        return (1, names.index(value) if value in names else len(names))
    if kind == MULTIPLE_SELECTS and isinstance(value, list):
        names = [choice["name"] for choice in field["options"]["choices"]]
        return (3, tuple((1, names.index(item) if item in names else len(names))
                         for item in value))
    return _generic_key(value)


# --- cellFormat=string -----------------------------------------------------------------


def cell_string(field: dict, value: object, *, zone: ZoneInfo,
                link_names: dict[str, str]) -> str:
    """The text Airtable's cellFormat=string shows for ``value`` (US locale)."""
    return display_text(field["type"], field.get("options"), value, zone=zone,
                        link_names=link_names)
