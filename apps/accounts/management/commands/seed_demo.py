import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.accounts.services import user_register
from apps.tenants.selectors import tenant_get_by_slug
from config.devready import logins_read, logins_save

DEMO_EMAIL = "demo@example.com"
OPERATOR_EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = "Create the operator and the demo tenant once; later runs keep what exists."

    def handle(self, *args, **options):
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        if not users.filter(email=OPERATOR_EMAIL).exists():
            password = secrets.token_urlsafe(12)
            users.create_superuser(email=OPERATOR_EMAIL, password=password)
            logins_save("operator", OPERATOR_EMAIL, password)
            self.stdout.write(f"Operator (Django admin at /admin/): {OPERATOR_EMAIL} / {password}")
        if tenant_get_by_slug("demo") is None:
            password = secrets.token_urlsafe(12)
            user_register(email=DEMO_EMAIL, password=password, tenant_name="Demo team",
                          tenant_slug="demo", full_name="Demo User")
            logins_save("demo", DEMO_EMAIL, password)
            self.stdout.write(self.style.SUCCESS(
                f"Demo tenant 'demo': log in at http://localhost:{settings.PORT}/login as "
                f"{DEMO_EMAIL} / {password}  (printed again when the platform is up)"))
        elif "demo" in logins_read():
            self.stdout.write("Demo tenant 'demo' exists.")
        else:
            self.stdout.write("Demo tenant 'demo' exists; its password was shown when it was made "
                              "(reset it with: .venv/bin/python manage.py changepassword "
                              f"{DEMO_EMAIL}).")
