from django.urls import path

from . import views

urlpatterns = [
    path("", views.connect, name="web-mcp-connect"),
    path("calls", views.calls, name="web-mcp-calls"),
    path("sign-ins/<int:token_id>/revoke", views.oauth_revoke, name="web-mcp-oauth-revoke"),
]
