"""PDF: the text of each page, the page count and the document information."""

from __future__ import annotations

from typing import Any

import pypdf
from pypdf.errors import PyPdfError

from .errors import CORRUPT, ENCRYPTED, TOO_COMPLEX, ExtractionFailure
from .limits import Budget, Limits

_INFO_FIELDS = ("title", "author", "subject", "creator", "producer")
_INFO_MAX_CHARS = 1_000


def _info(reader: pypdf.PdfReader) -> dict[str, str]:
    try:
        info = reader.metadata
    except PyPdfError:
        return {}
    if info is None:
        return {}
    result = {}
    for name in _INFO_FIELDS:
        try:
            value = getattr(info, name)
        except (PyPdfError, ValueError, TypeError):
            continue
        if value:
            result[name] = " ".join(str(value).split())[:_INFO_MAX_CHARS]
    return result


def extract_pdf(path: str, limits: Limits, name: str) -> dict[str, Any]:
    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            # A PDF locked with an owner password only opens for anyone, as in any
            # viewer; one that needs a user password can't be read without it.
            raise ExtractionFailure(
                ENCRYPTED, "The PDF is protected by a password; remove the password and upload "
                           "it again.")
        page_count = len(reader.pages)
        if page_count > limits.max_pages:
            raise ExtractionFailure(
                TOO_COMPLEX, f"The PDF has {page_count:,} pages; the limit is "
                             f"{limits.max_pages:,}.")
        budget = Budget(limits)
        pages = []
        for page in reader.pages:
            text = (page.extract_text() or "").strip("\n")
            budget.add_text(len(text))
            pages.append(text)
        metadata = {"pages": page_count, **_info(reader)}
    except PyPdfError as exc:
        raise ExtractionFailure(CORRUPT, f"The PDF can't be read: {exc}") from None
    return {
        "text": "\n\n".join(pages),
        "metadata": metadata,
        "tables": [],
        "pages": pages,
    }
