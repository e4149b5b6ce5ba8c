"""Users, memberships, tokens and API keys: every write and rule."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.exceptions import ManagerRequired, NotAMember, ValidationFailed
from apps.tenants.selectors import tenant_get_by_slug
from apps.tenants.services import tenant_create, tenant_slug_validate

from .exceptions import ApiKeyNotFound, EmailTaken, InvalidCredentials, MembershipExists
from .models import ApiKey, Membership, User
from .selectors import (
    API_KEY_PREFIX,
    api_key_get,
    hash_key,
    membership_get,
    memberships_of_user,
    user_get_by_email,
)


def _password_check(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed("The password is too weak.",
                               errors={"password": list(exc.messages)}) from None


def tokens_issue(*, user: User, tenant) -> dict:
    """An access and refresh token pair carrying the `tenant` claim (slug)."""
    refresh = RefreshToken.for_user(user)
    if tenant is not None:
        refresh["tenant"] = tenant.slug
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def user_register(*, email: str, password: str, tenant_name: str, tenant_slug: str,
                  full_name: str = "") -> tuple[User, object]:
    """Sign-up: a new user owning a new tenant. All or nothing."""
    email = email.strip().lower()
    if user_get_by_email(email):
        raise EmailTaken("An account with this e-mail address exists; log in instead.",
                         errors={"email": ["Already registered."]})
    tenant_slug_validate(tenant_slug)
    _password_check(password, User(email=email, full_name=full_name))
    with transaction.atomic():
        try:
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
        except IntegrityError:
            raise EmailTaken("An account with this e-mail address exists.",
                             errors={"email": ["Already registered."]}) from None
        tenant = tenant_create(name=tenant_name, slug=tenant_slug)
        Membership.objects.create(user=user, tenant=tenant, role=Membership.Role.OWNER)
    return user, tenant


def user_login(*, email: str, password: str, tenant_slug: str | None = None,
               client_ip: str | None = None):
    """Check the password and choose the tenant the tokens are issued for. Attempts are
    limited per `client_ip` and per account (RateLimited)."""
    user = authenticate(username=(email or "").strip().lower(), password=password,
                        client_ip=client_ip)
    if user is None:
        raise InvalidCredentials("The e-mail address or password is wrong.")
    if tenant_slug:
        tenant = tenant_get_by_slug(tenant_slug)
        membership = membership_get(user_id=user.pk, tenant=tenant) if tenant else None
        if membership is None or not tenant.is_active:
            raise NotAMember(f"You are not a member of '{tenant_slug}'.")
    else:
        first = memberships_of_user(user=user).first()
        tenant = first.tenant if first else None
    return user, tenant


def token_refresh(*, refresh: str) -> dict:
    """Rotate the refresh token (the old one is blacklisted) and issue an access token."""
    try:
        token = RefreshToken(refresh)
        user_id = token.get("user_id")
        slug = token.get("tenant")
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise InvalidCredentials("The token's user no longer exists.")
        if slug:
            tenant = tenant_get_by_slug(slug)
            if tenant is None or membership_get(user_id=user.pk, tenant=tenant) is None:
                raise NotAMember("You are no longer a member of this tenant.")
        token.blacklist()
        token.set_jti()
        token.set_exp()
        token.set_iat()
        return {"access": str(token.access_token), "refresh": str(token)}
    except TokenError as exc:
        raise InvalidCredentials(f"Invalid refresh token: {exc}") from None


def token_revoke(*, refresh: str) -> None:
    try:
        RefreshToken(refresh).blacklist()
    except TokenError as exc:
        raise InvalidCredentials(f"Invalid refresh token: {exc}") from None


def api_key_create(*, tenant, user: User, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key; the raw key is returned once and never stored."""
    scopes = sorted(set(scopes or [ApiKey.Scope.READ]))
    if ApiKey.Scope.WRITE in scopes and ApiKey.Scope.READ not in scopes:
        scopes = sorted([*scopes, ApiKey.Scope.READ])
    membership = membership_get(user_id=user.pk, tenant=tenant)
    if membership is None:
        raise NotAMember("You are not a member of this tenant.")
    if ApiKey.Scope.WRITE in scopes and not membership.can_write:
        raise ManagerRequired("A viewer cannot create a key that writes.")
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        tenant=tenant, user=user, name=name.strip()[:100], prefix=raw[:12],
        key_hash=hash_key(raw), scopes=scopes,
    )
    return api_key, raw


_LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_touch(api_key: ApiKey) -> None:
    """Record use, at most once a minute per key, so a busy key costs no write per request."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def api_key_revoke(*, tenant, actor: User, key_id) -> ApiKey:
    """Revoke with immediate effect. Managers revoke any key, others their own."""
    api_key = api_key_get(tenant=tenant, key_id=key_id)
    if api_key is None or api_key.revoked_at is not None:
        raise ApiKeyNotFound("No such API key in this tenant.")
    membership = membership_get(user_id=actor.pk, tenant=tenant)
    if membership is None or (api_key.user_id != actor.pk and not membership.can_manage):
        raise ManagerRequired("Only owners and admins can revoke other people's keys.")
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    return api_key


def member_add(*, tenant, actor: User, email: str, role: str, password: str | None = None
               ) -> Membership:
    """Add a user (created when new) to the tenant with a role. Owners and admins only;
    only an owner makes another owner."""
    actor_membership = membership_get(user_id=actor.pk, tenant=tenant)
    if actor_membership is None or not actor_membership.can_manage:
        raise ManagerRequired("Only owners and admins can add members.")
    if role == Membership.Role.OWNER and actor_membership.role != Membership.Role.OWNER:
        raise ManagerRequired("Only an owner can add another owner.")
    email = email.strip().lower()
    with transaction.atomic():
        user = user_get_by_email(email)
        if user is None:
            if password:
                _password_check(password, User(email=email))
            user = User.objects.create_user(email=email, password=password or None)
            if not password:
                user.set_unusable_password()
                user.save(update_fields=["password"])
        if membership_get(user_id=user.pk, tenant=tenant):
            raise MembershipExists(f"{email} is already a member of this tenant.")
        return Membership.objects.create(user=user, tenant=tenant, role=role)
