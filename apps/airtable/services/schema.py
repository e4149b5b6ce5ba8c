"""Schema writes (tables and fields) through the metadata API. After each
write the base's schema is read back, which refreshes the mirror's tables
and fields and invalidates every cache layer."""

from __future__ import annotations

from ..exceptions import FieldNotFound, InvalidQuery
from ..limits import DESCRIPTION_MAX, NAME_MAX
from ..selectors.connections import base_get
from ..selectors.schema import table_info
from .connections import connection_client
from .reads import base_schema_load
from .sync import base_schema_refresh


def _name(value, field: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
        raise InvalidQuery(f"{field} is text of 1 to {NAME_MAX} characters.",
                           errors={field: [f"1 to {NAME_MAX} characters."]})
    return value.strip()


def _description(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > DESCRIPTION_MAX:
        raise InvalidQuery("description is text.",
                           errors={"description": [f"At most {DESCRIPTION_MAX} characters."]})
    return value


def _field_definition(item, index: int) -> dict:
    if not isinstance(item, dict):
        raise InvalidQuery("Each field is {name, type, options?}.",
                           errors={f"fields[{index}]": ["An object."]})
    definition = {"name": _name(item.get("name"), f"fields[{index}].name"),
                  "type": _name(item.get("type"), f"fields[{index}].type")}
    if item.get("options") is not None:
        if not isinstance(item["options"], dict):
            raise InvalidQuery("options is an object.",
                               errors={f"fields[{index}].options": ["An object."]})
        definition["options"] = item["options"]
    if item.get("description") is not None:
        definition["description"] = _description(item["description"])
    return definition


def _after_write(base) -> None:
    base_schema_refresh(base=base, client=connection_client(base.connection))


def table_create(*, base_id, name, fields, description=None) -> dict:
    base = base_get(base_id=base_id)
    name = _name(name, "name")
    if not isinstance(fields, list | tuple) or not fields or len(fields) > 500:
        raise InvalidQuery("fields lists the new table's fields (the first is its primary).",
                           errors={"fields": ["1 to 500 fields."]})
    definitions = [_field_definition(item, index) for index, item in enumerate(fields)]
    created = connection_client(base.connection).table_create(
        base.base_id, name=name, fields=definitions, description=_description(description))
    _after_write(base)
    return created


def table_update(*, base_id, table, name=None, description=None) -> dict:
    base = base_get(base_id=base_id)
    info = table_info(base_schema_load(base_id), table)
    name = _name(name, "name", required=False)
    description = _description(description)
    if name is None and description is None:
        raise InvalidQuery("Give a new name or description.", errors={"name": ["Required."]})
    updated = connection_client(base.connection).table_update(
        base.base_id, info["id"], name=name, description=description)
    _after_write(base)
    return updated


def field_create(*, base_id, table, name, type, options=None, description=None) -> dict:
    base = base_get(base_id=base_id)
    info = table_info(base_schema_load(base_id), table)
    definition = _field_definition({"name": name, "type": type, "options": options,
                                    "description": description}, 0)
    created = connection_client(base.connection).field_create(
        base.base_id, info["id"], name=definition["name"], type=definition["type"],
        options=definition.get("options"), description=definition.get("description"))
    _after_write(base)
    return created


def field_update(*, base_id, table, field, name=None, description=None) -> dict:
    base = base_get(base_id=base_id)
    info = table_info(base_schema_load(base_id), table)
    found = next((item for item in info["fields"] if field in (item["id"], item["name"])), None) \
        if isinstance(field, str) else None
    if found is None:
        raise FieldNotFound(f"Table {info['name']} has no field {str(field)[:200]!r}.")
    name = _name(name, "name", required=False)
    description = _description(description)
    if name is None and description is None:
        raise InvalidQuery("Give a new name or description.", errors={"name": ["Required."]})
    updated = connection_client(base.connection).field_update(
        base.base_id, info["id"], found["id"], name=name, description=description)
    _after_write(base)
    return updated
