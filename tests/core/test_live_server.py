import httpx


def test_platform_server_answers_over_http(platform_server):
    response = httpx.get(f"{platform_server.url}/health")
    assert response.json() == {"status": "ok"}
    readiness = httpx.get(f"{platform_server.url}/api/health")
    assert readiness.json()["checks"]["database"]["ok"] is True
