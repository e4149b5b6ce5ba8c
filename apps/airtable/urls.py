from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="airtable-index"),
    path("connections", views.connection_add, name="airtable-connection-add"),
    path("connections/demo", views.connection_demo, name="airtable-connection-demo"),
    path("connections/<str:connection_id>/test", views.connection_test,
         name="airtable-connection-test-page"),
    path("connections/<str:connection_id>/remove", views.connection_remove,
         name="airtable-connection-remove"),
    path("bases/<str:base_id>/", views.base_detail, name="airtable-base"),
    path("bases/<str:base_id>/sync", views.base_sync, name="airtable-base-sync-page"),
    path("bases/<str:base_id>/tables/<str:table>/", views.table_records, name="airtable-table"),
    path("bases/<str:base_id>/tables/<str:table>/export.csv", views.table_export,
         name="airtable-table-export"),
    path("bases/<str:base_id>/tables/<str:table>/layout", views.table_layout,
         name="airtable-table-layout"),
    path("bases/<str:base_id>/tables/<str:table>/fields/<str:field>/links", views.link_options,
         name="airtable-link-options"),
    path("bases/<str:base_id>/tables/<str:table>/records/new", views.record_create,
         name="airtable-record-create"),
    path("bases/<str:base_id>/tables/<str:table>/records/<str:record_id>/cell",
         views.record_cell, name="airtable-record-cell"),
    path("bases/<str:base_id>/tables/<str:table>/records/<str:record_id>/save",
         views.record_save, name="airtable-record-save"),
    path("bases/<str:base_id>/tables/<str:table>/records/<str:record_id>/delete",
         views.record_delete, name="airtable-record-delete"),
    path("sync-jobs/<str:job_id>/progress", views.sync_progress, name="airtable-sync-progress"),
]
