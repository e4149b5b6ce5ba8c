"""Encryption of Airtable tokens at rest.

Keys come from settings.AIRTABLE_TOKEN_KEYS: the first encrypts, every key
decrypts, so a key is rotated by putting a new one first, re-encrypting
(`manage.py airtable_rotate_tokens`) and then dropping the old one. A key is
either a Fernet key (`Fernet.generate_key()`) or any passphrase, which is
stretched to one. With no keys configured, one is derived from SECRET_KEY so
development and tests need no setup.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class TokenDecryptionFailed(Exception):
    """No configured key opens the stored token (a key was dropped too early)."""


def _fernet_for(secret: str) -> Fernet:
    try:
        if len(base64.urlsafe_b64decode(secret.encode())) == 32:
            return Fernet(secret.encode())
    except (binascii.Error, ValueError):
        pass
    derived = hashlib.pbkdf2_hmac("sha256", secret.encode(), b"pyairtable-token-key", 200_000)
    return Fernet(base64.urlsafe_b64encode(derived))


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet_for(key) for key in keys])


def token_keys() -> tuple[str, ...]:
    """The keys in use, the encrypting one first."""
    configured = tuple(key.strip() for key in settings.AIRTABLE_TOKEN_KEYS if key.strip())
    return configured or (f"airtable-token:{settings.SECRET_KEY}",)


def token_encrypt(token: str) -> str:
    return _multi_fernet(token_keys()).encrypt(token.encode()).decode()


def token_decrypt(ciphertext: str) -> str:
    try:
        return _multi_fernet(token_keys()).decrypt(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise TokenDecryptionFailed(
            "The stored Airtable token cannot be decrypted with the configured keys.") from error


def token_reencrypt(ciphertext: str) -> str:
    """The same token encrypted with the first (current) key."""
    try:
        return _multi_fernet(token_keys()).rotate(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise TokenDecryptionFailed(
            "The stored Airtable token cannot be decrypted with the configured keys.") from error
