from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="web-dashboard"),
    path("signup", views.signup, name="web-signup"),
    path("login", views.PlatformLoginView.as_view(), name="web-login"),
    path("logout", views.logout_view, name="web-logout"),
    path("switch-tenant", views.switch_tenant, name="web-switch-tenant"),
    path("api-keys", views.api_keys, name="web-api-keys"),
    path("api-keys/<int:key_id>/revoke", views.api_key_revoke, name="web-api-key-revoke"),
    path("members", views.members, name="web-members"),
]
