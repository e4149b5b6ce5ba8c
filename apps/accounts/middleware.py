"""Which tenant a request belongs to (ARCHITECTURE.md, "Tenancy"):

1. the host, when it is a tenant's Domain;
2. otherwise the credential: API key, JWT `tenant` claim, session's active tenant;
3. otherwise the public schema.

A host and an API key or JWT that name different tenants are refused, and so
are two credentials in one request that name different callers (400).
The credential is resolved to a caller (selectors.caller_resolve) by the DRF
authentication classes (authentication.py) and by the page decorator
(decorators.tenant_page).
"""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django_tenants.utils import remove_www

from apps.core.exceptions import TenantMismatch
from apps.core.handlers import PROBLEM_CONTENT_TYPE, problem
from apps.tenants.exceptions import TenantInactive
from apps.tenants.selectors import tenant_get_by_host

from .exceptions import MultipleCredentials
from .selectors import MULTIPLE, credential_from_request


def _refuse(error) -> JsonResponse:
    return JsonResponse(problem(error.status, error.code, error.title, error.detail),
                        status=error.status, content_type=PROBLEM_CONTENT_TYPE)


# Answered without a tenant and without touching the database.
_UNTENANTED_PATHS = frozenset({"/health", "/metrics"})
_UNTENANTED_PREFIXES = ("/static/",)


class TenantResolutionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connection.set_schema_to_public()
        if request.path in _UNTENANTED_PATHS or request.path.startswith(_UNTENANTED_PREFIXES):
            request.credential = None
            return self.get_response(request)
        hostname = remove_www(request.get_host().split(":")[0]).lower()
        host_tenant = tenant_get_by_host(hostname)
        credential = credential_from_request(request)
        request.credential = credential
        if credential is not None and credential.kind == MULTIPLE:
            return _refuse(MultipleCredentials(credential.error))
        credential_tenant = credential.tenant if credential and credential.valid else None

        if (host_tenant and credential_tenant and credential.kind != "session"
                and host_tenant.pk != credential_tenant.pk):
            return _refuse(TenantMismatch(
                "This credential belongs to another tenant than the one this host serves."))
        tenant = host_tenant or credential_tenant
        if tenant is not None and not tenant.is_active:
            return _refuse(TenantInactive("This tenant has been deactivated."))

        request.tenant_source = "host" if host_tenant else ("credential" if tenant else None)
        if tenant is not None:
            # Left unset for the public schema, as django-tenants' admin templates expect.
            request.tenant = tenant
            connection.set_tenant(tenant)
        return self.get_response(request)
