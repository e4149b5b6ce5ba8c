"""Showing Airtable cell values in the records grid, as Airtable shows them: each field
type's own display (apps.formulas.fieldtypes)."""

import json

from django import template
from django.utils.safestring import mark_safe

from apps.formulas.fieldtypes import display_text, field_type

register = template.Library()


@register.simple_tag
def cell(record_fields: dict, field: dict, link_names: dict | None = None) -> str:
    """The HTML of ``field``'s value in a record's fields: currencies with their symbol and
    precision, percents, durations h:mm, dates in the field's format, links as chips with
    the linked records' primary values, attachments as thumbnails, checkboxes as ticks."""
    value = record_fields.get(field["name"]) if isinstance(record_fields, dict) else None
    if value is None:
        return ""
    html = field_type(field["type"]).display_html(value, field.get("options"),
                                                  link_names=link_names or {})
    return mark_safe(html)  # noqa: S308 (each type escapes what it shows)


def cell_text(record_fields: dict, field: dict, link_names: dict | None = None) -> str:
    """The whole text of ``field``'s value in a record's fields, as Airtable shows it (CSV
    export)."""
    value = record_fields.get(field["name"]) if isinstance(record_fields, dict) else None
    return display_text(field["type"], field.get("options"), value,
                        link_names=link_names or {}, field_format=True)


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
