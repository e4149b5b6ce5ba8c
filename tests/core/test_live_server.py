import httpx
import pytest

# The platform server needs the test database, which the django_db mark brings up.
pytestmark = pytest.mark.django_db


def test_platform_server_answers_over_http(platform_server):
    response = httpx.get(f"{platform_server.url}/health")
    assert response.json() == {"status": "ok"}
    readiness = httpx.get(f"{platform_server.url}/api/health")
    assert readiness.json()["checks"]["database"]["ok"] is True
