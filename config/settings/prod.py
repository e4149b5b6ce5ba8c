"""Production: every secret from the environment, HTTPS, JSON logs."""

from config import env as cfg

from .base import *  # noqa: F403
from .base import LOGGING, SECRET_KEY, env

DEBUG = False
if len(SECRET_KEY) < 32:
    cfg.fail(cfg.SettingError("SECRET_KEY", "must be set to at least 32 random characters"))
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^api/health$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LOGGING["handlers"]["console"]["formatter"] = "json"
