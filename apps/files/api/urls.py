from django.urls import path

from . import views

urlpatterns = [
    path("files", views.FileListView.as_view(), name="api-files"),
    path("files/import-jobs/<uuid:job_id>", views.ImportJobView.as_view(),
         name="api-file-import-job"),
    path("files/<uuid:file_id>", views.FileDetailView.as_view(), name="api-file"),
    path("files/<uuid:file_id>/content", views.FileContentView.as_view(),
         name="api-file-content"),
    path("files/<uuid:file_id>/download", views.FileDownloadView.as_view(),
         name="api-file-download"),
    path("files/<uuid:file_id>/extract", views.FileExtractView.as_view(),
         name="api-file-extract"),
    path("files/<uuid:file_id>/import", views.FileImportView.as_view(), name="api-file-import"),
]
