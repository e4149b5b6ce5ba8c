def test_health(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_me_with_jwt(team_a, client_for):
    response = client_for(jwt=team_a.jwt()).get("/api/v1/auth/me")
    assert response.status_code == 200, response.content
    assert response.json()["tenant"]["slug"] == "alpha"
