"""Request parameters of the Airtable API, from query strings and JSON bodies."""

from __future__ import annotations

import re

from django.http import QueryDict

from ..exceptions import InvalidRequest
from ..selectors import PAGE_SIZE, ListQuery

_SORT_PARAM = re.compile(r"sort\[(\d{1,3})\]\[(field|direction)\]")
_DIGITS = re.compile(r"\d{1,9}")
LIST_BODY_KEYS = {"pageSize", "maxRecords", "offset", "fields", "sort", "filterByFormula",
                  "view", "cellFormat", "timeZone", "userLocale", "returnFieldsByFieldId",
                  "recordMetadata"}
MAX_PARAM = 16_000


def invalid(name: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid request: parameter validation failed for {name!r}. "
                          "Check your request data.")


def only(data: dict, allowed: set[str]) -> dict:
    unknown = set(data) - allowed
    if unknown:
        raise invalid(sorted(unknown)[0][:100])
    return data


def flag(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(name)
    return value


def _query_flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true"):
        return True
    if lowered in ("", "0", "false"):
        return False
    raise invalid(name)


def _count(value: object, name: str, *, high: int | None = None) -> int:
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if type(value) is not int or value < 1 or (high is not None and value > high):
        raise invalid(name)
    return value


def _text(value: object, name: str, *, choices: tuple[str, ...] | None = None,
          longest: int | None = MAX_PARAM) -> str:
    if not isinstance(value, str) or (longest is not None and len(value) > longest):
        raise invalid(name)
    if choices is not None and value not in choices:
        raise invalid(name)
    return value


def _texts(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(name)
    return value


def _comment_count(values: list[str], name: str) -> bool:
    for value in values:
        if value != "commentCount":
            raise invalid(name)
    return bool(values)


def _sort_items(items: object) -> list[tuple[str, bool]]:
    if not isinstance(items, list):
        raise invalid("sort")
    sort = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("field"), str) \
                or set(item) - {"field", "direction"}:
            raise invalid("sort")
        direction = item.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise invalid("sort")
        sort.append((item["field"], direction == "desc"))
    return sort


def list_query_from_get(params: QueryDict) -> ListQuery:
    query = ListQuery()
    if "pageSize" in params:
        query.page_size = _count(params["pageSize"], "pageSize", high=PAGE_SIZE)
    if "maxRecords" in params:
        query.max_records = _count(params["maxRecords"], "maxRecords")
    if params.get("offset"):
        query.offset = _text(params["offset"], "offset")
    fields = params.getlist("fields[]") + params.getlist("fields")
    if fields:
        query.fields = fields
    sort: dict[int, dict[str, str]] = {}
    for key in params:
        match = _SORT_PARAM.fullmatch(key)
        if match:
            sort.setdefault(int(match.group(1)), {})[match.group(2)] = params[key]
    if sort:
        query.sort = _sort_items([sort[index] for index in sorted(sort)])
    if "filterByFormula" in params:
        query.formula = _text(params["filterByFormula"], "filterByFormula")
    if "view" in params:
        query.view = _text(params["view"], "view")
    _common_from_get(query, params)
    query.comment_count = _comment_count(
        params.getlist("recordMetadata[]") + params.getlist("recordMetadata"), "recordMetadata")
    return query


def _common_from_get(query: ListQuery, params: QueryDict) -> None:
    if "cellFormat" in params:
        query.cell_format = _text(params["cellFormat"], "cellFormat", choices=("json", "string"))
    if "timeZone" in params:
        query.time_zone = _text(params["timeZone"], "timeZone")
    if "userLocale" in params:
        query.user_locale = _text(params["userLocale"], "userLocale")
    if "returnFieldsByFieldId" in params:
        query.by_field_id = _query_flag(params["returnFieldsByFieldId"], "returnFieldsByFieldId")


def record_query_from_get(params: QueryDict) -> ListQuery:
    """What GET of one record takes: cell format, time zone, locale, ids as keys."""
    query = ListQuery()
    _common_from_get(query, params)
    return query


def list_query_from_body(body: dict, params: QueryDict) -> ListQuery:
    """POST …/listRecords: the same parameters in the JSON body (time zone and locale may
    stay in the query string, where pyairtable leaves them)."""
    only(body, LIST_BODY_KEYS)
    query = ListQuery()
    _common_from_get(query, params)
    if body.get("pageSize") is not None:
        query.page_size = _count(body["pageSize"], "pageSize", high=PAGE_SIZE)
    if body.get("maxRecords") is not None:
        query.max_records = _count(body["maxRecords"], "maxRecords")
    if body.get("offset"):
        query.offset = _text(body["offset"], "offset")
    if body.get("fields") is not None:
        query.fields = _texts(body["fields"], "fields")
    if body.get("sort") is not None:
        query.sort = _sort_items(body["sort"])
    if body.get("filterByFormula") is not None:
        # The URL limit is why clients send long formulas in the body: no limit here
        # beyond the formula parser's own.
        query.formula = _text(body["filterByFormula"], "filterByFormula", longest=None)
    if body.get("view") is not None:
        query.view = _text(body["view"], "view")
    if body.get("cellFormat") is not None:
        query.cell_format = _text(body["cellFormat"], "cellFormat", choices=("json", "string"))
    if body.get("timeZone") is not None:
        query.time_zone = _text(body["timeZone"], "timeZone")
    if body.get("userLocale") is not None:
        query.user_locale = _text(body["userLocale"], "userLocale")
    if "returnFieldsByFieldId" in body:
        query.by_field_id = flag(body, "returnFieldsByFieldId")
    if body.get("recordMetadata") is not None:
        query.comment_count = _comment_count(_texts(body["recordMetadata"], "recordMetadata"),
                                             "recordMetadata")
    return query
