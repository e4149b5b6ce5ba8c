"""Tenants' provider API keys, encrypted at rest with Fernet.

CHAT_KEY_ENCRYPTION_KEYS lists Fernet keys: the first encrypts, all decrypt, so a key
can be rotated by putting the new one first. Without it, one key is derived from
SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.CHAT_KEY_ENCRYPTION_KEYS if key.strip()]
    if not keys:
        digest = hashlib.sha256(f"chat-api-keys:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str | None:
    """The secret, or None when no configured key can open it (keys were rotated away)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
