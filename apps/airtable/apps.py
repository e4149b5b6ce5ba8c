from django.apps import AppConfig


class AirtableConfig(AppConfig):
    name = "apps.airtable"
    label = "airtable"
    verbose_name = "Airtable"

    def ready(self):
        from . import tools  # noqa: F401  (registers the Airtable tools)
