import pytest

from apps.accounts.services import tokens_issue

pytestmark = pytest.mark.django_db


def test_owner_adds_member_who_can_log_in(team_a, client_for, anon):
    client = client_for(jwt=team_a.jwt())
    response = client.post("/api/v1/members", {"email": "New@Alpha.example.com", "role": "admin",
                                               "password": "another-long-password-9"},
                           format="json")
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "new@alpha.example.com"
    emails = [m["email"] for m in client.get("/api/v1/members").json()["results"]]
    assert emails == [team_a.owner.email, "new@alpha.example.com"]
    login = anon.post("/api/v1/auth/login", {"email": "new@alpha.example.com",
                                             "password": "another-long-password-9"}, format="json")
    assert login.json()["tenant"]["slug"] == "alpha"


def test_adding_twice_conflicts(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    client.post("/api/v1/members", {"email": "x@example.com"}, format="json")
    again = client.post("/api/v1/members", {"email": "x@example.com"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "ERROR_MEMBERSHIP_EXISTS"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_add(team_a, client_for, role):
    user = team_a.add_member(f"{role}@alpha.example.com", role)
    client = client_for(jwt=tokens_issue(user=user, tenant=team_a.tenant)["access"])
    response = client.post("/api/v1/members", {"email": "y@example.com"}, format="json")
    assert response.status_code == 403


def test_admin_cannot_make_an_owner(team_a, client_for):
    admin = team_a.add_member("admin@alpha.example.com", "admin")
    client = client_for(jwt=tokens_issue(user=admin, tenant=team_a.tenant)["access"])
    response = client.post("/api/v1/members", {"email": "z@example.com", "role": "owner"},
                           format="json")
    assert response.status_code == 403
    ok = client.post("/api/v1/members", {"email": "z@example.com", "role": "member"},
                     format="json")
    assert ok.status_code == 201
