from django.urls import path

from . import views

urlpatterns = [
    path("summary", views.SummaryView.as_view(), name="api-analytics-summary"),
    path("summary.csv", views.SummaryCsvView.as_view(), name="api-analytics-summary-csv"),
    path("events", views.EventListView.as_view(), name="api-analytics-events"),
    path("events.csv", views.EventCsvView.as_view(), name="api-analytics-events-csv"),
]
