"""OAuth 2.1 sign-in for MCP clients (django-oauth-toolkit): authorization code
with PKCE, dynamic client registration (RFC 7591), Client ID Metadata
Documents, RFC 8414 and RFC 9728 metadata. docs/mcp.md, "Signing in with OAuth"."""

from __future__ import annotations

from config import env as cfg

env = cfg.env

OAUTH2_PROVIDER = {
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["none", "client_secret_basic",
                                                    "client_secret_post"],
    "SCOPES_BACKEND_CLASS": "apps.mcp.oauth.McpScopes",
    "OAUTH2_VALIDATOR_CLASS": "apps.mcp.oauth.McpOAuth2Validator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("MCP_OAUTH_ACCESS_TOKEN_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int("MCP_OAUTH_REFRESH_TOKEN_SECONDS",
                                            default=90 * 24 * 3600),
    "ROTATE_REFRESH_TOKEN": True,
    # MCP clients are native apps and web connectors that register themselves.
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "DCR_ENABLED": True,
    "DCR_REGISTRATION_PERMISSION_CLASSES": ("oauth2_provider.dcr.AllowAllDCRPermission",),
    "CIMD_ENABLED": env.bool("MCP_OAUTH_CLIENT_METADATA_DOCUMENTS", default=True),
    "CIMD_METADATA_FETCHER": "apps.mcp.oauth.MetadataFetcher",
    "OAUTH2_PROTECTED_RESOURCE_NAME": "PyAirtable platform MCP",
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
