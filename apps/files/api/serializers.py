from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.fields import CharField

from ..models import File, ImportJob
from ..selectors import MAX_QUERY_CHARS, ORDERINGS

MAX_MAPPING_COLUMNS = 2_000
MAX_CONTENT_LIMIT = 100_000_000


class FileErrorSerializer(serializers.Serializer):
    code = CharField()
    message = CharField()


class FileSerializer(serializers.ModelSerializer):
    error = FileErrorSerializer(allow_null=True, read_only=True)

    class Meta:
        model = File
        fields = ["id", "filename", "extension", "mime_type", "size", "sha256", "status",
                  "error", "created_at", "updated_at", "processed_at"]
        read_only_fields = fields


class UploadedFileSerializer(FileSerializer):
    duplicate = serializers.BooleanField(read_only=True)

    class Meta(FileSerializer.Meta):
        fields = [*FileSerializer.Meta.fields, "duplicate"]
        read_only_fields = fields


class UploadInput(serializers.Serializer):
    # Empty files reach the service, which refuses them with ERROR_FILE_EMPTY.
    file = serializers.FileField(allow_empty_file=True)


class FileListQuery(serializers.Serializer):
    q = CharField(required=False, allow_blank=True, max_length=MAX_QUERY_CHARS, default="")
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="-created_at")


class ContentQuery(serializers.Serializer):
    max_chars = serializers.IntegerField(required=False, min_value=0,
                                         max_value=MAX_CONTENT_LIMIT)
    max_rows = serializers.IntegerField(required=False, min_value=0, max_value=MAX_CONTENT_LIMIT)


class FileTableSerializer(serializers.Serializer):
    name = CharField()
    columns = serializers.ListField(child=CharField())
    rows = serializers.ListField(child=serializers.ListField())
    row_count = serializers.IntegerField()


class FileContentSerializer(serializers.Serializer):
    text = CharField()
    metadata = serializers.DictField()
    tables = FileTableSerializer(many=True)
    pages = serializers.ListField(child=CharField(), required=False)
    truncated = serializers.BooleanField()


class ImportInput(serializers.Serializer):
    base_id = CharField(max_length=64)
    table = CharField(max_length=255)
    sheet = CharField(max_length=255, required=False, allow_blank=True, default="")
    mapping = serializers.DictField(child=CharField(max_length=255), required=False,
                                    default=dict)
    typecast = serializers.BooleanField(required=False, default=True)

    def validate_mapping(self, mapping: dict) -> dict:
        if len(mapping) > MAX_MAPPING_COLUMNS:
            raise serializers.ValidationError(f"At most {MAX_MAPPING_COLUMNS} columns.")
        if any(len(column) > 255 or not column.strip() for column in mapping):
            raise serializers.ValidationError("Column names must be 1 to 255 characters.")
        return mapping


class ImportJobCreatedSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()


class ImportProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class ImportFailedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    error = CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    created = serializers.IntegerField(source="created_count")
    failed = serializers.IntegerField(source="failed_count")
    failed_rows = ImportFailedRowSerializer(many=True)
    error = FileErrorSerializer(allow_null=True, read_only=True)

    class Meta:
        model = ImportJob
        fields = ["id", "file_id", "status", "progress", "created", "failed", "failed_rows",
                  "error", "base_id", "table", "sheet", "mapping", "typecast", "created_at",
                  "started_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict:
        return {"done": job.done, "total": job.total}
