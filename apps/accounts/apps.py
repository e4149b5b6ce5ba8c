from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from apps.core.exceptions import TenantMismatch
        from apps.core.openapi import common_errors_register
        from apps.tenants.exceptions import TenantInactive

        from . import schema, tools  # noqa: F401  (OpenAPI security schemes, platform tools)
        from .exceptions import AuthenticationRequired, CredentialInvalid, MultipleCredentials

        # What every authenticated operation may answer, as the caller resolver refuses.
        common_errors_register(AuthenticationRequired, CredentialInvalid, MultipleCredentials,
                               TenantMismatch, TenantInactive)
