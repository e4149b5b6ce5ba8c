"""Showing Airtable cell values in the records grid."""

import json

from django import template

register = template.Library()


def _text(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "✓"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        if "error" in value:
            return str(value["error"])
        for key in ("name", "filename", "text", "email", "url", "specialValue"):
            if key in value:
                return str(value[key])
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_text(fields: dict, name: str) -> str:
    """The whole text of field `name` of a record's fields (CSV export, record panel)."""
    return _text(fields.get(name)) if isinstance(fields, dict) else ""


@register.filter
def cell(fields: dict, name: str) -> str:
    """The text of field `name` of a record's fields, shortened for a grid cell."""
    text = cell_text(fields, name)
    return text if len(text) <= 120 else text[:119] + "…"


@register.filter
def field_json(fields: dict, name: str) -> str:
    """The raw value of field `name` as JSON, for the grid's editor (escaped by the template)."""
    value = fields.get(name) if isinstance(fields, dict) else None
    return json.dumps(value, ensure_ascii=False, default=str)


@register.filter
def field_value(fields: dict, name: str):
    return fields.get(name) if isinstance(fields, dict) else None


@register.filter
def percent(done: int, total: int) -> int:
    return min(100, int(done * 100 / total)) if total else 0
