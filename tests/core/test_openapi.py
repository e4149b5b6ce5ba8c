"""The OpenAPI document lists each operation's problem+json answers by code, and
describes what operations answer instead of a bare object."""

import pytest

pytestmark = pytest.mark.django_db

RECORDS = "/api/v1/airtable/bases/{base_id}/tables/{table}/records"


@pytest.fixture(scope="module")
def document(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        answer = Client().get("/api/schema/", {"format": "json"})
    assert answer.status_code == 200
    return answer.json()


def _codes(operation: dict, status: str) -> list[str]:
    response = operation["responses"][status]
    assert response["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"}
    return response["x-problem-codes"]


def test_each_operation_lists_the_codes_it_can_answer(document):
    listing = document["paths"][RECORDS]["get"]
    assert "ERROR_BASE_NOT_FOUND" in _codes(listing, "404")
    assert "ERROR_TABLE_NOT_FOUND" in _codes(listing, "404")
    assert _codes(listing, "422") == ["ERROR_FORMULA_INVALID", "ERROR_QUERY_TIMEOUT",
                                      "ERROR_AIRTABLE_INVALID_REQUEST"]
    assert set(_codes(listing, "401")) == {"ERROR_AUTHENTICATION_REQUIRED",
                                           "ERROR_AUTHENTICATION_FAILED"}
    assert "ERROR_MULTIPLE_CREDENTIALS" in _codes(listing, "400")
    # Reading never answers ERROR_READ_ONLY; writing does.
    assert "ERROR_READ_ONLY" not in _codes(listing, "403")
    assert "ERROR_READ_ONLY" in _codes(document["paths"][RECORDS]["post"], "403")
    assert "ERROR_ROLE_REQUIRED" in _codes(
        document["paths"]["/api/v1/chat/settings"]["patch"], "403")
    problem = document["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(problem)
    # An open string: a code the client does not know yet is still a problem it can read.
    assert problem["code"] == {"type": "string"}


def test_what_the_framework_answers_itself_is_documented(document):
    detail = document["paths"]["/api/v1/files/{file_id}"]["get"]
    assert "ERROR_NOT_FOUND" in _codes(detail, "404")
    keys = document["paths"]["/api/v1/api-keys"]["get"]
    assert _codes(keys, "404") == ["ERROR_CURSOR_INVALID"]
    size = next(p for p in keys["parameters"] if p["name"] == "page_size")["schema"]
    assert (size["minimum"], size["maximum"]) == (1, 500)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "503" in operation["responses"], (method, path)
    login = document["paths"]["/api/v1/auth/login"]["post"]
    assert "ERROR_INVALID_CREDENTIALS" in _codes(login, "401")
    assert list(login["requestBody"]["content"]) == ["application/json"]


def test_every_authenticated_operation_documents_401_as_problem_json(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security") or {} in operation["security"]:
                continue
            assert "401" in operation["responses"], (method, path)
            assert "application/problem+json" in operation["responses"]["401"]["content"]


@pytest.mark.parametrize("prefix", ["/api/v1/airtable/", "/api/v1/chat/"])
def test_answers_are_described_not_bare_objects(document, prefix):
    for path, operations in document["paths"].items():
        if not path.startswith(prefix):
            continue
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith("2") or "content" not in response:
                    continue
                for media, body in response["content"].items():
                    schema = body.get("schema", {})
                    bare = schema.get("type") == "object" and not (
                        {"properties", "$ref", "allOf", "additionalProperties"} & set(schema))
                    assert not bare, (method, path, status, media)


def test_the_text_pattern_names_exactly_the_white_space_str_strip_removes():
    import re

    from apps.core.openapi import WHITE_SPACE

    listed = {chr(int(code, 16)) for code in re.findall(r"\\u([0-9a-f]{4})", WHITE_SPACE)}
    assert listed == {chr(code) for code in range(0x110000) if chr(code).isspace()}
