from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.exceptions import ValidationFailed

from .. import selectors, services
from ..exceptions import (
    FileBlobMissing,
    FileContentMismatch,
    FileHasNoTable,
    FileNotFound,
    FileNotProcessed,
    FileNotRetryable,
    FileStorageUnavailable,
    FileTooLarge,
    FileTypeNotAllowed,
    ImportJobNotFound,
    ImportMappingInvalid,
    ImportRowsRefused,
    StorageQuotaExceeded,
)
from ..upload_handlers import LimitedUploadHandler
from . import serializers as s

TAGS = ["files"]


class FileListView(GenericAPIView):
    error_classes = (FileTypeNotAllowed, FileContentMismatch, FileTooLarge,
                     StorageQuotaExceeded, FileStorageUnavailable)
    serializer_class = s.FileSerializer

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser()]
        return super().get_parsers()

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body (the session CSRF check reads POST too).
        if request.method == "POST":
            request.upload_handlers = [LimitedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(parameters=[s.FileListQuery], responses={200: s.FileSerializer(many=True)},
                   tags=TAGS)
    def get(self, request):
        query = s.FileListQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        ordering = query.validated_data["ordering"]
        files = selectors.file_list(query=query.validated_data["q"], ordering=ordering)
        self.paginator.ordering = selectors.file_ordering(ordering)
        page = self.paginate_queryset(files)
        return self.get_paginated_response(s.FileSerializer(page, many=True).data)

    @extend_schema(request={"multipart/form-data": s.UploadInput},
                   responses={201: s.UploadedFileSerializer, 200: s.UploadedFileSerializer},
                   tags=TAGS)
    def post(self, request):
        uploads = request.FILES.getlist("file")
        if len(uploads) > 1:
            raise ValidationFailed("Send one file per request.",
                                   errors={"file": ["One file per request."]})
        serializer = s.UploadInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        file, duplicate = services.file_upload(uploaded=serializer.validated_data["file"],
                                               user_id=request.user.pk)
        file.duplicate = duplicate
        return Response(s.UploadedFileSerializer(file).data,
                        status=status.HTTP_200_OK if duplicate else status.HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/files/{file.pk}"})


class FileDetailView(APIView):
    error_classes = (FileNotFound,)
    @extend_schema(responses={200: s.FileSerializer}, tags=TAGS)
    def get(self, request, file_id):
        return Response(s.FileSerializer(selectors.file_get(file_id=file_id)).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request, file_id):
        services.file_delete(file_id=file_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileContentView(APIView):
    error_classes = (FileNotFound, FileNotProcessed)
    @extend_schema(parameters=[s.ContentQuery], responses={200: s.FileContentSerializer},
                   tags=TAGS)
    def get(self, request, file_id):
        query = s.ContentQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        content = selectors.file_content_get(file_id=file_id, **query.validated_data)
        content.pop("file")
        return Response(content)


class FileDownloadView(APIView):
    error_classes = (FileNotFound, FileBlobMissing, FileStorageUnavailable)
    @extend_schema(responses={(200, "application/octet-stream"): bytes}, tags=TAGS)
    def get(self, request, file_id):
        file = selectors.file_get(file_id=file_id)
        blob = selectors.file_blob_open(file=file)
        # Always an attachment: a stored file is never rendered by the browser.
        return FileResponse(blob, as_attachment=True, filename=file.filename,
                            content_type=file.mime_type)


class FileExtractView(APIView):
    error_classes = (FileNotFound, FileNotRetryable)
    @extend_schema(request=None, responses={202: s.FileSerializer}, tags=TAGS)
    def post(self, request, file_id):
        file = services.file_extraction_retry(file_id=file_id)
        return Response(s.FileSerializer(file).data, status=status.HTTP_202_ACCEPTED)


class FileImportView(APIView):
    error_classes = (FileNotFound, FileNotProcessed, FileHasNoTable, ImportMappingInvalid,
                     ImportRowsRefused)
    @extend_schema(request=s.ImportInput, responses={202: s.ImportJobCreatedSerializer},
                   tags=TAGS)
    def post(self, request, file_id):
        serializer = s.ImportInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.import_start(file_id=file_id, user_id=request.user.pk,
                                    **serializer.validated_data)
        return Response({"job_id": str(job.pk)}, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": f"/api/v1/files/import-jobs/{job.pk}"})


class ImportJobView(APIView):
    error_classes = (ImportJobNotFound,)
    @extend_schema(responses={200: s.ImportJobSerializer}, tags=TAGS,
                   parameters=[OpenApiParameter("job_id", str, OpenApiParameter.PATH)])
    def get(self, request, job_id):
        return Response(s.ImportJobSerializer(selectors.import_job_get(job_id=job_id)).data)
