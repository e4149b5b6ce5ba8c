from django.urls import path

from . import views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="api-register"),
    path("auth/register/confirm", views.RegisterConfirmView.as_view(),
         name="api-register-confirm"),
    path("auth/login", views.LoginView.as_view(), name="api-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="api-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="api-logout"),
    path("auth/me", views.MeView.as_view(), name="api-me"),
    path("teams", views.TeamListView.as_view(), name="api-teams"),
    path("api-keys", views.ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<int:key_id>", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("members", views.MemberListView.as_view(), name="api-members"),
    path("members/<int:membership_id>", views.MemberDetailView.as_view(),
         name="api-member-detail"),
    path("invitations", views.InvitationListView.as_view(), name="api-invitations"),
    path("invitations/accept", views.InvitationAcceptView.as_view(),
         name="api-invitation-accept"),
    path("invitations/<int:invitation_id>", views.InvitationDetailView.as_view(),
         name="api-invitation-detail"),
]
