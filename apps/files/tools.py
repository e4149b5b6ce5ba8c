"""File tools: what the team uploaded and the text and tables extracted from it."""

from __future__ import annotations

from apps.core.tools import WRITE, Tool, tool_registry

from . import selectors, services

FILE = {"type": "object", "required": ["id", "filename", "status"],
        "properties": {"id": {"type": "string"}, "filename": {"type": "string"},
                       "mimeType": {"type": "string"}, "size": {"type": "integer"},
                       "status": {"enum": ["uploaded", "processing", "processed", "failed"]},
                       "error": {"type": ["string", "null"]},
                       "createdAt": {"type": "string"}}}


def _file(file) -> dict:
    return {"id": str(file.pk), "filename": file.filename, "mimeType": file.mime_type,
            "size": file.size, "status": file.status,
            "error": file.error_message or None, "createdAt": file.created_at.isoformat()}


@tool_registry.register
class ListFiles(Tool):
    name = "list_files"
    title = "List files"
    description = "Files uploaded to the platform, newest first; query filters by file name."
    input_schema = {
        "type": "object", "additionalProperties": False,
        "properties": {"query": {"type": "string", "maxLength": 200},
                       "limit": {"type": "integer", "minimum": 1, "maximum": 100,
                                 "default": 20}},
    }
    output_schema = {"type": "object", "required": ["files", "truncated"],
                     "properties": {"files": {"type": "array", "items": FILE},
                                    "truncated": {"type": "boolean"}}}

    def run(self, context, arguments):
        limit = arguments.get("limit", 20)
        files = list(selectors.file_list(query=arguments.get("query", ""))[:limit + 1])
        return {"files": [_file(file) for file in files[:limit]],
                "truncated": len(files) > limit}


@tool_registry.register
class GetFileContent(Tool):
    name = "get_file_content"
    title = "Get a file's content"
    description = ("The text, metadata and tables extracted from a processed file. Long text "
                   "and tables are cut to maxChars / maxRows (truncated says so).")
    input_schema = {
        "type": "object", "required": ["fileId"], "additionalProperties": False,
        "properties": {"fileId": {"type": "string", "maxLength": 64},
                       "maxChars": {"type": "integer", "minimum": 100, "maximum": 50_000,
                                    "default": 20_000},
                       "maxRows": {"type": "integer", "minimum": 1, "maximum": 500,
                                   "default": 50}},
    }
    output_schema = {
        "type": "object", "required": ["file", "text", "metadata", "tables", "truncated"],
        "properties": {
            "file": FILE, "text": {"type": "string"}, "metadata": {"type": "object"},
            "truncated": {"type": "boolean"},
            "tables": {"type": "array", "items": {
                "type": "object", "required": ["name", "columns", "rows"],
                "properties": {"name": {"type": "string"},
                               "columns": {"type": "array"}, "rows": {"type": "array"},
                               "rowCount": {"type": "integer"}}}},
        },
    }

    def run(self, context, arguments):
        content = selectors.file_content_get(file_id=arguments["fileId"],
                                             max_chars=arguments.get("maxChars", 20_000),
                                             max_rows=arguments.get("maxRows", 50))
        return {"file": _file(content["file"]), "text": content["text"],
                "metadata": content["metadata"], "truncated": content["truncated"],
                "tables": [{"name": t["name"], "columns": t["columns"], "rows": t["rows"],
                            "rowCount": t["row_count"]} for t in content["tables"]]}


@tool_registry.register
class ImportFile(Tool):
    name = "import_file"
    title = "Import a file into a table"
    description = ("Create a record in an Airtable table for each row of a processed file's "
                   "table (CSV, XLSX sheet, DOCX table). Columns map to fields by name unless "
                   "mapping says otherwise; rows that Airtable refuses are reported, the "
                   "others are imported. Returns the import job.")
    scope = WRITE
    idempotent = False
    open_world = True
    job_kind = "files.import_job"
    input_schema = {
        "type": "object", "required": ["fileId", "baseId", "table"],
        "additionalProperties": False,
        "properties": {
            "fileId": {"type": "string", "maxLength": 64},
            "baseId": {"type": "string", "pattern": "^app[A-Za-z0-9]{14}$"},
            "table": {"type": "string", "minLength": 1, "maxLength": 255,
                      "description": "The table's name or id."},
            "sheet": {"type": "string", "maxLength": 255,
                      "description": "Which of the file's tables (default: the first)."},
            "mapping": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "Column of the file -> field name or id."},
            "typecast": {"type": "boolean", "default": True},
        },
    }
    output_schema = {
        "type": "object", "required": ["jobId", "status"],
        "properties": {"jobId": {"type": "string"}, "status": {"type": "string"},
                       "table": {"type": "string"}, "progress": {"type": "object"},
                       "created": {"type": "integer"}, "failed": {"type": "integer"},
                       "failedRows": {"type": "array"}, "error": {"type": "string"}},
    }

    def run(self, context, arguments):
        job = services.import_start(
            file_id=arguments["fileId"], base_id=arguments["baseId"], table=arguments["table"],
            sheet=arguments.get("sheet", ""), mapping=arguments.get("mapping"),
            typecast=arguments.get("typecast", True),
            user_id=context.user.pk if context.user is not None else None)
        return selectors.import_job_summary(job)
