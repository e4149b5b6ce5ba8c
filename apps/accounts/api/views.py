from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exceptions import ManagerRequired, NotAMember
from apps.core.openapi import raises
from apps.core.permissions import IsTenantManager, IsTenantMemberChangingItself
from apps.core.throttling import RegisterRateThrottle, client_ip
from apps.tenants.exceptions import TenantSlugInvalid, TenantSlugTaken

from .. import selectors, services
from ..exceptions import (
    ApiKeyNotFound,
    EmailTaken,
    InvalidCredentials,
    InvitationForOther,
    InvitationInvalid,
    InvitationNotFound,
    LastOwner,
    MemberNotFound,
    MembershipExists,
    PersonalCredentialRequired,
    SignupLinkInvalid,
)
from . import serializers as s


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _tenant_data(tenant):
    return s.TenantSerializer(tenant).data if tenant is not None else None


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


SIGNUP_SENT = ("If this address can sign up, a link to create the account is on its way; "
               "if it has an account, a note on how to log in is. Check the inbox.")


class RegisterView(PublicView):
    """The same 202 whether or not the address has an account (services.signup_request)."""

    throttle_classes = [RegisterRateThrottle]

    @raises(TenantSlugInvalid)
    @extend_schema(request=s.RegisterInput, responses={202: s.RegisterAcceptedOutput},
                   tags=["auth"])
    def post(self, request):
        serializer = s.RegisterInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = services.signup_request(**serializer.validated_data,
                                        site_url=_site_url(request))
        return Response({"email": email, "detail": SIGNUP_SENT},
                        status=status.HTTP_202_ACCEPTED)


class RegisterConfirmView(PublicView):
    @raises(SignupLinkInvalid, EmailTaken)
    @extend_schema(request=s.RegisterConfirmInput, responses={201: s.RegisterOutput},
                   tags=["auth"])
    def post(self, request):
        serializer = s.RegisterConfirmInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tenant = services.signup_confirm(token=serializer.validated_data["token"])
        tokens = services.tokens_issue(user=user, tenant=tenant)
        body = {"user": s.UserSerializer(user).data, "tenant": _tenant_data(tenant), **tokens}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(PublicView):

    @raises(InvalidCredentials, NotAMember)
    @extend_schema(request=s.LoginInput, responses={200: s.LoginOutput}, tags=["auth"])
    def post(self, request):
        serializer = s.LoginInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user, tenant = services.user_login(email=data["email"], password=data["password"],
                                           tenant_slug=data.get("tenant") or None,
                                           client_ip=client_ip(request))
        tokens = services.tokens_issue(user=user, tenant=tenant)
        return Response({**tokens, "tenant": _tenant_data(tenant)})


class RefreshView(PublicView):
    @raises(InvalidCredentials, NotAMember)
    @extend_schema(request=s.RefreshInput, responses={200: s.RefreshOutput}, tags=["auth"])
    def post(self, request):
        serializer = s.RefreshInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.token_refresh(refresh=serializer.validated_data["refresh"]))


class LogoutView(PublicView):
    @raises(InvalidCredentials)
    @extend_schema(request=s.RefreshInput, responses={204: None}, tags=["auth"])
    def post(self, request):
        serializer = s.RefreshInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_revoke(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: s.MeOutput}, tags=["auth"])
    def get(self, request):
        credential = request.credential
        api_key = getattr(request, "api_key", None)
        scopes = list(api_key.scopes) if api_key else (
            ["read", "write"] if request.can_write else ["read"])
        return Response({
            "user": s.UserSerializer(request.user).data,
            "tenant": _tenant_data(request.tenant),
            "role": request.membership.role,
            "auth": credential.kind if credential else "session",
            "scopes": scopes,
        })


class TeamListView(APIView):
    @raises(PersonalCredentialRequired, TenantSlugInvalid, TenantSlugTaken)
    @extend_schema(request=s.TeamInput, responses={201: s.TeamCreatedOutput}, tags=["auth"],
                   summary="Create another team, owned by the signed-in user")
    def post(self, request):
        if getattr(request, "api_key", None) is not None:
            raise PersonalCredentialRequired(
                "An API key acts only in the team it belongs to; create teams signed in "
                "(a session or an access token).")
        serializer = s.TeamInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        tenant = services.team_create(user=request.user,
                                      tenant_name=serializer.validated_data["name"],
                                      tenant_slug=serializer.validated_data["slug"])
        tokens = services.tokens_issue(user=request.user, tenant=tenant)
        return Response({"tenant": _tenant_data(tenant), "role": "owner", **tokens},
                        status=status.HTTP_201_CREATED)


class ApiKeyListView(GenericAPIView):
    serializer_class = s.ApiKeySerializer

    def get_queryset(self):
        return selectors.api_key_list(tenant=self.request.tenant)

    @extend_schema(responses={200: s.ApiKeySerializer(many=True)}, tags=["api-keys"])
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ApiKeySerializer(page, many=True).data)

    @extend_schema(request=s.ApiKeyInput, responses={201: s.ApiKeyCreatedSerializer},
                   tags=["api-keys"])
    def post(self, request):
        serializer = s.ApiKeyInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, raw = services.api_key_create(tenant=request.tenant, user=request.user,
                                               **serializer.validated_data)
        api_key.key = raw
        return Response(s.ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    error_classes = (ApiKeyNotFound, ManagerRequired)

    @extend_schema(responses={204: None}, tags=["api-keys"])
    def delete(self, request, key_id: int):
        services.api_key_revoke(tenant=request.tenant, actor=request.user, key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListView(GenericAPIView):
    permission_classes = [IsTenantManager]
    serializer_class = s.MemberSerializer
    ordering = "created_at"

    def get_queryset(self):
        return selectors.membership_list(tenant=self.request.tenant)

    @extend_schema(responses={200: s.MemberSerializer(many=True)}, tags=["members"])
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.MemberSerializer(page, many=True).data)

    @raises(MembershipExists)
    @extend_schema(request=s.MemberInput, responses={201: s.InvitationCreatedSerializer},
                   tags=["members"], summary="Invite a person by email")
    def post(self, request):
        serializer = s.MemberInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        issued = services.invitation_create(tenant=request.tenant, actor=request.user,
                                            site_url=_site_url(request),
                                            **serializer.validated_data)
        invitation = issued.invitation
        invitation.email_sent, invitation.link = issued.delivered, issued.link
        return Response(s.InvitationCreatedSerializer(invitation).data,
                        status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    permission_classes = [IsTenantMemberChangingItself]
    error_classes = (MemberNotFound, LastOwner, ManagerRequired)

    @extend_schema(request=s.MemberRoleInput, responses={200: s.MemberSerializer},
                   tags=["members"], summary="Change a member's role")
    def patch(self, request, membership_id: int):
        serializer = s.MemberRoleInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_role_change(
            tenant=request.tenant, actor=request.user, membership_id=membership_id,
            role=serializer.validated_data["role"])
        return Response(s.MemberSerializer(membership).data)

    @extend_schema(responses={204: None}, tags=["members"],
                   summary="Remove a member (your own id: leave the team)")
    def delete(self, request, membership_id: int):
        services.member_remove(tenant=request.tenant, actor=request.user,
                               membership_id=membership_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(GenericAPIView):
    permission_classes = [IsTenantManager]
    serializer_class = s.InvitationSerializer
    ordering = "-sent_at"

    def get_queryset(self):
        return selectors.invitation_list(tenant=self.request.tenant)

    @extend_schema(responses={200: s.InvitationSerializer(many=True)}, tags=["members"],
                   summary="Open invitations")
    def get(self, request):
        if not request.membership.can_manage:
            raise ManagerRequired("Only owners and admins see invitations.")
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.InvitationSerializer(page, many=True).data)


class InvitationDetailView(APIView):
    permission_classes = [IsTenantManager]
    error_classes = (InvitationNotFound,)

    @extend_schema(responses={204: None}, tags=["members"], summary="Withdraw an invitation")
    def delete(self, request, invitation_id: int):
        services.invitation_revoke(tenant=request.tenant, actor=request.user,
                                   invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptView(PublicView):
    throttle_classes = [RegisterRateThrottle]

    @raises(InvitationInvalid, InvitationForOther, InvalidCredentials)
    @extend_schema(request=s.InvitationAcceptInput, responses={200: s.RegisterOutput},
                   tags=["auth"], summary="Accept an invitation")
    def post(self, request):
        serializer = s.InvitationAcceptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tenant = services.invitation_accept(**serializer.validated_data)
        tokens = services.tokens_issue(user=user, tenant=tenant)
        return Response({"user": s.UserSerializer(user).data, "tenant": _tenant_data(tenant),
                         **tokens})
