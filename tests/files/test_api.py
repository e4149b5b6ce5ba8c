"""The REST endpoints of the files app, as a client of the API uses them."""

from __future__ import annotations

import datetime
import hashlib
import json

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.accounts import services as account_services
from apps.files.models import File

from . import documents
from .helpers import store, stored_blobs, upload

MB = 1024 * 1024


def test_upload_answers_201_with_the_file_and_extraction_follows(
        alpha, team_a, storage, django_capture_on_commit_callbacks):
    data = documents.csv_file([["name", "age"], ["Ann", "31"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(alpha, "people.csv", data)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"], "filename": "people.csv", "extension": "csv", "mime_type": "text/csv",
        "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "status": "uploaded",
        "error": None, "created_at": body["created_at"], "updated_at": body["updated_at"],
        "processed_at": None, "duplicate": False}
    assert response["Location"] == f"/api/v1/files/{body['id']}"
    assert stored_blobs(storage) == [f"{team_a.tenant.schema_name}/{body['id'].replace('-', '')}"]

    detail = alpha.get(f"/api/v1/files/{body['id']}").json()
    assert detail["status"] == "processed"
    assert detail["processed_at"] is not None
    content = alpha.get(f"/api/v1/files/{body['id']}/content").json()
    assert content == {
        "text": "name,age\r\nAnn,31\r\n".replace("\r\n", "\n"),
        "metadata": {"encoding": "utf-8", "delimiter": ",", "rows": 1, "columns": 2},
        "tables": [{"name": "people", "columns": ["name", "age"], "rows": [["Ann", "31"]],
                    "row_count": 1}],
        "truncated": False}


def test_the_same_content_again_answers_200_with_the_existing_file(alpha, storage):
    first = upload(alpha, "a.txt", b"same bytes").json()
    again = upload(alpha, "b.txt", b"same bytes")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["filename"] == "a.txt"
    assert again.json()["duplicate"] is True
    assert len(stored_blobs(storage)) == 1
    assert len(alpha.get("/api/v1/files").json()["results"]) == 1


def test_the_tenant_quota_refuses_an_upload_that_does_not_fit(alpha, storage, settings):
    settings.FILES_TENANT_QUOTA_MB = 1
    assert upload(alpha, "first.txt", b"a" * (MB // 2)).status_code == 201
    response = upload(alpha, "second.txt", b"b" * (MB // 2 + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "ERROR_STORAGE_QUOTA_EXCEEDED"
    assert len(stored_blobs(storage)) == 1
    assert upload(alpha, "fits.txt", b"c" * (MB // 2)).status_code == 201


def test_content_of_a_file_not_processed_yet_is_409(alpha):
    file_id = upload(alpha, "later.txt", b"not yet").json()["id"]
    response = alpha.get(f"/api/v1/files/{file_id}/content")
    assert response.status_code == 409
    assert response.json()["code"] == "ERROR_FILE_NOT_PROCESSED"


def test_content_can_be_cut_for_a_small_context(alpha, team_a):
    file = store(team_a, "people.xlsx", documents.xlsx_file())
    content = alpha.get(f"/api/v1/files/{file.pk}/content?max_chars=9&max_rows=1").json()
    assert content["text"] == "## People"
    assert content["tables"][0]["rows"] == [["Ann", 31, "2023-05-01T00:00:00"]]
    assert content["tables"][0]["row_count"] == 2
    assert content["truncated"] is True


def test_list_searches_sorts_and_pages(alpha, team_a):
    for name, size in [("alpha notes.txt", 30), ("Beta plan.txt", 10), ("gamma notes.txt", 20)]:
        store(team_a, name, name.encode() * size, extract=False)
    names = lambda response: [file["filename"] for file in response.json()["results"]]  # noqa: E731
    assert names(alpha.get("/api/v1/files?q=NOTES&ordering=filename")) == [
        "alpha notes.txt", "gamma notes.txt"]
    assert names(alpha.get("/api/v1/files?ordering=-size")) == [
        "alpha notes.txt", "gamma notes.txt", "Beta plan.txt"]
    assert names(alpha.get("/api/v1/files?ordering=created_at")) == [
        "alpha notes.txt", "Beta plan.txt", "gamma notes.txt"]
    first = alpha.get("/api/v1/files?ordering=filename&page_size=2").json()
    assert [file["filename"] for file in first["results"]] == ["Beta plan.txt", "alpha notes.txt"]
    second = alpha.get(f"/api/v1/files?ordering=filename&page_size=2&cursor={first['next']}")
    assert names(second) == ["gamma notes.txt"]
    assert second.json()["next"] is None


def test_download_streams_the_bytes_with_the_original_name(alpha, team_a):
    data = documents.pdf("Signed contract")
    file = store(team_a, "Vertrag für Müller.pdf", data, extract=False)
    response = alpha.get(f"/api/v1/files/{file.pk}/download")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Vertrag%20f%C3%BCr%20M%C3%BCller.pdf")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_missing_blob_answers_404_not_500(alpha, team_a, storage):
    file = store(team_a, "gone.txt", b"soon gone", extract=False)
    (storage / file.storage_name).unlink()
    response = alpha.get(f"/api/v1/files/{file.pk}/download")
    assert response.status_code == 404
    assert response.json()["code"] == "ERROR_FILE_BLOB_MISSING"


def test_delete_removes_the_file_its_content_and_its_blob(alpha, team_a, storage):
    file = store(team_a, "bye.txt", b"goodbye")
    assert stored_blobs(storage)
    response = alpha.delete(f"/api/v1/files/{file.pk}")
    assert response.status_code == 204
    assert stored_blobs(storage) == []
    assert alpha.get(f"/api/v1/files/{file.pk}").status_code == 404
    assert alpha.get(f"/api/v1/files/{file.pk}/content").json()["code"] == "ERROR_FILE_NOT_FOUND"
    assert alpha.delete(f"/api/v1/files/{file.pk}").status_code == 404


def test_a_failed_file_can_be_extracted_again(alpha, team_a, settings, tmp_path,
                                              django_capture_on_commit_callbacks):
    settings.FILES_EXTRACT_LIMITS = {"tools_path": str(tmp_path)}
    file = store(team_a, "old.doc", documents.ole2_garbage())
    assert file.status == "failed"
    converter = tmp_path / "catdoc"
    converter.write_text("#!/bin/sh\necho 'Minutes of the meeting'\n")
    converter.chmod(0o755)
    with django_capture_on_commit_callbacks(execute=True):
        response = alpha.post(f"/api/v1/files/{file.pk}/extract")
    assert response.status_code == 202
    assert alpha.get(f"/api/v1/files/{file.pk}").json()["status"] == "processed"
    assert alpha.get(f"/api/v1/files/{file.pk}/content").json()["text"] == \
        "Minutes of the meeting"
    again = alpha.post(f"/api/v1/files/{file.pk}/extract")
    assert again.status_code == 409
    assert again.json()["code"] == "ERROR_FILE_NOT_RETRYABLE"


def test_viewers_and_read_only_keys_read_but_do_not_write(team_a, client_for):
    file = store(team_a, "shared.txt", b"for everyone")
    viewer = team_a.add_member("viewer@alpha.example.com", "viewer")
    viewer_jwt = account_services.tokens_issue(user=viewer, tenant=team_a.tenant)["access"]
    for client in (client_for(jwt=viewer_jwt), client_for(key=team_a.api_key(scopes=("read",)))):
        assert client.get(f"/api/v1/files/{file.pk}").status_code == 200
        assert client.get(f"/api/v1/files/{file.pk}/content").status_code == 200
        refused = upload(client, "new.txt", b"nope")
        assert refused.status_code == 403
        assert refused.json()["code"] == "ERROR_READ_ONLY"
        assert client.delete(f"/api/v1/files/{file.pk}").status_code == 403


def test_without_a_credential_nothing_is_answered(anon, team_a):
    file = store(team_a, "private.txt", b"private")
    for path in ("/api/v1/files", f"/api/v1/files/{file.pk}",
                 f"/api/v1/files/{file.pk}/download"):
        response = anon.get(path)
        assert response.status_code == 401
        assert "private" not in response.content.decode()
    assert upload(anon, "x.txt", b"x").status_code == 401


@pytest.mark.parametrize("payload, field", [
    ({}, "file"),
    ({"file": "not a file"}, "file"),
])
def test_an_upload_without_a_file_is_400(alpha, payload, field):
    response = alpha.post("/api/v1/files", payload, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_two_files_in_one_request_are_400(alpha, storage):
    response = alpha.post("/api/v1/files", {"file": [SimpleUploadedFile("a.txt", b"a"),
                                                     SimpleUploadedFile("b.txt", b"b")]},
                          format="multipart")
    assert response.status_code == 400
    assert stored_blobs(storage) == []


def test_a_json_body_is_not_an_upload(alpha):
    response = alpha.post("/api/v1/files", {"file": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "ERROR_UNSUPPORTED_MEDIA_TYPE"


def test_unicode_filenames_survive(alpha):
    response = upload(alpha, "日本語のメモ 📝.txt", "こんにちは".encode())
    assert response.status_code == 201
    assert response.json()["filename"] == "日本語のメモ 📝.txt"


@pytest.mark.parametrize("query", ["ordering=name", "ordering=-password", "q=" + "x" * 500,
                                   "ordering=created_at;DROP"])
def test_bad_list_parameters_are_400(alpha, query):
    response = alpha.get(f"/api/v1/files?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "ERROR_VALIDATION"


@pytest.mark.parametrize("query", ["max_chars=-1", "max_rows=abc", "max_chars=1e99"])
def test_bad_content_parameters_are_400(alpha, team_a, query):
    file = store(team_a, "a.txt", b"text")
    assert alpha.get(f"/api/v1/files/{file.pk}/content?{query}").status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/files/not-a-uuid", "/api/v1/files/1/content",
                                  "/api/v1/files/import-jobs/123"])
def test_ids_that_are_not_uuids_are_404_problems(alpha, path):
    response = alpha.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_ids_are_404_with_the_files_code(alpha):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert alpha.get(f"/api/v1/files/{unknown}").json()["code"] == "ERROR_FILE_NOT_FOUND"
    assert alpha.get(f"/api/v1/files/import-jobs/{unknown}").json()["code"] == \
        "ERROR_IMPORT_JOB_NOT_FOUND"


@pytest.mark.parametrize("body, field", [
    ({}, "base_id"),
    ({"base_id": "app1", "table": ["not", "a", "string"]}, "table"),
    ({"base_id": "x" * 100, "table": "T"}, "base_id"),
    ({"base_id": "app1", "table": "T", "mapping": ["a", "b"]}, "mapping"),
    ({"base_id": "app1", "table": "T", "mapping": {"": "Name"}}, "mapping"),
    ({"base_id": "app1", "table": "T", "typecast": "perhaps"}, "typecast"),
])
def test_bad_import_bodies_are_400(alpha, team_a, body, field):
    file = store(team_a, "rows.csv", b"a,b\n1,2\n")
    response = alpha.post(f"/api/v1/files/{file.pk}/import", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_import_of_a_file_without_tables_or_not_processed_is_refused(alpha, team_a):
    text = store(team_a, "notes.txt", b"just prose")
    response = alpha.post(f"/api/v1/files/{text.pk}/import",
                          {"base_id": "appX", "table": "T"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "ERROR_FILE_HAS_NO_TABLE"
    pending = store(team_a, "rows.csv", b"a,b\n1,2\n", extract=False)
    response = alpha.post(f"/api/v1/files/{pending.pk}/import",
                          {"base_id": "appX", "table": "T"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ERROR_FILE_NOT_PROCESSED"


def test_a_json_body_over_the_request_limit_is_400_not_500(team_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    file = store(team_a, "rows.csv", b"a,b\n1,2\n")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {team_a.jwt()}")
    body = json.dumps({"base_id": "appX", "table": "T", "mapping": {"a": "x" * 5000}})
    response = client.post(f"/api/v1/files/{file.pk}/import", body,
                           content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_metrics_count_uploads_and_extractions(alpha, team_a, client_for):
    store(team_a, "counted.txt", b"count me")
    upload(alpha, "refused.exe", b"MZ")
    metrics = client_for().get("/metrics").content.decode()
    assert 'files_uploaded_total{outcome="stored"}' in metrics
    assert 'files_upload_refused_total{code="ERROR_FILE_TYPE_NOT_ALLOWED"}' in metrics
    assert 'files_extracted_total{format="txt",outcome="processed"}' in metrics


def test_a_real_server_refuses_an_oversized_upload_with_413(platform_server_factory, team_a):
    server = platform_server_factory(MAX_UPLOAD_MB="1")
    response = httpx.post(f"{server.url}/api/v1/files",
                          headers={"Authorization": f"Bearer {team_a.jwt()}"},
                          files={"file": ("big.txt", b"a" * (2 * MB))}, timeout=60)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "ERROR_FILE_TOO_LARGE"
    refused = httpx.post(f"{server.url}/api/v1/files",
                         headers={"Authorization": f"Bearer {team_a.jwt()}"},
                         files={"file": ("tool.exe", b"MZ" + b"\x00" * 100)}, timeout=60)
    assert refused.status_code == 415
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}


def test_a_file_stuck_in_uploaded_can_be_queued_again(alpha, team_a,
                                                      django_capture_on_commit_callbacks):
    file = store(team_a, "stuck.txt", b"the broker was down", extract=False)
    assert alpha.post(f"/api/v1/files/{file.pk}/extract").status_code == 409
    with schema_context(team_a.tenant.schema_name):
        File.objects.filter(pk=file.pk).update(
            updated_at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert alpha.post(f"/api/v1/files/{file.pk}/extract").status_code == 202
    assert alpha.get(f"/api/v1/files/{file.pk}").json()["status"] == "processed"


def test_storage_that_cannot_be_written_answers_503(alpha, team_a, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage root should be")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(blocker / "media")}}}
    response = upload(alpha, "a.txt", b"nowhere to go")
    assert response.status_code == 503
    assert response.json()["code"] == "ERROR_FILE_STORAGE_UNAVAILABLE"
    assert alpha.get("/api/v1/files").json()["results"] == []
