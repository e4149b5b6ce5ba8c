"""Who may do what inside a tenant. The authentication classes of
apps.accounts put the caller's membership and write right on the request."""

from __future__ import annotations

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .exceptions import ManagerRequired, NotAMember, ReadOnlyCredential, TenantRequired


class IsTenantMember(BasePermission):
    """A member of the request's tenant; viewers and read-only keys only read."""

    method_decides_write = True
    error_classes = (TenantRequired, NotAMember, ReadOnlyCredential)

    def has_permission(self, request, view) -> bool:
        if getattr(request, "tenant", None) is None:
            if not request.user.is_authenticated:
                raise NotAuthenticated()
            raise TenantRequired(
                "Name a tenant: use its host, a JWT issued for it, or one of its API keys.")
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        if getattr(request, "membership", None) is None:
            raise NotAMember("You are not a member of this tenant.")
        if (self.method_decides_write and request.method not in SAFE_METHODS
                and not getattr(request, "can_write", False)):
            raise ReadOnlyCredential("This credential can read but not write.")
        return True


class IsTenantReader(IsTenantMember):
    """Any member, whatever the method: for POST endpoints that may only read (tool calls),
    where the endpoint itself checks the credential's write right."""

    method_decides_write = False
    error_classes = (TenantRequired, NotAMember)


class IsTenantManager(IsTenantMember):
    """Owners and admins, for members and other people's keys."""

    error_classes = (*IsTenantMember.error_classes, ManagerRequired)

    def has_permission(self, request, view) -> bool:
        super().has_permission(request, view)
        if request.method not in SAFE_METHODS and not request.membership.can_manage:
            raise ManagerRequired("Only owners and admins can do this.")
        if request.method not in SAFE_METHODS and _key_reads_only(request):
            raise ReadOnlyCredential("This credential can read but not write.")
        return True


def _key_reads_only(request) -> bool:
    api_key = getattr(request, "api_key", None)
    return api_key is not None and not api_key.can_write


class IsTenantMemberChangingItself(IsTenantReader):
    """Any member, for changes whose role rules the service checks (a viewer may leave a
    team); a read-only API key still only reads."""

    def has_permission(self, request, view) -> bool:
        super().has_permission(request, view)
        if request.method not in SAFE_METHODS and _key_reads_only(request):
            raise ReadOnlyCredential("This credential can read but not write.")
        return True
