"""Sign-up as a person does it: the form (or the API), then the link from the e-mail."""

from __future__ import annotations

import email
import re
import time
from pathlib import Path

from django.core import mail

LINK = re.compile(r"https?://\S+/signup/confirm/(\S+)")


def confirm_token(body: str) -> str | None:
    found = LINK.search(body)
    return found.group(1) if found else None


def outbox_to(address: str) -> list[str]:
    """Bodies of the messages this process sent to the address (locmem backend)."""
    return [message.body for message in mail.outbox if address in message.to]


def api_sign_up(client, *, email_address: str, password: str, tenant_name: str,
                tenant_slug: str):
    """POST /auth/register, then /auth/register/confirm with the e-mailed token: the
    confirm answer (201 with the user, the team and tokens)."""
    asked = client.post("/api/v1/auth/register", {
        "email": email_address, "password": password, "tenant_name": tenant_name,
        "tenant_slug": tenant_slug}, format="json")
    assert asked.status_code == 202, asked.content
    token = confirm_token(outbox_to(email_address)[-1])
    assert token, outbox_to(email_address)
    return client.post("/api/v1/auth/register/confirm", {"token": token}, format="json")


def server_mail_to(folder: str, address: str, *, timeout: float = 20) -> str:
    """The newest message a server process with `filemail://` wrote to the address."""
    deadline = time.monotonic() + timeout
    while True:
        bodies = []
        for path in sorted(Path(folder).glob("*.log"), key=lambda item: item.stat().st_mtime):
            for chunk in path.read_text().split("-" * 79):
                message = email.message_from_string(chunk.strip())
                if address in (message.get("To") or ""):
                    bodies.append(message.get_payload(decode=True).decode())
        if bodies or time.monotonic() > deadline:
            assert bodies, f"no e-mail to {address} in {folder}"
            return bodies[-1]
        time.sleep(0.2)


def browser_sign_up(page, server, *, email_address: str, password: str, tenant_name: str,
                    tenant_slug: str, full_name: str = "") -> None:
    """The sign-up form, the e-mail the server sent, its link, the button: signed in on the
    new team's dashboard."""
    base = server.url
    page.goto(f"{base}/signup")
    page.fill("#id_email", email_address)
    if full_name:
        page.fill("#id_full_name", full_name)
    page.fill("#id_password", password)
    page.fill("#id_tenant_name", tenant_name)
    page.fill("#id_tenant_slug", tenant_slug)
    page.click("button:has-text('Sign up')")
    page.wait_for_url(f"{base}/signup/sent")
    token = confirm_token(server_mail_to(server.mail_folder, email_address))
    assert token
    page.goto(f"{base}/signup/confirm/{token}")
    page.click("button:has-text('Create my team')")
    page.wait_for_url(f"{base}/")
