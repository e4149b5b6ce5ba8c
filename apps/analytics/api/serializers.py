from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.fields import CharField

from ..models import AnalyticsEvent
from ..registries import event_types

MAX_DAYS = {"day": 400, "hour": 31}
SECTIONS = ("series", "routes", "tools", "tables", "models", "active_users", "workflows")


@extend_schema_field({"anyOf": [{"type": "string", "format": "date-time"},
                                 {"type": "string", "format": "date"}]})
class DateOrDateTimeField(serializers.DateTimeField):
    """An ISO date-time, or a date (its midnight, UTC)."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["iso-8601", "%Y-%m-%d"], **kwargs)


class PeriodQuery(serializers.Serializer):
    """from/to as ISO dates or date-times (UTC when no zone); the last 7 days by default.
    Give it `request.query_params.dict()`: a parameter sent empty is a value, and wrong."""

    from_ = DateOrDateTimeField(required=False)
    to = DateOrDateTimeField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - dt.timedelta(days=7)
        if start >= end:
            raise serializers.ValidationError({"from": ["Must be before `to`."]})
        attrs["start"], attrs["end"] = start, end
        return attrs


class SummaryQuery(PeriodQuery):
    interval = serializers.ChoiceField(choices=["day", "hour"], default="day")
    section = serializers.ChoiceField(choices=SECTIONS, default="series")
    # CSV of the series: only this event type's rows (one chart's data).
    type = CharField(required=False, max_length=40)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        limit = MAX_DAYS[attrs["interval"]]
        if attrs["end"] - attrs["start"] > dt.timedelta(days=limit):
            raise serializers.ValidationError(
                {"from": [f"At most {limit} days with interval={attrs['interval']}."]})
        return attrs


class EventQuery(PeriodQuery):
    type = serializers.ChoiceField(choices=event_types.names(), required=False)

    def validate(self, attrs):
        # The event list is not bounded to a period unless asked.
        attrs["start"], attrs["end"] = attrs.get("from"), attrs.get("to")
        if attrs["start"] and attrs["end"] and attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"from": ["Must be before `to`."]})
        return attrs


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnalyticsEvent
        fields = ["id", "timestamp", "type", "user_id", "api_key_id", "grant", "data"]
        read_only_fields = fields
