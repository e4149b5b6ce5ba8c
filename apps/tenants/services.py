"""Tenant provisioning: a new team gets its own schema, cloned from a template."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from .exceptions import TenantSlugInvalid, TenantSlugTaken
from .models import Domain, Tenant
from .selectors import tenant_cache_clear

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = frozenset({
    "public", "www", "api", "admin", "static", "media", "mcp", "ws", "app", "mail",
    "sandbox", "template", "tenant-template", "health", "metrics", "docs", "status",
})
_TEMPLATE_LOCK = 7_241_001


def schema_name_for(slug: str) -> str:
    return "t_" + slug.replace("-", "_")


def tenant_slug_validate(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise TenantSlugInvalid(
            "A team address has 3 to 40 characters: lowercase letters, digits and single "
            "hyphens, starting with a letter.",
            errors={"tenant_slug": ["Use 3 to 40 lowercase letters, digits and single hyphens, "
                                    "starting with a letter."]})
    if slug in RESERVED_SLUGS:
        raise TenantSlugInvalid(f"The team address '{slug}' is reserved.",
                                errors={"tenant_slug": ["This address is reserved."]})
    return slug


def tenant_template_ensure(*, migrate: bool = False) -> None:
    """Create (or bring up to date) the migrated schema that tenants are cloned from."""
    schema = settings.TENANT_BASE_SCHEMA
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TEMPLATE_LOCK])
        created = not schema_exists(schema)
        if created:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{schema}"')
    if created or migrate:
        call_command("migrate_schemas", tenant=True, schema_name=schema,
                     interactive=False, verbosity=0)
    connection.set_schema_to_public()


def tenant_slug_free_check(slug: str) -> str:
    """A valid slug no tenant has (yet): TenantSlugInvalid or TenantSlugTaken otherwise."""
    slug = tenant_slug_validate(slug)
    if Tenant.objects.filter(slug=slug).exists():
        raise TenantSlugTaken(f"The team address '{slug}' is already taken.",
                              errors={"tenant_slug": ["This address is already taken."]})
    return slug


def tenant_create(*, name: str, slug: str, plan: str = Tenant.Plan.FREE) -> Tenant:
    """Register the tenant, clone its schema and give it `<slug>.<BASE_DOMAIN>`."""
    slug = tenant_slug_free_check(slug)
    name = (name or "").strip() or slug
    tenant_template_ensure()
    connection.set_schema_to_public()
    with transaction.atomic():
        tenant = Tenant.objects.create(
            name=name[:100], slug=slug, plan=plan, schema_name=schema_name_for(slug)
        )
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, tenant.schema_name, "DATA")
        Domain.objects.create(tenant=tenant, domain=f"{slug}.{settings.BASE_DOMAIN}",
                              is_primary=True)
    connection.set_schema_to_public()
    return tenant


def tenant_delete(*, tenant: Tenant) -> None:
    """Drop the tenant and its schema, with everything in it."""
    connection.set_schema_to_public()
    tenant.delete(force_drop=True)
    tenant_cache_clear()


def tenant_deactivate(*, tenant: Tenant) -> Tenant:
    tenant.is_active = False
    tenant.save(update_fields=["is_active"])
    tenant_cache_clear()
    return tenant
