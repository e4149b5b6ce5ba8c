"""Signals the accounts app sends. Receivers get keyword arguments only."""

from django.dispatch import Signal

# A user signed in for a tenant: user_id, tenant (None without a membership) and
# method ("api" for POST /api/v1/auth/login, "web" for the login page).
user_signed_in = Signal()
