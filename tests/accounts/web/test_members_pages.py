"""Members, invitations, teams and passwords in the pages, as a browser without JavaScript
sees them."""

import re

import pytest

from apps.accounts.models import Membership
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client, email, password=PASSWORD):
    response = client.post("/login", {"username": email, "password": password})
    assert response.status_code == 302, response.content
    return client


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_invitee_creates_an_account_from_the_link(client, team_a, mailoutbox):
    _log_in(client, team_a.owner.email)
    page = client.post("/members", {"email": "invitee@example.com", "role": "viewer"},
                       follow=True).content.decode()
    assert "Invitation sent to invitee@example.com" in page
    assert 'id="invitations"' in page and "invitee@example.com" in page
    link = _link(mailoutbox[0])
    assert link.startswith("/invitations/")
    client.post("/logout")

    invite_page = client.get(link).content.decode()
    assert "Join Alpha" in invite_page and "Choose a password" in invite_page
    weak = client.post(link, {"full_name": "Ivy", "password": "short"}).content.decode()
    assert weak.count("This password is too short") == 1
    joined = client.post(link, {"full_name": "Ivy", "password": "ivy-has-a-long-password-3"},
                         follow=True)
    assert "<h1>Alpha</h1>" in joined.content.decode()
    assert "your role viewer" in joined.content.decode()
    used = client.get(link)
    assert used.status_code == 400 and "already been used" in used.content.decode()


def test_existing_account_joins_signed_in_or_with_password(client, team_a, team_b, mailoutbox):
    _log_in(client, team_a.owner.email)
    client.post("/members", {"email": team_b.owner.email, "role": "member"})
    link = _link(mailoutbox[0])
    wrong_person = client.get(link).content.decode()
    assert "You are signed in as owner@alpha.example.com" in wrong_person
    client.post("/logout")
    asks_password = client.get(link).content.decode()
    assert "has an account already" in asks_password
    _log_in(client, team_b.owner.email)
    client.post(link)
    assert Membership.objects.get(user=team_b.owner, tenant=team_a.tenant).role == "member"
    assert "<h1>Alpha</h1>" in client.get("/").content.decode()


def test_owner_changes_a_role_and_removes_a_member(client, team_a):
    member = team_a.add_member("m@alpha.example.com", "member")
    membership = Membership.objects.get(user=member, tenant=team_a.tenant)
    _log_in(client, team_a.owner.email)
    page = client.get("/members").content.decode()
    assert f'id="role-{membership.pk}"' in page and 'data-confirm="Remove m@alpha' in page
    changed = client.post(f"/members/{membership.pk}/role", {"role": "admin"}, follow=True)
    assert "m@alpha.example.com is now admin" in changed.content.decode()
    membership.refresh_from_db()
    assert membership.role == "admin"
    own = Membership.objects.get(user=team_a.owner, tenant=team_a.tenant)
    last = client.post(f"/members/{own.pk}/role", {"role": "viewer"}, follow=True)
    assert "only owner" in last.content.decode()
    removed = client.post(f"/members/{membership.pk}/remove", follow=True).content.decode()
    assert "m@alpha.example.com removed" in removed
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_viewer_is_offered_no_member_controls(client, team_a):
    team_a.add_member("v@alpha.example.com", "viewer")
    _log_in(client, "v@alpha.example.com")
    page = client.get("/members").content.decode()
    assert "Invite someone" not in page and "<select id=\"role-" not in page
    assert "Remove</button>" not in page and "Leave team" in page
    keys = client.get("/api-keys").content.decode()
    assert "Allow writes" not in keys and "create keys that read" in keys
    own = Membership.objects.get(user__email="owner@alpha.example.com", tenant=team_a.tenant)
    client.post(f"/members/{own.pk}/remove")
    assert Membership.objects.filter(pk=own.pk).exists()


def test_leaving_the_last_team_leads_to_creating_one(client, team_a):
    team_a.add_member("leaver@example.com", "member")
    _log_in(client, "leaver@example.com")
    response = client.post("/leave")
    assert response["Location"] == "/teams/new"
    assert not Membership.objects.filter(user__email="leaver@example.com").exists()
    created = client.post("/teams/new", {"tenant_name": "Own Team", "tenant_slug": "own-team"},
                          follow=True).content.decode()
    assert "<h1>Own Team</h1>" in created and "your role owner" in created


def test_last_owner_cannot_leave(client, team_a):
    _log_in(client, team_a.owner.email)
    page = client.post("/leave", follow=True).content.decode()
    assert "only owner" in page
    assert Membership.objects.filter(user=team_a.owner, tenant=team_a.tenant).exists()


def test_team_address_errors_name_the_team_address(client, team_a):
    _log_in(client, team_a.owner.email)
    page = client.post("/teams/new", {"tenant_name": "Dup", "tenant_slug": "alpha"}
                       ).content.decode()
    assert "already taken" in page and "slug" not in page.lower().replace("tenant_slug", "")


def test_password_reset_by_email(client, team_a, mailoutbox):
    page = client.get("/login").content.decode()
    assert 'href="/password/reset"' in page
    sent = client.post("/password/reset", {"email": team_a.owner.email}, follow=True)
    assert "Check your email" in sent.content.decode()
    client.post("/password/reset", {"email": "nobody@example.com"})
    assert len(mailoutbox) == 1
    link = _link(mailoutbox[0])
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0],
                       {"new_password1": "a-brand-new-password-5",
                        "new_password2": "a-brand-new-password-5"}, follow=True)
    assert "Password set" in done.content.decode()
    assert client.post("/login", {"username": team_a.owner.email,
                                  "password": PASSWORD}).status_code == 200
    _log_in(client, team_a.owner.email, "a-brand-new-password-5")
    assert "expired or has been used" in client.get(link, follow=True).content.decode()


def test_password_change(client, team_a):
    _log_in(client, team_a.owner.email)
    changed = client.post("/password/change", {
        "old_password": PASSWORD, "new_password1": "another-new-password-6",
        "new_password2": "another-new-password-6"}, follow=True)
    assert "Password changed" in changed.content.decode()
    assert client.get("/").status_code == 200  # still signed in
    client.post("/logout")
    _log_in(client, team_a.owner.email, "another-new-password-6")
