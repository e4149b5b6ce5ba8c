from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "apps.workflows"
    label = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        # Connects the triggers, registers the tasks (queued by name) and the tools.
        from . import receivers, tasks, tools  # noqa: F401
