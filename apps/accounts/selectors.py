"""Reads of users, memberships, API keys and the credential a request carries."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django_redis import get_redis_connection
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from apps.core.exceptions import NotAMember, TenantMismatch, TenantRequired
from apps.core.tools import READ, WRITE, ToolContext
from apps.tenants.exceptions import TenantInactive
from apps.tenants.selectors import tenant_get, tenant_get_by_slug

from .exceptions import (
    AuthenticationRequired,
    CredentialInvalid,
    InvitationInvalid,
    MultipleCredentials,
)
from .models import ApiKey, Invitation, Membership, User

API_KEY_PREFIX = "pat_"
SESSION_TENANT_KEY = "active_tenant_id"
MULTIPLE = "multiple"


@dataclass
class Credential:
    """What a request proved about itself, before DRF's view runs."""

    kind: str  # "api_key", "jwt", "session", or MULTIPLE (two that disagree: refused)
    user_id: int | None = None
    tenant: object | None = None
    api_key: ApiKey | None = None
    token: AccessToken | None = None
    error: str | None = None
    scopes: tuple[str, ...] = field(default=("read", "write"))

    @property
    def valid(self) -> bool:
        return self.error is None


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_get_by_raw(raw: str) -> ApiKey | None:
    return (ApiKey.objects.select_related("tenant", "user")
            .filter(key_hash=hash_key(raw), revoked_at__isnull=True).first())


def _bearer(headers) -> str | None:
    header = headers.get("Authorization", "") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def credential_from_request(request) -> Credential | None:
    """The API key, JWT or session of a request. An invalid one comes back with `error`."""
    credential = credential_from_headers(request.headers)
    if credential is not None:
        return credential
    session = getattr(request, "session", None)
    if session is not None and session.get(SESSION_KEY):
        tenant_id = session.get(SESSION_TENANT_KEY)
        tenant = tenant_get(tenant_id) if isinstance(tenant_id, int) else None
        return Credential(kind="session", user_id=int(session[SESSION_KEY]), tenant=tenant)
    return None


SIGNED_OUT_KEY = "jwt-signed-out:{sid}"


def jwt_session_signed_out(sid) -> bool:
    """Whether the sign-in session `sid` (the "sid" claim its tokens share) was logged out.
    Without Redis the answer is no: the access token's 15 minutes bound the exposure."""
    if not isinstance(sid, str) or not sid:
        return False
    try:
        return bool(get_redis_connection("default").exists(SIGNED_OUT_KEY.format(sid=sid)))
    except Exception:  # Redis unreachable: the token is still checked and short-lived
        return False


def _key_credential(raw_key: str) -> Credential:
    api_key = api_key_get_by_raw(raw_key) if len(raw_key) < 200 else None
    if api_key is None or not api_key.user.is_active:
        return Credential(kind="api_key", error="Invalid or revoked API key.")
    return Credential(kind="api_key", user_id=api_key.user_id, tenant=api_key.tenant,
                      api_key=api_key, scopes=tuple(api_key.scopes))


def _bearer_credential(bearer: str) -> Credential:
    if bearer.startswith(API_KEY_PREFIX):
        return _key_credential(bearer)
    try:
        token = AccessToken(bearer)
    except TokenError as exc:
        return Credential(kind="jwt", error=f"Invalid token: {exc}")
    if jwt_session_signed_out(token.get("sid")):
        return Credential(kind="jwt", error="Invalid token: this session was logged out.")
    slug = token.get("tenant")
    tenant = tenant_get_by_slug(slug) if isinstance(slug, str) else None
    return Credential(kind="jwt", user_id=token.get("user_id"), tenant=tenant, token=token)


def _same_caller(first: Credential, second: Credential) -> bool:
    # A JWT's user_id claim may be text.
    return (str(first.user_id), getattr(first.tenant, "pk", None)) == \
        (str(second.user_id), getattr(second.tenant, "pk", None))


def credential_from_headers(headers) -> Credential | None:
    """The API key (X-API-Key or Bearer pat_…) or JWT (Bearer) in request headers.

    Both headers may come together only when they name the same caller (the API key
    then counts, its scopes being the narrower); two that name different users or
    tenants come back as one credential of kind MULTIPLE, which is refused."""
    raw_key = (headers.get("X-API-Key", "") or "").strip()
    bearer = _bearer(headers)
    if raw_key and bearer and bearer != raw_key:
        keyed, borne = _key_credential(raw_key), _bearer_credential(bearer)
        for credential in (keyed, borne):
            if not credential.valid:
                return credential
        if not _same_caller(keyed, borne):
            return Credential(kind=MULTIPLE, error=(
                "The X-API-Key and Authorization headers name different callers; send one "
                "credential per request."))
        return keyed
    if raw_key:
        return _key_credential(raw_key)
    if bearer:
        return _bearer_credential(bearer)
    return None


def membership_get(*, user_id: int, tenant) -> Membership | None:
    if tenant is None or user_id is None:
        return None
    return Membership.objects.filter(user_id=user_id, tenant=tenant).first()


def membership_list(*, tenant):
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("created_at")


def memberships_of_user(*, user: User):
    return (Membership.objects.filter(user=user, tenant__is_active=True)
            .select_related("tenant").order_by("created_at"))


def api_key_list(*, tenant, user=None):
    keys = ApiKey.objects.filter(tenant=tenant).select_related("user")
    if user is not None:
        keys = keys.filter(user=user)
    return keys.order_by("-created_at")


def api_key_get(*, tenant, key_id) -> ApiKey | None:
    return ApiKey.objects.filter(tenant=tenant, pk=key_id).select_related("user").first()


def user_get_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=(email or "").strip()).first()


def _member_caller(*, tenant, user_id, api_key, channel: str) -> ToolContext | None:
    """The caller a member of an active tenant is, or None; a viewer or a read-only key
    reads only."""
    membership = (Membership.objects.select_related("user")
                  .filter(user_id=user_id, tenant=tenant, user__is_active=True).first())
    if membership is None:
        return None
    can_write = membership.can_write and (api_key is None or api_key.can_write)
    return ToolContext(tenant=tenant, user=membership.user,
                       scopes=frozenset({READ, WRITE} if can_write else {READ}),
                       channel=channel, api_key_id=api_key.pk if api_key else None,
                       membership=membership)


def caller_resolve(*, credential: Credential | None, channel: str, tenant=None) -> ToolContext:
    """Who calls, for which tenant, with which rights: the one answer of every entry point
    (HTTP authentication, MCP, the chat's WebSocket). `tenant` is the tenant the host
    names, if any; otherwise the credential's (an API key's tenant, a JWT's claim, a
    session's active tenant). Refusals are the same everywhere:

    401 ERROR_AUTHENTICATION_REQUIRED / ERROR_AUTHENTICATION_FAILED (a revoked key, a
    bad token), 400 ERROR_MULTIPLE_CREDENTIALS, 403 ERROR_TENANT_MISMATCH (a host and
    a key or JWT of different tenants), ERROR_TENANT_REQUIRED, ERROR_TENANT_INACTIVE,
    ERROR_NOT_A_MEMBER. Writing is then the registry's and the permissions' business:
    a viewer or a read-only key gets the READ scope only."""
    if credential is None:
        raise AuthenticationRequired("Send an API key (Authorization: Bearer pat_… or "
                                     "X-API-Key), a JWT, or log in.")
    if credential.kind == MULTIPLE:
        raise MultipleCredentials(credential.error)
    if not credential.valid:
        raise CredentialInvalid(credential.error)
    if (tenant is not None and credential.tenant is not None and credential.kind != "session"
            and tenant.pk != credential.tenant.pk):
        raise TenantMismatch("This credential belongs to another tenant than the one this "
                             "host serves.")
    tenant = tenant or credential.tenant
    if tenant is None:
        raise TenantRequired("Name a tenant: use its host, a JWT issued for it, or one of its "
                             "API keys.")
    if not tenant.is_active:
        raise TenantInactive("This tenant has been deactivated.")
    caller = _member_caller(tenant=tenant, user_id=credential.user_id,
                            api_key=credential.api_key, channel=channel)
    if caller is None:
        raise NotAMember("You are not a member of this tenant.")
    return caller


def caller_for_member(*, tenant, user_id: int | None, channel: str,
                      api_key_id: int | None = None) -> ToolContext | None:
    """The caller a background job acts as: the member as they are now, not as they were when
    the job was queued. None when the tenant is inactive, the user is gone or inactive, or no
    longer a member, or the key named by `api_key_id` was revoked; a viewer (or a read-only
    key) reads only."""
    if tenant is None or not tenant.is_active:
        return None
    api_key = None
    if api_key_id is not None:
        api_key = ApiKey.objects.filter(pk=api_key_id, tenant=tenant, user_id=user_id,
                                        revoked_at__isnull=True).first()
        if api_key is None:
            return None
    return _member_caller(tenant=tenant, user_id=user_id, api_key=api_key, channel=channel)


INVITATION_SALT = "accounts.invitation"
SIGNUP_SALT = "accounts.signup"


def invitation_list(*, tenant):
    """The team's invitations not yet accepted or withdrawn (expired ones included)."""
    return (Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True,
                                      revoked_at__isnull=True)
            .select_related("invited_by").order_by("-sent_at"))


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a link names, or InvitationInvalid saying why not."""
    try:
        data = signing.loads(token or "", salt=INVITATION_SALT,
                             max_age=settings.INVITATION_MAX_AGE_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        raise InvitationInvalid("This invitation has expired: ask for a new one.") from None
    except signing.BadSignature:
        raise InvitationInvalid("This invitation link is not valid.") from None
    invitation = (Invitation.objects.select_related("tenant", "invited_by")
                  .filter(pk=data.get("i") if isinstance(data, dict) else None).first())
    if invitation is None or invitation.nonce != data.get("n"):
        raise InvitationInvalid("This invitation link has been replaced or withdrawn.")
    if invitation.status == "expired":
        raise InvitationInvalid("This invitation has expired: ask for a new one.")
    if invitation.status != "pending" or not invitation.tenant.is_active:
        raise InvitationInvalid("This invitation has already been used or withdrawn.")
    return invitation
