"""REST endpoints of the Airtable gateway (API.md, "Airtable"). Thin: parse,
call one service or selector, shape the answer."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exceptions import ReadOnlyCredential
from apps.core.permissions import IsTenantManager, IsTenantMember

from .. import limits, selectors, services
from ..exceptions import (
    AirtableAuthenticationFailed,
    AirtableInvalidRequest,
    AirtableNotFound,
    AirtablePermissionDenied,
    AirtableRateLimited,
    AirtableTokenUnreadable,
    AirtableUnavailable,
    BaseNotFound,
    ConnectionNotFound,
    FieldNotFound,
    FormulaInvalid,
    InvalidQuery,
    QueryTimeout,
    RecordNotFound,
    SchemaNotLoaded,
    SyncJobNotFound,
    TableNotFound,
)
from . import serializers as s

# What a call of Airtable may answer, and the errors each kind of view can raise (the
# OpenAPI document lists them per operation, apps.core.openapi).
AIRTABLE_ERRORS = (AirtableUnavailable, AirtableRateLimited, AirtableAuthenticationFailed,
                   AirtablePermissionDenied, AirtableNotFound, AirtableInvalidRequest,
                   AirtableTokenUnreadable)
CONNECTION_ERRORS = (ConnectionNotFound, InvalidQuery, *AIRTABLE_ERRORS)
BASE_ERRORS = (BaseNotFound, SyncJobNotFound, InvalidQuery)
SCHEMA_ERRORS = (BaseNotFound, TableNotFound, FieldNotFound, SchemaNotLoaded, InvalidQuery,
                 *AIRTABLE_ERRORS)
RECORD_ERRORS = (BaseNotFound, TableNotFound, RecordNotFound, SchemaNotLoaded, InvalidQuery,
                 FormulaInvalid, QueryTimeout, *AIRTABLE_ERRORS)

SORT_PARAM = re.compile(r"^sort\[(\d{1,2})\]\[(field|direction)\]$")


class ManagerWrites:
    """Reading is for members; changing connections is for owners and admins."""

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [IsTenantMember()]
        return [IsTenantManager()]


# --- connections ------------------------------------------------------------------------------


class ConnectionListView(ManagerWrites, GenericAPIView):
    error_classes = CONNECTION_ERRORS
    serializer_class = s.ConnectionSerializer

    def get_queryset(self):
        return selectors.connection_list()

    @extend_schema(responses={200: s.ConnectionSerializer(many=True)}, tags=["airtable"])
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.ConnectionSerializer(page, many=True).data)

    @extend_schema(request=s.ConnectionInput, responses={201: s.ConnectionSerializer},
                   tags=["airtable"])
    def post(self, request):
        serializer = s.ConnectionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        connection = services.connection_create(
            name=data["name"], token=data["token"], endpoint_url=data.get("endpoint_url") or None,
            created_by_id=request.user.pk)
        connection = selectors.connection_get(connection_id=connection.pk)
        return Response(s.ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)


class ConnectionDetailView(ManagerWrites, APIView):
    error_classes = CONNECTION_ERRORS
    @extend_schema(responses={200: s.ConnectionSerializer}, tags=["airtable"])
    def get(self, request, connection_id: str):
        connection = selectors.connection_get(connection_id=connection_id)
        return Response(s.ConnectionSerializer(connection).data)

    @extend_schema(request=s.ConnectionUpdateInput, responses={200: s.ConnectionSerializer},
                   tags=["airtable"])
    def patch(self, request, connection_id: str):
        serializer = s.ConnectionUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.connection_update(connection_id=connection_id, **serializer.validated_data)
        connection = selectors.connection_get(connection_id=connection_id)
        return Response(s.ConnectionSerializer(connection).data)

    @extend_schema(responses={204: None}, tags=["airtable"])
    def delete(self, request, connection_id: str):
        services.connection_delete(connection_id=connection_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionTestView(ManagerWrites, APIView):
    error_classes = CONNECTION_ERRORS
    @extend_schema(request=None, responses={200: s.ConnectionTestResult}, tags=["airtable"])
    def post(self, request, connection_id: str):
        result = services.connection_test(connection_id=connection_id)
        return Response(s.ConnectionTestResult(result).data)


# --- bases, tables, fields ------------------------------------------------------------------------


class BaseListView(GenericAPIView):
    error_classes = BASE_ERRORS
    serializer_class = s.BaseSerializer
    ordering = ("name", "base_id")

    def get_queryset(self):
        return selectors.base_list()

    @extend_schema(responses={200: s.BaseSerializer(many=True)}, tags=["airtable"])
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.BaseSerializer(page, many=True).data)


class BaseDetailView(ManagerWrites, APIView):
    error_classes = BASE_ERRORS
    @extend_schema(responses={200: s.BaseSerializer}, tags=["airtable"])
    def get(self, request, base_id: str):
        return Response(s.BaseSerializer(selectors.base_get(base_id=base_id)).data)

    @extend_schema(request=s.BaseUpdateInput, responses={200: s.BaseSerializer},
                   tags=["airtable"])
    def patch(self, request, base_id: str):
        serializer = s.BaseUpdateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        base = services.base_update(base_id=base_id, **serializer.validated_data)
        return Response(s.BaseSerializer(base).data)


class TableListView(APIView):
    error_classes = SCHEMA_ERRORS
    @extend_schema(responses={200: s.TablePage}, tags=["airtable"])
    def get(self, request, base_id: str):
        tables = services.table_list(base_id=base_id)
        return Response({"results": s.TableSerializer(tables, many=True).data, "next": None})

    @extend_schema(request=s.TableCreateInput, responses={201: s.AirtableTableOut},
                   tags=["airtable"])
    def post(self, request, base_id: str):
        serializer = s.TableCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.table_create(base_id=base_id, **serializer.validated_data)
        return Response(created, status=status.HTTP_201_CREATED)


class TableDetailView(APIView):
    error_classes = SCHEMA_ERRORS
    @extend_schema(responses={200: s.TableSerializer}, tags=["airtable"])
    def get(self, request, base_id: str, table: str):
        return Response(s.TableSerializer(services.table_get(base_id=base_id, table=table)).data)

    @extend_schema(request=s.RenameInput, responses={200: s.AirtableTableOut},
                   tags=["airtable"])
    def patch(self, request, base_id: str, table: str):
        serializer = s.RenameInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.table_update(base_id=base_id, table=table,
                                              **serializer.validated_data))


class FieldListView(APIView):
    error_classes = SCHEMA_ERRORS
    @extend_schema(request=s.FieldDefinitionInput, responses={201: s.AirtableFieldOut},
                   tags=["airtable"])
    def post(self, request, base_id: str, table: str):
        serializer = s.FieldDefinitionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.field_create(base_id=base_id, table=table,
                                        **serializer.validated_data)
        return Response(created, status=status.HTTP_201_CREATED)


class FieldDetailView(APIView):
    error_classes = SCHEMA_ERRORS
    @extend_schema(request=s.RenameInput, responses={200: s.AirtableFieldOut},
                   tags=["airtable"])
    def patch(self, request, base_id: str, table: str, field: str):
        serializer = s.RenameInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.field_update(base_id=base_id, table=table, field=field,
                                              **serializer.validated_data))


# --- syncs -----------------------------------------------------------------------------------


class BaseSyncView(APIView):
    error_classes = BASE_ERRORS
    @extend_schema(request=s.SyncInput, responses={202: s.SyncJobSerializer}, tags=["airtable"])
    def post(self, request, base_id: str):
        serializer = s.SyncInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.base_sync(base_id=base_id, full=serializer.validated_data["full"])
        body = {"job_id": job.pk, **s.SyncJobSerializer(job).data}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class BaseSyncJobListView(GenericAPIView):
    error_classes = BASE_ERRORS
    serializer_class = s.SyncJobSerializer
    ordering = ("-created_at", "-id")

    @extend_schema(responses={200: s.SyncJobSerializer(many=True)}, tags=["airtable"])
    def get(self, request, base_id: str):
        selectors.base_get(base_id=base_id)
        page = self.paginate_queryset(selectors.sync_job_list(base_id=base_id))
        return self.get_paginated_response(s.SyncJobSerializer(page, many=True).data)


class SyncJobDetailView(APIView):
    error_classes = BASE_ERRORS
    @extend_schema(responses={200: s.SyncJobSerializer}, tags=["airtable"])
    def get(self, request, job_id: str):
        return Response(s.SyncJobSerializer(selectors.sync_job_get(job_id=job_id)).data)


# --- records ---------------------------------------------------------------------------------


def _list_arguments(params) -> dict:
    sorts: dict[int, dict] = {}
    for key in params:
        match = SORT_PARAM.match(key)
        if match:
            sorts.setdefault(int(match.group(1)), {})[match.group(2)] = params.get(key)
    fields = params.getlist("fields[]") or params.getlist("fields") or None
    return {
        "filter_by_formula": params.get("filterByFormula"),
        "sort": [sorts[index] for index in sorted(sorts)] or None,
        "fields": fields,
        "page_size": params.get("pageSize", 100),
        "offset": params.get("offset"),
        "max_records": params.get("maxRecords"),
        "consistency": params.get("consistency", "mirror"),
        "max_age": params.get("max_age"),
        "view": params.get("view"),
    }


def _listing(data: dict) -> dict:
    body = {"records": [s.record_out(record) for record in data["records"]]}
    if data.get("offset"):
        body["offset"] = data["offset"]
    return body


def _query(name: str, schema: dict, description: str = "", *, many: bool = False,
           required: bool = False, **array):
    """A query parameter with its constraints (name[]= repeated when `many`)."""
    if many:
        schema = {"type": "array", "items": schema, **array}
    return OpenApiParameter(name, schema, description=description, required=required)


LIST_PARAMETERS = [
    _query("filterByFormula", {"type": "string", "maxLength": limits.FORMULA_MAX},
           "Airtable formula; records for which it is truthy"),
    _query("sort[0][field]", {"type": "string", "minLength": 1, "maxLength": limits.NAME_MAX}),
    _query("sort[0][direction]", {"type": "string", "enum": ["asc", "desc"]}),
    _query("fields[]", {"type": "string", "minLength": 1, "maxLength": limits.NAME_MAX},
           many=True, maxItems=limits.FIELDS_MAX),
    _query("pageSize", {"type": "integer", "minimum": 1, "maximum": limits.PAGE_SIZE_MAX}),
    _query("offset", {"type": "string", "pattern": limits.OFFSET_PATTERN},
           "The offset of the page before, as it gave it"),
    _query("maxRecords", {"type": "integer", "minimum": 1,
                          "maximum": limits.MAX_RECORDS_MAX}),
    _query("view", {"type": "string", "minLength": 1, "maxLength": limits.NAME_MAX},
           "read live from Airtable"),
    _query("consistency", {"type": "string", "enum": ["mirror", "live"]}),
    _query("max_age", {"type": "number", "minimum": 0, "maximum": limits.MAX_AGE_MAX},
           "seconds; an older mirror is bypassed"),
]


class RecordListView(APIView):
    error_classes = RECORD_ERRORS
    @extend_schema(parameters=LIST_PARAMETERS, responses={200: s.RecordPageOut},
                   tags=["airtable-records"])
    def get(self, request, base_id: str, table: str):
        data = services.record_list(base_id=base_id, table=table,
                                     **_list_arguments(request.query_params))
        return Response(_listing(data))

    @extend_schema(request=s.RecordsCreateInput, responses={200: s.RecordsOut},
                   tags=["airtable-records"])
    def post(self, request, base_id: str, table: str):
        single = isinstance(request.data, dict) and "fields" in request.data \
            and "records" not in request.data
        payload = {"records": [{"fields": request.data.get("fields")}],
                   "typecast": request.data.get("typecast", False)} if single else request.data
        serializer = s.RecordsCreateInput(data=payload)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.records_create(
            base_id=base_id, table=table, typecast=data["typecast"],
            records=[item["fields"] for item in data["records"]])
        if single:
            return Response(s.record_out(created[0]))
        return Response({"records": [s.record_out(record) for record in created]})

    @extend_schema(request={"application/json": s.RECORDS_PATCH_SCHEMA},
                   responses={200: s.RecordsOut},
                   tags=["airtable-records"])
    def patch(self, request, base_id: str, table: str):
        serializer = s.RecordsPatchInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "performUpsert" in data:
            answer = services.records_upsert(
                base_id=base_id, table=table, typecast=data["typecast"],
                records=[{"fields": item["fields"]} for item in data["records"]],
                fields_to_merge_on=data["performUpsert"]["fieldsToMergeOn"])
            return Response({"records": [s.record_out(item) for item in answer["records"]],
                             "createdRecords": answer["createdRecords"],
                             "updatedRecords": answer["updatedRecords"]})
        updated = services.records_update(
            base_id=base_id, table=table, typecast=data["typecast"],
            records=[{"id": item["id"], "fields": item["fields"]} for item in data["records"]])
        return Response({"records": [s.record_out(record) for record in updated]})

    @extend_schema(parameters=[_query("records[]", {"type": "string",
                                                    "pattern": limits.RECORD_ID_PATTERN},
                                      many=True, required=True, minItems=1,
                                      maxItems=limits.RECORDS_PER_CALL_MAX)],
                   responses={200: s.RecordsDeletedOut}, tags=["airtable-records"])
    def delete(self, request, base_id: str, table: str):
        record_ids = request.query_params.getlist("records[]") or \
            request.query_params.getlist("records")
        if not record_ids or len(record_ids) > limits.RECORDS_PER_CALL_MAX:
            raise InvalidQuery(f"Name 1 to {limits.RECORDS_PER_CALL_MAX} records with "
                               "records[]=recXXX.",
                               errors={"records[]": ["Required."]})
        deleted = services.records_delete(base_id=base_id, table=table, record_ids=record_ids)
        return Response({"records": [{"id": item.get("id"), "deleted": bool(item.get("deleted"))}
                                     for item in deleted]})


class ListRecordsView(APIView):
    error_classes = RECORD_ERRORS
    """POST …/records/listRecords: the same listing with its query in the body
    (for formulas that do not fit in a URL), like Airtable's own endpoint.
    Reading, so read-only credentials may use it."""

    def get_permissions(self):
        return [_ReadAsPost()]

    @extend_schema(request=s.ListRecordsInput, responses={200: s.RecordPageOut},
                   tags=["airtable-records"])
    def post(self, request, base_id: str, table: str):
        serializer = s.ListRecordsInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        answer = services.record_list(
            base_id=base_id, table=table, filter_by_formula=data.get("filterByFormula"),
            sort=data.get("sort"), fields=data.get("fields"),
            page_size=data.get("pageSize", 100), offset=data.get("offset"),
            max_records=data.get("maxRecords"), consistency=data["consistency"],
            max_age=data.get("max_age"), view=data.get("view"))
        return Response(_listing(answer))


class _ReadAsPost(IsTenantMember):
    """Every check of a member, but a read-only credential passes: it only reads."""

    def has_permission(self, request, view) -> bool:
        try:
            return super().has_permission(request, view)
        except ReadOnlyCredential:
            return True


class RecordDetailView(APIView):
    error_classes = RECORD_ERRORS
    @extend_schema(responses={200: s.RecordOut}, tags=["airtable-records"])
    def get(self, request, base_id: str, table: str, record_id: str):
        record = services.record_get(base_id=base_id, table=table, record_id=record_id)
        return Response(s.record_out(record))
