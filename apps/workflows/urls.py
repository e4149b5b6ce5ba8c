from django.urls import path

from . import views

urlpatterns = [
    path("", views.workflow_list, name="workflows-list"),
    path("new", views.workflow_edit, name="workflows-new"),
    path("<int:workflow_id>/", views.workflow_edit, name="workflows-edit"),
    path("<int:workflow_id>/runs", views.workflow_runs, name="workflows-runs"),
    path("<int:workflow_id>/<slug:action>", views.workflow_action, name="workflows-action"),
    path("runs/<int:run_id>/", views.run_detail, name="workflows-run"),
    path("runs/<int:run_id>/<slug:action>", views.run_action, name="workflows-run-action"),
]
