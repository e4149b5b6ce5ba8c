"""Mounted at /sandbox/airtable/: an Airtable endpoint_url is …/sandbox/airtable."""

from django.urls import path, re_path

from .api import views

urlpatterns = [
    path("v0/meta/whoami", views.whoami, name="sandbox-whoami"),
    path("v0/meta/bases", views.bases, name="sandbox-bases"),
    path("v0/meta/bases/<str:base_id>/tables", views.base_tables, name="sandbox-tables"),
    path("v0/meta/bases/<str:base_id>/tables/<str:table_key>", views.table_item,
         name="sandbox-table"),
    path("v0/meta/bases/<str:base_id>/tables/<str:table_key>/fields", views.table_fields,
         name="sandbox-fields"),
    path("v0/meta/bases/<str:base_id>/tables/<str:table_key>/fields/<str:field_id>",
         views.field_item, name="sandbox-field"),
    re_path(r"^v0/meta/", views.not_found),
    path("v0/<str:base_id>/<str:table_key>", views.table_records, name="sandbox-records"),
    path("v0/<str:base_id>/<str:table_key>/<str:item>", views.record_item,
         name="sandbox-record"),
    re_path(r"", views.not_found),
]
