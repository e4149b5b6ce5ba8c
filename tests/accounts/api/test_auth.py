"""Register, login, refresh, logout, me: the contract of API.md."""

import base64
import json
import statistics
import time

import pytest

from apps.accounts.models import User
from apps.tenants.selectors import tenant_get_by_slug
from tests.conftest import PASSWORD
from tests.support.signup import api_sign_up, confirm_token, outbox_to

pytestmark = pytest.mark.django_db


def register(client, slug="charlie", email="ann@charlie.example.com", password=PASSWORD):
    return client.post("/api/v1/auth/register", {
        "email": email, "password": password, "tenant_name": "Charlie Co", "tenant_slug": slug,
    }, format="json")


def sign_up(client, slug="charlie", email="ann@charlie.example.com"):
    return api_sign_up(client, email_address=email, password=PASSWORD,
                       tenant_name="Charlie Co", tenant_slug=slug)


def test_register_then_the_emailed_link_creates_user_tenant_and_tokens(anon, client_for):
    response = sign_up(anon)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "ann@charlie.example.com"
    assert body["tenant"]["slug"] == "charlie"
    me = client_for(jwt=body["access"]).get("/api/v1/auth/me").json()
    assert me["tenant"]["slug"] == "charlie"
    assert me["role"] == "owner"
    assert me["auth"] == "jwt"


def test_nothing_is_created_before_the_link_is_used(anon):
    assert register(anon).status_code == 202
    assert not User.objects.filter(email="ann@charlie.example.com").exists()
    assert tenant_get_by_slug("charlie") is None


def test_a_link_creates_the_account_once(anon):
    assert register(anon).status_code == 202
    token = confirm_token(outbox_to("ann@charlie.example.com")[-1])
    assert anon.post("/api/v1/auth/register/confirm", {"token": token},
                     format="json").status_code == 201
    again = anon.post("/api/v1/auth/register/confirm", {"token": token}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "ERROR_EMAIL_TAKEN"


def test_a_forged_or_altered_link_is_refused(anon):
    assert register(anon).status_code == 202
    token = confirm_token(outbox_to("ann@charlie.example.com")[-1])
    for bad in (token[:-2] + "xx", "not-a-token"):
        response = anon.post("/api/v1/auth/register/confirm", {"token": bad}, format="json")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "ERROR_SIGNUP_LINK_INVALID"


def test_register_does_not_say_whether_the_address_has_an_account(anon, team_a):
    """The same status and body for an address with an account and one without; only the
    mailbox learns which (a link, or a note to log in)."""
    taken = register(anon, email=team_a.owner.email, slug="charlie-one")
    new = register(anon, email="nobody@charlie.example.com", slug="charlie-two")
    assert taken.status_code == new.status_code == 202
    assert (taken.json() | {"email": ""}) == (new.json() | {"email": ""})
    assert confirm_token(outbox_to("nobody@charlie.example.com")[-1])
    note = outbox_to(team_a.owner.email)[-1]
    assert confirm_token(note) is None
    assert "/login" in note and "/password/reset" in note


def test_register_takes_about_as_long_with_or_without_an_account(anon, team_a):
    """Both paths hash the password and send one message; the median times of interleaved
    requests stay within a factor of three (before, a known address answered 409 at once
    and a new one waited for its tenant's schema)."""
    timings = {"taken": [], "new": []}
    for index in range(7):
        for kind, address in (("taken", team_a.owner.email),
                              ("new", f"new{index}@charlie.example.com")):
            started = time.perf_counter()
            assert register(anon, email=address, slug=f"charlie-t{index}").status_code == 202
            timings[kind].append(time.perf_counter() - started)
    taken, new = statistics.median(timings["taken"]), statistics.median(timings["new"])
    assert new / 3 < taken < new * 3, timings


def test_a_slug_taken_is_said_before_any_mail(anon, team_a):
    taken = register(anon, email="other@example.com", slug="alpha")
    assert taken.status_code == 409
    assert taken.json()["code"] == "ERROR_TENANT_SLUG_TAKEN"
    assert outbox_to("other@example.com") == []


def test_weak_password_is_refused_with_field_errors(anon):
    response = register(anon, password="123")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "password" in response.json()["errors"]


def test_login_picks_first_tenant_or_the_named_one(anon, team_a, team_b):
    team_b.add_member("multi@example.com", "member")
    team_a.add_member("multi@example.com", "viewer")
    first = anon.post("/api/v1/auth/login", {"email": "multi@example.com", "password": PASSWORD},
                      format="json")
    assert first.status_code == 200
    assert first.json()["tenant"]["slug"] == "bravo"
    named = anon.post("/api/v1/auth/login", {"email": "MULTI@example.com", "password": PASSWORD,
                                             "tenant": "alpha"}, format="json")
    assert named.json()["tenant"]["slug"] == "alpha"


def test_login_to_a_tenant_without_membership_is_refused(anon, team_a, team_b):
    response = anon.post("/api/v1/auth/login", {"email": team_a.owner.email, "password": PASSWORD,
                                                "tenant": "bravo"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "ERROR_NOT_A_MEMBER"


def test_wrong_password(anon, team_a):
    response = anon.post("/api/v1/auth/login", {"email": team_a.owner.email,
                                                "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "ERROR_INVALID_CREDENTIALS"


def test_refresh_rotates_and_blacklists(anon, team_a):
    tokens = team_a.tokens()
    first = anon.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    assert first.json()["refresh"] != tokens["refresh"]
    reused = anon.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401


def test_logout_revokes_refresh(anon, team_a):
    tokens = team_a.tokens()
    assert anon.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]},
                     format="json").status_code == 204
    after = anon.post("/api/v1/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert after.status_code == 401


def test_me_without_credential_is_401_with_challenge(anon):
    response = anon.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "ERROR_AUTHENTICATION_REQUIRED"
    assert response["WWW-Authenticate"].startswith("Bearer")


def _forge(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    pad = "=" * (-len(payload) % 4)
    claims = json.loads(base64.urlsafe_b64decode(payload + pad))
    claims.update(changes)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}.{signature}"


def test_tampered_jwt_is_refused(team_a, client_for):
    forged = _forge(team_a.jwt(), tenant="bravo")
    response = client_for(jwt=forged).get("/api/v1/auth/me")
    assert response.status_code == 401
    assert "bravo" not in response.content.decode().lower().replace("authentication", "")


def test_alg_none_is_refused(team_a, client_for):
    token = team_a.jwt()
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    unsigned = f"{header}.{token.split('.')[1]}."
    assert client_for(jwt=unsigned).get("/api/v1/auth/me").status_code == 401


def test_expired_jwt_is_refused(team_a, client_for):
    expired = _forge(team_a.jwt(), exp=1)
    assert client_for(jwt=expired).get("/api/v1/auth/me").status_code == 401


def test_expired_but_validly_signed_jwt_is_refused(team_a, client_for, settings):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(team_a.owner)
    token["tenant"] = "alpha"
    token.set_exp(lifetime=timedelta(seconds=-5))
    response = client_for(jwt=str(token)).get("/api/v1/auth/me")
    assert response.status_code == 401
