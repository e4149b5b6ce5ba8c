"""XLSX through openpyxl in read-only mode: each sheet is a table."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import openpyxl

from .errors import TOO_COMPLEX, ExtractionFailure
from .limits import Budget, Limits, TableBuilder, zip_guard


def _value(value: Any) -> Any:
    """A cell as JSON can hold it: dates as ISO 8601, integral floats as integers."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _text_cell(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def extract_xlsx(path: str, limits: Limits, name: str) -> dict[str, Any]:
    zip_guard(path, limits)
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    budget = Budget(limits)
    tables: list[dict[str, Any]] = []
    blocks: list[str] = []
    sheet_names: list[str] = []
    try:
        if len(workbook.worksheets) > limits.max_tables:
            raise ExtractionFailure(
                TOO_COMPLEX, f"The workbook has {len(workbook.worksheets)} sheets; the limit is "
                             f"{limits.max_tables}.")
        for sheet in workbook.worksheets:
            sheet_names.append(sheet.title)
            # The dimension a file declares may be a lie (A1:XFD1048576); without
            # it, rows are as long as their last stored cell, not padded to it.
            sheet.reset_dimensions()
            builder = TableBuilder(name=sheet.title, budget=budget)
            for row in sheet.iter_rows(values_only=True):
                builder.add([_value(value) for value in row])
            table = builder.result()
            lines = [f"## {sheet.title}"]
            if table is not None:
                tables.append(table)
                lines.append("\t".join(table["columns"]))
                lines.extend("\t".join(_text_cell(v) for v in row) for row in table["rows"])
            block = "\n".join(lines)
            budget.add_text(len(block))
            blocks.append(block)
    finally:
        workbook.close()
    return {
        "text": "\n\n".join(blocks),
        "metadata": {
            "sheets": len(sheet_names),
            "sheet_names": sheet_names,
            "rows": sum(len(table["rows"]) for table in tables),
        },
        "tables": tables,
    }
