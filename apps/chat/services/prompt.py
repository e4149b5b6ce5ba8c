"""The system prompt: who the assistant works for, today's date, and an overview of the
team's bases and tables (bounded), so that most questions need no discovery calls."""

from __future__ import annotations

from django.utils import timezone

from apps.airtable import selectors as airtable
from apps.core.exceptions import ApplicationError
from apps.core.tools import WRITE

OVERVIEW_MAX_CHARS = 6_000
FIELDS_PER_TABLE = 40

INSTRUCTIONS = """You are the data assistant of the team "{team}" on PyAirtable, a platform \
that mirrors the team's Airtable bases into a fast local database.
Today is {today} (UTC).
Answer from the team's data by calling the tools; never invent records, fields or values. \
Prefer one precise query (filterByFormula, sort, fields) over reading whole tables.
When an answer rests on records, name each one with its record id (recXXXXXXXXXXXXXX) so the \
user can check it. If the data does not answer the question, say so.
{rights}
Keep answers short and plain; use a list or a small table for several records."""

READ_ONLY = "This user can only read: tools that change data are not available."
READ_WRITE = ("Change data only when the user asks for it plainly, and say what you changed, "
              "with the record ids.")


def _table_line(table: dict) -> str:
    names = [field["name"] for field in table["fields"][:FIELDS_PER_TABLE]]
    more = len(table["fields"]) - len(names)
    fields = ", ".join(names) + (f", and {more} more" if more > 0 else "")
    count = table.get("record_count")
    counted = f", {count} records" if isinstance(count, int) else ""
    return f"  - {table['name']} ({table['id']}{counted}): {fields}"


def airtable_overview(max_chars: int = OVERVIEW_MAX_CHARS) -> str:
    """The bases and tables of the tenant (current schema), cut to `max_chars`."""
    lines: list[str] = []
    size = 0
    for base in airtable.base_list():
        try:
            tables = airtable.table_list(base_id=base.base_id)
        except ApplicationError:
            tables = []
        block = [f"- Base {base.name!r} ({base.base_id})"] + [_table_line(t) for t in tables]
        for line in block:
            if size + len(line) + 1 > max_chars:
                lines.append("  (more bases and tables: call list_bases and list_tables)")
                return "\n".join(lines)
            lines.append(line)
            size += len(line) + 1
    return "\n".join(lines)


def system_prompt(*, tenant, scopes: frozenset[str], tools: list) -> str:
    prompt = INSTRUCTIONS.format(team=tenant.name, today=timezone.now().date().isoformat(),
                                 rights=READ_WRITE if WRITE in scopes else READ_ONLY)
    overview = airtable_overview()
    if overview:
        return f"{prompt}\n\nThe team's bases and tables:\n{overview}"
    listing = "\n".join(f"- {tool.name}: {tool.title}" for tool in tools)
    return (f"{prompt}\n\nNo Airtable base is connected yet; tell the user to connect one under "
            f"Airtable if they ask about their data. Your tools:\n{listing}")
