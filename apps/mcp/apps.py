from django.apps import AppConfig


class McpConfig(AppConfig):
    name = "apps.mcp"
    label = "mcp"
    verbose_name = "MCP"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the tool-call audit)
