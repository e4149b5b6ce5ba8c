"""Low findings: deep JSON, an unreachable database or Redis, /metrics' token, logout
revoking access tokens."""

import json

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.core import handlers

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("path", [
    "/api/v1/mcp/tools/call",
    "/api/v1/airtable/bases/appAAAAAAAAAAAAAA/tables/Items/records",
])
def test_json_nested_thousands_deep_is_a_400_problem(team_a, client_for, path):
    answer = client_for(jwt=team_a.jwt()).generic(
        "POST", path, DEEP if "tools" not in path else
        json.dumps({"name": "whoami", "arguments": {}})[:-1] + ', "x": ' + DEEP + "}",
        content_type="application/json")
    assert answer.status_code == 400, answer.content[:300]
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "ERROR_MALFORMED_REQUEST"


@pytest.mark.parametrize(("error", "path", "code"), [
    (OperationalError("connection to server at 127.0.0.1 failed: Connection refused"),
     "/api/health", "ERROR_DATABASE_UNAVAILABLE"),
    (RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
     "/api/v1/airtable/bases/appX/sync", "ERROR_REDIS_UNAVAILABLE"),
], ids=["postgresql", "redis"])
def test_an_unreachable_dependency_is_a_503_problem_not_an_html_500(error, path, code):
    request = RequestFactory().get(path)
    try:
        raise error
    except type(error):
        answer = handlers.server_error(request)
    assert answer.status_code == 503
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["Retry-After"]
    assert json.loads(answer.content)["code"] == code


def test_health_answers_503_while_postgresql_is_down(db):
    from django.db import connection

    browser = Client(raise_request_exception=False)
    real = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "9"
    try:
        answer = browser.get("/api/health")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real
    assert answer.status_code == 503, answer.content[:300]
    assert not answer["Content-Type"].startswith("text/html")


def test_metrics_need_the_token_when_one_is_set(settings, db):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    browser = Client()
    assert browser.get("/metrics").status_code == 401
    assert browser.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    scraped = browser.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert scraped.status_code == 200
    assert b"django_http_requests" in scraped.content


def test_logout_stops_the_access_token_at_once(team_a, client_for, anon):
    tokens = team_a.tokens()
    client = client_for(jwt=tokens["access"])
    assert client.get("/api/v1/auth/me").status_code == 200
    assert anon.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]},
                     format="json").status_code == 204
    refused = client.get("/api/v1/auth/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "ERROR_AUTHENTICATION_FAILED"
    other = client_for(jwt=team_a.jwt())  # another sign-in of the same user still works
    assert other.get("/api/v1/auth/me").status_code == 200
