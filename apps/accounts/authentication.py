"""DRF authentication over the credential that TenantResolutionMiddleware read.

Each class proves the user, then puts the caller (selectors.caller_resolve) on
the request: `request.caller` (a ToolContext, None for a user who is not a
member of the request's tenant, or for no tenant), `request.membership` and
`request.can_write`, which apps.core.permissions read.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from apps.core.exceptions import NotAMember, TenantRequired

from .models import User
from .selectors import Credential, caller_resolve
from .services import api_key_touch


def _attach(request, credential: Credential) -> None:
    try:
        caller = caller_resolve(credential=credential, channel="rest",
                                tenant=getattr(request, "tenant", None))
    except (TenantRequired, NotAMember):
        # Endpoints that need a member answer these through the permission classes;
        # the others (me, logout, the tenant list) serve any authenticated user.
        caller = None
    for target in (request, request._request):
        target.caller = caller
        target.membership = caller.membership if caller else None
        target.can_write = bool(caller and caller.can_write)


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
        _attach(request, credential)
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
        _attach(request, credential)
        return user, credential.token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            _attach(request, Credential(kind="session", user_id=result[0].pk))
        return result
