"""DRF authentication over the credential that TenantResolutionMiddleware read."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from .models import User
from .selectors import membership_get
from .services import api_key_touch


def _attach(request, user: User, *, key_can_write: bool = True) -> None:
    tenant = getattr(request, "tenant", None)
    membership = membership_get(user_id=user.pk, tenant=tenant)
    request.membership = membership
    request.can_write = bool(membership and membership.can_write and key_can_write)
    request._request.membership = membership
    request._request.can_write = request.can_write


def _credential(request, kind: str):
    credential = getattr(request._request, "credential", None)
    if credential is None or credential.kind != kind:
        return None
    if not credential.valid:
        raise exceptions.AuthenticationFailed(credential.error)
    return credential


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        credential = _credential(request, "api_key")
        if credential is None:
            return None
        api_key = credential.api_key
        api_key_touch(api_key)
        request.api_key = api_key
        request._request.api_key = api_key
        _attach(request, api_key.user, key_can_write=api_key.can_write)
        return api_key.user, api_key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TenantJWTAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        credential = _credential(request, "jwt")
        if credential is None:
            return None
        user = User.objects.filter(pk=credential.user_id, is_active=True).first()
        if user is None:
            raise exceptions.AuthenticationFailed("The token's user no longer exists.")
        _attach(request, user)
        return user, credential.token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            _attach(request, result[0])
        return result
