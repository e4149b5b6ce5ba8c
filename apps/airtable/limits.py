"""Every limit and pattern of the Airtable gateway, once: the selectors and
services check them, the REST serializers and the tools' JSON Schemas are
built from them, so an answer never depends on the door a request came in by.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Airtable's ids: a prefix and letters or digits (14 on Airtable; the mirror takes 3 to 29).
BASE_ID_PATTERN = r"^app[A-Za-z0-9]{14}$"
RECORD_ID_PATTERN = r"^rec[A-Za-z0-9]{3,29}$"
BASE_ID = re.compile(BASE_ID_PATTERN)
RECORD_ID = re.compile(RECORD_ID_PATTERN)
# A listing's offset: one the mirror gave (m<start>.<digest of the query>) or Airtable's.
MIRROR_OFFSET_PATTERN = r"^m([0-9]{1,9})\.([0-9a-f]{10})$"
AIRTABLE_OFFSET_PATTERN = r"^itr[A-Za-z0-9]{1,40}/rec[A-Za-z0-9]{1,40}$"
OFFSET_PATTERN = f"^({MIRROR_OFFSET_PATTERN[1:-1]}|{AIRTABLE_OFFSET_PATTERN[1:-1]})$"

NAME_MAX = 255  # table, field and view names, and the keys of fields[] and sort[]
DESCRIPTION_MAX = 20_000
PAGE_SIZE_MAX = 100  # records per page, as Airtable
RECORDS_PER_CALL_MAX = 1000  # records one write or delete call takes (sent 10 at a time)
FORMULA_MAX = 50_000  # characters of filterByFormula
SORTS_MAX = 20
FIELDS_MAX = 500  # names in fields[]
OFFSET_MAX = 200
MAX_RECORDS_MAX = 10 ** 12 - 1  # maxRecords (twelve digits)
MAX_AGE_MAX = 10 ** 9  # seconds of max_age (about 31 years)

# A tool's arguments are written by a model: tighter than the REST API's.
TOOL_FORMULA_MAX = 10_000
TOOL_SORTS_MAX = 10
TOOL_FIELDS_MAX = 200
TOOL_PAGE_SIZE_DEFAULT = 50


def airtable_timestamp(moment: datetime | None) -> str | None:
    """A moment as Airtable writes it: UTC, milliseconds, `Z` (2026-06-01T09:30:00.000Z)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
