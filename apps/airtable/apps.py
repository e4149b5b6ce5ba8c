from django.apps import AppConfig


class AirtableConfig(AppConfig):
    name = "apps.airtable"
    label = "airtable"
    verbose_name = "Airtable"
