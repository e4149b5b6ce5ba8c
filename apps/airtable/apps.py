from django.apps import AppConfig


class AirtableConfig(AppConfig):
    name = "apps.airtable"
    label = "airtable"
    verbose_name = "Airtable"

    def ready(self):
        from apps.core.jobs import job_kind_register

        from . import tools  # noqa: F401  (registers the Airtable tools)
        from .selectors import sync_job_state

        job_kind_register("airtable.sync_job", state=sync_job_state)
