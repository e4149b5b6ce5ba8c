import pytest

pytestmark = pytest.mark.django_db


def test_create_key_shown_once_and_hashed(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    created = client.post("/api/v1/api-keys", {"name": "CI", "scopes": ["read", "write"]},
                          format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["key"].startswith("pat_")
    assert body["prefix"] == body["key"][:12]
    listed = client.get("/api/v1/api-keys").json()
    assert [k["name"] for k in listed["results"]] == ["CI"]
    assert "key" not in listed["results"][0]
    from apps.accounts.models import ApiKey

    stored = ApiKey.objects.get(pk=body["id"])
    assert body["key"] not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_key_authenticates_by_either_header(team_a, client_for, header):
    key = team_a.api_key(scopes=("read",))
    me = client_for(key=key, header=header).get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["auth"] == "api_key"
    assert me.json()["scopes"] == ["read"]


def test_revoked_key_stops_at_once(team_a, client_for):
    key = team_a.api_key()
    client = client_for(key=key)
    key_id = client.get("/api/v1/api-keys").json()["results"][0]["id"]
    assert client_for(jwt=team_a.jwt()).delete(f"/api/v1/api-keys/{key_id}").status_code == 204
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "ERROR_AUTHENTICATION_FAILED"


def test_read_only_key_cannot_write(team_a, client_for):
    client = client_for(key=team_a.api_key(scopes=("read",)))
    assert client.get("/api/v1/api-keys").status_code == 200
    response = client.post("/api/v1/api-keys", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_READ_ONLY"


def test_viewer_cannot_write(team_a, client_for):
    viewer = team_a.add_member("viewer@alpha.example.com", "viewer")
    from apps.accounts.services import tokens_issue

    client = client_for(jwt=tokens_issue(user=viewer, tenant=team_a.tenant)["access"])
    assert client.get("/api/v1/auth/me").json()["role"] == "viewer"
    response = client.post("/api/v1/api-keys", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_READ_ONLY"


def test_member_cannot_revoke_someone_elses_key(team_a, client_for):
    member = team_a.add_member("member@alpha.example.com", "member")
    from apps.accounts.services import tokens_issue

    owner_key_id = client_for(jwt=team_a.jwt()).post(
        "/api/v1/api-keys", {"name": "owner's"}, format="json").json()["id"]
    client = client_for(jwt=tokens_issue(user=member, tenant=team_a.tenant)["access"])
    response = client.delete(f"/api/v1/api-keys/{owner_key_id}")
    assert response.status_code == 403


def test_key_list_pages_with_cursor(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    for n in range(5):
        client.post("/api/v1/api-keys", {"name": f"k{n}"}, format="json")
    first = client.get("/api/v1/api-keys?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(f"/api/v1/api-keys?page_size=2&cursor={first['next']}").json()
    names = {k["name"] for k in first["results"]} | {k["name"] for k in second["results"]}
    assert len(names) == 4
