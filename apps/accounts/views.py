"""Server-rendered pages: sign-up, login, tenant switcher, dashboard, keys, members."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.core.exceptions import ApplicationError
from apps.core.selectors import health_report
from apps.core.throttling import client_ip, rate_check
from apps.tenants.selectors import tenant_get

from . import selectors, services
from .decorators import tenant_page
from .forms import (
    ApiKeyForm,
    InvitationAcceptForm,
    LoginForm,
    MemberForm,
    RoleForm,
    SignupForm,
    TeamForm,
)

NEW_KEY_SESSION = "new_api_key"
SORTS = {"name": "name", "-name": "-name", "created": "created_at", "-created": "-created_at",
         "used": "last_used_at", "-used": "-last_used_at"}


def _activate(request, tenant) -> None:
    request.session[selectors.SESSION_TENANT_KEY] = tenant.pk if tenant else None


def _form_errors(form, error: ApplicationError) -> None:
    """A service's field errors under their fields; the rest once, above the form."""
    placed = False
    for field, problems in (error.errors or {}).items():
        if field in form.fields:
            form.add_error(field, problems)
            placed = True
    if not placed:
        form.add_error(None, error.detail)


def signup(request):
    """The same answer whether or not the address has an account: an e-mail follows."""
    if request.user.is_authenticated:
        # Signed in already: another team is what they are after.
        return redirect("web-team-new")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate_check("register", client_ip(request))
            services.signup_request(**form.cleaned_data,
                                    site_url=request.build_absolute_uri("/"))
        except ApplicationError as error:
            _form_errors(form, error)
        else:
            return redirect("web-signup-sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request):
    return render(request, "accounts/signup_sent.html",
                  {"days": settings.SIGNUP_MAX_AGE_DAYS})


def signup_confirm(request, token: str):
    """The link from the sign-up e-mail: a button creates the account and its team (a
    mail scanner that follows links only GETs)."""
    error = None
    if request.method == "POST":
        try:
            user, tenant = services.signup_confirm(token=token)
        except ApplicationError as failure:
            error = failure.detail
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _activate(request, tenant)
            messages.success(request, f"Welcome! {tenant.name} is ready.")
            return redirect("web-dashboard")
    return render(request, "accounts/signup_confirm.html", {"error": error},
                  status=400 if error else 200)


class PlatformLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        first = selectors.memberships_of_user(user=form.get_user()).first()
        _activate(self.request, first.tenant if first else None)
        services.sign_in_record(user=form.get_user(), tenant=first.tenant if first else None,
                                method="web")
        return response


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web-login")


@require_POST
def switch_tenant(request):
    if not request.user.is_authenticated:
        return redirect("web-login")
    tenant_id = request.POST.get("tenant_id", "")
    tenant = tenant_get(int(tenant_id)) if tenant_id.isdigit() else None
    if tenant and selectors.membership_get(user_id=request.user.pk, tenant=tenant):
        _activate(request, tenant)
        messages.info(request, f"Switched to {tenant.name}.")
    else:
        messages.error(request, "You are not a member of that tenant.")
    return redirect("web-dashboard")


@tenant_page
def dashboard(request):
    tenant = request.tenant
    context = {
        "members": selectors.membership_list(tenant=tenant),
        "keys": selectors.api_key_list(tenant=tenant).filter(revoked_at__isnull=True),
        "health": health_report(),
    }
    return render(request, "accounts/dashboard.html", context)


@tenant_page
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    if not request.membership.can_write:
        del form.fields["write"]
    if request.method == "POST" and form.is_valid():
        try:
            api_key, raw = services.api_key_create(
                tenant=request.tenant, user=request.user, name=form.cleaned_data["name"],
                scopes=form.scopes())
        except ApplicationError as error:
            form.add_error(None, error.detail)
        else:
            # Shown on the next page only: a reload can't create a second key.
            request.session[NEW_KEY_SESSION] = {"name": api_key.name, "raw": raw}
            return redirect("web-api-keys")
    created = request.session.pop(NEW_KEY_SESSION, None)
    keys = selectors.api_key_list(tenant=request.tenant)
    query = request.GET.get("q", "").strip()
    if query:
        keys = keys.filter(name__icontains=query) | keys.filter(prefix__startswith=query)
    sort = request.GET.get("sort", "-created")
    keys = keys.order_by(SORTS.get(sort, "-created_at"))
    return render(request, "accounts/api_keys.html",
                  {"form": form, "keys": keys, "created": created, "q": query, "sort": sort,
                   "can_write": request.membership.can_write,
                   "can_manage": request.membership.can_manage})


@tenant_page
@require_POST
def api_key_revoke(request, key_id: int):
    try:
        api_key = services.api_key_revoke(tenant=request.tenant, actor=request.user,
                                          key_id=key_id)
        messages.success(request, f"Key {api_key.name} revoked.")
    except ApplicationError as error:
        messages.error(request, error.detail)
    return redirect("web-api-keys")


@login_required
def team_new(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = services.team_create(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _form_errors(form, error)
        else:
            _activate(request, tenant)
            messages.success(request, f"{tenant.name} is ready. You are its owner.")
            return redirect("web-dashboard")
    return render(request, "accounts/team_new.html", {"form": form})


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@tenant_page
def members(request):
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.invitation_create(tenant=request.tenant, actor=request.user,
                                                site_url=_site_url(request), **form.cleaned_data)
        except ApplicationError as error:
            _form_errors(form, error)
        else:
            email = issued.invitation.email
            if issued.delivered:
                messages.success(request, f"Invitation sent to {email}.")
            else:
                messages.error(request, f"The mail server did not take the invitation to "
                                        f"{email}; send them this link: {issued.link}")
            return redirect("web-members")
    rows = selectors.membership_list(tenant=request.tenant)
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(user__email__icontains=query)
    can_manage = request.membership.can_manage
    return render(request, "accounts/members.html", {
        "form": form, "rows": rows, "q": query, "can_manage": can_manage,
        "is_owner": request.membership.role == "owner",
        "roles": RoleForm.base_fields["role"].choices,
        "invitations": selectors.invitation_list(tenant=request.tenant) if can_manage else [],
    })


def _member_action(request, action, success: str):
    try:
        result = action()
    except ApplicationError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, success.format(result=result))
    return redirect("web-members")


@tenant_page
@require_POST
def member_role(request, membership_id: int):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("web-members")
    return _member_action(request, lambda: services.member_role_change(
        tenant=request.tenant, actor=request.user, membership_id=membership_id,
        role=form.cleaned_data["role"]), "{result.user.email} is now {result.role}.")


@tenant_page
@require_POST
def member_remove(request, membership_id: int):
    return _member_action(request, lambda: services.member_remove(
        tenant=request.tenant, actor=request.user, membership_id=membership_id),
        "{result.user.email} removed from the team.")


@tenant_page
@require_POST
def invitation_revoke(request, invitation_id: int):
    return _member_action(request, lambda: services.invitation_revoke(
        tenant=request.tenant, actor=request.user, invitation_id=invitation_id),
        "Invitation to {result.email} withdrawn.")


@tenant_page
@require_POST
def team_leave(request):
    tenant = request.tenant
    try:
        services.member_leave(tenant=tenant, user=request.user)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect("web-members")
    following = selectors.memberships_of_user(user=request.user).first()
    _activate(request, following.tenant if following else None)
    messages.success(request, f"You left {tenant.name}.")
    return redirect("web-dashboard" if following else "web-team-new")


def invitation_accept(request, token: str):
    """The page an invitation link opens: join with the account the address has, or create
    it by choosing a password."""
    try:
        invitation = selectors.invitation_from_token(token)
    except ApplicationError as error:
        return render(request, "accounts/invitation.html", {"problem": error.detail},
                      status=400)
    signed_in = request.user if request.user.is_authenticated else None
    existing = selectors.user_get_by_email(invitation.email)
    form = None if signed_in else InvitationAcceptForm(request.POST or None,
                                                       existing_account=existing is not None)
    problem = None
    if request.method == "POST" and (form is None or form.is_valid()):
        data = form.cleaned_data if form is not None else {}
        try:
            user, tenant = services.invitation_accept(token=token, user=signed_in, **data)
        except ApplicationError as error:
            if form is None:
                problem = error.detail
            else:
                _form_errors(form, error)
        else:
            if signed_in is None:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _activate(request, tenant)
            messages.success(request, f"Welcome to {tenant.name}.")
            return redirect("web-dashboard")
    wrong_account = signed_in is not None and signed_in.email.lower() != invitation.email
    return render(request, "accounts/invitation.html", {
        "invitation": invitation, "form": form, "existing": existing is not None,
        "wrong_account": wrong_account, "problem": problem,
        "login_url": f"{reverse('web-login')}?next={request.path}",
    })
