"""Meta endpoints in-process: whoami, bases, tables and fields, with Airtable's rules."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.conftest import SandboxClient


def _error(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content
    assert response.json()["error"]["type"] == kind, response.json()
    return response.json()


def _table(sandbox, base_id: str, name: str) -> dict:
    tables = sandbox.get(f"meta/bases/{base_id}/tables").json()["tables"]
    return next(table for table in tables if table["name"] == name)


def _field(table: dict, name: str) -> dict:
    return next(field for field in table["fields"] if field["name"] == name)


def test_whoami(sandbox):
    body = sandbox.get("meta/whoami").json()
    assert re.fullmatch(r"usr[A-Za-z0-9]{14}", body["id"])
    assert "data.records:read" in body["scopes"]


def test_bases_of_the_token_only(sandbox, small, demo, demo_client):
    bases = sandbox.get("meta/bases").json()["bases"]
    assert bases == [{"id": small["base"], "name": "Small", "permissionLevel": "create"}]
    assert [base["id"] for base in demo_client.get("meta/bases").json()["bases"]] == [demo[0]]
    _error(sandbox.get("meta/bases", offset="appNope"), 422, "INVALID_OFFSET_VALUE")


def test_create_base_answers_its_tables(sandbox):
    body = sandbox.post("meta/bases", {"name": "Fresh", "workspaceId": "wspX", "tables": [
        {"name": "A", "description": "first", "fields": [
            {"name": "Title", "type": "singleLineText", "description": "the title"},
            {"name": "Done", "type": "checkbox"},
            {"name": "When", "type": "dateTime"},
            {"name": "Price", "type": "currency"},
            {"name": "Stars", "type": "rating"},
            {"name": "Took", "type": "duration"},
            {"name": "Share", "type": "percent"},
            {"name": "No", "type": "autoNumber"},
            {"name": "Made", "type": "createdTime"},
            {"name": "Changed", "type": "lastModifiedTime"},
            {"name": "Files", "type": "multipleAttachments"},
            {"name": "Mail", "type": "email"},
            {"name": "Site", "type": "url"},
            {"name": "Tel", "type": "phoneNumber"},
            {"name": "Long", "type": "multilineText"},
            {"name": "Rich", "type": "richText"},
            {"name": "Code", "type": "barcode"},
        ]},
        {"name": "B", "fields": [{"name": "Name", "type": "singleLineText"}]},
    ]}).json()
    assert re.fullmatch(r"app[A-Za-z0-9]{14}", body["id"])
    first = body["tables"][0]
    assert re.fullmatch(r"tbl[A-Za-z0-9]{14}", first["id"])
    assert first["primaryFieldId"] == first["fields"][0]["id"]
    assert first["description"] == "first"
    assert first["views"][0]["type"] == "grid"
    fields = {field["name"]: field for field in first["fields"]}
    assert fields["Title"]["description"] == "the title"
    assert fields["Done"]["options"] == {"color": "greenBright", "icon": "check"}
    assert fields["When"]["options"]["timeZone"] == "utc"
    assert fields["Price"]["options"] == {"precision": 2, "symbol": "$"}
    assert "options" not in fields["No"]


@pytest.mark.parametrize(("body", "kind"), [
    ({"name": "X", "tables": []}, "INVALID_REQUEST_UNKNOWN"),
    ({"name": "", "tables": [{"name": "T", "fields": [{"name": "A", "type": "email"}]}]},
     "INVALID_REQUEST_UNKNOWN"),
    ({"name": "X", "tables": [{"name": "T", "fields": []}]}, "INVALID_REQUEST_UNKNOWN"),
    ({"name": "X", "tables": [{"name": "T", "fields": [{"name": "A", "type": "teleporter"}]}]},
     "UNSUPPORTED_FIELD_TYPE_FOR_CREATE"),
    ({"name": "X", "tables": [{"name": "T", "fields": [{"name": "A", "type": "checkbox"}]}]},
     "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "X", "tables": [{"name": "T", "fields": [
        {"name": "A", "type": "email"}, {"name": "a", "type": "email"}]}]},
     "DUPLICATE_OR_EMPTY_FIELD_NAME"),
    ({"name": "X", "tables": [{"name": "T", "fields": [{"name": "A", "type": "email"}]},
                              {"name": "t", "fields": [{"name": "A", "type": "email"}]}]},
     "DUPLICATE_TABLE_NAME"),
    ({"name": "X", "tables": [{"name": "T", "fields": [
        {"name": "A", "type": "number", "options": {"precision": 99}}]}]},
     "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "X", "tables": [{"name": "T", "fields": [
        {"name": "A", "type": "singleSelect", "options": {"choices": [{"color": "red"}]}}]}]},
     "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "X", "tables": [{"name": "T", "fields": [
        {"name": "A", "type": "email", "options": {"x": 1}}]}]},
     "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "X", "tables": [{"name": "T", "fields": [{"name": "A", "type": "email"}],
                               "colour": "red"}]}, "INVALID_REQUEST_UNKNOWN"),
    ({"name": "X", "tables": "T"}, "INVALID_REQUEST_UNKNOWN"),
    ({"name": ["X"], "tables": [{"name": "T", "fields": [{"name": "A", "type": "email"}]}]},
     "INVALID_REQUEST_UNKNOWN"),
    ({"name": "X" * 300, "tables": [{"name": "T", "fields": [{"name": "A", "type": "email"}]}]},
     "INVALID_REQUEST_UNKNOWN"),
])
def test_create_base_refuses_bad_schemas(sandbox, body, kind):
    _error(sandbox.post("meta/bases", body), 422, kind)
    assert sandbox.get("meta/bases").json()["bases"] == [], "nothing half-made"


def test_create_table_and_links_get_their_other_side(sandbox, small):
    base = small["base"]
    made = sandbox.post(f"meta/bases/{base}/tables", {"name": "Projects", "fields": [
        {"name": "Title", "type": "singleLineText"},
        {"name": "Owners", "type": "multipleRecordLinks",
         "options": {"linkedTableId": small["people"]}},
        {"name": "Parent", "type": "multipleRecordLinks",
         "options": {"linkedTableId": "tblAAAAAAAAAAAAAA"}},
    ]})
    _error(made, 422, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE")
    made = sandbox.post(f"meta/bases/{base}/tables", {"name": "Projects", "fields": [
        {"name": "Title", "type": "singleLineText"},
        {"name": "Owners", "type": "multipleRecordLinks",
         "options": {"linkedTableId": small["people"]}},
    ]}).json()
    owners = _field(made, "Owners")
    people = _table(sandbox, base, "People")
    inverse = _field(people, "Projects")
    assert owners["options"]["inverseLinkFieldId"] == inverse["id"]
    assert inverse["options"] == {"linkedTableId": made["id"], "isReversed": False,
                                  "prefersSingleRecordLink": False,
                                  "inverseLinkFieldId": owners["id"]}
    _error(sandbox.post(f"meta/bases/{base}/tables", {"name": "projects", "fields": [
        {"name": "T", "type": "singleLineText"}]}), 422, "DUPLICATE_TABLE_NAME")


def test_update_table(sandbox, small):
    path = f"meta/bases/{small['base']}/tables/{small['teams']}"
    body = sandbox.patch(path, {"name": "Squads", "description": "who works with whom"}).json()
    assert (body["name"], body["description"]) == ("Squads", "who works with whom")
    assert sandbox.get(f"{small['base']}/Squads").status_code == 200
    _error(sandbox.patch(path, {"name": "People"}), 422, "DUPLICATE_TABLE_NAME")
    _error(sandbox.patch(path, {"primaryFieldId": "fldX"}), 422, "INVALID_REQUEST_UNKNOWN")
    _error(sandbox.patch(f"meta/bases/{small['base']}/tables/tblAAAAAAAAAAAAAA", {"name": "Q"}),
           403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")


def test_rename_field_keeps_values_and_formulas(sandbox, small):
    base, fields = small["base"], small["fields"]
    sandbox.post(f"{base}/People", {"fields": {"Name": "Ada", "Age": 36}})
    path = f"meta/bases/{base}/tables/{small['people']}/fields/{fields['People.Age']}"
    renamed = sandbox.patch(path, {"name": "Years", "description": "in years"}).json()
    assert renamed == {"id": fields["People.Age"], "name": "Years", "type": "number",
                       "description": "in years", "options": {"precision": 0}}
    record = sandbox.get(f"{base}/People").json()["records"][0]["fields"]
    assert record["Years"] == 36 and record["Label"] == "Ada (36) of "
    label = _field(_table(sandbox, base, "People"), "Label")
    assert label["options"]["formula"] == (
        f"{{{fields['People.Name']}}} & ' (' & {{{fields['People.Age']}}} & ') of ' & "
        f"{{{fields['People.Team']}}}")
    assert sandbox.post(f"{base}/People", {"fields": {"Years": 2}}).status_code == 200
    _error(sandbox.patch(path, {"name": "Name"}), 422, "DUPLICATE_OR_EMPTY_FIELD_NAME")
    _error(sandbox.patch(path, {"type": "singleLineText"}), 422, "INVALID_REQUEST_UNKNOWN")
    _error(sandbox.patch(f"meta/bases/{base}/tables/{small['people']}/fields/fldAAAAAAAAAAAAAA",
                         {"name": "Z"}), 403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")


def test_computed_fields_are_filled_when_made(sandbox, small):
    base = small["base"]
    sandbox.post(f"{base}/People", {"records": [{"fields": {"Name": "Ada", "Age": 36}},
                                                {"fields": {"Name": "Bob"}}]})
    path = f"meta/bases/{base}/tables/{small['people']}/fields"
    double = sandbox.post(path, {"name": "Double", "type": "formula",
                                 "options": {"formula": "{Age} * 2"}}).json()
    assert double["options"]["result"] == {"type": "number", "options": {"precision": 0}}
    assert double["options"]["referencedFieldIds"] == [small["fields"]["People.Age"]]
    assert double["options"]["isValid"] is True
    when = sandbox.post(path, {"name": "When made", "type": "formula",
                               "options": {"formula": "CREATED_TIME()"}}).json()
    assert when["options"]["result"]["type"] == "dateTime"
    records = sandbox.get(f"{base}/People").json()["records"]
    assert records[0]["fields"]["Double"] == 72 and records[1]["fields"]["Double"] == 0
    assert records[0]["fields"]["When made"] == records[0]["createdTime"]


@pytest.mark.parametrize(("spec", "kind"), [
    ({"name": "F", "type": "formula", "options": {"formula": "{Nope} + 1"}},
     "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "F", "type": "formula", "options": {"formula": "1 +"}},
     "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "F", "type": "formula"}, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "F", "type": "multipleLookupValues", "options": {"recordLinkFieldId": "fldX"}},
     "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "F", "type": "count", "options": {}}, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
    ({"name": "F", "type": "button"}, "UNSUPPORTED_FIELD_TYPE_FOR_CREATE"),
    ({"name": "Name", "type": "email"}, "DUPLICATE_OR_EMPTY_FIELD_NAME"),
    ({"name": "  ", "type": "email"}, "INVALID_REQUEST_UNKNOWN"),
    ({"type": "email"}, "INVALID_REQUEST_UNKNOWN"),
    ({"name": "F"}, "INVALID_REQUEST_UNKNOWN"),
    ({"name": "F", "type": 5}, "INVALID_REQUEST_UNKNOWN"),
])
def test_create_field_refuses_bad_fields(sandbox, small, spec, kind):
    _error(sandbox.post(f"meta/bases/{small['base']}/tables/{small['people']}/fields", spec),
           422, kind)


def test_formulas_read_formulas_lookups_and_links(sandbox, small):
    base = small["base"]
    team = sandbox.post(f"{base}/Teams", {"fields": {"Name": "Red"}}).json()["id"]
    sandbox.post(f"{base}/People", {"fields": {"Name": "Ada", "Age": 30, "Team": [team]}})
    teams = f"meta/bases/{base}/tables/{small['teams']}/fields"
    one = sandbox.post(teams, {"name": "One", "type": "formula",
                               "options": {"formula": "{Total age} + 1"}}).json()
    two = sandbox.post(teams, {"name": "Two", "type": "formula",
                               "options": {"formula": "One * 2 & ' ' & {Member names}"}})
    assert two.json()["options"]["referencedFieldIds"] == [
        one["id"], small["fields"]["Teams.Member names"]]
    assert sandbox.get(f"{base}/Teams/{team}").json()["fields"]["Two"] == "62 Ada"
    sandbox.post(f"{base}/People", {"fields": {"Name": "Bo", "Age": 10, "Team": [team]}})
    assert sandbox.get(f"{base}/Teams/{team}").json()["fields"]["Two"] == "82 Ada, Bo"


def test_visible_field_ids(sandbox, small):
    plain = sandbox.get(f"meta/bases/{small['base']}/tables").json()
    assert "visibleFieldIds" not in plain["tables"][0]["views"][0]
    body = sandbox.get(f"meta/bases/{small['base']}/tables",
                       **{"include[]": "visibleFieldIds"}).json()
    table = body["tables"][0]
    assert table["views"][0]["visibleFieldIds"] == [field["id"] for field in table["fields"]]


def test_meta_needs_a_token(small):
    anonymous = SandboxClient(None)
    for response in (anonymous.get("meta/whoami"), anonymous.get("meta/bases"),
                     anonymous.get(f"meta/bases/{small['base']}/tables")):
        _error(response, 401, "AUTHENTICATION_REQUIRED")


BAD_BODIES = ["{", "[]", "1", '{"name": null}', '{"name": {"x": 1}}', '{"fields": 5}',
              '{"name": "N", "type": "formula", "options": {"formula": 5}}',
              '{"name": "N", "type": "multipleRecordLinks", "options": {"linkedTableId": []}}',
              '{"name": "N", "type": "rollup", "options": {"recordLinkFieldId": {}}}',
              '{"name": "N", "type": "dateTime", "options": {"timeZone": 3}}',
              '{"name": "N", "type": "dateTime", "options": {"dateFormat": "iso"}}',
              '{"name": "N", "type": "singleSelect", "options": {"choices": "a,b"}}',
              '{"name": "N", "type": "rating", "options": {"max": "5"}}',
              '{"name": "T", "fields": [5]}', '{"name": "T", "fields": [{"name": "A"}]}',
              '{"description": ["x"]}', '{"name": "T", "tables": [[]]}']


@pytest.mark.parametrize("raw", BAD_BODIES)
def test_meta_bad_bodies_are_4xx_never_500(sandbox, small, raw):
    base, table = small["base"], small["people"]
    field = small["fields"]["People.Age"]
    for method, path in (("post", "meta/bases"), ("post", f"meta/bases/{base}/tables"),
                         ("patch", f"meta/bases/{base}/tables/{table}"),
                         ("post", f"meta/bases/{base}/tables/{table}/fields"),
                         ("patch", f"meta/bases/{base}/tables/{table}/fields/{field}")):
        response = getattr(sandbox, method)(path, raw=raw)
        assert 400 <= response.status_code < 500, (method, path, raw, response.content)
        assert "error" in response.json()
