"""Plain text and CSV: encoding detection, CSV dialect sniffing, the table."""

from __future__ import annotations

import codecs
import csv
import io
from typing import Any

import charset_normalizer

from .errors import CORRUPT, ENCODING_UNKNOWN, TOO_COMPLEX, ExtractionFailure
from .limits import Budget, Limits, TableBuilder

SNIFF_CHARS = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: byte-order mark, UTF-8, or detected."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ExtractionFailure(
                    ENCODING_UNKNOWN, f"The file starts as {encoding} but is not: {exc.reason} "
                                      f"at byte {exc.start}.") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ExtractionFailure(
            ENCODING_UNKNOWN, f"The file holds a NUL byte at offset {nul}: it is binary data, "
                              "not text.")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ExtractionFailure(
            ENCODING_UNKNOWN, "The text encoding of the file could not be recognised; save it "
                              "as UTF-8 and upload it again.")
    return str(best), best.encoding


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract_txt(path: str, limits: Limits, name: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        text, encoding = decode(handle.read())
    text = _normalise_newlines(text)
    Budget(limits).add_text(len(text))
    return {
        "text": text,
        "metadata": {"encoding": encoding, "lines": text.count("\n") + (
            1 if text and not text.endswith("\n") else 0), "characters": len(text)},
        "tables": [],
    }


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def extract_csv(path: str, limits: Limits, name: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        text, encoding = decode(handle.read())
    budget = Budget(limits)
    budget.add_text(len(text))
    dialect = _dialect(text)
    table = TableBuilder(name=name, budget=budget, empty="")
    csv.field_size_limit(limits.max_cell_chars)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for row in reader:
            table.add(row)
    except csv.Error as exc:
        code = TOO_COMPLEX if "field limit" in str(exc) else CORRUPT
        raise ExtractionFailure(code, f"Line {reader.line_num} can't be read as CSV: {exc}.") \
            from None
    result = table.result()
    return {
        "text": _normalise_newlines(text),
        "metadata": {
            "encoding": encoding,
            "delimiter": dialect.delimiter,
            "rows": len(result["rows"]) if result else 0,
            "columns": len(result["columns"]) if result else 0,
        },
        "tables": [result] if result else [],
    }
