from .selectors import memberships_of_user


def tenancy(request):
    """The active tenant and the user's other tenants, for the switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_tenant": getattr(request, "tenant", None)}
    memberships = list(memberships_of_user(user=user))
    tenant = getattr(request, "tenant", None)
    role = next((m.role for m in memberships if tenant and m.tenant_id == tenant.pk), None)
    return {"current_tenant": tenant, "user_memberships": memberships, "current_role": role}
