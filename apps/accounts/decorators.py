"""The page decorator of every server-rendered page of a tenant."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from apps.core.exceptions import NotAMember, NotFound, TenantRequired

from .selectors import SESSION_TENANT_KEY, Credential, caller_resolve, memberships_of_user

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def tenant_page(view=None, *, write: bool = False, manage: bool = False):
    """Logged in and a member of the request's tenant (selectors.caller_resolve), else
    somewhere sensible: the login page, the user's first tenant, or a page saying they
    have none. `write`: a POST needs the right to write (not a viewer); `manage`: every
    method needs an owner or admin. The view finds `request.caller` and
    `request.membership`; a NotFound it raises is a 404 page."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            tenant = getattr(request, "tenant", None)
            try:
                caller = caller_resolve(credential=Credential(kind="session",
                                                              user_id=request.user.pk),
                                        channel="web", tenant=tenant)
            except (TenantRequired, NotAMember):
                first = memberships_of_user(user=request.user).first()
                if first and (tenant is None or request.tenant_source != "host"):
                    request.session[SESSION_TENANT_KEY] = first.tenant.pk
                    return redirect(request.get_full_path())
                return render(request, "errors/no_tenant.html", status=403)
            membership = caller.membership
            if manage and not membership.can_manage:
                raise PermissionDenied("Only owners and admins can do this.")
            if write and request.method not in SAFE_METHODS and not caller.can_write:
                raise PermissionDenied("Viewers can read but not change this.")
            request.caller, request.membership = caller, membership
            try:
                return view(request, *args, **kwargs)
            except NotFound as missing:
                raise Http404(missing.detail) from None

        return wrapper

    return decorate(view) if view is not None else decorate
