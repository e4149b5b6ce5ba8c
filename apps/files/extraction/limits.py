"""Bounds on what one document may make an extractor do, and the checks that
enforce them before (zip members) and during (tables, text) extraction."""

from __future__ import annotations

import zipfile
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import CORRUPT, TOO_COMPLEX, ZIP_BOMB, ExtractionFailure

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    timeout_seconds: int = 60
    memory_mb: int = 1024
    max_text_chars: int = 20_000_000
    max_pages: int = 5_000
    max_columns: int = 2_000
    max_rows: int = 1_000_000
    max_cells: int = 5_000_000
    max_cell_chars: int = 100_000
    max_tables: int = 500
    zip_max_members: int = 10_000
    zip_max_member_mb: int = 200
    zip_max_total_mb: int = 400
    # Spreadsheet XML compresses well (10-30x); a bomb is typically 1000x.
    zip_max_ratio: int = 200
    # Small members may have any ratio: the absolute sizes bound them.
    zip_ratio_exempt_mb: int = 1
    tools_path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def result_bytes(self) -> int:
        """Room for the JSON result: every character may take a few bytes escaped."""
        return (self.max_text_chars + self.max_cells * 16) * 6 + 64 * MB


def zip_guard(path: str, limits: Limits) -> None:
    """Refuse an archive whose declared sizes or ratios are those of a zip bomb.

    Python's zipfile stops inflating a member at its declared size, so the
    declared sizes checked here bound what reading the archive can produce.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractionFailure(CORRUPT, f"The archive can't be read: {exc}") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.zip_max_members:
            raise ExtractionFailure(
                ZIP_BOMB, f"The archive holds {len(members)} parts; the limit is "
                          f"{limits.zip_max_members}.")
        total = 0
        for member in members:
            size = member.file_size
            total += size
            if size > limits.zip_max_member_mb * MB:
                raise ExtractionFailure(
                    ZIP_BOMB, f"Part {member.filename!r} unpacks to {size // MB} MB; the limit "
                              f"is {limits.zip_max_member_mb} MB per part.")
            if size > limits.zip_ratio_exempt_mb * MB:
                ratio = size / max(member.compress_size, 1)
                if ratio > limits.zip_max_ratio:
                    raise ExtractionFailure(
                        ZIP_BOMB, f"Part {member.filename!r} is compressed {ratio:.0f} to 1; "
                                  f"the limit is {limits.zip_max_ratio} to 1.")
        if total > limits.zip_max_total_mb * MB:
            raise ExtractionFailure(
                ZIP_BOMB, f"The archive unpacks to {total // MB} MB; the limit is "
                          f"{limits.zip_max_total_mb} MB.")


@dataclass
class Budget:
    """Counts cells and characters across a whole document."""

    limits: Limits
    cells: int = 0
    chars: int = 0

    def add_cells(self, count: int) -> None:
        self.cells += count
        if self.cells > self.limits.max_cells:
            raise ExtractionFailure(
                TOO_COMPLEX, f"The document has more than {self.limits.max_cells:,} table "
                             "cells, the most the platform extracts.")

    def add_text(self, count: int) -> None:
        self.chars += count
        if self.chars > self.limits.max_text_chars:
            raise ExtractionFailure(
                TOO_COMPLEX, f"The document has more than {self.limits.max_text_chars:,} "
                             "characters of text, the most the platform extracts.")


@dataclass
class TableBuilder:
    """A table whose first non-empty row names the columns.

    Blank headers become "Column N", repeated ones get " (2)", " (3)"; a row
    longer than the header adds columns; trailing empty cells are dropped.
    """

    name: str
    budget: Budget
    columns: list[str] | None = None
    rows: list[list[Any]] = field(default_factory=list)
    empty: Any = None

    def _check_width(self, width: int) -> None:
        limit = self.budget.limits.max_columns
        if width > limit:
            raise ExtractionFailure(
                TOO_COMPLEX, f"{self.name!r} has {width:,} columns; the limit is {limit:,}.")

    def _cell(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > self.budget.limits.max_cell_chars:
            raise ExtractionFailure(
                TOO_COMPLEX, f"A cell of {self.name!r} holds {len(value):,} characters; the "
                             f"limit is {self.budget.limits.max_cell_chars:,}.")
        return value

    def add(self, values: list[Any]) -> None:
        width = len(values)
        while width and values[width - 1] in (None, ""):
            width -= 1
        if width == 0:
            return
        self._check_width(width)
        values = [self._cell(value) for value in values[:width]]
        if self.columns is None:
            self.columns = []
            self._extend_columns(values)
            return
        if width > len(self.columns):
            self._extend_columns([None] * width, start=len(self.columns))
        if len(self.rows) >= self.budget.limits.max_rows:
            raise ExtractionFailure(
                TOO_COMPLEX, f"{self.name!r} has more than {self.budget.limits.max_rows:,} "
                             "rows, the most the platform extracts.")
        self.budget.add_cells(width)
        self.rows.append(values + [self.empty] * (len(self.columns) - width))

    def _extend_columns(self, header: list[Any], start: int = 0) -> None:
        assert self.columns is not None
        taken = {name.casefold() for name in self.columns}
        for index in range(start, len(header)):
            raw = header[index]
            base = " ".join(str(raw).split()) if raw not in (None, "") else ""
            base = base or f"Column {index + 1}"
            name, counter = base, 2
            while name.casefold() in taken:
                name, counter = f"{base} ({counter})", counter + 1
            taken.add(name.casefold())
            self.columns.append(name)
        self._check_width(len(self.columns))
        for row in self.rows:
            row.extend([self.empty] * (len(self.columns) - len(row)))

    def result(self) -> dict[str, Any] | None:
        if self.columns is None:
            return None
        return {"name": self.name, "columns": self.columns, "rows": self.rows}
