from django.urls import path

from . import views

TABLE = "bases/<str:base_id>/tables/<str:table>"

urlpatterns = [
    path("connections", views.ConnectionListView.as_view(), name="airtable-connections"),
    path("connections/<str:connection_id>", views.ConnectionDetailView.as_view(),
         name="airtable-connection"),
    path("connections/<str:connection_id>/test", views.ConnectionTestView.as_view(),
         name="airtable-connection-test"),
    path("bases", views.BaseListView.as_view(), name="airtable-bases"),
    path("bases/<str:base_id>", views.BaseDetailView.as_view(), name="airtable-base"),
    path("bases/<str:base_id>/sync", views.BaseSyncView.as_view(), name="airtable-base-sync"),
    path("bases/<str:base_id>/sync-jobs", views.BaseSyncJobListView.as_view(),
         name="airtable-base-sync-jobs"),
    path("bases/<str:base_id>/tables", views.TableListView.as_view(), name="airtable-tables"),
    path(TABLE, views.TableDetailView.as_view(), name="airtable-table"),
    path(f"{TABLE}/fields", views.FieldListView.as_view(), name="airtable-fields"),
    path(f"{TABLE}/fields/<str:field>", views.FieldDetailView.as_view(), name="airtable-field"),
    path(f"{TABLE}/records", views.RecordListView.as_view(), name="airtable-records"),
    path(f"{TABLE}/records/listRecords", views.ListRecordsView.as_view(),
         name="airtable-records-list"),
    path(f"{TABLE}/records/<str:record_id>", views.RecordDetailView.as_view(),
         name="airtable-record"),
    path("sync-jobs/<str:job_id>", views.SyncJobDetailView.as_view(), name="airtable-sync-job"),
]
