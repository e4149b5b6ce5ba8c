"""Schema writes: bases, tables and fields, with Airtable's rules for each field type."""

from __future__ import annotations

from django.db import transaction

from apps.formulas import FormulaError, parse
from apps.formulas.fieldtypes import (
    field_type,
    infer_formula_result,
    infer_rollup_result,
    shown_type,
)

from .. import formula_text, ids
from ..exceptions import (
    DuplicateName,
    DuplicateTableName,
    InvalidFieldOptions,
    InvalidRequest,
    ModelNotFound,
    UnsupportedFieldType,
)
from ..field_types import (
    FORMULA,
    LINK,
    LOOKUP,
    ROLLUP,
    simple_options,
)
from ..models import SandboxBase, SandboxTable, SandboxToken
from ..state import BaseState, TableState, field_json
from .compute import DEFAULT_ROLLUP, recompute_table
from .records import table_of
from .work import Work, base_locked

MAX_NAME = 255
MAX_DESCRIPTION = 20_000
MAX_FIELDS = 500
MAX_TABLES = 100


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise InvalidRequest(f"Invalid request: {what} name must be 1 to {MAX_NAME} characters")
    return value.strip()


def _description(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise InvalidRequest(f"Invalid request: description must be text of at most "
                             f"{MAX_DESCRIPTION} characters")
    return value


def _only(data: object, allowed: set[str], what: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidRequest(f"Invalid request: {what} must be a JSON object")
    unknown = set(data) - allowed
    if unknown:
        raise InvalidRequest(f"Invalid request: unknown property {sorted(unknown)[0]!r} "
                             f"in {what}")
    return data


def _unique_name(table: TableState, name: str, *, ignore: str | None = None) -> None:
    for field in table.fields:
        if field["id"] != ignore and field["name"].casefold() == name.casefold():
            raise DuplicateName(f'Field name "{name}" is already used in table "{table.name}"')


def _free_name(table: TableState, wanted: str) -> str:
    taken = {field["name"].casefold() for field in table.fields}
    name, number = wanted, 2
    while name.casefold() in taken:
        name, number = f"{wanted} {number}", number + 1
    return name


class _FieldBuilder:
    """Builds one field of ``table`` from its Airtable field model."""

    def __init__(self, state: BaseState, table: TableState):
        self.state = state
        self.table = table
        self.touched: set[str] = set()

    def build(self, spec: object) -> dict:
        spec = _only(spec, {"name", "type", "description", "options"}, "a field")
        name = _name(spec.get("name"), "field")
        kind = spec.get("type")
        if not isinstance(kind, str):
            raise InvalidRequest("Invalid request: a field needs a type")
        if not field_type(kind).creatable:
            raise UnsupportedFieldType(f'Field type "{kind[:50]}" cannot be created '
                                       "in the sandbox")
        _unique_name(self.table, name)
        if len(self.table.fields) >= MAX_FIELDS:
            raise InvalidRequest(f"Invalid request: a table has at most {MAX_FIELDS} fields")
        field = {"id": ids.new_id(ids.FIELD), "name": name, "type": kind}
        description = _description(spec.get("description"))
        if description:
            field["description"] = description
        options = spec.get("options")
        if kind == LINK:
            field["options"] = self._link(field, options)
        elif field_type(kind).linked:
            field["options"] = self._linked_computed(field, options)
        elif kind == FORMULA:
            field["options"] = self._formula(field, options)
        else:
            built = simple_options(kind, options, name)
            if built is not None:
                field["options"] = built
        self.table.fields.append(field)
        self.table.reindex()
        self.touched.add(self.table.id)
        return field

    def _options(self, field: dict, options: object, allowed: set[str]) -> dict:
        if not isinstance(options, dict):
            raise InvalidFieldOptions(f'Field "{field["name"]}" of type {field["type"]} '
                                      "needs options")
        unknown = set(options) - allowed
        if unknown:
            raise InvalidFieldOptions(f'Unknown option {sorted(unknown)[0]!r} for field '
                                      f'"{field["name"]}"')
        return options

    def _link(self, field: dict, options: object) -> dict:
        options = self._options(field, options, {
            "linkedTableId", "viewIdForRecordSelection", "prefersSingleRecordLink",
            "isReversed", "inverseLinkFieldId"})
        linked = self.state.tables.get(options.get("linkedTableId")) \
            if isinstance(options.get("linkedTableId"), str) else None
        if linked is None:
            raise InvalidFieldOptions(f'Field "{field["name"]}": linkedTableId must be a '
                                      "table of this base")
        built = {"linkedTableId": linked.id, "isReversed": False,
                 "prefersSingleRecordLink": bool(options.get("prefersSingleRecordLink", False))}
        view_id = options.get("viewIdForRecordSelection")
        if view_id is not None:
            if view_id not in {view["id"] for view in linked.row.views}:
                raise InvalidFieldOptions(f'Field "{field["name"]}": unknown view')
            built["viewIdForRecordSelection"] = view_id
        if linked.id != self.table.id:
            inverse = {"id": ids.new_id(ids.FIELD), "name": _free_name(linked, self.table.name),
                       "type": LINK, "options": {"linkedTableId": self.table.id,
                                                 "isReversed": False,
                                                 "prefersSingleRecordLink": False,
                                                 "inverseLinkFieldId": field["id"]}}
            linked.fields.append(inverse)
            linked.reindex()
            self.touched.add(linked.id)
            built["inverseLinkFieldId"] = inverse["id"]
        return built

    def _linked_computed(self, field: dict, options: object) -> dict:
        kind = field["type"]
        allowed = {"recordLinkFieldId"}
        if kind != "count":
            allowed |= {"fieldIdInLinkedTable"}
        if kind == ROLLUP:
            allowed |= {"formula"}
        options = self._options(field, options, allowed | {"isValid", "result",
                                                           "referencedFieldIds"})
        link = self.table.field(options.get("recordLinkFieldId"))
        if link is None or link["type"] != LINK:
            raise InvalidFieldOptions(f'Field "{field["name"]}": recordLinkFieldId must be a '
                                      "link field of this table")
        built = {"isValid": True, "recordLinkFieldId": link["id"]}
        if kind == "count":
            return built
        linked = self.state.tables[link["options"]["linkedTableId"]]
        target = linked.field(options.get("fieldIdInLinkedTable"))
        if target is None:
            raise InvalidFieldOptions(f'Field "{field["name"]}": fieldIdInLinkedTable must be '
                                      f'a field of table "{linked.name}"')
        built["fieldIdInLinkedTable"] = target["id"]
        if kind == LOOKUP:
            result_type, result_options = shown_type(target["type"], target.get("options"))
            result = {"type": result_type}
            if result_options is not None:
                result["options"] = result_options
            built["result"] = result
            return built
        formula = options.get("formula", DEFAULT_ROLLUP)
        try:
            parsed = parse(formula, fields=["values"])
        except (FormulaError, RecursionError) as error:
            raise InvalidFieldOptions(f'Field "{field["name"]}": invalid rollup formula: '
                                      f"{error}") from None
        built["formula"] = formula
        built["referencedFieldIds"] = [target["id"]]
        built["result"] = infer_rollup_result(parsed.root, (target["type"], target.get("options")))
        return built

    def _formula(self, field: dict, options: object) -> dict:
        options = self._options(field, options, {"formula", "isValid", "referencedFieldIds",
                                                 "result"})
        source = options.get("formula")
        if not isinstance(source, str) or not source.strip() or len(source) > 10_000:
            raise InvalidFieldOptions(f'Field "{field["name"]}" needs a formula')
        known = {**{f["name"]: f["id"] for f in self.table.fields},
                 **{f["id"]: f["id"] for f in self.table.fields}}
        try:
            parsed = parse(source, fields=list(known))
        except (FormulaError, RecursionError) as error:
            raise InvalidFieldOptions(f'Field "{field["name"]}": invalid formula: {error}') \
                from None
        stored = formula_text.rewrite(source, lambda name: known[name])
        # A formula can only name fields that exist already, so formulas never form a cycle.
        referenced = [known[name] for name in formula_text.references(source)]
        by_key = {**{f["name"]: f for f in self.table.fields},
                  **{f["id"]: f for f in self.table.fields}}

        def resolve(name: str) -> tuple[str, dict | None] | None:
            found = by_key.get(name)
            return (found["type"], found.get("options")) if found else None

        return {"formula": stored, "isValid": True, "referencedFieldIds": referenced,
                "result": infer_formula_result(parsed.root, resolve)}


def _new_table_row(base: SandboxBase, name: str, description: str, position: int) -> SandboxTable:
    return SandboxTable(id=ids.new_id(ids.TABLE), base=base, name=name, description=description,
                        position=position, fields=[], primary_field_id="",
                        views=[{"id": ids.new_id(ids.VIEW), "name": "Grid view",
                                "type": "grid"}])


def _build_table(state: BaseState, spec: object) -> tuple[TableState, set[str]]:
    spec = _only(spec, {"name", "description", "fields"}, "a table")
    name = _name(spec.get("name"), "table")
    if any(table.name.casefold() == name.casefold() for table in state.tables.values()):
        raise DuplicateTableName(f'A table named "{name}" already exists in this base')
    if len(state.tables) >= MAX_TABLES:
        raise InvalidRequest(f"Invalid request: a base has at most {MAX_TABLES} tables")
    fields = spec.get("fields")
    if not isinstance(fields, list) or not fields:
        raise InvalidRequest("Invalid request: a table needs at least one field")
    row = _new_table_row(state.base, name, _description(spec.get("description")),
                         len(state.tables))
    table = state.add(row)
    builder = _FieldBuilder(state, table)
    for index, field_spec in enumerate(fields):
        field = builder.build(field_spec)
        if index == 0:
            if not field_type(field["type"]).primary:
                raise InvalidFieldOptions(f'Field type "{field["type"]}" cannot be the '
                                          "primary field")
            row.primary_field_id = field["id"]
    return table, builder.touched


def _save_tables(state: BaseState, touched: set[str]) -> None:
    for table_id in touched:
        state.tables[table_id].row.save()


def base_create(*, token: SandboxToken, name: object, tables: object,
                workspace_id: object = None) -> BaseState:
    """A new base with its tables; the token that made it is the one that may use it."""
    base_name = _name(name, "base")
    if workspace_id is not None and not isinstance(workspace_id, str):
        raise InvalidRequest("Invalid request: workspaceId must be text")
    if not isinstance(tables, list) or not tables:
        raise InvalidRequest("Invalid request: a base needs at least one table")
    with transaction.atomic():
        base = SandboxBase.objects.create(id=ids.new_id(ids.BASE), name=base_name, token=token)
        state = BaseState(base, [])
        touched: set[str] = set()
        for spec in tables:
            _table, table_touched = _build_table(state, spec)
            touched |= table_touched
        _save_tables(state, touched)
    return state


def table_create(*, token: SandboxToken, base_id: str, spec: object) -> TableState:
    with base_locked(token=token, base_id=base_id) as state:
        table, touched = _build_table(state, spec)
        _save_tables(state, touched)
    return table


def table_update(*, token: SandboxToken, base_id: str, table_key: str,
                 data: object) -> TableState:
    data = _only(data, {"name", "description"}, "the table update")
    with base_locked(token=token, base_id=base_id) as state:
        table = table_of(state, table_key)
        row = table.row
        if "name" in data:
            name = _name(data["name"], "table")
            if any(other.id != row.id and other.name.casefold() == name.casefold()
                   for other in state.tables.values()):
                raise DuplicateTableName(f'A table named "{name}" already exists in this base')
            row.name = name
        if "description" in data:
            row.description = _description(data["description"])
        row.save(update_fields=["name", "description"])
    return table


def field_create(*, token: SandboxToken, base_id: str, table_key: str, spec: object) -> dict:
    """Add a field to a table; computed fields are filled in for every record at once."""
    with base_locked(token=token, base_id=base_id) as state:
        table = table_of(state, table_key)
        builder = _FieldBuilder(state, table)
        field = builder.build(spec)
        if field["type"] == FORMULA or field_type(field["type"]).linked:
            work = Work(state)
            recompute_table(work, table)
            work.save()
        _save_tables(state, builder.touched)
    return field


def field_update(*, token: SandboxToken, base_id: str, table_key: str, field_id: str,
                 data: object) -> dict:
    data = _only(data, {"name", "description"}, "the field update")
    with base_locked(token=token, base_id=base_id) as state:
        table = state.table(table_key)
        field = table.by_id.get(field_id) if table else None
        if field is None:
            raise ModelNotFound()
        if "name" in data:
            name = _name(data["name"], "field")
            _unique_name(table, name, ignore=field_id)
            field["name"] = name
        if "description" in data:
            description = _description(data["description"])
            if description:
                field["description"] = description
            else:
                field.pop("description", None)
        table.reindex()
        table.row.save(update_fields=["fields"])
    return field_json(field)
