from django.urls import path

from . import views

urlpatterns = [
    path("tools/list", views.ToolsListView.as_view(), name="api-mcp-tools-list"),
    path("tools/call", views.ToolsCallView.as_view(), name="api-mcp-tools-call"),
    path("tool-calls", views.ToolCallListView.as_view(), name="api-mcp-tool-calls"),
]
