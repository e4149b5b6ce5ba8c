"""Another tenant can't list, read, download, import, extract or delete a file."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from apps.files.models import ImportJob

from . import documents
from .helpers import store, stored_blobs

SECRET = "Confidential merger plan of Alpha"


@pytest.fixture
def alpha_file(team_a):
    return store(team_a, "alpha-merger.csv",
                 documents.csv_file([["Plan"], [SECRET]]))


@pytest.fixture(params=["jwt", "api_key", "api_key_header", "host_and_key"])
def bravo(request, team_b, client_for):
    if request.param == "jwt":
        return client_for(jwt=team_b.jwt())
    if request.param == "api_key":
        return client_for(key=team_b.api_key())
    if request.param == "api_key_header":
        return client_for(key=team_b.api_key(), header="x-api-key")
    return client_for(key=team_b.api_key(), host=team_b.host)


def assert_nothing_of_alpha(response, alpha_file) -> None:
    body = response.content.decode()
    assert str(alpha_file.pk) not in body
    assert "alpha-merger" not in body
    assert SECRET not in body
    assert alpha_file.sha256 not in body


def test_another_tenant_does_not_see_the_file_in_its_list(bravo, alpha_file):
    response = bravo.get("/api/v1/files")
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert_nothing_of_alpha(bravo.get("/api/v1/files?q=merger"), alpha_file)


@pytest.mark.parametrize("method, suffix, body", [
    ("get", "", None),
    ("get", "/content", None),
    ("get", "/download", None),
    ("post", "/extract", None),
    ("post", "/import", {"base_id": "appAAAAAAAAAAAAAA", "table": "Plans"}),
    ("delete", "", None),
])
def test_another_tenant_gets_404_and_nothing_else(bravo, alpha_file, storage, method, suffix,
                                                  body):
    response = getattr(bravo, method)(f"/api/v1/files/{alpha_file.pk}{suffix}", body,
                                      format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "ERROR_FILE_NOT_FOUND"
    assert_nothing_of_alpha(response, alpha_file)
    assert len(stored_blobs(storage)) == 1


def test_alpha_host_with_a_bravo_credential_is_refused(team_a, team_b, client_for, alpha_file):
    client = client_for(key=team_b.api_key(), host=team_a.host)
    response = client.get(f"/api/v1/files/{alpha_file.pk}")
    assert response.status_code == 403
    assert_nothing_of_alpha(response, alpha_file)


def test_the_same_content_is_not_a_duplicate_across_tenants(team_a, team_b, storage):
    data = b"same bytes in two teams"
    alpha_copy = store(team_a, "a.txt", data)
    bravo_copy = store(team_b, "b.txt", data)
    assert alpha_copy.pk != bravo_copy.pk
    assert sorted(blob.split("/")[0] for blob in stored_blobs(storage)) == [
        team_a.tenant.schema_name, team_b.tenant.schema_name]


def test_another_tenant_cannot_read_an_import_job(bravo, team_a, alpha_file):
    with schema_context(team_a.tenant.schema_name):
        job = ImportJob.objects.create(file_id=alpha_file.pk, base_id="appAAAAAAAAAAAAAA",
                                       table="tblPlans", sheet="alpha-merger", total=1)
    response = bravo.get(f"/api/v1/files/import-jobs/{job.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "ERROR_IMPORT_JOB_NOT_FOUND"
    assert_nothing_of_alpha(response, alpha_file)
