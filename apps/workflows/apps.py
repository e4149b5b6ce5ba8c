from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "apps.workflows"
    label = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        # Connects the triggers, registers the tasks (queued by name) and the tools.
        from apps.core.jobs import job_kind_register

        from . import receivers, tasks, tools  # noqa: F401
        from .selectors import run_state
        from .services.runs import run_cancel

        job_kind_register("workflows.run", state=run_state,
                          cancel=lambda run_id: run_cancel(run_id=run_id))
