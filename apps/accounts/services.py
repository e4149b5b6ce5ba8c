"""Users, memberships, tokens and API keys: every write and rule."""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_redis import get_redis_connection
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.exceptions import ManagerRequired, NotAMember, ValidationFailed
from apps.tenants.selectors import tenant_get_by_slug
from apps.tenants.services import tenant_create, tenant_slug_free_check, tenant_slug_validate

from .exceptions import (
    ApiKeyNotFound,
    EmailTaken,
    InvalidCredentials,
    InvitationForOther,
    InvitationInvalid,
    InvitationNotFound,
    LastOwner,
    MemberNotFound,
    MembershipExists,
    SignupLinkInvalid,
)
from .models import ApiKey, Invitation, Membership, User
from .selectors import (
    API_KEY_PREFIX,
    INVITATION_SALT,
    SIGNED_OUT_KEY,
    SIGNUP_SALT,
    api_key_get,
    hash_key,
    invitation_from_token,
    membership_get,
    memberships_of_user,
    user_get_by_email,
)
from .signals import user_signed_in

logger = logging.getLogger(__name__)


def _password_check(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed("The password is too weak.",
                               errors={"password": list(exc.messages)}) from None


def tokens_issue(*, user: User, tenant) -> dict:
    """An access and refresh token pair carrying the `tenant` claim (slug)."""
    refresh = RefreshToken.for_user(user)
    refresh["sid"] = secrets.token_hex(16)  # copied into every access token of this sign-in
    if tenant is not None:
        refresh["tenant"] = tenant.slug
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def user_register(*, email: str, password: str, tenant_name: str, tenant_slug: str,
                  full_name: str = "") -> tuple[User, object]:
    """A new user owning a new tenant, at once (the operator's commands and seeds; people
    sign up through `signup_request`, which does not say whether an address has an
    account). All or nothing."""
    email = email.strip().lower()
    if user_get_by_email(email):
        raise EmailTaken("An account with this email address exists; log in instead.",
                         errors={"email": ["Already registered."]})
    tenant_slug_validate(tenant_slug)
    _password_check(password, User(email=email, full_name=full_name))
    return _account_create(email=email, password_hash=make_password(password),
                           full_name=full_name, tenant_name=tenant_name,
                           tenant_slug=tenant_slug)


def _account_create(*, email: str, password_hash: str, full_name: str, tenant_name: str,
                    tenant_slug: str) -> tuple[User, object]:
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise EmailTaken("An account with this e-mail address exists; log in instead.",
                             errors={"email": ["Already registered."]})
        user = User(email=email, full_name=full_name.strip()[:150], password=password_hash)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise EmailTaken("An account with this email address exists.",
                             errors={"email": ["Already registered."]}) from None
        tenant = team_create(user=user, tenant_name=tenant_name, tenant_slug=tenant_slug)
    return user, tenant


def _signup_send(*, email: str, template: str, context: dict) -> None:
    """One message whichever the case; a mail server that refuses is logged, and the answer
    stays the same (it must not tell either)."""
    try:
        send_mail(subject="Your PyAirtable sign-up",
                  message=render_to_string(template, {"email": email, **context}),
                  from_email=None, recipient_list=[email])
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("sign-up e-mail to %s not sent: %s", email, error)


def signup_request(*, email: str, password: str, tenant_name: str, tenant_slug: str,
                   full_name: str = "", site_url: str | None = None) -> str:
    """Sign-up, first step: the same answer and about the same work whether or not the
    address has an account. A new address gets a link that creates the account and its
    team (`signup_confirm`); an address with an account gets a note to log in or reset the
    password. The password is checked and hashed in both cases. Returns the address."""
    email = email.strip().lower()
    tenant_slug_free_check(tenant_slug)
    _password_check(password, User(email=email, full_name=full_name))
    password_hash = make_password(password)
    site = (site_url or settings.SITE_URL).rstrip("/")
    token = signing.dumps({"e": email, "p": password_hash, "n": tenant_name,
                           "s": tenant_slug, "f": full_name}, salt=SIGNUP_SALT, compress=True)
    days = settings.SIGNUP_MAX_AGE_DAYS
    if user_get_by_email(email) is None:
        _signup_send(email=email, template="accounts/email/signup_confirm.txt",
                     context={"link": f"{site}/signup/confirm/{token}", "days": days,
                              "tenant_name": tenant_name})
    else:
        _signup_send(email=email, template="accounts/email/signup_exists.txt",
                     context={"login": f"{site}/login", "reset": f"{site}/password/reset",
                              "days": days})
    return email


def signup_confirm(*, token: str) -> tuple[User, object]:
    """Sign-up, second step: the link from the e-mail creates the account and its team.
    Whoever holds the link reads that mailbox, so from here errors may name the address."""
    try:
        data = signing.loads(token, salt=SIGNUP_SALT,
                             max_age=timedelta(days=settings.SIGNUP_MAX_AGE_DAYS))
    except signing.BadSignature:
        raise SignupLinkInvalid("This sign-up link is invalid or has expired: sign up "
                                "again.") from None
    return _account_create(email=data["e"], password_hash=data["p"], full_name=data["f"],
                           tenant_name=data["n"], tenant_slug=data["s"])


def team_create(*, user: User, tenant_name: str, tenant_slug: str):
    """Another team, owned by a user who already has an account."""
    with transaction.atomic():
        tenant = tenant_create(name=tenant_name, slug=tenant_slug)
        Membership.objects.create(user=user, tenant=tenant, role=Membership.Role.OWNER)
    return tenant


def user_login(*, email: str, password: str, tenant_slug: str | None = None,
               client_ip: str | None = None):
    """Check the password and choose the tenant the tokens are issued for. Attempts are
    limited per `client_ip` and per account (RateLimited)."""
    user = authenticate(username=(email or "").strip().lower(), password=password,
                        client_ip=client_ip)
    if user is None:
        raise InvalidCredentials("The email address or password is wrong.")
    if tenant_slug:
        tenant = tenant_get_by_slug(tenant_slug)
        membership = membership_get(user_id=user.pk, tenant=tenant) if tenant else None
        if membership is None or not tenant.is_active:
            raise NotAMember(f"You are not a member of '{tenant_slug}'.")
    else:
        first = memberships_of_user(user=user).first()
        tenant = first.tenant if first else None
    sign_in_record(user=user, tenant=tenant, method="api")
    return user, tenant


def sign_in_record(*, user: User, tenant, method: str) -> None:
    """Tell the other apps that a user signed in (analytics counts it)."""
    user_signed_in.send_robust(sender=User, user_id=user.pk, tenant=tenant, method=method)


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
    """Logout: the refresh token is blacklisted and every access token of its sign-in stops
    working at once (their shared "sid" is remembered for an access token's lifetime)."""
    try:
        token = RefreshToken(refresh)
        token.blacklist()
    except TokenError as exc:
        raise InvalidCredentials(f"Invalid refresh token: {exc}") from None
    sid = token.get("sid")
    if isinstance(sid, str) and sid:
        lifetime = int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()) + 60
        try:
            get_redis_connection("default").set(SIGNED_OUT_KEY.format(sid=sid), 1, ex=lifetime)
        except Exception as error:  # the refresh token is revoked; access tokens expire soon
            logger.warning("logout: access tokens of session %s not revoked: %s", sid, error)


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


def _role_check(role: str) -> None:
    if role not in Membership.Role.values:
        raise ValidationFailed("Unknown role.", errors={
            "role": [f"Not one of {', '.join(Membership.Role.values)}."]})


def _manager(*, tenant, actor: User) -> Membership:
    membership = membership_get(user_id=actor.pk, tenant=tenant)
    if membership is None or not membership.can_manage:
        raise ManagerRequired("Only owners and admins can manage members.")
    return membership


@dataclass
class InvitationIssued:
    invitation: Invitation
    link: str
    delivered: bool


def invitation_link(*, invitation: Invitation, site_url: str) -> str:
    token = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)
    return f"{site_url.rstrip('/')}/invitations/{token}"


def _invitation_send(*, invitation: Invitation, link: str) -> bool:
    """Send the link; a mail server that refuses is logged and reported, not raised, so the
    manager can pass the link on another way."""
    context = {"invitation": invitation, "link": link, "tenant": invitation.tenant,
               "inviter": invitation.invited_by,
               "days": settings.INVITATION_MAX_AGE_DAYS}
    try:
        send_mail(subject=f"Join {invitation.tenant.name} on PyAirtable",
                  message=render_to_string("accounts/email/invitation.txt", context),
                  from_email=None, recipient_list=[invitation.email])
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("invitation e-mail to %s not sent: %s", invitation.email, error)
        return False
    return True


def invitation_create(*, tenant, actor: User, email: str, role: str,
                      site_url: str | None = None) -> InvitationIssued:
    """Invite an e-mail address with a role and e-mail the link. Owners and admins only;
    only an owner invites an owner. Inviting an address again sends a new link (the old one
    stops working)."""
    actor_membership = _manager(tenant=tenant, actor=actor)
    _role_check(role)
    if role == Membership.Role.OWNER and actor_membership.role != Membership.Role.OWNER:
        raise ManagerRequired("Only an owner can invite another owner.")
    email = email.strip().lower()
    existing = user_get_by_email(email)
    if existing is not None and membership_get(user_id=existing.pk, tenant=tenant):
        raise MembershipExists(f"{email} is already a member of this team.",
                               errors={"email": ["Already a member."]})
    now = timezone.now()
    fields = {"role": role, "invited_by": actor, "nonce": secrets.token_hex(16), "sent_at": now,
              "expires_at": now + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)}
    with transaction.atomic():
        invitation = (Invitation.objects.select_for_update()
                      .filter(tenant=tenant, email=email, accepted_at__isnull=True,
                              revoked_at__isnull=True).first())
        if invitation is None:
            invitation = Invitation.objects.create(tenant=tenant, email=email, **fields)
        else:
            for name, value in fields.items():
                setattr(invitation, name, value)
            invitation.save(update_fields=list(fields))
    link = invitation_link(invitation=invitation, site_url=site_url or settings.SITE_URL)
    return InvitationIssued(invitation=invitation, link=link,
                            delivered=_invitation_send(invitation=invitation, link=link))


def invitation_revoke(*, tenant, actor: User, invitation_id) -> Invitation:
    _manager(tenant=tenant, actor=actor)
    invitation = Invitation.objects.filter(tenant=tenant, pk=invitation_id,
                                           accepted_at__isnull=True,
                                           revoked_at__isnull=True).first()
    if invitation is None:
        raise InvitationNotFound("No open invitation with this id in this team.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_accept(*, token: str, user: User | None = None, password: str = "",
                      full_name: str = "") -> tuple[User, object]:
    """Join the team an invitation names. A signed-in `user` must be the invited address;
    otherwise an existing account proves itself with its password, and a new person's
    account is created with the password they choose."""
    with transaction.atomic():
        found = invitation_from_token(token)
        invitation = Invitation.objects.select_for_update().get(pk=found.pk)
        if invitation.status != "pending" or invitation.nonce != found.nonce:
            raise InvitationInvalid("This invitation has already been used or withdrawn.")
        existing = user_get_by_email(invitation.email)
        if user is not None:
            if user.email.lower() != invitation.email:
                raise InvitationForOther(
                    f"This invitation is for {invitation.email}; you are signed in as "
                    f"{user.email}.")
        elif existing is not None:
            user = authenticate(username=existing.email, password=password)
            if user is None:
                raise InvalidCredentials(
                    f"An account for {invitation.email} exists: enter its password to join.",
                    errors={"password": ["Wrong password for this account."]})
        else:
            _password_check(password, User(email=invitation.email, full_name=full_name))
            user = User.objects.create_user(email=invitation.email, password=password,
                                            full_name=full_name.strip()[:150])
        Membership.objects.get_or_create(user=user, tenant=invitation.tenant,
                                         defaults={"role": invitation.role})
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user, invitation.tenant


def _owners(tenant) -> int:
    return Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).count()


def _member_for_change(*, tenant, membership_id) -> Membership:
    membership = (Membership.objects.select_for_update().select_related("user")
                  .filter(tenant=tenant, pk=membership_id).first())
    if membership is None:
        raise MemberNotFound("No member with this id in this team.")
    return membership


def member_role_change(*, tenant, actor: User, membership_id, role: str) -> Membership:
    """Owners and admins change roles; only an owner makes or unmakes an owner, and the last
    owner stays one."""
    _role_check(role)
    with transaction.atomic():
        actor_membership = _manager(tenant=tenant, actor=actor)
        # Locks the team's owners, so two demotions at once cannot both pass the count.
        list(Membership.objects.select_for_update().filter(tenant=tenant,
                                                           role=Membership.Role.OWNER))
        membership = _member_for_change(tenant=tenant, membership_id=membership_id)
        touches_owner = Membership.Role.OWNER in (role, membership.role)
        if touches_owner and actor_membership.role != Membership.Role.OWNER:
            raise ManagerRequired("Only an owner can make or change an owner.")
        if (membership.role == Membership.Role.OWNER and role != Membership.Role.OWNER
                and _owners(tenant) == 1):
            raise LastOwner("This is the team's only owner: make someone else owner first.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def member_remove(*, tenant, actor: User, membership_id) -> Membership:
    """Owners and admins remove members (only an owner removes an owner); anyone may remove
    themselves (leave). The last owner stays. The person's API keys for the team stop
    working."""
    with transaction.atomic():
        list(Membership.objects.select_for_update().filter(tenant=tenant,
                                                           role=Membership.Role.OWNER))
        membership = _member_for_change(tenant=tenant, membership_id=membership_id)
        if membership.user_id != actor.pk:
            actor_membership = _manager(tenant=tenant, actor=actor)
            if (membership.role == Membership.Role.OWNER
                    and actor_membership.role != Membership.Role.OWNER):
                raise ManagerRequired("Only an owner can remove an owner.")
        if membership.role == Membership.Role.OWNER and _owners(tenant) == 1:
            raise LastOwner("This is the team's only owner: make someone else owner first.")
        ApiKey.objects.filter(tenant=tenant, user_id=membership.user_id,
                              revoked_at__isnull=True).update(revoked_at=timezone.now())
        membership.delete()
    return membership


def member_leave(*, tenant, user: User) -> Membership:
    membership = membership_get(user_id=user.pk, tenant=tenant)
    if membership is None:
        raise NotAMember("You are not a member of this team.")
    return member_remove(tenant=tenant, actor=user, membership_id=membership.pk)
