"""Members through the API: invitations by e-mail, accepting them, roles, removal, leaving."""

import re

import pytest

from apps.accounts.models import Invitation, Membership
from apps.accounts.services import tokens_issue

pytestmark = pytest.mark.django_db


def _token(message) -> str:
    return re.search(r"/invitations/(\S+)", message.body).group(1)


def _client_of(team, user, client_for):
    return client_for(jwt=tokens_issue(user=user, tenant=team.tenant)["access"])


def test_invited_person_sets_a_password_and_joins(team_a, client_for, anon, mailoutbox):
    client = client_for(jwt=team_a.jwt())
    response = client.post("/api/v1/members", {"email": "New@Alpha.example.com", "role": "admin"},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "new@alpha.example.com" and body["status"] == "pending"
    assert body["email_sent"] is True
    assert [m.to for m in mailoutbox] == [["new@alpha.example.com"]]
    assert "Alpha" in mailoutbox[0].subject
    token = _token(mailoutbox[0])
    assert body["link"].endswith(token)
    listed = client.get("/api/v1/invitations").json()["results"]
    assert [i["email"] for i in listed] == ["new@alpha.example.com"]
    # Not a member before accepting.
    emails = [m["email"] for m in client.get("/api/v1/members").json()["results"]]
    assert emails == [team_a.owner.email]

    weak = anon.post("/api/v1/invitations/accept", {"token": token, "password": "123"},
                     format="json")
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    accepted = anon.post("/api/v1/invitations/accept",
                         {"token": token, "password": "another-long-password-9",
                          "full_name": "Nia New"}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["tenant"]["slug"] == "alpha" and accepted.json()["access"]
    members = client.get("/api/v1/members").json()["results"]
    assert [(m["email"], m["role"]) for m in members] == [
        (team_a.owner.email, "owner"), ("new@alpha.example.com", "admin")]
    login = anon.post("/api/v1/auth/login", {"email": "new@alpha.example.com",
                                             "password": "another-long-password-9"}, format="json")
    assert login.json()["tenant"]["slug"] == "alpha"
    again = anon.post("/api/v1/invitations/accept",
                      {"token": token, "password": "another-long-password-9"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "ERROR_INVITATION_INVALID"
    assert client.get("/api/v1/invitations").json()["results"] == []


def test_an_existing_account_joins_with_its_own_password(team_a, team_b, client_for, anon,
                                                        mailoutbox):
    client = client_for(jwt=team_a.jwt())
    client.post("/api/v1/members", {"email": team_b.owner.email, "role": "viewer"}, format="json")
    token = _token(mailoutbox[0])
    wrong = anon.post("/api/v1/invitations/accept", {"token": token, "password": "guess-guess-1"},
                      format="json")
    assert wrong.status_code == 401 and wrong.json()["code"] == "ERROR_INVALID_CREDENTIALS"
    right = anon.post("/api/v1/invitations/accept", {"token": token, "password": team_b.password},
                      format="json")
    assert right.status_code == 200
    assert Membership.objects.get(user=team_b.owner, tenant=team_a.tenant).role == "viewer"
    assert Membership.objects.get(user=team_b.owner, tenant=team_b.tenant).role == "owner"


def test_inviting_a_member_conflicts_and_inviting_again_replaces_the_link(
        team_a, client_for, anon, mailoutbox):
    client = client_for(jwt=team_a.jwt())
    member = client.post("/api/v1/members", {"email": team_a.owner.email}, format="json")
    assert member.status_code == 409 and member.json()["code"] == "ERROR_MEMBERSHIP_EXISTS"
    client.post("/api/v1/members", {"email": "x@example.com"}, format="json")
    second = client.post("/api/v1/members", {"email": "x@example.com", "role": "viewer"},
                         format="json")
    assert second.status_code == 201
    assert Invitation.objects.filter(email="x@example.com").count() == 1
    old, new = _token(mailoutbox[0]), _token(mailoutbox[1])
    refused = anon.post("/api/v1/invitations/accept",
                        {"token": old, "password": "a-fine-long-password-1"}, format="json")
    assert refused.json()["code"] == "ERROR_INVITATION_INVALID"
    assert anon.post("/api/v1/invitations/accept",
                     {"token": new, "password": "a-fine-long-password-1"},
                     format="json").status_code == 200


def test_expired_tampered_and_withdrawn_links_do_not_work(team_a, client_for, anon, mailoutbox):
    client = client_for(jwt=team_a.jwt())
    first = client.post("/api/v1/members", {"email": "late@example.com"}, format="json").json()
    Invitation.objects.filter(pk=first["id"]).update(expires_at="2000-01-01T00:00:00Z")
    late = anon.post("/api/v1/invitations/accept",
                     {"token": _token(mailoutbox[0]), "password": "a-fine-long-password-1"},
                     format="json")
    assert late.status_code == 400 and "expired" in late.json()["detail"]
    tampered = anon.post("/api/v1/invitations/accept",
                         {"token": _token(mailoutbox[0])[:-2] + "xx",
                          "password": "a-fine-long-password-1"}, format="json")
    assert tampered.json()["code"] == "ERROR_INVITATION_INVALID"
    second = client.post("/api/v1/members", {"email": "gone@example.com"}, format="json").json()
    assert client.delete(f"/api/v1/invitations/{second['id']}").status_code == 204
    gone = anon.post("/api/v1/invitations/accept",
                     {"token": _token(mailoutbox[1]), "password": "a-fine-long-password-1"},
                     format="json")
    assert gone.json()["code"] == "ERROR_INVITATION_INVALID"
    assert client.delete(f"/api/v1/invitations/{second['id']}").status_code == 404


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_invite_or_see_invitations(team_a, client_for, role):
    client = _client_of(team_a, team_a.add_member(f"{role}@alpha.example.com", role), client_for)
    assert client.post("/api/v1/members", {"email": "y@example.com"},
                       format="json").status_code == 403
    assert client.get("/api/v1/invitations").status_code == 403


def test_admin_cannot_invite_an_owner(team_a, client_for):
    client = _client_of(team_a, team_a.add_member("admin@alpha.example.com", "admin"), client_for)
    response = client.post("/api/v1/members", {"email": "z@example.com", "role": "owner"},
                           format="json")
    assert response.status_code == 403
    assert client.post("/api/v1/members", {"email": "z@example.com", "role": "member"},
                       format="json").status_code == 201


def test_a_read_only_key_cannot_invite(team_a, client_for):
    client = client_for(key=team_a.api_key(scopes=("read",)))
    response = client.post("/api/v1/members", {"email": "k@example.com"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "ERROR_READ_ONLY"


def _membership_id(team, user) -> int:
    return Membership.objects.get(tenant=team.tenant, user=user).pk


def test_roles_change_but_the_last_owner_stays(team_a, client_for):
    owner = client_for(jwt=team_a.jwt())
    member = team_a.add_member("m@alpha.example.com", "member")
    admin_user = team_a.add_member("a@alpha.example.com", "admin")
    admin = _client_of(team_a, admin_user, client_for)
    promoted = admin.patch(f"/api/v1/members/{_membership_id(team_a, member)}",
                           {"role": "admin"}, format="json")
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    owner_id = _membership_id(team_a, team_a.owner)
    assert admin.patch(f"/api/v1/members/{owner_id}", {"role": "viewer"},
                       format="json").status_code == 403
    assert admin.patch(f"/api/v1/members/{_membership_id(team_a, member)}", {"role": "owner"},
                       format="json").status_code == 403
    last = owner.patch(f"/api/v1/members/{owner_id}", {"role": "admin"}, format="json")
    assert last.status_code == 409 and last.json()["code"] == "ERROR_LAST_OWNER"
    bad = owner.patch(f"/api/v1/members/{owner_id}", {"role": "emperor"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()["errors"]
    assert owner.patch(f"/api/v1/members/{_membership_id(team_a, admin_user)}",
                       {"role": "owner"}, format="json").status_code == 200
    assert owner.patch(f"/api/v1/members/{owner_id}", {"role": "admin"},
                       format="json").status_code == 200


def test_viewer_cannot_change_roles(team_a, client_for):
    viewer = _client_of(team_a, team_a.add_member("v@alpha.example.com", "viewer"), client_for)
    owner_id = _membership_id(team_a, team_a.owner)
    assert viewer.patch(f"/api/v1/members/{owner_id}", {"role": "viewer"},
                        format="json").status_code == 403
    assert viewer.delete(f"/api/v1/members/{owner_id}").status_code == 403


def test_removing_a_member_stops_their_keys_and_anyone_may_leave(team_a, client_for):
    owner = client_for(jwt=team_a.jwt())
    member = team_a.add_member("m@alpha.example.com", "member")
    key = team_a.api_key(user=member)
    assert client_for(key=key).get("/api/v1/auth/me").status_code == 200
    member_id = _membership_id(team_a, member)
    assert owner.delete(f"/api/v1/members/{member_id}").status_code == 204
    assert client_for(key=key).get("/api/v1/auth/me").status_code == 401
    assert owner.delete(f"/api/v1/members/{member_id}").status_code == 404

    viewer_user = team_a.add_member("v@alpha.example.com", "viewer")
    viewer = _client_of(team_a, viewer_user, client_for)
    assert viewer.delete(f"/api/v1/members/{_membership_id(team_a, viewer_user)}"
                         ).status_code == 204
    assert not Membership.objects.filter(user=viewer_user, tenant=team_a.tenant).exists()

    last = owner.delete(f"/api/v1/members/{_membership_id(team_a, team_a.owner)}")
    assert last.status_code == 409 and last.json()["code"] == "ERROR_LAST_OWNER"


def test_another_tenant_cannot_see_or_change_members_or_invitations(team_a, team_b,
                                                                    client_for):
    alpha = client_for(jwt=team_a.jwt())
    invitation = alpha.post("/api/v1/members", {"email": "secret-invitee@example.com"},
                            format="json").json()
    member = team_a.add_member("alpha-m@example.com", "member")
    for bravo in (client_for(jwt=team_b.jwt()), client_for(key=team_b.api_key())):
        listed = bravo.get("/api/v1/invitations")
        assert listed.status_code == 200 and listed.json()["results"] == []
        members = bravo.get("/api/v1/members").content.decode()
        assert "alpha" not in members
        changed = bravo.patch(f"/api/v1/members/{_membership_id(team_a, member)}",
                              {"role": "viewer"}, format="json")
        assert changed.status_code == 404 and "alpha" not in changed.content.decode()
        assert bravo.delete(f"/api/v1/members/{_membership_id(team_a, member)}"
                            ).status_code == 404
        assert bravo.delete(f"/api/v1/invitations/{invitation['id']}").status_code == 404
    assert Membership.objects.get(pk=_membership_id(team_a, member)).role == "member"
    assert Invitation.objects.get(pk=invitation["id"]).status == "pending"
    on_alpha_host = client_for(jwt=team_b.jwt(), host=team_a.host)
    assert on_alpha_host.get("/api/v1/invitations").status_code == 403
