"""Operators see a tenant's files in the admin on the tenant's host, and only there."""

from __future__ import annotations

from django.test import Client

from .helpers import store, stored_blobs


def operator(team, host: str) -> Client:
    team.owner.is_staff = team.owner.is_superuser = True
    team.owner.save(update_fields=["is_staff", "is_superuser"])
    client = Client(HTTP_HOST=host)
    client.force_login(team.owner)
    return client


def test_the_tenant_host_admin_lists_its_files(team_a):
    store(team_a, "in-admin.txt", b"visible to operators")
    client = operator(team_a, team_a.host)
    page = client.get("/admin/files/file/")
    assert page.status_code == 200
    assert "in-admin.txt" in page.content.decode()


def test_deleting_in_the_admin_removes_the_blob(team_a, storage):
    file = store(team_a, "admin-delete.txt", b"going away")
    client = operator(team_a, team_a.host)
    response = client.post(f"/admin/files/file/{file.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert stored_blobs(storage) == []


def test_the_public_admin_has_no_file_pages(team_a):
    client = operator(team_a, "localhost")
    assert "files/file" not in client.get("/admin/").content.decode()
    assert client.get("/admin/files/file/").status_code in (403, 404)
