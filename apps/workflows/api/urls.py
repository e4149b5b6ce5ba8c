from django.urls import path

from . import views

urlpatterns = [
    path("workflows", views.WorkflowListView.as_view(), name="api-workflows"),
    path("workflows/<str:workflow_id>", views.WorkflowDetailView.as_view(),
         name="api-workflow"),
    path("workflows/<str:workflow_id>/trigger", views.WorkflowTriggerView.as_view(),
         name="api-workflow-trigger"),
    path("workflows/<str:workflow_id>/test", views.WorkflowTestView.as_view(),
         name="api-workflow-test"),
    path("workflows/<str:workflow_id>/runs", views.WorkflowRunsView.as_view(),
         name="api-workflow-runs"),
    path("workflow-runs/<str:run_id>", views.RunDetailView.as_view(), name="api-workflow-run"),
    path("workflow-runs/<str:run_id>/replay", views.RunReplayView.as_view(),
         name="api-workflow-run-replay"),
    path("workflow-runs/<str:run_id>/cancel", views.RunCancelView.as_view(),
         name="api-workflow-run-cancel"),
    path("workflow-hooks/<slug:tenant_slug>/<str:token>", views.WebhookView.as_view(),
         name="api-workflow-webhook"),
]
