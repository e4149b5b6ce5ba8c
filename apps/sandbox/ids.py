"""Identifiers shaped like Airtable's: a three-letter prefix and 14 letters or digits."""

import hashlib
import re
import secrets
import string

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 14

BASE, TABLE, FIELD, RECORD, VIEW, CHOICE, ATTACHMENT, USER, ITERATOR = (
    "app", "tbl", "fld", "rec", "viw", "sel", "att", "usr", "itr")

_ID = re.compile(r"(app|tbl|fld|rec|viw|sel|att|usr|itr)[A-Za-z0-9]{14}")
TOKEN_PATTERN = re.compile(r"pat[A-Za-z0-9]{14}\.[0-9a-f]{64}")


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH))


def is_id(value: object, prefix: str) -> bool:
    return (isinstance(value, str) and value.startswith(prefix)
            and _ID.fullmatch(value) is not None)


def new_token() -> str:
    """A personal access token as Airtable prints them: pat<14>.<64 hex>."""
    return f"{new_id('pat')}.{secrets.token_hex(32)}"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
