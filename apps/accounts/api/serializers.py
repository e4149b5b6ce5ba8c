from rest_framework import serializers

from apps.core.fields import CharField

from ..models import ApiKey, Invitation, Membership

# A team address as the API takes it (services check the reserved words and who has it).
TENANT_SLUG_PATTERN = r"^(?!.*--)[a-z][a-z0-9-]{1,38}[a-z0-9]$"
PASSWORD_MIN = 8  # Django's MinimumLengthValidator; the other validators run in services


class TenantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = CharField()
    name = CharField()
    plan = CharField()


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = CharField()


class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = CharField(min_length=PASSWORD_MIN, max_length=128,
                         trim_whitespace=False)
    tenant_name = CharField(max_length=100)
    tenant_slug = serializers.RegexField(TENANT_SLUG_PATTERN, max_length=40)
    full_name = CharField(max_length=150, required=False, default="")


class RegisterAcceptedOutput(serializers.Serializer):
    email = serializers.EmailField()
    detail = CharField()


class RegisterConfirmInput(serializers.Serializer):
    token = CharField(max_length=4000)


class RegisterOutput(serializers.Serializer):
    user = UserSerializer()
    tenant = TenantSerializer()
    access = CharField()
    refresh = CharField()


class TeamInput(serializers.Serializer):
    name = CharField(max_length=100)
    slug = serializers.RegexField(TENANT_SLUG_PATTERN, max_length=40)


class TeamCreatedOutput(serializers.Serializer):
    tenant = TenantSerializer()
    role = CharField()
    access = CharField()
    refresh = CharField()


class LoginInput(serializers.Serializer):
    email = CharField(max_length=254)
    password = CharField(max_length=128, trim_whitespace=False)
    tenant = CharField(max_length=40, required=False, allow_blank=True)


class LoginOutput(serializers.Serializer):
    access = CharField()
    refresh = CharField()
    tenant = TenantSerializer(allow_null=True)


class RefreshInput(serializers.Serializer):
    refresh = CharField(max_length=2000)


class RefreshOutput(serializers.Serializer):
    access = CharField()
    refresh = CharField()


class MeOutput(serializers.Serializer):
    user = UserSerializer()
    tenant = TenantSerializer()
    role = CharField()
    auth = CharField(help_text="api_key, jwt or session")
    scopes = serializers.ListField(child=CharField())


class ApiKeyInput(serializers.Serializer):
    name = CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKey.Scope.choices), min_length=1, max_length=2,
        default=lambda: ["read"],
    )


class ApiKeySerializer(serializers.ModelSerializer):
    user = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "user", "created_at", "last_used_at",
                  "revoked_at"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = CharField(help_text="The key itself. Shown once, never again.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class MemberInput(serializers.Serializer):
    """An invitation: the person sets their own password when they accept."""

    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices, default="member")


class MemberRoleInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True,
                                        allow_null=True)
    status = CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "status", "invited_by", "created_at", "sent_at",
                  "expires_at"]


class InvitationCreatedSerializer(InvitationSerializer):
    email_sent = serializers.BooleanField(
        help_text="False when the mail server refused; pass the link on another way.")
    link = CharField(help_text="The invitation link (also emailed).")

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "email_sent", "link"]


class InvitationAcceptInput(serializers.Serializer):
    token = CharField(max_length=500)
    password = CharField(max_length=128, trim_whitespace=False,
                         help_text="A new account's password, or the existing "
                                   "account's password.")
    full_name = CharField(max_length=150, required=False, default="",
                          allow_blank=True)


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    user_id = serializers.IntegerField(source="user.id")

    class Meta:
        model = Membership
        fields = ["id", "user_id", "email", "role", "created_at"]
