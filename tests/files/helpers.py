from __future__ import annotations

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from apps.files import services


def stored_blobs(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def upload(client, name: str, data: bytes):
    return client.post("/api/v1/files", {"file": SimpleUploadedFile(name, data)},
                       format="multipart")


def raw_upload(client, filename: str, data: bytes):
    """A multipart body written by hand: the test client would strip the path itself."""
    boundary = "----pyairtable-test-boundary"
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.generic("POST", "/api/v1/files", body,
                          content_type=f"multipart/form-data; boundary={boundary}")


def store(team, name: str, data: bytes, *, extract: bool = True):
    """Upload through the service in the team's schema, then extract in-process."""
    with schema_context(team.tenant.schema_name):
        file, _duplicate = services.file_upload(
            uploaded=SimpleUploadedFile(name, data), user_id=team.owner.pk)
        if extract:
            file = services.file_extract(file_id=file.pk)
        return file
