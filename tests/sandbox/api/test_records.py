"""Records endpoints in-process: every list parameter, writes, links and their errors."""

from __future__ import annotations

import re
import time

import pytest
from django_redis import get_redis_connection

OFFSET = re.compile(r"itr[A-Za-z0-9]{14}/rec[A-Za-z0-9]{14}")


def _error(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"]["type"] == kind, body
    return body


@pytest.fixture
def people(sandbox, small):
    """Two teams and five people in the small base: (team ids, person ids)."""
    base = small["base"]
    teams = sandbox.post(f"{base}/Teams", {"records": [
        {"fields": {"Name": "Red"}}, {"fields": {"Name": "Blue"}}]}).json()["records"]
    red, blue = teams[0]["id"], teams[1]["id"]
    rows = [("Ada", 36, "Lead", [red]), ("Bob", 25, "Junior", [red]),
            ("Cy", 41, "Senior", [blue]), ("Di", 25, "Senior", []), ("Ed", None, None, [blue])]
    records = []
    for name, age, level, team in rows:
        fields = {"Name": name, "Team": team}
        if age is not None:
            fields["Age"] = age
        if level:
            fields["Level"] = level
        records.append(fields)
    made = sandbox.post(f"{base}/People", {"records": [{"fields": f} for f in records]})
    assert made.status_code == 200, made.json()
    return [red, blue], [record["id"] for record in made.json()["records"]]


def _names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [record["fields"].get("Name") for record in response.json()["records"]]


# --- listing -------------------------------------------------------------------------


def test_list_in_creation_order_with_airtable_record_shape(sandbox, small, people):
    body = sandbox.get(f"{small['base']}/People").json()
    assert [r["fields"]["Name"] for r in body["records"]] == ["Ada", "Bob", "Cy", "Di", "Ed"]
    first = body["records"][0]
    assert set(first) == {"id", "createdTime", "fields"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["createdTime"])
    assert "offset" not in body
    assert "Active" not in first["fields"], "empty fields are left out"


def test_page_size_and_offset(sandbox, small, people):
    path = f"{small['base']}/People"
    first = sandbox.get(path, pageSize=2).json()
    assert OFFSET.fullmatch(first["offset"])
    second = sandbox.get(path, pageSize=2, offset=first["offset"]).json()
    third = sandbox.get(path, pageSize=2, offset=second["offset"]).json()
    assert [len(page["records"]) for page in (first, second, third)] == [2, 2, 1]
    assert "offset" not in third
    ids = [r["id"] for page in (first, second, third) for r in page["records"]]
    assert ids == people[1]


def test_pages_keep_the_first_requests_order_but_show_current_values(sandbox, small, people):
    base, (_ada, _bob, cy, di, _ed) = small["base"], people[1]
    first = sandbox.get(f"{base}/People", pageSize=2, **{"sort[0][field]": "Name"}).json()
    sandbox.post(f"{base}/People", {"fields": {"Name": "Aaron"}})
    sandbox.patch(f"{base}/People/{di}", {"fields": {"Name": "Zed"}})
    sandbox.delete(f"{base}/People/{cy}")
    rest = sandbox.get(f"{base}/People", pageSize=10, offset=first["offset"]).json()
    assert [r["fields"]["Name"] for r in rest["records"]] == ["Zed", "Ed"]


def test_max_records(sandbox, small, people):
    path = f"{small['base']}/People"
    assert _names(sandbox.get(path, maxRecords=3)) == ["Ada", "Bob", "Cy"]
    paged = sandbox.get(path, maxRecords=3, pageSize=2).json()
    rest = sandbox.get(path, maxRecords=3, pageSize=2, offset=paged["offset"]).json()
    assert len(paged["records"]) + len(rest["records"]) == 3 and "offset" not in rest


def test_fields_limits_what_is_shown(sandbox, small, people):
    body = sandbox.get(f"{small['base']}/People", **{"fields[]": ["Name", "Level"]}).json()
    assert body["records"][0]["fields"] == {"Name": "Ada", "Level": "Lead"}
    assert body["records"][4]["fields"] == {"Name": "Ed"}


def test_sort_by_several_fields_and_select_order(sandbox, small, people):
    path = f"{small['base']}/People"
    by_age = sandbox.get(path, **{"sort[0][field]": "Age", "sort[0][direction]": "desc",
                                  "sort[1][field]": "Name", "sort[1][direction]": "desc"})
    assert _names(by_age) == ["Cy", "Ada", "Di", "Bob", "Ed"]
    by_level = sandbox.get(path, **{"sort[0][field]": "Level"})
    assert _names(by_level) == ["Ed", "Bob", "Cy", "Di", "Ada"], "choices sort in their order"


def test_filter_by_formula(sandbox, small, people):
    path = f"{small['base']}/People"
    assert _names(sandbox.get(path, filterByFormula="{Age} > 30")) == ["Ada", "Cy"]
    assert _names(sandbox.get(path, filterByFormula="AND({Level} = 'Senior', {Age} < 30)")) \
        == ["Di"]
    assert _names(sandbox.get(path, filterByFormula="{Team} = 'Blue'")) == ["Cy", "Ed"]
    assert _names(sandbox.get(path, filterByFormula="NOT({Age})")) == ["Ed"]
    assert _names(sandbox.get(path, filterByFormula="FIND('Red', {Label})")) == ["Ada", "Bob"]
    assert _names(sandbox.get(path, filterByFormula="")) == ["Ada", "Bob", "Cy", "Di", "Ed"]
    ada = people[1][0]
    assert _names(sandbox.get(path, filterByFormula=f"RECORD_ID() = '{ada}'")) == ["Ada"]


def test_filter_on_computed_fields_of_linked_tables(sandbox, small, people):
    path = f"{small['base']}/Teams"
    assert _names(sandbox.get(path, filterByFormula="{Total age} > 50")) == ["Red"]
    assert _names(sandbox.get(path, filterByFormula="{Size} = 2")) == ["Red", "Blue"]


def test_bad_filter_formulas(sandbox, small, people):
    path = f"{small['base']}/People"
    body = _error(sandbox.get(path, filterByFormula="{Nope} = 1"), 422,
                  "INVALID_FILTER_BY_FORMULA")
    assert body["error"]["message"].startswith("The formula for filtering records is invalid")
    _error(sandbox.get(path, filterByFormula="AND(1,"), 422, "INVALID_FILTER_BY_FORMULA")
    _error(sandbox.get(path, filterByFormula="NOSUCHFUNCTION(1)"), 422,
           "INVALID_FILTER_BY_FORMULA")
    _error(sandbox.get(path, filterByFormula="(" * 5000), 422, "INVALID_FILTER_BY_FORMULA")
    failing = sandbox.get(path, filterByFormula="SET_TIMEZONE(NOW(), REPT('a', 5000))")
    assert failing.json() == {"records": []}, "a formula failing on every record matches none"


def test_return_fields_by_field_id_and_record_metadata(sandbox, small, people):
    fields = small["fields"]
    body = sandbox.get(f"{small['base']}/People", returnFieldsByFieldId="true",
                       **{"recordMetadata[]": "commentCount"}).json()
    assert body["records"][0]["fields"][fields["People.Name"]] == "Ada"
    assert body["records"][0]["commentCount"] == 0


def test_cell_format_string(sandbox, small, people):
    path = f"{small['base']}/People"
    _error(sandbox.get(path, cellFormat="string"), 422, "INVALID_REQUEST_UNKNOWN")
    body = sandbox.get(path, cellFormat="string", timeZone="America/New_York",
                       userLocale="en-us").json()
    assert body["records"][0]["fields"]["Team"] == "Red"
    assert body["records"][0]["fields"]["Age"] == "36"
    _error(sandbox.get(path, cellFormat="string", timeZone="Mars/Olympus", userLocale="en"),
           422, "INVALID_REQUEST_UNKNOWN")
    _error(sandbox.get(path, cellFormat="xml"), 422, "INVALID_REQUEST_UNKNOWN")
    _error(sandbox.get(path, cellFormat="string", timeZone="a" * 5000, userLocale="en"),
           422, "INVALID_REQUEST_UNKNOWN")


@pytest.mark.parametrize("zone", ["utc", "client"])
def test_airtables_own_time_zone_names_are_accepted(sandbox, small, people, zone):
    body = sandbox.get(f"{small['base']}/People", cellFormat="string", timeZone=zone,
                       userLocale="en-us")
    assert body.status_code == 200, body.content
    assert body.json()["records"][0]["fields"]["Name"] == "Ada"


def test_long_formulas_are_accepted_in_the_list_records_body(sandbox, small, people):
    formula = "OR(" + ", ".join(["{Name} = 'Cy'"] * 1200) + ")"
    assert len(formula) > 16_000
    body = sandbox.post(f"{small['base']}/People/listRecords", {"filterByFormula": formula})
    assert body.status_code == 200, body.content
    assert [record["fields"]["Name"] for record in body.json()["records"]] == ["Cy"]
    _error(sandbox.get(f"{small['base']}/People", filterByFormula=formula), 422,
           "INVALID_REQUEST_UNKNOWN")


def test_fields_may_be_named_by_id_in_formulas(sandbox, small, people):
    age = small["fields"]["People.Age"]
    body = sandbox.get(f"{small['base']}/People", filterByFormula=f"{{{age}}} = 25",
                       **{"sort[0][field]": "Name"}).json()
    assert [record["fields"]["Name"] for record in body["records"]] == ["Bob", "Di"]


def test_view_is_checked_then_ignored(sandbox, small, people):
    path = f"{small['base']}/People"
    assert len(sandbox.get(path, view="Grid view").json()["records"]) == 5
    _error(sandbox.get(path, view="Kanban of doom"), 422, "VIEW_NAME_NOT_FOUND")


def test_list_records_by_post(sandbox, small, people):
    path = f"{small['base']}/People/listRecords"
    body = sandbox.post(path, {"pageSize": 2, "fields": ["Name"], "filterByFormula": "{Age}",
                               "sort": [{"field": "Age", "direction": "desc"}]}).json()
    assert [r["fields"] for r in body["records"]] == [{"Name": "Cy"}, {"Name": "Ada"}]
    rest = sandbox.post(path, {"pageSize": 2, "offset": body["offset"]}).json()
    assert [r["fields"]["Name"] for r in rest["records"]] == ["Bob", "Di"]
    by_id = sandbox.post(path, {"returnFieldsByFieldId": True, "maxRecords": 1}).json()
    assert small["fields"]["People.Name"] in by_id["records"][0]["fields"]
    _error(sandbox.post(path, {"pageSize": 2, "colour": "red"}), 422, "INVALID_REQUEST_UNKNOWN")
    _error(sandbox.post(path, {"sort": "Name"}), 422, "INVALID_REQUEST_UNKNOWN")


def test_offsets_that_do_not_work(sandbox, small, people):
    path = f"{small['base']}/People"
    _error(sandbox.get(path, offset="page2"), 422, "INVALID_OFFSET_VALUE")
    offset = sandbox.get(path, pageSize=1).json()["offset"]
    _error(sandbox.get(f"{small['base']}/Teams", offset=offset), 422,
           "LIST_RECORDS_ITERATOR_NOT_AVAILABLE")
    get_redis_connection("default").flushdb()
    _error(sandbox.get(path, offset=offset), 422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE")


@pytest.mark.parametrize("params", [
    {"pageSize": "0"}, {"pageSize": "101"}, {"pageSize": "100000000000"}, {"pageSize": "ten"},
    {"pageSize": "-1"}, {"maxRecords": "0"}, {"maxRecords": "many"},
    {"returnFieldsByFieldId": "maybe"}, {"recordMetadata[]": "likes"},
    {"sort[0][field]": "Name", "sort[0][direction]": "sideways"},
    {"sort[0][direction]": "asc"},
])
def test_bad_list_parameters(sandbox, small, people, params):
    _error(sandbox.get(f"{small['base']}/People", **params), 422, "INVALID_REQUEST_UNKNOWN")


def test_unknown_fields_in_parameters(sandbox, small, people):
    path = f"{small['base']}/People"
    body = _error(sandbox.get(path, **{"fields[]": "Nope"}), 422, "UNKNOWN_FIELD_NAME")
    assert body["error"]["message"] == 'Unknown field name: "Nope"'
    _error(sandbox.get(path, **{"sort[0][field]": "Nope"}), 422, "UNKNOWN_FIELD_NAME")


def test_unknown_query_parameters_are_ignored(sandbox, small, people):
    assert len(sandbox.get(f"{small['base']}/People", colour="red").json()["records"]) == 5


def test_table_by_id_or_name(sandbox, small, people):
    by_id = sandbox.get(f"{small['base']}/{small['people']}").json()
    assert by_id == sandbox.get(f"{small['base']}/People").json()


# --- one record ------------------------------------------------------------------------


def test_get_one_record(sandbox, small, people):
    base, ada = small["base"], people[1][0]
    record = sandbox.get(f"{base}/People/{ada}").json()
    assert record["fields"]["Name"] == "Ada" and record["id"] == ada
    assert small["fields"]["People.Name"] in sandbox.get(
        f"{base}/People/{ada}", returnFieldsByFieldId="1").json()["fields"]
    _error(sandbox.get(f"{base}/People/recAAAAAAAAAAAAAA"), 404, "MODEL_ID_NOT_FOUND")
    _error(sandbox.get(f"{base}/People/not-a-record"), 404, "MODEL_ID_NOT_FOUND")
    _error(sandbox.get(f"{base}/Teams/{ada}"), 404, "MODEL_ID_NOT_FOUND")


# --- writes ----------------------------------------------------------------------------


def test_create_one_and_many(sandbox, small):
    base = small["base"]
    one = sandbox.post(f"{base}/People", {"fields": {"Name": "Solo", "Age": 3}}).json()
    assert one["fields"]["Name"] == "Solo" and one["id"].startswith("rec")
    many = sandbox.post(f"{base}/People", {"records": [{"fields": {"Name": "A"}},
                                                       {"fields": {}}]}).json()
    assert [r["fields"].get("Name") for r in many["records"]] == ["A", None]
    by_id = sandbox.post(f"{base}/People", {"fields": {"Name": "Ids"},
                                            "returnFieldsByFieldId": True}).json()
    assert by_id["fields"][small["fields"]["People.Name"]] == "Ids"
    field_key = sandbox.post(f"{base}/People", {"fields": {
        small["fields"]["People.Age"]: 7}}).json()
    assert field_key["fields"]["Age"] == 7


def test_empty_values_are_not_stored(sandbox, small):
    record = sandbox.post(f"{small['base']}/People", {"fields": {
        "Name": "", "Skills": [], "Active": False, "Age": None}}).json()
    assert record["fields"] == {"Label": " () of "}


def test_batches_are_at_most_ten(sandbox, small):
    path = f"{small['base']}/People"
    _error(sandbox.post(path, {"records": [{"fields": {}}] * 11}), 422, "INVALID_RECORDS")
    _error(sandbox.post(path, {"records": []}), 422, "INVALID_RECORDS")
    _error(sandbox.patch(path, {"records": [{"id": "recAAAAAAAAAAAAAA", "fields": {}}] * 11}),
           422, "INVALID_RECORDS")
    ids = [f"recAAAAAAAAAAAAA{i}" for i in range(10)] + ["recAAAAAAAAAAAAAB"]
    _error(sandbox.delete(path, **{"records[]": ids}), 422, "INVALID_RECORDS")


def test_update_merges_and_put_replaces(sandbox, small, people):
    base, ada = small["base"], people[1][0]
    patched = sandbox.patch(f"{base}/People/{ada}", {"fields": {"Age": 37}}).json()
    assert patched["fields"]["Age"] == 37 and patched["fields"]["Level"] == "Lead"
    put = sandbox.put(f"{base}/People/{ada}", {"fields": {"Name": "Ada L."}}).json()
    assert put["fields"] == {"Name": "Ada L.", "Label": "Ada L. () of "}
    batch = sandbox.patch(f"{base}/People", {"records": [
        {"id": people[1][1], "fields": {"Age": 26}}, {"id": people[1][2], "fields": {"Age": 42}}]})
    assert [r["fields"]["Age"] for r in batch.json()["records"]] == [26, 42]
    _error(sandbox.patch(f"{base}/People/recAAAAAAAAAAAAAA", {"fields": {}}), 404,
           "MODEL_ID_NOT_FOUND")
    _error(sandbox.patch(f"{base}/People", {"records": [{"fields": {"Age": 1}}]}), 422,
           "INVALID_REQUEST_UNKNOWN")


def test_upsert(sandbox, small, people):
    path = f"{small['base']}/People"
    body = sandbox.patch(path, {"performUpsert": {"fieldsToMergeOn": ["Name"]}, "records": [
        {"fields": {"Name": "Ada", "Age": 99}}, {"fields": {"Name": "New", "Age": 1}},
        {"id": people[1][1], "fields": {"Age": 55}}]}).json()
    assert body["updatedRecords"] == [people[1][0], people[1][1]]
    assert len(body["createdRecords"]) == 1
    assert [r["fields"]["Age"] for r in body["records"]] == [99, 1, 55]
    assert body["records"][0]["fields"]["Level"] == "Lead", "PATCH upsert merges"
    replaced = sandbox.put(path, {"performUpsert": {"fieldsToMergeOn": ["Name", "Age"]},
                                  "records": [{"fields": {"Name": "Cy", "Age": 41}}]}).json()
    assert replaced["updatedRecords"] == [people[1][2]]
    assert "Level" not in replaced["records"][0]["fields"], "PUT upsert replaces"

    sandbox.post(path, {"fields": {"Name": "Twin"}})
    sandbox.post(path, {"fields": {"Name": "Twin"}})
    _error(sandbox.patch(path, {"performUpsert": {"fieldsToMergeOn": ["Name"]},
                                "records": [{"fields": {"Name": "Twin"}}]}), 422,
           "INVALID_RECORDS")
    _error(sandbox.patch(path, {"performUpsert": {"fieldsToMergeOn": ["Name"]},
                                "records": [{"fields": {"Age": 3}}]}), 422, "INVALID_RECORDS")
    _error(sandbox.patch(path, {"performUpsert": {"fieldsToMergeOn": ["Nope"]},
                                "records": [{"fields": {"Age": 3}}]}), 422,
           "UNKNOWN_FIELD_NAME")
    _error(sandbox.patch(path, {"performUpsert": {"fieldsToMergeOn": []},
                                "records": [{"fields": {"Age": 3}}]}), 422,
           "INVALID_REQUEST_UNKNOWN")


def test_delete_one_and_many(sandbox, small, people):
    base, ids = small["base"], people[1]
    assert sandbox.delete(f"{base}/People/{ids[0]}").json() == {"id": ids[0], "deleted": True}
    body = sandbox.delete(f"{base}/People", **{"records[]": ids[1:3]}).json()
    assert body == {"records": [{"id": ids[1], "deleted": True},
                                {"id": ids[2], "deleted": True}]}
    assert _names(sandbox.get(f"{base}/People")) == ["Di", "Ed"]
    _error(sandbox.delete(f"{base}/People", **{"records[]": [ids[3], ids[0]]}), 404,
           "MODEL_ID_NOT_FOUND")
    assert _names(sandbox.get(f"{base}/People")) == ["Di", "Ed"], "all or nothing"


def test_writing_computed_or_unknown_fields(sandbox, small, people):
    base, red = small["base"], people[0][0]
    body = _error(sandbox.patch(f"{base}/Teams/{red}", {"fields": {"Size": 3}}), 422,
                  "INVALID_VALUE_FOR_COLUMN")
    assert body["error"]["message"] == 'Field "Size" cannot accept a value because the field ' \
                                       "is computed"
    _error(sandbox.post(f"{base}/People", {"fields": {"Label": "x"}}), 422,
           "INVALID_VALUE_FOR_COLUMN")
    _error(sandbox.post(f"{base}/People", {"fields": {"Shoe size": 9}}), 422,
           "UNKNOWN_FIELD_NAME")


@pytest.mark.parametrize(("fields", "kind"), [
    ({"Age": "forty"}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Age": True}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Age": 1e300}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Name": 12}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Name": "x" * 100_001}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Level": "Boss"}, "INVALID_MULTIPLE_CHOICE_OPTIONS"),
    ({"Level": ["Lead"]}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Skills": "Python"}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Born": "yesterday"}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Born": 20240101}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Active": "yes"}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Team": "Red"}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Team": ["Red"]}, "INVALID_VALUE_FOR_COLUMN"),
    ({"Team": ["recAAAAAAAAAAAAAA"]}, "ROW_DOES_NOT_EXIST"),
    ({"Team": [{"id": "recAAAAAAAAAAAAAA"}]}, "INVALID_VALUE_FOR_COLUMN"),
])
def test_values_of_the_wrong_shape(sandbox, small, fields, kind):
    _error(sandbox.post(f"{small['base']}/People", {"fields": fields}), 422, kind)


def test_typecast(sandbox, small, people):
    base = small["base"]
    record = sandbox.post(f"{base}/People", {"typecast": True, "fields": {
        "Name": 12, "Age": "41", "Level": "Boss", "Skills": "Python, Go", "Born": "2/29/2000",
        "Active": "yes", "Team": ["Red", "Green"]}}).json()
    fields = record["fields"]
    assert (fields["Name"], fields["Age"], fields["Level"]) == ("12", 41, "Boss")
    assert fields["Skills"] == ["Python", "Go"] and fields["Born"] == "2000-02-29"
    assert fields["Active"] is True
    teams = {r["fields"]["Name"]: r for r in sandbox.get(f"{base}/Teams").json()["records"]}
    assert fields["Team"] == [teams["Red"]["id"], teams["Green"]["id"]]
    assert teams["Green"]["fields"]["People"] == [record["id"]], "made by typecast, linked back"
    level = next(f for t in sandbox.get(f"meta/bases/{base}/tables").json()["tables"]
                 for f in t["fields"] if f["name"] == "Level")
    assert [c["name"] for c in level["options"]["choices"]] == ["Junior", "Senior", "Lead", "Boss"]


def test_links_are_kept_on_both_sides(sandbox, small, people):
    base, (red, blue), (ada, *_rest) = small["base"], *people
    sandbox.patch(f"{base}/People/{ada}", {"fields": {"Team": [blue]}})
    teams = {r["id"]: r["fields"] for r in sandbox.get(f"{base}/Teams").json()["records"]}
    assert ada not in teams[red]["People"] and ada in teams[blue]["People"]
    assert teams[red]["Size"] == 1 and teams[blue]["Size"] == 3
    sandbox.patch(f"{base}/Teams/{red}", {"fields": {"People": [ada]}})
    ada_record = sandbox.get(f"{base}/People/{ada}").json()
    assert ada_record["fields"]["Team"] == [blue, red]
    sandbox.delete(f"{base}/Teams/{blue}")
    assert sandbox.get(f"{base}/People/{ada}").json()["fields"]["Team"] == [red]


def test_links_within_one_table_have_no_other_side(sandbox, small, people):
    base, (ada, bob, cy, *_rest) = small["base"], people[1]
    link = sandbox.post(f"meta/bases/{base}/tables/{small['people']}/fields", {
        "name": "Mentor", "type": "multipleRecordLinks",
        "options": {"linkedTableId": small["people"]}}).json()
    assert "inverseLinkFieldId" not in link["options"]
    sandbox.patch(f"{base}/People", {"records": [{"id": bob, "fields": {"Mentor": [ada]}},
                                                 {"id": cy, "fields": {"Mentor": [ada, bob]}}]})
    assert "Mentor" not in sandbox.get(f"{base}/People/{ada}").json()["fields"]
    sandbox.delete(f"{base}/People/{ada}")
    assert "Mentor" not in sandbox.get(f"{base}/People/{bob}").json()["fields"]
    assert sandbox.get(f"{base}/People/{cy}").json()["fields"]["Mentor"] == [bob]


def test_computed_values_follow_writes(sandbox, small, people):
    base, (red, _blue), (ada, bob, *_rest) = small["base"], *people
    team = sandbox.get(f"{base}/Teams/{red}").json()["fields"]
    assert (team["Size"], team["Total age"], team["Member names"]) == (2, 61, ["Ada", "Bob"])
    sandbox.patch(f"{base}/People/{bob}", {"fields": {"Age": 30, "Name": "Rob"}})
    team = sandbox.get(f"{base}/Teams/{red}").json()["fields"]
    assert (team["Total age"], team["Member names"]) == (66, ["Ada", "Rob"])
    assert sandbox.get(f"{base}/People/{ada}").json()["fields"]["Label"] == "Ada (36) of Red"
    sandbox.patch(f"{base}/Teams/{red}", {"fields": {"Name": "Crimson"}})
    assert sandbox.get(f"{base}/People/{ada}").json()["fields"]["Label"] == "Ada (36) of Crimson"
    sandbox.delete(f"{base}/People/{ada}")
    team = sandbox.get(f"{base}/Teams/{red}").json()["fields"]
    assert (team["Size"], team["Total age"]) == (1, 30)


def test_last_modified_time_moves_only_on_real_edits(sandbox, small, people):
    base, (ada, bob, *_rest) = small["base"], people[1]
    path = f"{base}/People"

    def modified(record_id):
        return sandbox.get(path, filterByFormula=f"RECORD_ID() = '{record_id}'",
                           **{"fields[]": "Name"}).json()["records"][0]

    stamp = sandbox.post(f"meta/bases/{base}/tables/{small['people']}/fields", {
        "name": "Touched", "type": "formula", "options": {"formula": "LAST_MODIFIED_TIME()"}})
    assert stamp.status_code == 200
    before = sandbox.get(f"{path}/{ada}").json()["fields"]["Touched"]
    sandbox.patch(f"{path}/{ada}", {"fields": {"Age": 36}})
    assert sandbox.get(f"{path}/{ada}").json()["fields"]["Touched"] == before
    sandbox.patch(f"{path}/{bob}", {"fields": {"Age": 31}})
    assert sandbox.get(f"{path}/{ada}").json()["fields"]["Touched"] == before, \
        "a computed change (Red's total age) does not touch Ada"
    time.sleep(0.002)
    sandbox.patch(f"{path}/{ada}", {"fields": {"Age": 37}})
    after = sandbox.get(f"{path}/{ada}").json()["fields"]["Touched"]
    assert after > before
    assert modified(ada)["id"] == ada
    assert _names(sandbox.get(path, filterByFormula=(
        f"IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE('{before}'))"))) == ["Ada", "Bob"]


# --- requests that are not understood ----------------------------------------------------


def test_authentication(small, people, sandbox):
    from tests.sandbox.conftest import SandboxClient

    path = f"{small['base']}/People"
    response = SandboxClient(None).get(path)
    assert response.status_code == 401
    assert response.json() == {"error": {"type": "AUTHENTICATION_REQUIRED",
                                         "message": "Authentication required"}}
    for wrong in ("patAAAAAAAAAAAAAA." + "0" * 64, "nonsense", "pat_platformkey"):
        assert SandboxClient(wrong).get(path).status_code == 401


def test_another_tokens_base_is_forbidden(small, people, demo_client):
    _error(demo_client.get(f"{small['base']}/People"), 403,
           "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
    _error(demo_client.post(f"{small['base']}/People", {"fields": {}}), 403,
           "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
    _error(demo_client.get(f"meta/bases/{small['base']}/tables"), 403,
           "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")


def test_unknown_routes_and_methods(sandbox, small, people):
    for response in (sandbox.client.get("/sandbox/airtable/v1/whatever"),
                     sandbox.get(f"{small['base']}/People/a/b"),
                     sandbox.post(f"{small['base']}/People/{people[1][0]}", {}),
                     sandbox.delete("meta/whoami"), sandbox.get("meta/nothing")):
        assert response.status_code == 404
        assert response.json() == {"error": "NOT_FOUND"}


def test_sandbox_token_passes_the_tenant_middleware(sandbox, small, people, team_a):
    """The tenant middleware reads the Bearer token as a JWT, fails, and moves on; a tenant
    host only adds that tenant's schema before public, where the sandbox's tables are."""
    response = sandbox.client.get(f"/sandbox/airtable/v0/{small['base']}/People",
                                  headers={**sandbox.headers, "Host": team_a.host})
    assert response.status_code == 200 and len(response.json()["records"]) == 5


@pytest.mark.parametrize("raw", [
    "{", "[]", '"text"', "null", '{"fields": []}', '{"fields": "x"}', '{"records": {}}',
    '{"records": [1]}', '{"records": [{"fields": {}, "id": 1}]}',
    '{"typecast": "yes", "fields": {}}',
    '{"fields": {"Age": NaN}}', '{"fields": {"Age": Infinity}}', "[" * 10000 + "]" * 10000,
    '{"fields": {"Name": "\\ud800"}}', b"\xff\xfe", '{"fields": {"\\u0000": 1}}',
    '{"fields": {"Name": "a\\u0000b"}}',
])
def test_bad_bodies_are_422_never_500(sandbox, small, raw):
    for method in ("post", "patch", "put"):
        response = getattr(sandbox, method)(f"{small['base']}/People", raw=raw)
        assert 400 <= response.status_code < 500, (method, raw, response.content)
        assert "error" in response.json()


def test_bad_record_ids_in_batches(sandbox, small, people):
    path = f"{small['base']}/People"
    for ids in ([1, 2], [None], ["x" * 5000]):
        response = sandbox.patch(path, {"records": [{"id": i, "fields": {}} for i in ids]})
        assert response.status_code in (404, 422)
    assert sandbox.delete(path, **{"records[]": "rec"}).status_code == 404
    _error(sandbox.delete(path), 422, "INVALID_RECORDS")


def test_unicode_names_and_values(sandbox, small):
    base = small["base"]
    made = sandbox.post(f"meta/bases/{base}/tables", {"name": "Équipe ☃", "fields": [
        {"name": "Nom 名前", "type": "singleLineText"}]})
    assert made.status_code == 200
    record = sandbox.post(f"{base}/Équipe ☃", {"fields": {"Nom 名前": "Zoë 🎉"}}).json()
    assert record["fields"] == {"Nom 名前": "Zoë 🎉"}
    assert _names_by(sandbox.get(f"{base}/Équipe ☃", filterByFormula="{Nom 名前} = 'Zoë 🎉'"),
                     "Nom 名前") == ["Zoë 🎉"]


def _names_by(response, field: str) -> list:
    return [record["fields"].get(field) for record in response.json()["records"]]


def test_request_too_large(sandbox, small):
    response = sandbox.post(f"{small['base']}/People",
                            raw='{"fields": {"Name": "' + "x" * (6 * 1024 * 1024) + '"}}')
    _error(response, 413, "REQUEST_TOO_LARGE")
