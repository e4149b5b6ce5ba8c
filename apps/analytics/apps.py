from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from . import metrics, receivers, tasks  # noqa: F401  (signals, collector, beat entries)

        tasks.beat_schedule_register()
        metrics.collector_register()
