"""OAuth for MCP clients, under the toolkit's namespace so its metadata views find
the endpoints: RFC 8414 and RFC 9728 documents at the root, the endpoints under
/oauth/."""

from django.urls import path
from oauth2_provider import views as oauth

from . import views

app_name = "oauth2_provider"

urlpatterns = [
    path(".well-known/oauth-authorization-server", oauth.OAuthServerMetadataView.as_view(),
         name="oauth-server-metadata"),
    path(".well-known/oauth-protected-resource", views.ResourceMetadataView.as_view(),
         name="oauth-resource-metadata"),
    path(".well-known/oauth-protected-resource/mcp", views.ResourceMetadataView.as_view(),
         name="oauth-resource-metadata-mcp"),
    path("oauth/authorize/", views.ConsentView.as_view(), name="authorize"),
    path("oauth/token/", oauth.TokenView.as_view(), name="token"),
    path("oauth/revoke_token/", oauth.RevokeTokenView.as_view(), name="revoke-token"),
    path("oauth/register/", oauth.DynamicClientRegistrationView.as_view(), name="dcr-register"),
    path("oauth/register/<str:client_id>/",
         oauth.DynamicClientRegistrationManagementView.as_view(),
         name="dcr-register-management"),
]
