"""Connections (an Airtable token and endpoint) and the bases they can see."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.http.request import validate_host
from django.utils import timezone

from apps.core.urlguard import url_check, url_origin

from .. import schema_cache
from ..clients import DEFAULT_ENDPOINT, AirtableClient, connection_client
from ..crypto import TokenDecryptionFailed, token_encrypt, token_reencrypt
from ..exceptions import (
    AirtableError,
    AirtableRateLimited,
    AirtableUnavailable,
    ConnectionNotFound,
    InvalidQuery,
)
from ..models import AirtableConnection, Base
from .scheduling import base_schedule_remove, base_schedule_update

SANDBOX_PATH = "/sandbox/airtable"
MAX_TOKEN_LENGTH = 500


def endpoint_url_validate(endpoint_url: str | None) -> str:
    """An endpoint the operator listed (AIRTABLE_ENDPOINT_URLS), or this platform's own
    sandbox when it is on: one of the platform's hosts, at a public address (or one
    URLGUARD_ALLOWED_NETWORKS allows), since the connection's token is sent there."""
    url = (endpoint_url or DEFAULT_ENDPOINT).strip().rstrip("/")
    allowed = {item.strip().rstrip("/") for item in settings.AIRTABLE_ENDPOINT_URLS}
    if url in allowed:
        return url
    parts = urlsplit(url)
    origin = url_origin(url)
    if (settings.SANDBOX_ENABLED and origin is not None and parts.path == SANDBOX_PATH
            and not parts.query and not parts.fragment and _platform_host(origin[1])):
        return url_check(url, purpose="The sandbox endpoint", field="endpoint_url")
    choices = ", ".join(sorted(allowed))
    hint = f" or this platform's sandbox (http://<host>{SANDBOX_PATH})" \
        if settings.SANDBOX_ENABLED else ""
    raise InvalidQuery(f"endpoint_url must be one of {choices}{hint}.",
                       errors={"endpoint_url": ["This endpoint is not allowed."]})


def _platform_host(host: str) -> bool:
    """One of the hosts this platform serves (ALLOWED_HOSTS, where '*' counts for none,
    or BASE_DOMAIN and its subdomains)."""
    own = [entry for entry in settings.ALLOWED_HOSTS if entry != "*"]
    base = settings.BASE_DOMAIN.lower()
    return validate_host(host, own) or host == base or host.endswith(f".{base}")


def _text(value, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidQuery(f"{field} is required.", errors={field: ["This field is required."]})
    value = value.strip()
    if len(value) > limit or "\x00" in value:
        raise InvalidQuery(f"{field} is too long or malformed.",
                           errors={field: [f"At most {limit} characters."]})
    return value


def _discover(client: AirtableClient) -> tuple[dict, list[dict]]:
    identity = client.whoami()
    return identity, client.bases()


def _bases_store(connection: AirtableConnection, found: list[dict], *,
                 prune: bool = True) -> None:
    """Record the bases the token can see now; with `prune`, forget the ones it
    no longer sees (with their mirror)."""
    seen = set()
    for item in found:
        base_id = str(item.get("id") or "")
        if not base_id or len(base_id) > 32:
            continue
        seen.add(base_id)
        base = Base.objects.filter(base_id=base_id).first()
        if base is None:
            base = Base.objects.create(connection=connection, base_id=base_id,
                                       name=str(item.get("name") or base_id)[:255],
                                       permission_level=str(item.get("permissionLevel") or ""))
            base_schedule_update(base=base)
        elif base.connection_id == connection.pk:
            base.name = str(item.get("name") or base_id)[:255]
            base.permission_level = str(item.get("permissionLevel") or "")
            base.save(update_fields=["name", "permission_level"])
        schema_cache.invalidate(base_id)
    gone = list(connection.bases.exclude(base_id__in=seen).values_list("base_id", flat=True))
    if gone and prune:
        base_schedule_remove(base_ids=gone)
        connection.bases.filter(base_id__in=gone).delete()
        for base_id in gone:
            schema_cache.invalidate(base_id)


def connection_create(*, name: str, token: str, endpoint_url: str | None = None,
                      created_by_id: int | None = None,
                      discover: bool = True) -> AirtableConnection:
    """Store a connection after Airtable accepted its token, and discover its bases.
    A refused token is not stored; an unreachable Airtable is (the bases are
    discovered on the next test or sync). With `discover=False` nothing is
    asked of Airtable now (the demo set-up, before the server is up)."""
    name = _text(name, "name", 100)
    token = _text(token, "token", MAX_TOKEN_LENGTH)
    url = endpoint_url_validate(endpoint_url)
    found: list[dict] | None = None
    error: AirtableError | None = None
    if discover:
        try:
            _identity, found = _discover(AirtableClient(token=token, endpoint_url=url))
        except (AirtableUnavailable, AirtableRateLimited) as unavailable:
            error = unavailable
    with transaction.atomic():
        connection = AirtableConnection.objects.create(
            name=name, endpoint_url=url, token_encrypted=token_encrypt(token),
            created_by_id=created_by_id, last_tested_at=timezone.now() if discover else None,
            last_test_ok=(error is None) if discover else None,
            last_error=error.detail if error else "")
        if found is not None:
            _bases_store(connection, found)
    return connection


def _connection(connection_id) -> AirtableConnection:
    if isinstance(connection_id, bool) or not str(connection_id).isdigit() or \
            len(str(connection_id)) > 18:
        raise ConnectionNotFound("There is no such Airtable connection.")
    connection = AirtableConnection.objects.filter(pk=int(connection_id)).first()
    if connection is None:
        raise ConnectionNotFound("There is no such Airtable connection.")
    return connection


def connection_test(*, connection_id) -> dict:
    """whoami and meta/bases with the stored token. Returns what happened
    rather than raising, and remembers it on the connection."""
    connection = _connection(connection_id)
    result: dict = {"ok": False, "connection_id": connection.pk}
    try:
        identity, found = _discover(connection_client(connection))
    except AirtableError as error:
        connection.last_test_ok = False
        connection.last_error = error.detail
        result.update(code=error.code, detail=error.detail, status=error.status)
        if isinstance(error, AirtableRateLimited):
            result["retry_after"] = error.retry_after
    else:
        connection.last_test_ok = True
        connection.last_error = ""
        with transaction.atomic():
            _bases_store(connection, found)
        result.update(ok=True, user_id=identity.get("id"), scopes=identity.get("scopes"),
                      bases=len(found))
    connection.last_tested_at = timezone.now()
    connection.save(update_fields=["last_test_ok", "last_error", "last_tested_at"])
    result["tested_at"] = connection.last_tested_at
    return result


def connection_bases_refresh(*, connection: AirtableConnection,
                             client: AirtableClient | None = None) -> list[Base]:
    """Rediscover the bases of a connection (raises what Airtable answered)."""
    client = client or connection_client(connection)
    found = client.bases()
    with transaction.atomic():
        _bases_store(connection, found)
    return list(connection.bases.all())


def connection_update(*, connection_id, name: str | None = None,
                      endpoint_url: str | None = None,
                      token: str | None = None) -> AirtableConnection:
    """Rename a connection, point it at another endpoint or give it a new token;
    a new token or endpoint is checked and the bases discovered again."""
    connection = _connection(connection_id)
    if name is not None:
        connection.name = _text(name, "name", 100)
    if endpoint_url is not None:
        connection.endpoint_url = endpoint_url_validate(endpoint_url)
    if token is not None:
        connection.token_encrypted = token_encrypt(_text(token, "token", MAX_TOKEN_LENGTH))
    connection.save(update_fields=["name", "endpoint_url", "token_encrypted"])
    if endpoint_url is not None or token is not None:
        connection_test(connection_id=connection.pk)
        connection.refresh_from_db()
    return connection


def connection_tokens_reencrypt() -> tuple[int, list[str]]:
    """Every token of this tenant that a configured key opens, encrypted again with the
    first (current) key. Returns how many were, and the connections no key opens (named,
    left as they are: dropping the old key now would make them unusable)."""
    count, unreadable = 0, []
    with transaction.atomic():
        for connection in AirtableConnection.objects.select_for_update().order_by("pk"):
            try:
                connection.token_encrypted = token_reencrypt(connection.token_encrypted)
            except TokenDecryptionFailed:
                unreadable.append(f"'{connection.name}' (id {connection.pk})")
                continue
            connection.save(update_fields=["token_encrypted"])
            count += 1
    return count, unreadable


def connection_delete(*, connection_id) -> None:
    connection = _connection(connection_id)
    base_ids = list(connection.bases.values_list("base_id", flat=True))
    with transaction.atomic():
        base_schedule_remove(base_ids=base_ids, schema_name=db_connection.schema_name)
        connection.delete()
    for base_id in base_ids:
        schema_cache.invalidate(base_id)
