"""A member's column layout of a table in the grid, kept on the server."""

from __future__ import annotations

from apps.core.exceptions import ValidationFailed

from ..models import GridLayout, Table
from .reads import table_get

LAYOUT_NAMES_MAX = 500


def _names(value, known: set[str], key: str) -> list[str]:
    if not isinstance(value, list) or len(value) > LAYOUT_NAMES_MAX or \
            not all(isinstance(name, str) for name in value):
        raise ValidationFailed(f"'{key}' is a list of field names.",
                               errors={key: ["A list of field names."]})
    # Fields removed in Airtable since the browser loaded the page are dropped, not refused.
    return list(dict.fromkeys(name for name in value if name in known))


def grid_layout_save(*, user_id: int, base_id: str, table: str, hidden, order) -> dict:
    info = table_get(base_id=base_id, table=table)
    known = {field["name"] for field in info["fields"]}
    values = {"hidden": _names(hidden, known, "hidden"), "order": _names(order, known, "order")}
    row = Table.objects.get(base__base_id=base_id, table_id=info["id"])
    GridLayout.objects.update_or_create(user_id=user_id, table=row, defaults=values)
    return values


def grid_layout_get(*, user_id: int, base_id: str, table_id: str) -> dict | None:
    layout = GridLayout.objects.filter(user_id=user_id, table__base__base_id=base_id,
                                       table__table_id=table_id).first()
    return {"hidden": layout.hidden, "order": layout.order} if layout else None
