"""Airtable tools: reads come from the tenant's mirror, writes go to Airtable
first and then to the mirror (apps.airtable services)."""

from __future__ import annotations

import json

from apps.core.tools import WRITE, Tool, tool_registry

from . import limits, selectors, services

# A tool result is read by a model: keep it well inside a client's context.
MAX_RESULT_CHARS = 60_000
MAX_VALUE_CHARS = 2_000

BASE_ID = {"type": "string", "pattern": limits.BASE_ID_PATTERN,
           "description": "The base id (appXXXXXXXXXXXXXX), from list_bases."}
TABLE = {"type": "string", "minLength": 1, "maxLength": limits.NAME_MAX,
         "description": "The table's id (tblXXXXXXXXXXXXXX) or name."}
RECORD_ID = {"type": "string", "pattern": limits.RECORD_ID_PATTERN}
FIELDS_OBJECT = {"type": "object", "description": "Field name (or id) to value, in Airtable's "
                                                  "JSON shapes."}
RECORD = {"type": "object", "required": ["id", "createdTime", "fields"],
          "properties": {"id": {"type": "string"}, "createdTime": {"type": "string"},
                         "fields": {"type": "object"}}}
FIELD = {"type": "object", "required": ["id", "name", "type"],
         "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                        "type": {"type": "string"}, "options": {"type": ["object", "null"]},
                        "description": {"type": ["string", "null"]}}}
RECORDS_OUT = {"type": "object", "required": ["records"],
               "properties": {"records": {"type": "array", "items": RECORD}}}
TYPECAST = {"type": "boolean", "default": False,
            "description": "Let Airtable convert values (e.g. '3' into a number, new select "
                           "options)."}
FIELD_TYPES_HINT = ("Airtable field type, e.g. singleLineText, multilineText, number, currency, "
                    "percent, checkbox, date, dateTime, singleSelect, multipleSelects, email, "
                    "url, phoneNumber, multipleRecordLinks.")


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _clip_values(record: dict) -> tuple[dict, bool]:
    clipped, changed = {}, False
    for name, value in record["fields"].items():
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > MAX_VALUE_CHARS:
            clipped[name] = text[:MAX_VALUE_CHARS] + "…"
            changed = True
        else:
            clipped[name] = value
    return {**record, "fields": clipped}, changed


def _fits(value) -> bool:
    return len(json.dumps(value, ensure_ascii=False, default=str)) <= MAX_RESULT_CHARS


def _page_within_budget(fetch, page_size: int) -> dict:
    """A page of records small enough for a model's context. A page that is too large is
    fetched again with half the page size, so the `offset` still continues exactly after the
    last record returned; a single record that is still too large has its long values cut."""
    while True:
        page = fetch(page_size)
        answer = {"records": page["records"], "offset": page.get("offset"), "truncated": False}
        if _fits(answer):
            return answer
        if page_size > 1:
            page_size //= 2
            continue
        records = []
        for record in answer["records"]:
            record, _changed = _clip_values(record)
            records.append(record)
        return {**answer, "records": records, "truncated": True}


@tool_registry.register
class ListBases(Tool):
    name = "list_bases"
    title = "List bases"
    description = "The Airtable bases this team has connected, with when each was last synced."
    input_schema = {"type": "object", "properties": {}, "additionalProperties": False}
    output_schema = {
        "type": "object", "required": ["bases"],
        "properties": {"bases": {"type": "array", "items": {
            "type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                           "permissionLevel": {"type": "string"},
                           "lastSyncedAt": {"type": ["string", "null"]}}}}},
    }

    def run(self, context, arguments):
        return {"bases": [{"id": base.base_id, "name": base.name,
                           "permissionLevel": base.permission_level,
                           "lastSyncedAt": _iso(base.last_synced_at)}
                          for base in selectors.base_list() if context.may_reach(base.base_id)]}


@tool_registry.register
class ListTables(Tool):
    name = "list_tables"
    title = "List tables"
    description = ("The tables of a base. detailLevel: tableIdentifiersOnly (ids and names), "
                   "identifiersOnly (also field ids and names), full (field types and options).")
    input_schema = {
        "type": "object", "required": ["baseId"], "additionalProperties": False,
        "properties": {"baseId": BASE_ID, "detailLevel": {
            "enum": ["tableIdentifiersOnly", "identifiersOnly", "full"], "default": "full"}},
    }
    output_schema = {
        "type": "object", "required": ["tables"],
        "properties": {"tables": {"type": "array", "items": {
            "type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                           "description": {"type": ["string", "null"]},
                           "primaryFieldId": {"type": "string"},
                           "recordCount": {"type": ["integer", "null"]},
                           "fields": {"type": "array", "items": {"type": "object"}}}}}},
    }

    def run(self, context, arguments):
        level = arguments.get("detailLevel", "full")
        tables = []
        for table in services.table_list(base_id=arguments["baseId"]):
            item = {"id": table["id"], "name": table["name"]}
            if level != "tableIdentifiersOnly":
                item["primaryFieldId"] = table["primary_field_id"]
                item["fields"] = [{"id": f["id"], "name": f["name"]} for f in table["fields"]]
            if level == "full":
                item["description"] = table["description"]
                item["recordCount"] = table["record_count"]
                item["fields"] = table["fields"]
            tables.append(item)
        return {"tables": tables}


@tool_registry.register
class DescribeTable(Tool):
    name = "describe_table"
    title = "Describe a table"
    description = "A table's fields with their types and options, and its record count."
    input_schema = {"type": "object", "required": ["baseId", "table"],
                    "additionalProperties": False,
                    "properties": {"baseId": BASE_ID, "table": TABLE}}
    output_schema = {
        "type": "object", "required": ["id", "name", "fields"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                       "description": {"type": ["string", "null"]},
                       "primaryFieldId": {"type": "string"},
                       "recordCount": {"type": ["integer", "null"]},
                       "lastSyncedAt": {"type": ["string", "null"]},
                       "fields": {"type": "array", "items": FIELD}},
    }

    def run(self, context, arguments):
        table = services.table_get(base_id=arguments["baseId"], table=arguments["table"])
        synced = table["last_synced_at"]
        return {"id": table["id"], "name": table["name"], "description": table["description"],
                "primaryFieldId": table["primary_field_id"], "recordCount": table["record_count"],
                "lastSyncedAt": synced if isinstance(synced, str | None) else _iso(synced),
                "fields": table["fields"]}


PAGED_RECORDS_OUT = {
    "type": "object", "required": ["records", "truncated"],
    "properties": {
        "records": {"type": "array", "items": RECORD},
        "offset": {"type": ["string", "null"],
                   "description": "Pass as offset to get the next page; null at the end."},
        "truncated": {"type": "boolean",
                      "description": "True when long values were cut to fit the answer."},
    },
}


@tool_registry.register
class ListRecords(Tool):
    name = "list_records"
    title = "List records"
    description = (
        "Records of a table from the mirror, in Airtable's shape. filterByFormula takes "
        "Airtable's formula language, e.g. AND({Stage} = 'Won', {Amount} > 10000). Pages of at "
        "most pageSize records; pass the returned offset to continue.")
    input_schema = {
        "type": "object", "required": ["baseId", "table"], "additionalProperties": False,
        "properties": {
            "baseId": BASE_ID, "table": TABLE,
            "filterByFormula": {"type": "string", "maxLength": limits.TOOL_FORMULA_MAX},
            "sort": {"type": "array", "maxItems": limits.TOOL_SORTS_MAX, "items": {
                "type": "object", "required": ["field"], "additionalProperties": False,
                "properties": {"field": {"type": "string"},
                               "direction": {"enum": ["asc", "desc"]}}}},
            "fields": {"type": "array", "items": {"type": "string"},
                       "maxItems": limits.TOOL_FIELDS_MAX,
                       "description": "Only these fields (names or ids)."},
            "maxRecords": {"type": "integer", "minimum": 1},
            "pageSize": {"type": "integer", "minimum": 1, "maximum": limits.PAGE_SIZE_MAX,
                         "default": limits.TOOL_PAGE_SIZE_DEFAULT},
            "offset": {"type": "string", "maxLength": 500},
        },
    }
    output_schema = PAGED_RECORDS_OUT

    def run(self, context, arguments):
        def fetch(page_size):
            return services.record_list(
                base_id=arguments["baseId"], table=arguments["table"],
                filter_by_formula=arguments.get("filterByFormula"), sort=arguments.get("sort"),
                fields=arguments.get("fields"), page_size=page_size,
                offset=arguments.get("offset"), max_records=arguments.get("maxRecords"),
                ask_airtable_on_miss=False)

        return _page_within_budget(fetch, arguments.get("pageSize", 50))


@tool_registry.register
class SearchRecords(Tool):
    name = "search_records"
    title = "Search records"
    description = ("Records whose values contain the text (case-insensitive), in the given "
                   "fields or in any field.")
    input_schema = {
        "type": "object", "required": ["baseId", "table", "query"],
        "additionalProperties": False,
        "properties": {
            "baseId": BASE_ID, "table": TABLE,
            "query": {"type": "string", "minLength": 1, "maxLength": 1000},
            "fields": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
            "maxRecords": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        },
    }
    output_schema = PAGED_RECORDS_OUT

    def run(self, context, arguments):
        def fetch(page_size):
            return services.record_search(
                base_id=arguments["baseId"], table=arguments["table"],
                query=arguments["query"], fields=arguments.get("fields"),
                max_records=page_size, ask_airtable_on_miss=False)

        answer = _page_within_budget(fetch, arguments.get("maxRecords", 20))
        return {**answer, "offset": None}


@tool_registry.register
class GetRecord(Tool):
    name = "get_record"
    title = "Get a record"
    description = "One record by id."
    input_schema = {"type": "object", "required": ["baseId", "table", "recordId"],
                    "additionalProperties": False,
                    "properties": {"baseId": BASE_ID, "table": TABLE, "recordId": RECORD_ID}}
    output_schema = RECORD

    def run(self, context, arguments):
        record = services.record_get(base_id=arguments["baseId"], table=arguments["table"],
                                      record_id=arguments["recordId"],
                                      ask_airtable_on_miss=False)
        return _clip_values(record)[0]


@tool_registry.register
class CreateRecords(Tool):
    name = "create_records"
    title = "Create records"
    description = "Create records (any number; sent to Airtable in batches of 10)."
    scope = WRITE
    open_world = True
    idempotent = False
    input_schema = {
        "type": "object", "required": ["baseId", "table", "records"],
        "additionalProperties": False,
        "properties": {
            "baseId": BASE_ID, "table": TABLE, "typecast": TYPECAST,
            "records": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
                "type": "object", "required": ["fields"], "additionalProperties": False,
                "properties": {"fields": FIELDS_OBJECT}}},
        },
    }
    output_schema = RECORDS_OUT

    def run(self, context, arguments):
        records = services.records_create(
            base_id=arguments["baseId"], table=arguments["table"],
            records=[item["fields"] for item in arguments["records"]],
            typecast=arguments.get("typecast", False))
        return {"records": records}


@tool_registry.register
class UpdateRecords(Tool):
    name = "update_records"
    title = "Update records"
    description = "Change some fields of existing records; fields not given stay as they are."
    scope = WRITE
    destructive = True  # the values it replaces are gone
    open_world = True
    input_schema = {
        "type": "object", "required": ["baseId", "table", "records"],
        "additionalProperties": False,
        "properties": {
            "baseId": BASE_ID, "table": TABLE, "typecast": TYPECAST,
            "records": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
                "type": "object", "required": ["id", "fields"], "additionalProperties": False,
                "properties": {"id": RECORD_ID, "fields": FIELDS_OBJECT}}},
        },
    }
    output_schema = RECORDS_OUT

    def run(self, context, arguments):
        return {"records": services.records_update(
            base_id=arguments["baseId"], table=arguments["table"],
            records=arguments["records"], typecast=arguments.get("typecast", False))}


@tool_registry.register
class UpsertRecords(Tool):
    name = "upsert_records"
    title = "Upsert records"
    description = ("Update the records that match on fieldsToMergeOn and create the others "
                   "(Airtable's performUpsert).")
    scope = WRITE
    destructive = True  # the values it replaces are gone
    open_world = True
    input_schema = {
        "type": "object", "required": ["baseId", "table", "records", "fieldsToMergeOn"],
        "additionalProperties": False,
        "properties": {
            "baseId": BASE_ID, "table": TABLE, "typecast": TYPECAST,
            "fieldsToMergeOn": {"type": "array", "minItems": 1, "maxItems": 3,
                                "items": {"type": "string"}},
            "records": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
                "type": "object", "required": ["fields"], "additionalProperties": False,
                "properties": {"fields": FIELDS_OBJECT}}},
        },
    }
    output_schema = {
        "type": "object", "required": ["records", "createdRecords", "updatedRecords"],
        "properties": {"records": {"type": "array", "items": RECORD},
                       "createdRecords": {"type": "array", "items": {"type": "string"}},
                       "updatedRecords": {"type": "array", "items": {"type": "string"}}},
    }

    def run(self, context, arguments):
        answer = services.records_upsert(
            base_id=arguments["baseId"], table=arguments["table"],
            records=[item["fields"] for item in arguments["records"]],
            fields_to_merge_on=arguments["fieldsToMergeOn"],
            typecast=arguments.get("typecast", False))
        return {"records": answer["records"], "createdRecords": answer["createdRecords"],
                "updatedRecords": answer["updatedRecords"]}


@tool_registry.register
class DeleteRecords(Tool):
    name = "delete_records"
    title = "Delete records"
    description = "Delete records by id. This cannot be undone."
    scope = WRITE
    open_world = True
    destructive = True
    input_schema = {
        "type": "object", "required": ["baseId", "table", "recordIds"],
        "additionalProperties": False,
        "properties": {"baseId": BASE_ID, "table": TABLE,
                       "recordIds": {"type": "array", "minItems": 1, "maxItems": 1000,
                                     "items": RECORD_ID}},
    }
    output_schema = {
        "type": "object", "required": ["records"],
        "properties": {"records": {"type": "array", "items": {
            "type": "object", "required": ["id", "deleted"],
            "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}}}}},
    }

    def run(self, context, arguments):
        return {"records": services.records_delete(
            base_id=arguments["baseId"], table=arguments["table"],
            record_ids=arguments["recordIds"])}


TABLE_OUT = {"type": "object", "required": ["id", "name"],
             "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                            "description": {"type": ["string", "null"]},
                            "primaryFieldId": {"type": "string"},
                            "fields": {"type": "array", "items": FIELD}}}


def _table_out(table: dict) -> dict:
    out = {"id": table["id"], "name": table["name"],
           "description": table.get("description")}
    if "primaryFieldId" in table or "primary_field_id" in table:
        out["primaryFieldId"] = table.get("primaryFieldId", table.get("primary_field_id"))
    if "fields" in table:
        out["fields"] = [{"id": f["id"], "name": f["name"], "type": f["type"],
                          "options": f.get("options"), "description": f.get("description")}
                         for f in table["fields"]]
    return out


def _field_out(base_id: str, table: str, field_id: str) -> dict:
    """A field as the refreshed schema has it (the write's own answer may be partial)."""
    fields = services.table_get(base_id=base_id, table=table)["fields"]
    field = next(item for item in fields if item["id"] == field_id)
    return {"id": field["id"], "name": field["name"], "type": field["type"],
            "options": field.get("options"), "description": field.get("description")}


NEW_FIELD = {"type": "object", "required": ["name", "type"], "additionalProperties": False,
             "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255},
                            "type": {"type": "string", "description": FIELD_TYPES_HINT},
                            "options": {"type": "object"},
                            "description": {"type": "string", "maxLength": 20_000}}}


@tool_registry.register
class CreateTable(Tool):
    name = "create_table"
    title = "Create a table"
    description = "Create a table in a base; the first field is its primary field."
    scope = WRITE
    open_world = True
    idempotent = False
    input_schema = {
        "type": "object", "required": ["baseId", "name", "fields"], "additionalProperties": False,
        "properties": {"baseId": BASE_ID,
                       "name": {"type": "string", "minLength": 1, "maxLength": 255},
                       "description": {"type": "string", "maxLength": 20_000},
                       "fields": {"type": "array", "minItems": 1, "maxItems": 500,
                                  "items": NEW_FIELD}},
    }
    output_schema = TABLE_OUT

    def run(self, context, arguments):
        return _table_out(services.table_create(
            base_id=arguments["baseId"], name=arguments["name"], fields=arguments["fields"],
            description=arguments.get("description")))


@tool_registry.register
class UpdateTable(Tool):
    name = "update_table"
    title = "Update a table"
    description = "Rename a table or change its description."
    scope = WRITE
    destructive = True  # the old name and description are gone
    open_world = True
    input_schema = {
        "type": "object", "required": ["baseId", "table"], "additionalProperties": False,
        "properties": {"baseId": BASE_ID, "table": TABLE,
                       "name": {"type": "string", "minLength": 1, "maxLength": 255},
                       "description": {"type": "string", "maxLength": 20_000}},
    }
    output_schema = TABLE_OUT

    def run(self, context, arguments):
        return _table_out(services.table_update(
            base_id=arguments["baseId"], table=arguments["table"], name=arguments.get("name"),
            description=arguments.get("description")))


@tool_registry.register
class CreateField(Tool):
    name = "create_field"
    title = "Create a field"
    description = "Add a field to a table. " + FIELD_TYPES_HINT
    scope = WRITE
    open_world = True
    idempotent = False
    input_schema = {
        "type": "object", "required": ["baseId", "table", "name", "type"],
        "additionalProperties": False,
        "properties": {"baseId": BASE_ID, "table": TABLE, **NEW_FIELD["properties"]},
    }
    output_schema = FIELD

    def run(self, context, arguments):
        field = services.field_create(
            base_id=arguments["baseId"], table=arguments["table"], name=arguments["name"],
            type=arguments["type"], options=arguments.get("options"),
            description=arguments.get("description"))
        return _field_out(arguments["baseId"], arguments["table"], field["id"])


@tool_registry.register
class UpdateField(Tool):
    name = "update_field"
    title = "Update a field"
    description = "Rename a field or change its description."
    scope = WRITE
    destructive = True  # the old name and description are gone
    open_world = True
    input_schema = {
        "type": "object", "required": ["baseId", "table", "field"],
        "additionalProperties": False,
        "properties": {"baseId": BASE_ID, "table": TABLE,
                       "field": {"type": "string", "description": "Field id or name."},
                       "name": {"type": "string", "minLength": 1, "maxLength": 255},
                       "description": {"type": "string", "maxLength": 20_000}},
    }
    output_schema = FIELD

    def run(self, context, arguments):
        field = services.field_update(
            base_id=arguments["baseId"], table=arguments["table"], field=arguments["field"],
            name=arguments.get("name"), description=arguments.get("description"))
        return _field_out(arguments["baseId"], arguments["table"], field["id"])


@tool_registry.register
class SyncBase(Tool):
    name = "sync_base"
    title = "Sync a base"
    description = ("Refresh the mirror of a base from Airtable now (incremental, or full). "
                   "Returns the sync job; reads are served from the mirror meanwhile.")
    scope = WRITE
    open_world = True
    job_kind = "airtable.sync_job"
    input_schema = {"type": "object", "required": ["baseId"], "additionalProperties": False,
                    "properties": {"baseId": BASE_ID, "full": {"type": "boolean",
                                                               "default": False}}}
    output_schema = {
        "type": "object", "required": ["jobId", "status"],
        "properties": {"jobId": {"type": "string"}, "status": {"type": "string"},
                       "progress": {"type": "object"}, "created": {"type": "integer"},
                       "updated": {"type": "integer"}, "deleted": {"type": "integer"},
                       "error": {"type": "string"}},
    }

    def run(self, context, arguments):
        job = services.base_sync(base_id=arguments["baseId"], full=arguments.get("full", False),
                                 trigger="mcp")
        return selectors.sync_job_summary(job)
