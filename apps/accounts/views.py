"""Server-rendered pages: sign-up, login, tenant switcher, dashboard, keys, members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.decorators import tenant_page
from apps.core.exceptions import ApplicationError
from apps.core.selectors import health_report
from apps.core.throttling import client_ip, rate_check
from apps.tenants.selectors import tenant_get

from . import selectors, services
from .forms import ApiKeyForm, LoginForm, MemberForm, SignupForm

NEW_KEY_SESSION = "new_api_key"
SORTS = {"name": "name", "-name": "-name", "created": "created_at", "-created": "-created_at",
         "used": "last_used_at", "-used": "-last_used_at"}


def _activate(request, tenant) -> None:
    request.session[selectors.SESSION_TENANT_KEY] = tenant.pk if tenant else None


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate_check("register", client_ip(request))
            user, tenant = services.user_register(**form.cleaned_data)
        except ApplicationError as error:
            for field, problems in (error.errors or {"__all__": [error.detail]}).items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _activate(request, tenant)
            messages.success(request, f"Welcome! {tenant.name} is ready.")
            return redirect("web-dashboard")
    return render(request, "accounts/signup.html", {"form": form})


class PlatformLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        first = selectors.memberships_of_user(user=form.get_user()).first()
        _activate(self.request, first.tenant if first else None)
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
                  {"form": form, "keys": keys, "created": created, "q": query, "sort": sort})


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


@tenant_page
def members(request):
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_add(tenant=request.tenant, actor=request.user, **form.cleaned_data)
            messages.success(request, f"{form.cleaned_data['email']} added.")
            return redirect("web-members")
        except ApplicationError as error:
            form.add_error(None, error.detail)
    rows = selectors.membership_list(tenant=request.tenant)
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(user__email__icontains=query)
    return render(request, "accounts/members.html",
                  {"form": form, "rows": rows, "q": query,
                   "can_manage": request.membership.can_manage})
