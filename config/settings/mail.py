"""E-mail: invitations and password resets go through Django's mail backend.

EMAIL_URL picks the backend (django-environ's syntax): `consolemail://` prints
messages to the web process's output (the default, for development),
`smtp+tls://user:password@smtp.example.com:587` sends them through an SMTP
server, `filemail://` with EMAIL_FILE_PATH=/some/dir writes one file per message.
"""

from __future__ import annotations

from config.env import env

_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
# filemail:// URLs lose their leading slash; EMAIL_FILE_PATH names the folder plainly.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="") or _email.get("EMAIL_FILE_PATH") or ""
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PyAirtable <noreply@localhost>")
# Where links in e-mails point when no request names the host (background jobs).
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
# How long an invitation link and a password-reset link work.
INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_SECONDS", default=3 * 24 * 3600)
