"""Reading records: from the mirror (SQL compiled by apps.formulas), or live.

A read is answered from the mirror unless it asks for `consistency="live"`,
the table's last sync is older than its `max_age`, the table was never
synced, or it names a view (views are not mirrored); those are passed to
Airtable as they are. Formulas over linked-record fields see the linked
records' primary values, read from the mirror's rows of the linked table.

Selectors only read. What a read calls for (a sync of a stale table, counting
the fields a query filters or sorts on, refreshing a schema that does not know
a table or field) is said in the `RecordPage` and done by the read services
(apps.airtable.services.reads), which views and tools call.

On the mirror, filterByFormula becomes a WHERE condition; a formula without
an exact SQL translation (NotCompilable) is evaluated in Python over the rows
in order, which gives the same answer more slowly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from apps.formulas import (
    FormulaError,
    NotCompilable,
    compile_filter,
    evaluate,
    field_references_rewrite,
    field_text_equalities,
    is_truthy,
    last_modified_time_from_field,
    parse,
)
from apps.formulas.fieldtypes import SELECT, TEXT, field_type, primary_text
from apps.formulas.sql import index_expression

from ..clients import connection_client
from ..exceptions import (
    FieldNotFound,
    FormulaInvalid,
    InvalidQuery,
    QueryTimeout,
    RecordNotFound,
    TableNotFound,
)
from ..limits import (
    AIRTABLE_OFFSET_PATTERN,
    FIELDS_MAX,
    FORMULA_MAX,
    MAX_AGE_MAX,
    MAX_RECORDS_MAX,
    MIRROR_OFFSET_PATTERN,
    PAGE_SIZE_MAX,
    RECORD_ID,
    SORTS_MAX,
    airtable_timestamp,
)
from ..models import AirtableConnection, Record
from .schema import base_schema, field_map, field_name, linked_tables, table_info
from .sorting import Unsortable, sort_keys

RECORD_TABLE = Record._meta.db_table
MIRROR_OFFSET = re.compile(MIRROR_OFFSET_PATTERN)
AIRTABLE_OFFSET = re.compile(AIRTABLE_OFFSET_PATTERN)
LIVE_ONLY_FUNCTIONS = re.compile(r"LAST_MODIFIED_TIME\s*\(", re.IGNORECASE)
FETCH_CHUNK = 2000


class _SchemaMiss(Exception):
    """A table or field the cached schema does not know: refresh it once and retry."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


@dataclass
class _Query:
    formula: str | None
    sort: list[dict]
    fields: list[str] | None
    page_size: int
    offset: str | None
    max_records: int | None
    consistency: str
    max_age: float | None
    view: str | None


@dataclass
class _Plan:
    schema: dict
    table: dict
    field_map: dict
    parsed: object | None
    sort: list[tuple[str, bool]] = field(default_factory=list)
    fields: list[str] | None = None
    live_reason: str | None = None


def record_json(record_id: str, created_time: datetime, fields: dict | str,
                only: list[str] | None = None) -> dict:
    if isinstance(fields, str):
        # Raw cursors hand jsonb over as text (Django's psycopg set-up).
        fields = json.loads(fields)
    if only is not None:
        fields = {name: fields[name] for name in only if name in fields}
    return {"id": record_id, "createdTime": airtable_timestamp(created_time), "fields": fields}


# --- input ------------------------------------------------------------------------------------


def _int(value, name: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidQuery(f"{name} must be a whole number.", errors={name: ["Not a number."]})
    text = str(value).strip()
    if not re.fullmatch(r"-?\d{1,12}", text):
        raise InvalidQuery(f"{name} must be a whole number.", errors={name: ["Not a number."]})
    number = int(text)
    if number < low or (high is not None and number > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidQuery(f"{name} must be {limit}.", errors={name: [f"Must be {limit}."]})
    return number


def _query(*, filter_by_formula, sort, fields, page_size, offset, max_records, consistency,
           max_age, view) -> _Query:
    if filter_by_formula is not None and not isinstance(filter_by_formula, str):
        raise InvalidQuery("filterByFormula must be text.",
                           errors={"filterByFormula": ["Must be text."]})
    if filter_by_formula and len(filter_by_formula) > FORMULA_MAX:
        raise InvalidQuery("filterByFormula is too long.",
                           errors={"filterByFormula": [f"At most {FORMULA_MAX} characters."]})
    sorts = []
    if sort is not None:
        if not isinstance(sort, list | tuple) or len(sort) > SORTS_MAX:
            raise InvalidQuery("sort must be a list of {field, direction}.",
                               errors={"sort": [f"A list of at most {SORTS_MAX} items."]})
        for index, item in enumerate(sort):
            if not isinstance(item, dict) or not isinstance(item.get("field"), str) \
                    or not item["field"]:
                raise InvalidQuery("Each sort needs a field.",
                                   errors={f"sort[{index}][field]": ["Required."]})
            direction = item.get("direction") or "asc"
            if direction not in ("asc", "desc"):
                raise InvalidQuery("A sort direction is asc or desc.",
                                   errors={f"sort[{index}][direction]": ["asc or desc."]})
            sorts.append({"field": item["field"][:255], "direction": direction})
    if fields is not None:
        if not isinstance(fields, list | tuple) or len(fields) > FIELDS_MAX or \
                not all(isinstance(name, str) for name in fields):
            raise InvalidQuery("fields must be a list of field names or ids.",
                               errors={"fields[]": ["A list of names."]})
        fields = list(fields)
    if offset and (not isinstance(offset, str) or not (
            MIRROR_OFFSET.match(offset) or AIRTABLE_OFFSET.match(offset))):
        raise InvalidQuery("offset is not one this API gave.",
                           errors={"offset": ["Invalid offset."]})
    if consistency not in ("mirror", "live"):
        raise InvalidQuery("consistency is mirror or live.",
                           errors={"consistency": ["mirror or live."]})
    if max_age is not None:
        if isinstance(max_age, bool) or not isinstance(max_age, int | float | str):
            raise InvalidQuery("max_age is a number of seconds.",
                               errors={"max_age": ["Seconds."]})
        try:
            max_age = float(max_age)
        except ValueError:
            raise InvalidQuery("max_age is a number of seconds.",
                               errors={"max_age": ["Seconds."]}) from None
        if not 0 <= max_age <= MAX_AGE_MAX:
            raise InvalidQuery("max_age is a number of seconds.",
                               errors={"max_age": [f"Seconds, 0 to {MAX_AGE_MAX}."]})
    if view is not None and (not isinstance(view, str) or not view or len(view) > 255):
        raise InvalidQuery("view is a view name or id.", errors={"view": ["Invalid view."]})
    return _Query(
        formula=filter_by_formula.strip() or None if filter_by_formula else None,
        sort=sorts, fields=fields,
        page_size=_int(page_size, "pageSize", low=1, high=PAGE_SIZE_MAX),
        offset=offset or None,
        max_records=None if max_records is None else _int(max_records, "maxRecords", low=1,
                                                              high=MAX_RECORDS_MAX),
        consistency=consistency, max_age=max_age, view=view)


# --- planning ---------------------------------------------------------------------------------


def _formula_error(error: FormulaError) -> FormulaInvalid:
    message = getattr(error, "message", None) or str(error)
    line, column = getattr(error, "line", None), getattr(error, "column", None)
    where = f" at line {line}, column {column}" if line is not None else ""
    return FormulaInvalid(f"filterByFormula: {message}{where}",
                          errors={"filterByFormula": [f"{message}{where}"]})


def _plan(schema: dict, table, query: _Query) -> _Plan:
    try:
        info = table_info(schema, table)
    except TableNotFound as error:
        raise _SchemaMiss(error) from None
    fmap = field_map(info, schema)
    plan = _Plan(schema=schema, table=info, field_map=fmap, parsed=None)
    if query.formula:
        # Fields may be named by id, {fldXXXXXXXXXXXXXX}, as Airtable accepts.
        by_id = {item["id"]: item["name"] for item in info["fields"]}
        formula = field_references_rewrite(query.formula, lambda key: by_id.get(key, key)) \
            if "fld" in query.formula else query.formula
        try:
            plan.parsed = parse(formula, fields=list(fmap))
        except FormulaError as error:
            invalid = _formula_error(error)
            if "Unknown field" in (getattr(error, "message", "") or ""):
                raise _SchemaMiss(invalid) from None
            raise invalid from None
        except RecursionError:
            raise FormulaInvalid("filterByFormula is nested too deeply.",
                                 errors={"filterByFormula": ["Nested too deeply."]}) from None
        if LIVE_ONLY_FUNCTIONS.search(query.formula):
            modified = _last_modified_field(info)
            if modified is None:
                plan.live_reason = "LAST_MODIFIED_TIME() is only known to Airtable"
            else:
                plan.parsed = last_modified_time_from_field(plan.parsed, modified)
    for index, item in enumerate(query.sort):
        name = field_name(info, item["field"])
        if name is None:
            raise _SchemaMiss(InvalidQuery(
                f"Unknown field {item['field']!r} in sort.",
                errors={f"sort[{index}][field]": ["Unknown field."]}))
        plan.sort.append((name, item["direction"] == "desc"))
    if query.fields is not None:
        names = []
        for key in query.fields:
            name = field_name(info, key)
            if name is None:
                raise _SchemaMiss(InvalidQuery(f"Unknown field {key[:255]!r} in fields[].",
                                               errors={"fields[]": ["Unknown field."]}))
            if name not in names:
                names.append(name)
        plan.fields = names
    return plan


def _last_modified_field(info: dict) -> str | None:
    """A last-modified-time field of the table that watches every field: its value is
    what LAST_MODIFIED_TIME() gives, which Airtable publishes only through it."""
    for item in info["fields"]:
        if item["type"] == "lastModifiedTime" and \
                not (item["options"] or {}).get("referencedFieldIds"):
            return item["name"]
    return None


def _planned(base_id: str, table, query: _Query) -> _Plan:
    try:
        return _plan(base_schema(base_id), table, query)
    except _SchemaMiss as miss:
        # A table or field the mirror's schema does not know: the read services
        # refresh the schema once and ask again.
        miss.error.schema_miss = True
        raise miss.error from None


def _client(schema: dict):
    return connection_client(AirtableConnection.objects.get(pk=schema["base"]["connection_id"]))


# --- listing ----------------------------------------------------------------------------------


def _query_hash(plan: _Plan, query: _Query) -> str:
    key = json.dumps([plan.table["pk"], query.formula, plan.sort], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def _live(plan: _Plan, query: _Query) -> dict:
    page = _client(plan.schema).list_records(
        plan.schema["base"]["id"], plan.table["id"], filter_by_formula=query.formula,
        sort=[{"field": name, "direction": "desc" if desc else "asc"}
              for name, desc in plan.sort] or None,
        fields=plan.fields, page_size=query.page_size, offset=query.offset,
        max_records=query.max_records, view=query.view)
    return {"records": page["records"], "offset": page["offset"]}


def _used_fields(plan: _Plan) -> frozenset[str]:
    names = set(plan.parsed.field_names) if plan.parsed is not None else set()
    names.update(name for name, _desc in plan.sort)
    return frozenset(names)


def _order_by(plan: _Plan) -> tuple[str, list]:
    parts, params = [], []
    for name, descending in plan.sort:
        keys, key_params = sort_keys(plan.field_map[name], plan.table["pk"])
        for key in keys:
            parts.append(f"{key} {'DESC NULLS LAST' if descending else 'ASC NULLS FIRST'}")
        params += key_params
    parts += ["position ASC", "record_id ASC"]
    return ", ".join(parts), params


SEPARATORS_ONLY = re.compile(r"^(, )*$")
# Pieces of `{Link} = 'text'` beyond which the linked names are found by a scan instead.
NAME_PIECES_MAX = 40


def _name_candidates(text: str) -> list[str] | None:
    """Every primary value a record linked by `{Link} = 'text'` can have: the names are
    joined by ", ", which cannot overlap itself, so each name is a run of the pieces the
    text splits into. None when there are too many pieces to list the runs."""
    pieces = text.split(", ")
    if len(pieces) > NAME_PIECES_MAX:
        return None
    runs = {", ".join(pieces[i:j]) for i in range(len(pieces))
            for j in range(i + 1, len(pieces) + 1)}
    runs.discard("")
    return sorted(runs)


def _linked_ids(spec, text: str) -> list[str]:
    """Ids of the linked table's records whose primary value can be one of the names in
    `text`, found through the primary field's expression index (made on first sync)."""
    primary = spec.link.primary
    name = index_expression(primary.name, {primary.name: primary}, column="fields")
    candidates = _name_candidates(text)
    if candidates is None:
        condition, params = f"position(COALESCE({name}, '') in %s) > 0", [text]
    else:
        condition, params = f"{name} = ANY(%s::text[])", [candidates]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT record_id FROM {RECORD_TABLE} WHERE table_id = "
                       f"{int(spec.link.scope)} AND {condition}", params)
        return [row[0] for row in cursor.fetchall()]


def _link_prefilter(plan: _Plan) -> tuple[str, list]:
    """A condition the GIN index on `fields` serves, implied by `{Link} = 'text'`: the
    record links to one of the records whose primary value is one of the names the text
    can be made of (some linked name is, when the comma-joined names equal it). A scan
    of the whole table becomes a look-up of the linked names, then of the few records
    that link to them; the compiled filter still decides."""
    parts, params = [], []
    for name, text in field_text_equalities(plan.parsed):
        spec = plan.field_map[name]
        if spec.link is None or SEPARATORS_ONLY.match(text) or \
                field_type(spec.link.primary.type).value not in (TEXT, SELECT):
            continue
        ids = _linked_ids(spec, text)
        if not ids:
            return "FALSE", []
        parts.append("fields @? %s::jsonpath")
        params.append(links_contain_path(name, ids))
    return " AND ".join(parts), params


def links_contain_path(name: str, record_ids: list[str]) -> str:
    """jsonpath matching mirror rows whose link field ``name`` holds one of ``record_ids``:
    `fields @? <path>` is served by the GIN index on `fields`."""
    found = " || ".join(f"@ == {json.dumps(item, ensure_ascii=False)}" for item in record_ids)
    return f"$.{json.dumps(name, ensure_ascii=False)}[*] ? ({found})"


def _mirror(plan: _Plan, query: _Query, order_sql: str, order_params: list) -> dict:
    start = 0
    digest = _query_hash(plan, query)
    if query.offset:
        match = MIRROR_OFFSET.match(query.offset)
        if match is None or match.group(2) != digest:
            raise InvalidQuery("offset does not belong to this query (or has expired).",
                               errors={"offset": ["Invalid offset."]})
        start = int(match.group(1))
    limit = query.page_size
    if query.max_records is not None:
        limit = min(limit, max(0, query.max_records - start))
    if limit == 0:
        return {"records": [], "offset": None}
    where, params = "table_id = %s", [plan.table["pk"]]
    evaluate_in_python = False
    if plan.parsed is not None:
        try:
            condition, condition_params = compile_filter(plan.parsed, plan.field_map)
            where += f" AND ({condition})"
            params += condition_params
        except NotCompilable:
            evaluate_in_python = True
        prefilter, prefilter_params = _link_prefilter(plan)
        if prefilter:
            where += f" AND {prefilter}"
            params += prefilter_params
    select = (f"SELECT record_id, created_time, fields, last_modified_time FROM {RECORD_TABLE} "
              f"WHERE {where} ORDER BY {order_sql}")
    with bounded_query() as deadline:
        if evaluate_in_python:
            rows = _python_filtered(plan, select, params + order_params, start, limit + 1,
                                    deadline)
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"{select} LIMIT %s OFFSET %s",
                               params + order_params + [limit + 1, start])
                rows = cursor.fetchall()
    records = [record_json(row[0], row[1], row[2], plan.fields) for row in rows[:limit]]
    more = len(rows) > limit and (query.max_records is None or start + limit < query.max_records)
    return {"records": records, "offset": f"m{start + limit}.{digest}" if more else None}


def _primary_texts(linked: dict, record_ids: set[str]) -> dict[str, str]:
    """{record id: primary value as text} of records of the ``linked`` table, as a link to
    them shows in a formula."""
    primary = next((field for field in linked["fields"]
                    if field["id"] == linked["primary_field_id"]), None)
    if primary is None or not record_ids:
        return {}
    rows = Record.objects.filter(table_id=linked["pk"], record_id__in=record_ids) \
        .values_list("record_id", "fields")
    texts = {}
    for record_id, fields in rows:
        value = fields.get(primary["name"])
        texts[record_id] = primary_text(primary["type"], primary["options"], value)
    return texts


def _with_link_names(plan: _Plan, links: dict[str, dict], rows: list) -> list[dict]:
    """The formula's values of each row, link fields as their linked records' primary
    values (a record the mirror does not hold shows as empty text)."""
    names = plan.parsed.field_names
    values = []
    for row in rows:
        stored = json.loads(row[2]) if isinstance(row[2], str) else row[2]
        values.append({name: stored[name] for name in names if name in stored})
    for name, linked in links.items():
        ids = {item for value in values for item in value.get(name) or ()
               if isinstance(item, str)}
        texts = _primary_texts(linked, ids)
        for value in values:
            if isinstance(value.get(name), list):
                value[name] = [texts.get(item, "") for item in value[name]]
    return values


@contextlib.contextmanager
def bounded_query():
    """A transaction whose statements PostgreSQL cancels after MIRROR_QUERY_TIMEOUT_MS; yields
    the monotonic deadline for work done in Python. Either overrun is QueryTimeout."""
    timeout_ms = settings.MIRROR_QUERY_TIMEOUT_MS
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # No JIT: the planner's guess for a look-up per linked record is huge, and
                # compiling the plan took longer (about 200 ms) than running it.
                cursor.execute("SELECT set_config('statement_timeout', %s, true), "
                               "set_config('jit', 'off', true)", [f"{timeout_ms}ms"])
            yield time.monotonic() + timeout_ms / 1000
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != "57014":  # query_canceled
            raise
        raise _too_slow(timeout_ms) from None


def _too_slow(timeout_ms: int) -> QueryTimeout:
    return QueryTimeout(f"The query ran past the {timeout_ms / 1000:g} s limit of the mirror; "
                        "narrow the filter or sort on fewer fields.")


def _python_filtered(plan: _Plan, select: str, params: list, skip: int, wanted: int,
                     deadline: float) -> list:
    formula = plan.parsed
    links = linked_tables(plan.schema, plan.field_map, formula.field_names)
    found: list = []
    matched = 0
    # In a transaction the server-side cursor streams rows as they are read; outside
    # one Django makes it WITH HOLD, which materialises the whole result first.
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(select, params)
        while len(found) < wanted:
            rows = cursor.fetchmany(FETCH_CHUNK)
            if not rows:
                break
            for row, values in zip(rows, _with_link_names(plan, links, rows), strict=True):
                if time.monotonic() > deadline:
                    raise _too_slow(settings.MIRROR_QUERY_TIMEOUT_MS)
                try:
                    keep = is_truthy(evaluate(formula, values, record_id=row[0],
                                              created_time=row[1], last_modified_time=row[3]))
                except (FormulaError, ArithmeticError, ValueError, TypeError, RecursionError):
                    keep = False
                if not keep:
                    continue
                matched += 1
                if matched > skip:
                    found.append(row)
                    if len(found) >= wanted:
                        break
    return found


@dataclass(frozen=True)
class RecordPage:
    """A page of records and what the read calls for: a sync of the base when the
    mirror was too old or never synced, and the fields the mirror filtered or sorted
    on (counted towards their indexes)."""

    page: dict
    base_id: str
    table_pk: int
    sync_due: bool = False
    used_fields: frozenset[str] = frozenset()


def record_page(*, base_id, table, filter_by_formula=None, sort=None, fields=None,
                page_size=100, offset=None, max_records=None, consistency="mirror",
                max_age=None, view=None) -> RecordPage:
    """One page of records in Airtable's shape, with what the read calls for.
    `sort` is a list of {"field", "direction"}; fields may be named or given by id."""
    query = _query(filter_by_formula=filter_by_formula, sort=sort, fields=fields,
                   page_size=page_size, offset=offset, max_records=max_records,
                   consistency=consistency, max_age=max_age, view=view)
    plan = _planned(base_id, table, query)
    base_id = plan.schema["base"]["id"]
    synced_at = plan.table["last_synced_at"]
    sync_due = False
    live = query.consistency == "live" or query.view is not None or plan.live_reason
    if not live and query.offset and not MIRROR_OFFSET.match(query.offset):
        live = True  # the next page of a listing that Airtable answered
    if not live:
        order_sql = order_params = None
        try:
            order_sql, order_params = _order_by(plan)
        except Unsortable:
            live = True
        if synced_at is None:
            live = sync_due = True
        elif query.max_age is not None and \
                timezone.now() - synced_at > timedelta(seconds=query.max_age):
            live = sync_due = True
    if live:
        if query.offset and MIRROR_OFFSET.match(query.offset):
            raise InvalidQuery("This offset came from the mirror; ask with the same "
                               "consistency.", errors={"offset": ["Invalid offset."]})
        return RecordPage(page=_live(plan, query), base_id=base_id, table_pk=plan.table["pk"],
                          sync_due=sync_due)
    return RecordPage(page=_mirror(plan, query, order_sql, order_params), base_id=base_id,
                      table_pk=plan.table["pk"], used_fields=_used_fields(plan))


def record_list(*, base_id, table, **options) -> dict:
    """One page of records in Airtable's shape: {"records": [...], "offset": str | None}
    (the options of record_page), without the upkeep the read services add."""
    return record_page(base_id=base_id, table=table, **options).page


def record_get(*, base_id, table, record_id, ask_airtable_on_miss=True) -> dict:
    """A record from the mirror; one it does not have is asked of Airtable (it may be newer
    than the last sync) unless ask_airtable_on_miss=False and the table has been synced."""
    if not isinstance(record_id, str) or not RECORD_ID.match(record_id):
        raise RecordNotFound("There is no such record.")
    plan = _planned(base_id, table, _query(
        filter_by_formula=None, sort=None, fields=None, page_size=1, offset=None,
        max_records=None, consistency="mirror", max_age=None, view=None))
    row = (Record.objects.filter(table_id=plan.table["pk"], record_id=record_id)
           .values_list("record_id", "created_time", "fields").first())
    if row is not None:
        return record_json(*row)
    if not ask_airtable_on_miss and plan.table["last_synced_at"] is not None:
        raise RecordNotFound(f"Table {plan.table['name'][:200]!r} has no record {record_id}.")
    return _client(plan.schema).record_get(plan.schema["base"]["id"], plan.table["id"], record_id)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def record_search(*, base_id, table, query, fields=None, max_records=100) -> dict:
    """Records of the mirror whose values (in `fields`, or any field) contain
    `query`, case-insensitively, in the table's default order."""
    if not isinstance(query, str) or not query.strip() or len(query) > 1000:
        raise InvalidQuery("query is the text to look for.",
                           errors={"query": ["Text of 1 to 1000 characters."]})
    limit = _int(max_records, "max_records", low=1, high=1000)
    plan = _planned(base_id, table, _query(
        filter_by_formula=None, sort=None, fields=fields, page_size=1, offset=None,
        max_records=None, consistency="mirror", max_age=None, view=None))
    names = plan.fields if plan.fields is not None else list(plan.field_map)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT record_id, created_time, fields FROM {RECORD_TABLE} WHERE table_id = %s "
            "AND EXISTS (SELECT 1 FROM jsonb_each(fields) AS kv(key, value) "
            "WHERE kv.key = ANY(%s::text[]) AND (CASE jsonb_typeof(kv.value) "
            "WHEN 'string' THEN kv.value #>> '{}' ELSE kv.value::text END) ILIKE %s) "
            "ORDER BY position, record_id LIMIT %s",
            [plan.table["pk"], names, _like(query.strip()), limit])
        rows = cursor.fetchall()
    return {"records": [record_json(*row) for row in rows]}


def record_count(*, base_id, table, filter_by_formula=None) -> int | None:
    """How many mirrored records of the table match the filter; None while the table has
    never been synced (only Airtable could say, and it does not count)."""
    query = _query(filter_by_formula=filter_by_formula, sort=None, fields=None, page_size=1,
                   offset=None, max_records=None, consistency="mirror", max_age=None,
                   view=None)
    plan = _planned(base_id, table, query)
    if plan.table["last_synced_at"] is None or plan.live_reason:
        return None
    where, params = "table_id = %s", [plan.table["pk"]]
    if plan.parsed is not None:
        try:
            condition, condition_params = compile_filter(plan.parsed, plan.field_map)
        except NotCompilable:
            select = (f"SELECT record_id, created_time, fields, last_modified_time "
                      f"FROM {RECORD_TABLE} WHERE {where} ORDER BY position")
            with bounded_query() as deadline:
                return len(_python_filtered(plan, select, params, 0, 10**9, deadline))
        where += f" AND ({condition})"
        params += condition_params
    with bounded_query(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {RECORD_TABLE} WHERE {where}", params)
        return cursor.fetchone()[0]


def record_offset_previous(*, offset: str | None, page_size: int) -> tuple[int, str | None]:
    """Where a mirror page starts (0 for the first) and the offset of the page before it
    (None: the first page)."""
    match = MIRROR_OFFSET.match(offset or "")
    if match is None:
        return 0, None
    start = int(match.group(1))
    before = start - page_size
    return start, (f"m{before}.{match.group(2)}" if before > 0 else None)


def record_link_names(*, base_id, table, records: list[dict]) -> dict[str, str]:
    """{linked record id: its primary value as text} for every record that ``records``
    (of ``table``) link to, read from the mirror: what link chips show."""
    schema = base_schema(base_id)
    info = table_info(schema, table)
    fmap = field_map(info, schema)
    links = linked_tables(schema, fmap, [name for name, spec in fmap.items() if spec.link])
    names: dict[str, str] = {}
    for name, linked in links.items():
        ids = {item for record in records for item in record["fields"].get(name) or ()
               if isinstance(item, str)}
        names.update(_primary_texts(linked, ids))
    return names


LINK_OPTIONS_MAX = 50


def record_link_options(*, base_id, table, field, query: str = "", limit: int = 20) -> dict:
    """What a link field of ``table`` can point at: records of its linked table whose primary
    value contains ``query`` (case-insensitively; the first records without one), each as
    {id, name}, with whether the field holds one record only."""
    schema = base_schema(base_id)
    info = table_info(schema, table)
    fmap = field_map(info, schema)
    name = field_name(info, field)
    linked = linked_tables(schema, fmap, [name]).get(name) if name else None
    if linked is None:
        raise FieldNotFound(f"Table {info['name'][:200]!r} has no link field "
                            f"{str(field)[:200]!r}.")
    limit = _int(limit, "limit", low=1, high=LINK_OPTIONS_MAX)
    if not isinstance(query, str) or len(query) > 1000:
        raise InvalidQuery("q is the text to look for.",
                           errors={"q": ["Text of at most 1000 characters."]})
    primary = next((item for item in linked["fields"]
                    if item["id"] == linked["primary_field_id"]), None)
    rows = Record.objects.filter(table_id=linked["pk"]).order_by("position", "record_id")
    if query.strip() and primary is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT record_id FROM {RECORD_TABLE} WHERE table_id = %s AND (CASE "
                "jsonb_typeof(fields -> %s) WHEN 'string' THEN fields ->> %s "
                "ELSE (fields -> %s)::text END) ILIKE %s ORDER BY position, record_id LIMIT %s",
                [linked["pk"], primary["name"], primary["name"], primary["name"],
                 _like(query.strip()), limit])
            ids = [row[0] for row in cursor.fetchall()]
    else:
        ids = list(rows.values_list("record_id", flat=True)[:limit])
    names = _primary_texts(linked, set(ids))
    single = bool((next(item for item in info["fields"] if item["name"] == name)
                   .get("options") or {}).get("prefersSingleRecordLink"))
    return {"table": {"id": linked["id"], "name": linked["name"]}, "single": single,
            "records": [{"id": record_id, "name": names.get(record_id) or record_id}
                        for record_id in ids]}
