"""Hostile and broken uploads: each gets its error code; either nothing is kept
or the file ends `failed` with the reason, and the extraction call returns."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.files import selectors, services
from apps.files.exceptions import FileContentMismatch

from . import documents
from .helpers import raw_upload, store, stored_blobs, upload

MB = 1024 * 1024


def file_count(team) -> int:
    with schema_context(team.tenant.schema_name):
        return selectors.file_list().count()


def big_csv(rows: int) -> bytes:
    """About 14 MB for 500,000 rows: several seconds and ~260 MB to extract."""
    lines = "".join(f"{index},{index * 7},word{index},{index % 13}\n" for index in range(rows))
    return ("a,b,c,d\n" + lines).encode()


def assert_refused(response, status: int, code: str, team, storage) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert file_count(team) == 0
    assert stored_blobs(storage) == []


@pytest.mark.parametrize("name", ["report.pdf", "sheet.xlsx", "letter.docx", "old.doc",
                                  "notes.txt", "data.csv"])
def test_an_executable_renamed_to_an_allowed_type_is_refused(alpha, team_a, storage, name):
    executable = documents.ELF_HEADER + bytes(range(256)) * 16
    response = upload(alpha, name, executable)
    assert_refused(response, 415, "ERROR_FILE_CONTENT_MISMATCH", team_a, storage)


def test_a_zero_byte_file_is_refused(alpha, team_a, storage):
    assert_refused(upload(alpha, "empty.txt", b""), 400, "ERROR_FILE_EMPTY", team_a, storage)


def test_one_byte_over_the_limit_is_refused_and_the_limit_itself_accepted(
        alpha, team_a, storage, settings):
    settings.MAX_UPLOAD_MB = 1
    response = upload(alpha, "big.txt", b"a" * (MB + 1))
    assert_refused(response, 413, "ERROR_FILE_TOO_LARGE", team_a, storage)
    assert upload(alpha, "exact.txt", b"a" * MB).status_code == 201


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(alpha, team_a, storage,
                                                                settings):
    settings.MAX_UPLOAD_MB = 1
    response = upload(alpha, "huge.csv", b"x,y\n" * (3 * MB))
    assert_refused(response, 413, "ERROR_FILE_TOO_LARGE", team_a, storage)


def test_a_path_in_the_filename_is_kept_only_as_a_sanitised_display_name(
        alpha, team_a, storage, tmp_path):
    response = raw_upload(alpha, "../../etc/passwd.txt", b"root:x:0:0:root:/root:/bin/bash\n")
    assert response.status_code == 201, response.content
    assert response.json()["filename"] == "passwd.txt"
    schema = team_a.tenant.schema_name
    assert stored_blobs(storage) == [f"{schema}/{response.json()['id'].replace('-', '')}"]
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("raw, shown", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\Windows\\win.ini.txt", "win.ini.txt"),
    ("report\u202etxt.exe.pdf", "reporttxt.exe.pdf"),
    ("  ..hidden   name .csv", "hidden name .csv"),
    ('a<b>c:"d|e?*f.txt', "a_b_c__d_e__f.txt"),
    ("résumé 2024.docx", "résumé 2024.docx"),
    ("x" * 300 + ".xlsx", "x" * 250 + ".xlsx"),
])
def test_display_names_are_sanitised(raw, shown):
    assert services.display_filename(raw) == shown


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "script.js", "noextension",
                                  "archive.zip"])
def test_a_type_that_is_not_allowed_is_refused(alpha, team_a, storage, name):
    response = upload(alpha, name, b"plain harmless text")
    assert_refused(response, 415, "ERROR_FILE_TYPE_NOT_ALLOWED", team_a, storage)


def test_allowed_extensions_come_from_the_setting(alpha, team_a, storage, settings):
    settings.ALLOWED_EXTENSIONS = ["pdf"]
    response = upload(alpha, "data.csv", b"a,b\n1,2\n")
    assert_refused(response, 415, "ERROR_FILE_TYPE_NOT_ALLOWED", team_a, storage)
    assert "allowed: .pdf" in response.json()["detail"]


def test_a_zip_without_the_office_parts_is_not_a_workbook(alpha, team_a, storage):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    response = upload(alpha, "budget.xlsx", buffer.getvalue())
    assert_refused(response, 415, "ERROR_FILE_CONTENT_MISMATCH", team_a, storage)


def test_binary_data_named_csv_is_refused(alpha, team_a, storage):
    response = upload(alpha, "data.csv", b"a,b\n\x00\x01\x02\x03,\xff\xfe\n")
    assert_refused(response, 415, "ERROR_FILE_CONTENT_MISMATCH", team_a, storage)


def test_an_xlsx_zip_bomb_fails_without_being_inflated(team_a):
    file = store(team_a, "bomb.xlsx", documents.zip_bomb_xlsx(300))
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_ZIP_BOMB"
    assert "xl/worksheets/sheet1.xml" in file.error["message"]


def test_a_highly_compressed_member_under_the_size_limit_is_still_a_bomb(team_a):
    file = store(team_a, "bomb.xlsx", documents.zip_bomb_xlsx(150))
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_ZIP_BOMB"
    assert "compressed" in file.error["message"]


def test_a_corrupt_pdf_fails(team_a):
    file = store(team_a, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_CORRUPT"


def test_a_truncated_pdf_fails(team_a):
    whole = documents.pdf("first page", "second page")
    file = store(team_a, "cut.pdf", whole[:len(whole) // 2])
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_CORRUPT"


def test_an_encrypted_pdf_fails_with_the_reason(team_a):
    file = store(team_a, "secret.pdf", documents.encrypted_pdf())
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_ENCRYPTED"
    assert "password" in file.error["message"]


def test_a_pdf_locked_only_against_editing_is_read(team_a):
    file = store(team_a, "locked.pdf", documents.encrypted_pdf(password=""))
    assert file.status == "processed"


def test_a_csv_with_100000_columns_fails_as_too_complex(team_a):
    file = store(team_a, "wide.csv", documents.wide_csv(100_000))
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_TOO_COMPLEX"
    assert "100,000 columns" in file.error["message"]


def test_a_document_past_the_memory_limit_fails_and_the_caller_carries_on(team_a, settings):
    settings.FILES_EXTRACT_MEMORY_MB = 150
    file = store(team_a, "many.csv", big_csv(500_000))
    assert file.status == "failed"
    assert file.error == {
        "code": "ERROR_FILE_EXTRACTION_RESOURCE_LIMIT",
        "message": "Extraction needed more than 150 MB of memory, the most one file may use."}
    assert store(team_a, "small.txt", b"still working").status == "processed"


def test_an_extraction_past_the_time_limit_is_stopped(team_a, settings):
    settings.FILES_EXTRACT_TIMEOUT_SECONDS = 1
    file = store(team_a, "slow.csv", big_csv(500_000))
    assert file.status == "failed"
    assert file.error["code"] == "ERROR_FILE_EXTRACTION_TIMEOUT"
    assert store(team_a, "small.txt", b"still working").status == "processed"


def test_a_missing_blob_fails_the_extraction(team_a, storage):
    file = store(team_a, "gone.txt", b"soon gone", extract=False)
    (storage / file.storage_name).unlink()
    with schema_context(team_a.tenant.schema_name):
        failed = services.file_extract(file_id=file.pk)
    assert failed.status == "failed"
    assert failed.error["code"] == "ERROR_FILE_STORAGE_UNAVAILABLE"


def test_the_service_refuses_what_the_api_refuses(team_a, storage):
    with schema_context(team_a.tenant.schema_name), pytest.raises(FileContentMismatch):
        services.file_upload(uploaded=SimpleUploadedFile("x.pdf", b"MZ\x90\x00"), user_id=None)
    assert stored_blobs(storage) == []
