"""Bad input on every endpoint is a 400 problem+json, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

HUGE = "x" * 100_000
BAD_BODIES = [
    {},
    {"email": None, "password": None},
    {"email": 123, "password": ["a"], "tenant_name": {"a": 1}, "tenant_slug": 5},
    {"email": HUGE + "@example.com", "password": HUGE, "tenant_name": HUGE, "tenant_slug": HUGE},
    {"email": "ünïcødé@exämple.com", "password": "pässwörd-☃-long-enough", "tenant_name": "☃" * 50,
     "tenant_slug": "☃☃☃"},
    {"email": "a\x00b@example.com", "password": "x\x00y", "tenant_name": "\x00",
     "tenant_slug": "a\x00"},
    ["not", "an", "object"],
    "just a string",
    {"name": HUGE, "scopes": "write", "refresh": HUGE, "role": "emperor"},
    {"name": "", "scopes": ["admin"], "refresh": 12, "role": None},
    {"name": ["x"], "scopes": [None], "refresh": None, "email": "not-an-email"},
]
PUBLIC = ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh",
          "/api/v1/auth/logout"]
TENANT = ["/api/v1/api-keys", "/api/v1/members"]


def _assert_problem(response, path, body):
    assert response.status_code in (400, 401, 403, 409), (path, body, response.status_code,
                                                          response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail", "code"} <= problem.keys()
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize("path", PUBLIC)
@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_public_endpoints_refuse_bad_json(anon, path, body):
    _assert_problem(anon.post(path, body, format="json"), path, body)


@pytest.mark.parametrize("path", TENANT)
@pytest.mark.parametrize("body", BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_tenant_endpoints_refuse_bad_json(team_a, client_for, path, body):
    response = client_for(jwt=team_a.jwt()).post(path, body, format="json")
    _assert_problem(response, path, body)
    assert response.status_code == 400


@pytest.mark.parametrize("path", PUBLIC + TENANT)
def test_malformed_json_is_400(team_a, client_for, path):
    response = client_for(jwt=team_a.jwt()).generic(
        "POST", path, '{"email": "a@b.c", "password":', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "ERROR_MALFORMED_REQUEST"


def test_unknown_id_and_method(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    missing = client.delete("/api/v1/api-keys/999999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "ERROR_API_KEY_NOT_FOUND"
    assert client.put("/api/v1/members", {}, format="json").json()["code"] == \
        "ERROR_METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("page_size", ["abc", "0", "501", "-1", "2.5"])
def test_a_page_size_out_of_range_is_an_error(team_a, client_for, page_size):
    response = client_for(jwt=team_a.jwt()).get(f"/api/v1/api-keys?page_size={page_size}")
    assert response.status_code == 400
    assert response.json()["errors"] == {"page_size": ["A whole number from 1 to 500."]}


def test_a_cursor_that_names_no_page_is_a_404(team_a, client_for):
    response = client_for(jwt=team_a.jwt()).get("/api/v1/api-keys?page_size=5&cursor=abc")
    assert response.status_code == 404
    assert response.json()["code"] == "ERROR_CURSOR_INVALID"


def test_unknown_url_is_problem_json(anon):
    response = anon.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "ERROR_NOT_FOUND"
