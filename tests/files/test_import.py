"""Importing a file's table into an Airtable table: the sandbox in a real server
stands in for Airtable; the import job runs here, as the worker would run it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from django_tenants.utils import schema_context

from apps.airtable import services as airtable_services
from apps.sandbox.services import sandbox_seed_demo

from . import documents
from .helpers import store

UNLIMITED = {"SANDBOX_RATE_LIMIT_PER_BASE": "0", "SANDBOX_RATE_LIMIT_PER_TOKEN": "0"}


@pytest.fixture(autouse=True)
def _gateway_settings(settings):
    """The gateway's own limiter is not under test: generous limits, short waits."""
    settings.AIRTABLE_RATE_LIMIT_PER_BASE = 1000.0
    settings.AIRTABLE_RATE_LIMIT_PER_TOKEN = 5000.0
    settings.AIRTABLE_RATE_LIMIT_WAIT_SECONDS = 0.2
    settings.AIRTABLE_RETRY_BACKOFF_SECONDS = 0.01


@pytest.fixture(scope="module")
def sandbox(platform_server_factory, django_db_blocker):
    """(server, base id, token): an empty demo base, committed so the server sees it."""
    server = platform_server_factory(**UNLIMITED)
    with django_db_blocker.unblock():
        base_id, token = sandbox_seed_demo(records=0)
    return server, base_id, token


def create_table(sandbox, fields: list[dict]) -> dict:
    """A new table in the sandbox base through its meta API, as in Airtable."""
    server, base_id, token = sandbox
    response = httpx.post(
        f"{server.url}/sandbox/airtable/v0/meta/bases/{base_id}/tables",
        headers={"Authorization": f"Bearer {token}"}, timeout=30,
        json={"name": f"Import {uuid.uuid4().hex[:8]}", "fields": fields})
    assert response.status_code == 200, response.text
    return response.json()


def sandbox_records(sandbox, table_id: str) -> list[dict]:
    server, base_id, token = sandbox
    records, offset = [], None
    with httpx.Client(base_url=f"{server.url}/sandbox/airtable/v0",
                      headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        while True:
            params = {"pageSize": 100, **({"offset": offset} if offset else {})}
            page = http.get(f"/{base_id}/{table_id}", params=params).json()
            records += page["records"]
            offset = page.get("offset")
            if not offset:
                return records


@pytest.fixture
def connected(team_a, sandbox):
    server, _base_id, token = sandbox
    with schema_context(team_a.tenant.schema_name):
        airtable_services.connection_create(
            name="Sandbox", token=token, endpoint_url=f"{server.url}/sandbox/airtable")
    return sandbox


PEOPLE_FIELDS = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Count", "type": "number", "options": {"precision": 0}},
]


def test_a_2000_row_csv_becomes_records_and_the_bad_row_is_reported(
        alpha, team_a, connected, django_capture_on_commit_callbacks):
    table = create_table(connected, PEOPLE_FIELDS)
    rows = [["name", "count"]] + [[f"Person {number}", str(number)] for number in range(1, 2002)]
    rows[1234] = ["Person 1234", "twelve hundred"]
    file = store(team_a, "people.csv", documents.csv_file(rows))

    with django_capture_on_commit_callbacks(execute=True):
        response = alpha.post(f"/api/v1/files/{file.pk}/import",
                              {"base_id": connected[1], "table": table["name"],
                               "typecast": False}, format="json")
    assert response.status_code == 202, response.content
    job = alpha.get(f"/api/v1/files/import-jobs/{response.json()['job_id']}").json()
    assert job["status"] == "succeeded", job
    assert job["progress"] == {"done": 2001, "total": 2001}
    assert job["created"] == 2000
    assert job["failed"] == 1
    assert len(job["failed_rows"]) == 1
    assert job["failed_rows"][0]["row"] == 1234
    assert "Count" in job["failed_rows"][0]["error"]
    assert job["mapping"] == {"name": "Name", "count": "Count"}

    records = sandbox_records(connected, table["id"])
    assert len(records) == 2000
    by_name = {record["fields"]["Name"]: record["fields"].get("Count") for record in records}
    assert by_name["Person 1"] == 1
    assert by_name["Person 2001"] == 2001
    assert "Person 1234" not in by_name


def test_a_mapping_names_the_fields_and_typecast_converts_values(
        alpha, team_a, connected, django_capture_on_commit_callbacks):
    table = create_table(connected, PEOPLE_FIELDS)
    file = store(team_a, "people.xlsx", documents.xlsx_file())
    with django_capture_on_commit_callbacks(execute=True):
        response = alpha.post(f"/api/v1/files/{file.pk}/import", {
            "base_id": connected[1], "table": table["id"], "sheet": "Budget",
            "mapping": {"Item": "Name", "Cost": table["fields"][1]["id"]}}, format="json")
    assert response.status_code == 202, response.content
    job = alpha.get(f"/api/v1/files/import-jobs/{response.json()['job_id']}").json()
    assert (job["status"], job["created"], job["failed"]) == ("succeeded", 1, 0)
    assert job["sheet"] == "Budget"
    records = sandbox_records(connected, table["id"])
    assert [record["fields"] for record in records] == [{"Name": "Laptop", "Count": 1200}]


def test_a_mapping_to_unknown_columns_or_fields_is_400(alpha, team_a, connected):
    table = create_table(connected, PEOPLE_FIELDS)
    file = store(team_a, "people.csv", b"name,count\nAnn,1\n")
    response = alpha.post(f"/api/v1/files/{file.pk}/import", {
        "base_id": connected[1], "table": table["name"],
        "mapping": {"nom": "Name", "count": "Nope"}}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "ERROR_IMPORT_MAPPING_INVALID"
    assert response.json()["errors"]["mapping"] == [
        "The file has no column 'nom'.", "The table has no writable field 'Nope'."]


def test_no_column_matching_a_field_is_400(alpha, team_a, connected):
    table = create_table(connected, PEOPLE_FIELDS)
    file = store(team_a, "other.csv", b"colour,size\nred,2\n")
    response = alpha.post(f"/api/v1/files/{file.pk}/import",
                          {"base_id": connected[1], "table": table["name"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "ERROR_IMPORT_MAPPING_INVALID"


def test_an_unknown_base_or_table_is_404(alpha, team_a, connected):
    file = store(team_a, "people.csv", b"name,count\nAnn,1\n")
    unknown_base = alpha.post(f"/api/v1/files/{file.pk}/import",
                              {"base_id": "appNOSUCHBASE0000", "table": "T"}, format="json")
    assert unknown_base.status_code == 404
    unknown_table = alpha.post(f"/api/v1/files/{file.pk}/import",
                               {"base_id": connected[1], "table": "No such table"},
                               format="json")
    assert unknown_table.status_code == 404
    assert unknown_table.json()["code"] == "ERROR_TABLE_NOT_FOUND"


def test_an_import_whose_rows_are_all_refused_stops_early(
        alpha, team_a, connected, django_capture_on_commit_callbacks):
    table = create_table(connected, PEOPLE_FIELDS)
    rows = [["Count"]] + [[f"not a number {number}"] for number in range(200)]
    file = store(team_a, "bad.csv", documents.csv_file(rows))
    with django_capture_on_commit_callbacks(execute=True):
        response = alpha.post(f"/api/v1/files/{file.pk}/import", {
            "base_id": connected[1], "table": table["name"], "typecast": False}, format="json")
    job = alpha.get(f"/api/v1/files/import-jobs/{response.json()['job_id']}").json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "ERROR_IMPORT_ROWS_REFUSED"
    assert job["created"] == 0
    assert job["progress"]["done"] == 50
    assert sandbox_records(connected, table["id"]) == []


def test_another_tenant_cannot_import_or_read_the_job(
        alpha, team_a, team_b, client_for, connected, django_capture_on_commit_callbacks):
    table = create_table(connected, PEOPLE_FIELDS)
    file = store(team_a, "people.csv", b"name,count\nAnn,1\n")
    with django_capture_on_commit_callbacks(execute=True):
        job_id = alpha.post(f"/api/v1/files/{file.pk}/import",
                            {"base_id": connected[1], "table": table["name"]},
                            format="json").json()["job_id"]
    bravo = client_for(jwt=team_b.jwt())
    response = bravo.get(f"/api/v1/files/import-jobs/{job_id}")
    assert response.status_code == 404
    assert job_id not in response.content.decode()
    again = bravo.post(f"/api/v1/files/{file.pk}/import",
                       {"base_id": connected[1], "table": table["name"]}, format="json")
    assert again.status_code == 404
    assert len(sandbox_records(connected, table["id"])) == 1


def test_the_import_page_offers_the_teams_tables_by_name(
        team_a, connected, django_capture_on_commit_callbacks):
    table = create_table(connected, PEOPLE_FIELDS)
    with schema_context(team_a.tenant.schema_name):
        airtable_services.table_list(base_id=connected[1])
    file = store(team_a, "people.csv", documents.csv_file([["Name", "Count"], ["Ada", "3"]]))
    client = team_a.browser()
    page = client.get(f"/files/{file.pk}/").content.decode()
    target = f"{connected[1]}/{table['id']}"
    assert f'<option value="{target}">{table["name"]}</option>' in page
    assert 'name="base_id"' not in page and 'name="table"' not in page  # nothing to type
    assert '<option value="people">people</option>' in page  # the file's table
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/files/{file.pk}/import",
                             {"target": target, "sheet": "people", "typecast": "on"})
    assert answer.status_code == 302, answer.content.decode()
    assert [record["fields"] for record in sandbox_records(connected, table["id"])] == \
        [{"Name": "Ada", "Count": 3}]
    refused = client.post(f"/files/{file.pk}/import", {"target": "appNOPE/tblNOPE"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    bad_mapping = client.post(f"/files/{file.pk}/import", {
        "target": target, "sheet": "people", "mapping": "Name = Name\nno equals sign here"})
    assert bad_mapping.status_code == 400
    assert bad_mapping.content.decode().count("Line 2 is not") == 1  # said once
