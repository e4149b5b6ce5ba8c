from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from apps.core.throttling import RateLimited

from .models import ApiKey, Membership


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email")
    full_name = forms.CharField(max_length=150, required=False, label="Your name")
    password = forms.CharField(max_length=128, widget=forms.PasswordInput, strip=False)
    tenant_name = forms.CharField(max_length=100, label="Team name")
    tenant_slug = forms.SlugField(max_length=40, label="Team address",
                                  help_text="Lowercase letters, digits and hyphens.")


class LimitedLoginMixin:
    """Shows the login limit (apps.accounts.backends) as the form's error."""

    def clean(self):
        try:
            return super().clean()
        except RateLimited as error:
            raise forms.ValidationError(error.detail, code="rate_limited") from None


class AdminLoginForm(LimitedLoginMixin, AdminAuthenticationForm):
    pass


class LoginForm(LimitedLoginMixin, AuthenticationForm):
    username = forms.EmailField(label="Email", max_length=254,
                                widget=forms.EmailInput(attrs={"autofocus": True}))


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    write = forms.BooleanField(required=False, label="Allow writes")

    def scopes(self) -> list[str]:
        scopes = [ApiKey.Scope.READ]
        if self.cleaned_data.get("write"):
            scopes.append(ApiKey.Scope.WRITE)
        return scopes


class TeamForm(forms.Form):
    tenant_name = forms.CharField(max_length=100, label="Team name")
    tenant_slug = forms.SlugField(max_length=40, label="Team address",
                                  help_text="Lowercase letters, digits and hyphens.")


class MemberForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Email")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class InvitationAcceptForm(forms.Form):
    """A new person's name and password, or an existing account's password."""

    full_name = forms.CharField(max_length=150, required=False, label="Your name")
    password = forms.CharField(max_length=128, widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, existing_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if existing_account:
            del self.fields["full_name"]
            self.fields["password"].label = "Your password"
        else:
            self.fields["password"].label = "Choose a password"
