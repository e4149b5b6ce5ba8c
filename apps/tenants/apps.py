from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _tenants_changed(sender, **kwargs):
    from .selectors import tenant_cache_clear

    tenant_cache_clear()


class TenantsConfig(AppConfig):
    name = "apps.tenants"
    label = "tenants"
    verbose_name = "Tenants"

    def ready(self):
        # Any way a tenant or domain changes (services, the operator admin, a shell)
        # reaches every process's host cache at once.
        from .models import Domain, Tenant

        for model in (Tenant, Domain):
            post_save.connect(_tenants_changed, sender=model,
                              dispatch_uid=f"tenants-cache-{model.__name__}-save")
            post_delete.connect(_tenants_changed, sender=model,
                                dispatch_uid=f"tenants-cache-{model.__name__}-delete")
