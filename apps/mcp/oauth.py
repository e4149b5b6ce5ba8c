"""OAuth 2.1 for MCP clients on django-oauth-toolkit: the scopes, the validator
that accepts the grants the consent page writes, and the signed-in
connections a team can list and revoke.

The toolkit serves the protocol (authorization code with PKCE, token,
revocation, dynamic client registration, Client ID Metadata Documents, RFC
8414 and RFC 9728 metadata); this module only says what a token grants.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider import cimd
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauthlib.common import Request as OAuthRequest

from apps.core.exceptions import NotFound, PermissionDenied
from apps.core.urlguard import address_in_allowed_networks

from .grants import MCP_SCOPE, Grant, is_grant_scope

CONSENT_MARK = "platform_consent"
_CIMD_POLICY = threading.Lock()


class MetadataFetcher(cimd.SafeMetadataFetcher):
    """The toolkit's hardened fetcher of Client ID Metadata Documents (https only, the
    host resolved once and connected to by address, bounded time and size). Addresses it
    judges internal stay refused unless the operator allowed them for every outbound
    request of the platform (URLGUARD_ALLOWED_NETWORKS, apps.core.urlguard). Documents
    are cached for their max-age, so fetching them one at a time costs nothing."""

    def fetch(self, client_id):
        public = cimd._ip_is_public
        with _CIMD_POLICY:
            cimd._ip_is_public = lambda ip: public(ip) or address_in_allowed_networks(ip)
            try:
                return super().fetch(client_id)
            finally:
                cimd._ip_is_public = public


class McpScopes(BaseScopes):
    """A client asks for `mcp`; what it gets is decided on the consent page."""

    def get_all_scopes(self):
        return {MCP_SCOPE: "Use this team's MCP tools"}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return [MCP_SCOPE]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return [MCP_SCOPE]


class McpOAuth2Validator(OAuth2Validator):
    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if getattr(request, CONSENT_MARK, False):
            # The consent page's grant: the tenant, access and the bases and tools picked.
            return all(is_grant_scope(scope) for scope in scopes) and \
                Grant.from_scopes(scopes) is not None
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)


@dataclass(frozen=True)
class OAuthCaller:
    user_id: int
    grant: Grant
    token_id: int
    client_name: str


def oauth_caller_resolve(token: str, resource_url: str) -> OAuthCaller | None:
    """The signed-in connection a bearer token belongs to, or None when it is not a live
    access token of an MCP grant (for this resource, when the client named one)."""
    request = OAuthRequest(resource_url)
    if not McpOAuth2Validator().validate_bearer_token(token, [MCP_SCOPE], request):
        return None
    access_token = request.access_token
    grant = Grant.from_scopes(access_token.scope.split())
    if grant is None or access_token.user_id is None:
        return None
    application = access_token.application
    return OAuthCaller(user_id=access_token.user_id, grant=grant, token_id=access_token.pk,
                       client_name=application.name if application else "OAuth client")


def _tenant_scope_filter(tenant):
    return rf"(^| )tenant:{re.escape(tenant.slug)}( |$)"


def oauth_connection_list(*, tenant, user=None):
    """The live signed-in connections of a tenant (one access token per sign-in)."""
    tokens = (get_access_token_model().objects.select_related("application", "user")
              .filter(scope__regex=_tenant_scope_filter(tenant), expires__gt=timezone.now())
              .order_by("-created"))
    if user is not None:
        tokens = tokens.filter(user=user)
    return tokens


def oauth_connection_grant(token) -> Grant | None:
    return Grant.from_scopes(token.scope.split())


@transaction.atomic
def oauth_connection_revoke(*, tenant, actor, membership, token_id) -> None:
    """Sign a connection out: its access token and every refresh token of its family.
    Managers revoke any of the team's connections, others their own."""
    token = (get_access_token_model().objects.select_related("source_refresh_token")
             .filter(pk=token_id, scope__regex=_tenant_scope_filter(tenant)).first())
    if token is None:
        raise NotFound("There is no such signed-in connection.")
    if token.user_id != actor.pk and not (membership and membership.can_manage):
        raise PermissionDenied("Only an owner or admin can sign out another member's client.")
    refresh = get_refresh_token_model().objects.filter(access_token=token).first() \
        or token.source_refresh_token
    if refresh is not None and refresh.token_family:
        get_refresh_token_model().revoke_family(refresh.token_family)
    elif refresh is not None:
        refresh.revoke()
    get_access_token_model().objects.filter(pk=token.pk).delete()
