"""Health, metrics, OpenAPI, request ids and security headers."""

import pytest

from apps.core.services import worker_heartbeat_record

pytestmark = pytest.mark.django_db


def test_liveness_does_no_io(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health")
    assert response.json() == {"status": "ok"}


def test_readiness_is_degraded_without_worker_then_healthy(client):
    degraded = client.get("/api/health")
    assert degraded.status_code == 503
    body = degraded.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] and body["checks"]["redis"]["ok"]
    assert body["checks"]["storage"]["ok"]
    assert body["checks"]["workers"]["ok"] is False
    assert {"version", "timestamp"} <= body.keys()
    worker_heartbeat_record("worker-1")
    healthy = client.get("/api/health")
    assert healthy.status_code == 200
    assert healthy.json()["checks"]["workers"]["alive"] == 1


def test_metrics_are_prometheus_text(client):
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def test_openapi_documents_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/me",
                 "/api/v1/api-keys", "/api/v1/api-keys/{key_id}", "/api/v1/members"):
        assert path in paths, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation.get("responses")
            assert responses, (path, method)
            for status, response in responses.items():
                if status.startswith("2") and status != "204":
                    assert response.get("content"), (path, method, status)


def test_docs_page_serves_without_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def test_request_id_is_echoed_or_made(client):
    given = client.get("/health", HTTP_X_REQUEST_ID="abc-123")
    assert given["X-Request-ID"] == "abc-123"
    made = client.get("/health", HTTP_X_REQUEST_ID="bad id with spaces")
    assert len(made["X-Request-ID"]) == 32


def test_security_headers(client):
    response = client.get("/login")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_cors_allows_configured_origin_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = client.options("/api/v1/auth/login", HTTP_ORIGIN="https://app.example.com",
                             HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = client.options("/api/v1/auth/login", HTTP_ORIGIN="https://evil.example.com",
                           HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in other


def test_rate_limit_answers_429_with_retry_after(team_a, client_for, settings):
    key = team_a.api_key()
    client = client_for(key=key)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api_key": "3/min"}}
    answers = [client.get("/api/v1/auth/me") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == "ERROR_RATE_LIMITED"
    assert int(answers[-1]["Retry-After"]) > 0
    other_key = client_for(key=team_a.api_key())
    assert other_key.get("/api/v1/auth/me").status_code == 200


def test_login_is_throttled(anon, team_a, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/min"
    answers = [anon.post("/api/v1/auth/login", {"email": team_a.owner.email,
                                                "password": "wrong"}, format="json")
               for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert answers[-1].json()["code"] == "ERROR_RATE_LIMITED"
    assert int(answers[-1]["Retry-After"]) > 0


def test_operator_admin_on_public_host_hides_tenant_tables(admin_client):
    index = admin_client.get("/admin/")
    assert index.status_code == 200
    for model in ("toolcall", "syncjob", "file"):
        assert f"/{model}/" not in index.content.decode()
    assert admin_client.get("/admin/mcp/toolcall/").status_code in (403, 404)
