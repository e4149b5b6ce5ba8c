"""A base's schema loaded once per request: tables and fields by id and by name."""

from __future__ import annotations

from collections.abc import Iterable

from apps.formulas.fieldtypes import field_type

from .field_types import (
    FORMULA,
    LINK,
)
from .models import SandboxBase, SandboxTable


class TableState:
    def __init__(self, row: SandboxTable):
        self.row = row
        self.reindex()

    def reindex(self) -> None:
        self.by_id = {field["id"]: field for field in self.row.fields}
        self.by_name = {field["name"]: field for field in self.row.fields}

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def fields(self) -> list[dict]:
        return self.row.fields

    @property
    def primary_field(self) -> dict:
        return self.by_id[self.row.primary_field_id]

    def field(self, key: object) -> dict | None:
        """A field by id or by name, as Airtable accepts either."""
        if not isinstance(key, str):
            return None
        return self.by_id.get(key) or self.by_name.get(key)

    def fields_of_type(self, *types: str) -> list[dict]:
        return [field for field in self.row.fields if field["type"] in types]

    @property
    def link_fields(self) -> list[dict]:
        return self.fields_of_type(LINK)

    def depends_through(self, link_field_id: str) -> bool:
        """Whether a change in records linked through ``link_field_id`` changes this table."""
        for field in self.fields:
            options = field.get("options") or {}
            if field_type(field["type"]).linked:
                if options.get("recordLinkFieldId") == link_field_id:
                    return True
            elif field["type"] == FORMULA and link_field_id in (
                    options.get("referencedFieldIds") or ()):
                return True
        return False

    def schema_json(self, *, visible_field_ids: bool = False) -> dict:
        data = {"id": self.row.id, "name": self.row.name,
                "primaryFieldId": self.row.primary_field_id}
        if self.row.description:
            data["description"] = self.row.description
        data["fields"] = [field_json(field) for field in self.row.fields]
        field_ids = [field["id"] for field in self.row.fields]
        data["views"] = [
            {**view, "visibleFieldIds": field_ids} if visible_field_ids else dict(view)
            for view in self.row.views
        ]
        return data


def field_json(field: dict) -> dict:
    data = {"id": field["id"], "name": field["name"], "type": field["type"]}
    if field.get("description"):
        data["description"] = field["description"]
    if field.get("options") is not None:
        data["options"] = field["options"]
    return data


class BaseState:
    def __init__(self, base: SandboxBase, tables: Iterable[SandboxTable]):
        self.base = base
        self.tables = {row.id: TableState(row) for row in tables}
        self.reindex()

    def reindex(self) -> None:
        self.by_name = {table.name: table for table in self.tables.values()}

    def table(self, key: str) -> TableState | None:
        return self.tables.get(key) or self.by_name.get(key)

    def add(self, row: SandboxTable) -> TableState:
        state = TableState(row)
        self.tables[row.id] = state
        self.reindex()
        return state

def base_state_load(base: SandboxBase) -> BaseState:
    return BaseState(base, SandboxTable.objects.filter(base=base).order_by("position",
                                                                           "created_at"))
