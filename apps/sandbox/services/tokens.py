"""Sandbox personal access tokens."""

from __future__ import annotations

from .. import ids
from ..exceptions import InvalidRequest
from ..models import SandboxBase, SandboxToken


def token_create(*, name: str = "") -> tuple[SandboxToken, str]:
    """A new token; the raw value is returned once and only its digest is kept."""
    raw = ids.new_token()
    return token_ensure(raw=raw, name=name), raw


def token_ensure(*, raw: str, name: str = "") -> SandboxToken:
    """The token ``raw`` (shaped like an Airtable PAT), made if it does not exist yet."""
    if not isinstance(raw, str) or not ids.TOKEN_PATTERN.fullmatch(raw):
        raise InvalidRequest("A sandbox token looks like pat<14 letters or digits>.<64 hex>")
    token, _created = SandboxToken.objects.get_or_create(
        token_hash=ids.token_digest(raw),
        defaults={"name": name[:255], "prefix": raw.split(".", 1)[0],
                  "user_id": ids.new_id(ids.USER)})
    return token


def token_for_seed(*, raw: str | None, name: str,
                   base_name: str) -> tuple[SandboxToken, str, SandboxBase | None]:
    """(token, raw value, its base named ``base_name`` or None) for a seed: without ``raw``
    a new token; with one, that token (made if unknown) and the base it already has, which
    the seed returns as it is instead of making a second one."""
    if raw is None:
        token, raw = token_create(name=name)
        return token, raw, None
    token = token_ensure(raw=raw, name=name)
    return token, raw, SandboxBase.objects.filter(token=token, name=base_name).first()
