"""Tenant B's credentials never reach tenant A's members, keys or data."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha_state(team_a, client_for):
    client = client_for(jwt=team_a.jwt())
    key = client.post("/api/v1/api-keys", {"name": "alpha-secret-key"}, format="json").json()
    client.post("/api/v1/members", {"email": "alpha-member@example.com"}, format="json")
    return {"key_id": key["id"], "key": key["key"]}


def _credentials(team):
    return {"jwt": {"jwt": team.jwt()}, "api_key": {"key": team.api_key()},
            "x-api-key": {"key": team.api_key(), "header": "x-api-key"}}


@pytest.mark.parametrize("kind", ["jwt", "api_key", "x-api-key"])
def test_other_tenant_sees_only_its_own(alpha_state, team_a, team_b, client_for, kind):
    client = client_for(**_credentials(team_b)[kind])
    for path in ("/api/v1/auth/me", "/api/v1/api-keys", "/api/v1/members"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.content.decode()
        assert "alpha" not in body, path
        assert alpha_state["key"][:12] not in body
    deleted = client.delete(f"/api/v1/api-keys/{alpha_state['key_id']}")
    assert deleted.status_code == 404
    assert "alpha" not in deleted.content.decode()
    still = client_for(key=alpha_state["key"]).get("/api/v1/auth/me")
    assert still.status_code == 200


@pytest.mark.parametrize("kind", ["jwt", "api_key", "x-api-key"])
@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/api-keys", "/api/v1/members",
                                  "/api/v1/api-keys/1"])
def test_other_tenant_credential_on_this_tenant_host_is_403(alpha_state, team_a, team_b,
                                                            client_for, kind, path):
    client = client_for(host=team_a.host, **_credentials(team_b)[kind])
    method = client.delete if path.endswith("/1") else client.get
    response = method(path)
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_TENANT_MISMATCH"
    assert "alpha-secret-key" not in response.content.decode()


def test_host_alone_needs_a_credential(team_a, anon):
    response = anon.get("/api/v1/api-keys", HTTP_HOST=team_a.host)
    assert response.status_code == 401


def test_session_of_non_member_on_tenant_host_is_refused(team_a, team_b, client):
    client.force_login(team_b.owner)
    response = client.get("/api/v1/members", HTTP_HOST=team_a.host)
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_NOT_A_MEMBER"


def test_host_and_matching_credential_work(alpha_state, team_a, client_for):
    response = client_for(host=team_a.host, jwt=team_a.jwt()).get("/api/v1/api-keys")
    assert response.status_code == 200
    assert "alpha-secret-key" in response.content.decode()


def test_jwt_without_tenant_claim_gets_tenant_required(team_a, client_for):
    from rest_framework_simplejwt.tokens import AccessToken

    token = str(AccessToken.for_user(team_a.owner))
    response = client_for(jwt=token).get("/api/v1/api-keys")
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_TENANT_REQUIRED"


def test_removed_membership_loses_access(team_a, client_for):
    from apps.accounts.services import tokens_issue

    user = team_a.add_member("leaver@example.com", "member")
    jwt = tokens_issue(user=user, tenant=team_a.tenant)["access"]
    user.memberships.all().delete()
    response = client_for(jwt=jwt).get("/api/v1/api-keys")
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_NOT_A_MEMBER"


def test_deactivated_tenant_is_refused(team_a, client_for):
    from apps.tenants.services import tenant_deactivate

    jwt = team_a.jwt()
    tenant_deactivate(tenant=team_a.tenant)
    response = client_for(jwt=jwt).get("/api/v1/auth/me")
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_TENANT_INACTIVE"
