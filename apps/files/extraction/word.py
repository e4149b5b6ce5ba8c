"""Word documents: DOCX through python-docx, legacy DOC through antiword or catdoc."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import docx
from docx.table import Table

from .errors import CORRUPT, FORMAT_UNSUPPORTED, TIMEOUT, ExtractionFailure
from .limits import Budget, Limits, TableBuilder, zip_guard

_DOC_TOOLS = (
    ("antiword", ["-m", "UTF-8.txt", "-w", "0"]),
    ("catdoc", ["-d", "utf-8", "-w"]),
)
_TOOL_ERROR_CHARS = 300


def _table_rows(table: Table) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def extract_docx(path: str, limits: Limits, name: str) -> dict[str, Any]:
    zip_guard(path, limits)
    document = docx.Document(path)
    budget = Budget(limits)
    blocks: list[str] = []
    tables: list[dict[str, Any]] = []
    paragraphs = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = _table_rows(block)
            builder = TableBuilder(name=f"Table {len(tables) + 1}", budget=budget, empty="")
            for row in rows:
                builder.add(row)
            if (result := builder.result()) is not None:
                tables.append(result)
            text = "\n".join("\t".join(row) for row in rows)
        else:
            paragraphs += 1
            text = block.text
        budget.add_text(len(text))
        blocks.append(text)
    properties = document.core_properties
    metadata: dict[str, Any] = {"paragraphs": paragraphs, "tables": len(tables)}
    for field in ("title", "author", "subject"):
        if value := getattr(properties, field, None):
            metadata[field] = " ".join(str(value).split())[:1_000]
    return {"text": "\n".join(blocks).strip("\n"), "metadata": metadata, "tables": tables}


def extract_doc(path: str, limits: Limits, name: str) -> dict[str, Any]:
    for tool, arguments in _DOC_TOOLS:
        executable = shutil.which(tool, path=limits.tools_path)
        if executable is None:
            continue
        try:
            completed = subprocess.run(  # noqa: S603 - a fixed program and our own temp path
                [executable, *arguments, path], capture_output=True,
                timeout=limits.timeout_seconds, check=False)
        except subprocess.TimeoutExpired:
            raise ExtractionFailure(
                TIMEOUT, f"{tool} did not finish within {limits.timeout_seconds} s.") from None
        if completed.returncode != 0:
            reason = completed.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = reason[0][:_TOOL_ERROR_CHARS] if reason else f"exit {completed.returncode}"
            raise ExtractionFailure(CORRUPT, f"The Word document can't be read ({tool}: "
                                             f"{detail}).")
        text = completed.stdout.decode("utf-8", "replace").replace("\r\n", "\n").strip("\n")
        Budget(limits).add_text(len(text))
        return {"text": text, "metadata": {"converter": tool}, "tables": []}
    raise ExtractionFailure(
        FORMAT_UNSUPPORTED, "Legacy Word (.doc) files need antiword or catdoc on the worker, and "
                            "neither is installed; save the document as .docx and upload it "
                            "again, or ask the operator to install antiword.")
