"""Local development: `make dev`."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-secret-key-change-me-0123456789abcdef")
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=True)

# Serve static files straight from static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The demo connection points at this server's own sandbox on localhost.
URLGUARD_ALLOWED_NETWORKS = env.list("URLGUARD_ALLOWED_NETWORKS",
                                     default=["127.0.0.0/8", "::1/128"])
