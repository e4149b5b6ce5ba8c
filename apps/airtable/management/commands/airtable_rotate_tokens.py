"""Re-encrypt every tenant's Airtable tokens with the first key of
AIRTABLE_TOKEN_KEYS (docs/airtable.md, "Rotating the token key")."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.airtable.services.connections import connection_tokens_reencrypt
from apps.tenants.selectors import tenant_list


class Command(BaseCommand):
    help = "Re-encrypt all Airtable connection tokens with the current (first) key."

    def handle(self, *args, **options):
        total, unreadable = 0, []
        for tenant in tenant_list():
            with schema_context(tenant.schema_name):
                count, lost = connection_tokens_reencrypt()
            total += count
            unreadable += [f"{tenant.slug}: connection {name}" for name in lost]
            if count:
                self.stdout.write(f"{tenant.slug}: {count} token(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{total} token(s) now use the first key."))
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} token(s) cannot be decrypted with any key of "
                "AIRTABLE_TOKEN_KEYS; keep the old key until they are given again:\n  "
                + "\n  ".join(unreadable))
