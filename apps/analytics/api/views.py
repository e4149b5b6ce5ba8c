from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exceptions import ManagerRequired
from apps.core.permissions import IsTenantMember

from .. import selectors
from . import serializers as s
from .exports import csv_response, events_csv_response, summary_rows

TAGS = ["analytics"]


class IsTenantManagerAnyMethod(IsTenantMember):
    """Owners and admins only, reads included: analytics show what every member does."""

    def has_permission(self, request, view) -> bool:
        super().has_permission(request, view)
        if not request.membership.can_manage:
            raise ManagerRequired("Only owners and admins can see the team's analytics.")
        return True


class _AnalyticsView(APIView):
    permission_classes = [IsTenantManagerAnyMethod]


def _summary(request):
    query = s.SummaryQuery(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    data = query.validated_data
    summary = selectors.analytics_summary(start=data["start"], end=data["end"],
                                          interval=data["interval"])
    return summary, data


class SummaryView(_AnalyticsView):
    @extend_schema(parameters=[s.SummaryQuery], tags=TAGS,
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT,
                                                   description="The summary of the period")})
    def get(self, request):
        summary, _data = _summary(request)
        return Response(summary)


class SummaryCsvView(_AnalyticsView):
    @extend_schema(parameters=[s.SummaryQuery], tags=TAGS,
                   responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR,
                                                                description="One table")})
    def get(self, request):
        summary, data = _summary(request)
        section = data["section"]
        return csv_response(summary_rows(summary, section, type=data.get("type")),
                            f"analytics-{section}-{timezone.now():%Y%m%d}.csv")


class EventListView(GenericAPIView):
    permission_classes = [IsTenantManagerAnyMethod]
    serializer_class = s.EventSerializer
    ordering = ("-timestamp",)

    @extend_schema(parameters=[s.EventQuery], responses={200: s.EventSerializer(many=True)},
                   tags=TAGS)
    def get(self, request):
        query = s.EventQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        events = selectors.event_list(type=data.get("type"), start=data["start"],
                                      end=data["end"])
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.EventSerializer(page, many=True).data)


class EventCsvView(_AnalyticsView):
    @extend_schema(parameters=[s.EventQuery], tags=TAGS,
                   responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        query = s.EventQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        events = selectors.event_list(type=data.get("type"), start=data["start"],
                                      end=data["end"])
        return events_csv_response(events, f"analytics-events-{timezone.now():%Y%m%d}.csv")
