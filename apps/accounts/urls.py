from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

urlpatterns = [
    path("", views.dashboard, name="web-dashboard"),
    path("signup", views.signup, name="web-signup"),
    path("signup/sent", views.signup_sent, name="web-signup-sent"),
    path("signup/confirm/<str:token>", views.signup_confirm, name="web-signup-confirm"),
    path("login", views.PlatformLoginView.as_view(), name="web-login"),
    path("logout", views.logout_view, name="web-logout"),
    path("switch-tenant", views.switch_tenant, name="web-switch-tenant"),
    path("api-keys", views.api_keys, name="web-api-keys"),
    path("api-keys/<int:key_id>/revoke", views.api_key_revoke, name="web-api-key-revoke"),
    path("members", views.members, name="web-members"),
    path("members/<int:membership_id>/role", views.member_role, name="web-member-role"),
    path("members/<int:membership_id>/remove", views.member_remove, name="web-member-remove"),
    path("invitations/<int:invitation_id>/revoke", views.invitation_revoke,
         name="web-invitation-revoke"),
    path("invitations/<str:token>", views.invitation_accept, name="web-invitation-accept"),
    path("leave", views.team_leave, name="web-team-leave"),
    path("teams/new", views.team_new, name="web-team-new"),
    # Django's own password views, in the platform's templates.
    path("password/reset", auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("web-password-reset-sent")), name="web-password-reset"),
    path("password/reset/sent", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_sent.html"), name="web-password-reset-sent"),
    path("password/reset/<uidb64>/<token>", auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("web-password-reset-done")),
        name="web-password-reset-confirm"),
    path("password/reset/done", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_done.html"), name="web-password-reset-done"),
    path("password/change", auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html",
        success_url=reverse_lazy("web-password-change-done")), name="web-password-change"),
    path("password/change/done", auth_views.PasswordChangeDoneView.as_view(
        template_name="accounts/password_change_done.html"), name="web-password-change-done"),
]
