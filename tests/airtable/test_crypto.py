"""Tokens at rest: Fernet ciphertext, rotation with several keys."""

import pytest
from cryptography.fernet import Fernet
from django_tenants.utils import schema_context

from apps.airtable.crypto import (
    TokenDecryptionFailed,
    token_decrypt,
    token_encrypt,
    token_reencrypt,
)
from apps.airtable.models import AirtableConnection

TOKEN = "patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def test_round_trip_with_the_key_derived_from_secret_key(settings):
    settings.AIRTABLE_TOKEN_KEYS = []
    stored = token_encrypt(TOKEN)
    assert TOKEN not in stored
    assert token_decrypt(stored) == TOKEN


def test_rotation_new_key_first_old_key_still_decrypts(settings):
    old, new = Fernet.generate_key().decode(), "a passphrase rather than a Fernet key"
    settings.AIRTABLE_TOKEN_KEYS = [old]
    stored_with_old = token_encrypt(TOKEN)

    settings.AIRTABLE_TOKEN_KEYS = [new, old]
    assert token_decrypt(stored_with_old) == TOKEN
    rotated = token_reencrypt(stored_with_old)
    assert rotated != stored_with_old

    settings.AIRTABLE_TOKEN_KEYS = [new]
    assert token_decrypt(rotated) == TOKEN
    with pytest.raises(TokenDecryptionFailed):
        token_decrypt(stored_with_old)


def test_stored_column_is_ciphertext(team_a, server, shared_base):
    from .conftest import connect

    _base_id, token = shared_base
    connection = connect(team_a, server, token)
    with schema_context(team_a.tenant.schema_name):
        stored = AirtableConnection.objects.values_list("token_encrypted", flat=True) \
            .get(pk=connection.pk)
    assert stored != token
    assert token not in stored
    assert token.split(".")[1] not in stored
    assert token_decrypt(stored) == token
