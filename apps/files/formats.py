"""The file formats the platform can verify and extract, and their content checks.

An upload is accepted only when its extension is in settings.ALLOWED_EXTENSIONS,
is one of these formats, and its bytes look like that format: the extension
alone proves nothing. These checks read the head of the file and, for zip
containers, only the central directory, so they are cheap and safe to run in
the web process; the extraction proper runs in a resource-limited child.
"""

from __future__ import annotations

import codecs
import struct
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import charset_normalizer

HEAD_BYTES = 64 * 1024
# An OOXML document has a few dozen parts; thousands mean a crafted archive,
# and reading a huge central directory would itself cost memory.
MAX_ZIP_ENTRIES = 10_000
# A text file may hold tabs, newlines and form feeds, and now and then a stray
# control character; many of them mean binary data that happens to decode.
MAX_CONTROL_CHAR_RATIO = 0.01

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
_EOCD = b"PK\x05\x06"
_TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class FileFormat:
    extension: str
    mime_type: str
    label: str
    matches: Callable[[BinaryIO], bool]
    has_tables: bool


def _head(handle: BinaryIO, size: int = HEAD_BYTES) -> bytes:
    handle.seek(0)
    return handle.read(size)


def _is_pdf(handle: BinaryIO) -> bool:
    return _head(handle, 5) == b"%PDF-"


def _is_ole2(handle: BinaryIO) -> bool:
    return _head(handle, 8) == OLE2_MAGIC


def _zip_entry_count(handle: BinaryIO) -> int | None:
    """Entries declared by the end-of-central-directory record, without parsing it all."""
    handle.seek(0, 2)
    size = handle.tell()
    tail_size = min(size, 22 + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    position = tail.rfind(_EOCD)
    if position < 0 or len(tail) - position < 22:
        return None
    (entries,) = struct.unpack("<H", tail[position + 10:position + 12])
    return entries


def _ooxml_parts(handle: BinaryIO) -> set[str] | None:
    if _head(handle, 4) != ZIP_MAGIC:
        return None
    entries = _zip_entry_count(handle)
    if entries is None or entries == 0xFFFF or entries > MAX_ZIP_ENTRIES:
        return None
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _ooxml_check(folder: str) -> Callable[[BinaryIO], bool]:
    def check(handle: BinaryIO) -> bool:
        names = _ooxml_parts(handle)
        return bool(names) and "[Content_Types].xml" in names and any(
            name.startswith(folder) for name in names)

    return check


def text_sample_decode(sample: bytes, *, final: bool) -> str | None:
    """The text a sample of bytes holds, or None when it is not text.

    UTF-16/32 need their byte-order mark; any other NUL byte means binary data.
    """
    for bom, encoding in _TEXT_BOMS:
        if sample.startswith(bom):
            try:
                decoder = codecs.getincrementaldecoder(encoding)()
                text = decoder.decode(sample, final=final)
            except UnicodeDecodeError:
                return None
            return None if "\x00" in text else text
    if b"\x00" in sample:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(sample, final=final)
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(sample).best()
        return None if best is None else str(best)


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    controls = sum(1 for char in text
                   if char not in "\t\n\r\f\v" and unicodedata.category(char) == "Cc")
    return controls / len(text) <= MAX_CONTROL_CHAR_RATIO


def _is_text(handle: BinaryIO) -> bool:
    sample = _head(handle)
    handle.seek(0, 2)
    whole = handle.tell() <= len(sample)
    text = text_sample_decode(sample, final=whole)
    return text is not None and _looks_like_text(text)


FORMATS: dict[str, FileFormat] = {
    fmt.extension: fmt
    for fmt in (
        FileFormat("pdf", "application/pdf", "PDF document", _is_pdf, has_tables=False),
        FileFormat("docx",
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "Word document", _ooxml_check("word/"), has_tables=True),
        FileFormat("doc", "application/msword", "Word 97-2003 document", _is_ole2,
                   has_tables=False),
        FileFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   "Excel workbook", _ooxml_check("xl/"), has_tables=True),
        FileFormat("csv", "text/csv", "CSV file", _is_text, has_tables=True),
        FileFormat("txt", "text/plain", "text file", _is_text, has_tables=False),
    )
}


def allowed_formats(allowed_extensions: list[str]) -> dict[str, FileFormat]:
    """The formats an operator allowed that the platform can also verify."""
    return {ext: FORMATS[ext] for ext in allowed_extensions if ext in FORMATS}
