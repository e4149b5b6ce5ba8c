from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "apps.files"
    label = "files"
    verbose_name = "Files"

    def ready(self) -> None:
        from apps.core.jobs import job_kind_register

        from . import checks, tools  # noqa: F401 - system checks, the file tools
        from .selectors import import_job_state

        job_kind_register("files.import_job", state=import_job_state)
