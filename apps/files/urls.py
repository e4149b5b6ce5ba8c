from django.urls import path

from . import views

urlpatterns = [
    path("", views.file_list, name="files-list"),
    path("upload", views.upload, name="files-upload"),
    path("import-jobs/<uuid:job_id>", views.import_job, name="files-import-job"),
    path("<uuid:file_id>/", views.detail, name="files-detail"),
    path("<uuid:file_id>/row", views.file_row, name="files-row"),
    path("<uuid:file_id>/status", views.status, name="files-status"),
    path("<uuid:file_id>/import", views.import_start, name="files-import"),
    path("<uuid:file_id>/delete", views.delete, name="files-delete"),
    path("<uuid:file_id>/retry", views.retry, name="files-retry"),
]
