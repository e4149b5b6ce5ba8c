"""The test suite: real PostgreSQL and Redis, started by tests/plugins/services.py."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"
SANDBOX_ENABLED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": env.str("MEDIA_ROOT")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login": "1000/min",
        "register": "1000/min",
    },
}
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1", ".localhost"]

# Serve static files straight from static/ without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks run inline; tests that enqueue with transaction.on_commit use
# django_capture_on_commit_callbacks(execute=True). Fault tests start real workers (false).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True

# The sandbox, the scripted model servers and the platform itself listen on loopback.
URLGUARD_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]

# Tests log in often; tests/accounts/test_login_limits.py sets the real rates.
LOGIN_RATE_PER_ADDRESS = "100000/min"
LOGIN_RATE_PER_ACCOUNT = "100000/min"
