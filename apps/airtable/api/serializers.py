"""Input validation and output shapes of the Airtable API (API.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.fields import CharField
from apps.core.openapi import TEXT_PATTERN

from .. import limits
from ..services.scheduling import SYNC_INTERVALS


class ConnectionInput(serializers.Serializer):
    name = CharField(max_length=100)
    token = CharField(max_length=500, trim_whitespace=True)
    endpoint_url = CharField(max_length=300, required=False, allow_blank=True,
                             allow_null=True)


class ConnectionUpdateInput(serializers.Serializer):
    name = CharField(max_length=100, required=False)
    token = CharField(max_length=500, required=False)
    endpoint_url = CharField(max_length=300, required=False)


class ConnectionSerializer(serializers.Serializer):
    """A connection as users see it: never its token."""

    id = serializers.IntegerField()
    name = CharField()
    endpoint_url = CharField()
    created_at = serializers.DateTimeField()
    last_tested_at = serializers.DateTimeField(allow_null=True)
    last_test_ok = serializers.BooleanField(allow_null=True)
    last_error = CharField()
    base_count = serializers.SerializerMethodField()

    def get_base_count(self, connection) -> int:
        count = getattr(connection, "base_count", None)
        return count if count is not None else connection.bases.count()


class ConnectionTestResult(serializers.Serializer):
    ok = serializers.BooleanField()
    connection_id = serializers.IntegerField()
    tested_at = serializers.DateTimeField()
    user_id = CharField(required=False, allow_null=True)
    scopes = serializers.ListField(child=CharField(), required=False,
                                   allow_null=True)
    bases = serializers.IntegerField(required=False)
    code = CharField(required=False)
    detail = CharField(required=False)


class BaseSerializer(serializers.Serializer):
    id = CharField(source="base_id")
    name = CharField()
    permission_level = CharField()
    connection_id = serializers.IntegerField()
    last_synced_at = serializers.DateTimeField(allow_null=True)
    last_full_synced_at = serializers.DateTimeField(allow_null=True)
    last_sync_error = CharField()
    sync_enabled = serializers.BooleanField()
    sync_interval_minutes = serializers.IntegerField()


@extend_schema_field({"type": "integer", "enum": list(SYNC_INTERVALS)})
class SyncIntervalField(serializers.IntegerField):
    """Minutes that divide an hour or a day evenly (services.scheduling says which)."""


class BaseUpdateInput(serializers.Serializer):
    sync_enabled = serializers.BooleanField(required=False)
    sync_interval_minutes = SyncIntervalField(required=False, min_value=1, max_value=1440)


class FieldSerializer(serializers.Serializer):
    id = CharField()
    name = CharField()
    type = CharField()
    options = serializers.JSONField(allow_null=True)
    description = CharField(allow_blank=True)


class TableSerializer(serializers.Serializer):
    id = CharField()
    name = CharField()
    description = CharField(allow_blank=True)
    primary_field_id = CharField(allow_blank=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    record_count = serializers.IntegerField()
    fields = FieldSerializer(many=True)


class TablePage(serializers.Serializer):
    """A base's tables: all of them in one page (`next` is always null)."""

    results = TableSerializer(many=True)
    next = CharField(allow_null=True)


class FieldDefinitionInput(serializers.Serializer):
    name = CharField(max_length=limits.NAME_MAX)
    type = CharField(max_length=64)
    options = serializers.DictField(required=False, allow_null=True)
    description = CharField(max_length=limits.DESCRIPTION_MAX, required=False,
                            allow_blank=True)


class TableCreateInput(serializers.Serializer):
    name = CharField(max_length=limits.NAME_MAX)
    description = CharField(max_length=limits.DESCRIPTION_MAX, required=False,
                            allow_blank=True)
    fields = FieldDefinitionInput(many=True, allow_empty=False)


class RenameInput(serializers.Serializer):
    name = CharField(max_length=limits.NAME_MAX, required=False)
    description = CharField(max_length=limits.DESCRIPTION_MAX, required=False,
                            allow_blank=True)


class SyncInput(serializers.Serializer):
    full = serializers.BooleanField(required=False, default=False)


class SyncJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    base_id = CharField(source="base.base_id")
    status = CharField()
    full = serializers.BooleanField()
    trigger = CharField()
    progress = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    error = CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, job) -> dict:
        return {"done": job.progress_done, "total": job.progress_total}

    def get_counts(self, job) -> dict:
        return {"created": job.created_count, "updated": job.updated_count,
                "deleted": job.deleted_count, "requests": job.requests_count,
                "rate_limited": job.rate_limited_count}


class RecordWrite(serializers.Serializer):
    fields = serializers.DictField()


class RecordUpdate(serializers.Serializer):
    id = serializers.RegexField(limits.RECORD_ID_PATTERN, max_length=40)
    fields = serializers.DictField()


class RecordsCreateInput(serializers.Serializer):
    records = RecordWrite(many=True, allow_empty=False,
                          max_length=limits.RECORDS_PER_CALL_MAX)
    typecast = serializers.BooleanField(required=False, default=False)


class PerformUpsert(serializers.Serializer):
    fieldsToMergeOn = serializers.ListField(
        child=CharField(max_length=limits.NAME_MAX), min_length=1, max_length=3)


class RecordsPatchInput(serializers.Serializer):
    records = serializers.ListField(child=serializers.DictField(), allow_empty=False,
                                    max_length=1000)
    typecast = serializers.BooleanField(required=False, default=False)
    performUpsert = PerformUpsert(required=False)

    def validate(self, data):
        if "performUpsert" in data:
            RecordWrite(data=data["records"], many=True).is_valid(raise_exception=True)
        else:
            RecordUpdate(data=data["records"], many=True).is_valid(raise_exception=True)
        return data


def _records_body(item: dict, **extra) -> dict:
    records = {"type": "array", "items": item, "minItems": 1,
               "maxItems": limits.RECORDS_PER_CALL_MAX}
    return {"type": "object", "required": ["records", *extra],
            "properties": {"records": records, "typecast": {"type": "boolean"}, **extra}}


_FIELDS = {"type": "object", "description": "Field name or id to its value."}
# RecordsPatchInput as the document states it: records with ids to update, or records
# without ids merged on `performUpsert.fieldsToMergeOn`.
RECORDS_PATCH_SCHEMA = {"oneOf": [
    {**_records_body({"type": "object", "required": ["id", "fields"], "properties": {
        "id": {"type": "string", "pattern": limits.RECORD_ID_PATTERN}, "fields": _FIELDS}}),
     "title": "Update", "not": {"required": ["performUpsert"]}},
    {**_records_body({"type": "object", "required": ["fields"], "properties": {
        "fields": _FIELDS}}, performUpsert={
            "type": "object", "required": ["fieldsToMergeOn"], "properties": {
                "fieldsToMergeOn": {"type": "array", "minItems": 1, "maxItems": 3, "items": {
                    "type": "string", "minLength": 1, "maxLength": limits.NAME_MAX,
                    "pattern": TEXT_PATTERN}}}}),
     "title": "Upsert"},
]}


class SortInput(serializers.Serializer):
    field = CharField(max_length=limits.NAME_MAX)
    direction = serializers.ChoiceField(choices=["asc", "desc"], required=False)


class ListRecordsInput(serializers.Serializer):
    """The body of POST …/records/listRecords, as Airtable takes it."""

    filterByFormula = CharField(required=False, allow_blank=True,
                                max_length=limits.FORMULA_MAX,
                                trim_whitespace=False)
    sort = SortInput(many=True, required=False, max_length=limits.SORTS_MAX)
    fields = serializers.ListField(child=CharField(max_length=limits.NAME_MAX),
                                   required=False, max_length=limits.FIELDS_MAX)
    pageSize = serializers.IntegerField(required=False, min_value=1,
                                        max_value=limits.PAGE_SIZE_MAX)
    offset = serializers.RegexField(limits.OFFSET_PATTERN, required=False,
                                    max_length=limits.OFFSET_MAX)
    maxRecords = serializers.IntegerField(required=False, min_value=1,
                                          max_value=limits.MAX_RECORDS_MAX)
    view = CharField(required=False, max_length=limits.NAME_MAX)
    consistency = serializers.ChoiceField(choices=["mirror", "live"], required=False,
                                          default="mirror")
    max_age = serializers.FloatField(required=False, min_value=0, max_value=limits.MAX_AGE_MAX)


def record_out(record: dict) -> dict:
    return {"id": record.get("id"), "createdTime": record.get("createdTime"),
            "fields": record.get("fields") or {}}



# --- answers in Airtable's own shapes (for the OpenAPI document) -----------------------------

class AirtableFieldOut(serializers.Serializer):
    """A field as Airtable's metadata API describes it."""

    id = CharField()
    name = CharField()
    type = CharField()
    options = serializers.JSONField(required=False, allow_null=True)
    description = CharField(required=False, allow_blank=True)


class AirtableTableOut(serializers.Serializer):
    """A table as Airtable's metadata API describes it."""

    id = CharField()
    name = CharField()
    description = CharField(required=False, allow_blank=True)
    primaryFieldId = CharField()
    fields = AirtableFieldOut(many=True)


class RecordOut(serializers.Serializer):
    id = serializers.RegexField(limits.RECORD_ID_PATTERN)
    createdTime = CharField(help_text="2026-06-01T09:30:00.000Z")
    fields = serializers.DictField(help_text="Field name to value; empty fields are left out.")


class RecordPageOut(serializers.Serializer):
    records = RecordOut(many=True)
    offset = CharField(required=False, allow_null=True,
                       help_text="Pass it back for the next page; absent at the end.")


class RecordsOut(serializers.Serializer):
    records = RecordOut(many=True)


class RecordDeletedOut(serializers.Serializer):
    id = CharField()
    deleted = serializers.BooleanField()


class RecordsDeletedOut(serializers.Serializer):
    records = RecordDeletedOut(many=True)
