"""Settings shared by every environment. Values come from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from config import env as cfg

env = cfg.env
BASE_DIR = Path(__file__).resolve().parent.parent.parent

environ_file = BASE_DIR / ".env"
if environ_file.exists():
    env.read_env(str(environ_file))

# --- Core -------------------------------------------------------------------

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", ".localhost"])
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost")
VERSION = env.str("APP_VERSION", default="0.1.0")

try:
    ALLOWED_EXTENSIONS = cfg.extension_list(
        "ALLOWED_EXTENSIONS", ["pdf", "doc", "docx", "txt", "csv", "xlsx"]
    )
    MAX_UPLOAD_MB = cfg.positive_int("MAX_UPLOAD_MB", 25)
    FILES_TENANT_QUOTA_MB = cfg.positive_int("FILES_TENANT_QUOTA_MB", 1024)
    FILES_EXTRACT_TIMEOUT_SECONDS = cfg.positive_int("FILES_EXTRACT_TIMEOUT_SECONDS", 60)
    FILES_EXTRACT_MEMORY_MB = cfg.positive_int("FILES_EXTRACT_MEMORY_MB", 1024)
    PORT = cfg.positive_int("PORT", 8000)
    # Without URLs: the embedded servers of `make dev` (config.devservices, same ports).
    DEV_PG_PORT = cfg.positive_int("DEV_PG_PORT", 54329)
    DEV_REDIS_PORT = cfg.positive_int("DEV_REDIS_PORT", 63799)
    DATABASE_URL = cfg.url("DATABASE_URL",
                           f"postgres://postgres@127.0.0.1:{DEV_PG_PORT}/pyairtable")
    REDIS_URL = cfg.url("REDIS_URL", f"redis://127.0.0.1:{DEV_REDIS_PORT}/0")
except cfg.SettingError as error:
    cfg.fail(error)

# --- Applications -------------------------------------------------------------

SHARED_APPS = [
    # Ahead of django_tenants so that our create_tenant command (which clones
    # the template schema) is the one `manage.py create_tenant` runs.
    "apps.tenants",
    "django_tenants",
    "apps.core",
    "apps.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_prometheus",
    "corsheaders",
    "channels",
    "apps.sandbox",
    "oauth2_provider",
    "apps.schedules",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "apps.airtable",
    "apps.files",
    "apps.mcp",
    "apps.chat",
    "apps.analytics",
    "apps.workflows",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
TENANT_LIMIT_SET_CALLS = True
# New tenants are cloned from this migrated template schema instead of
# running every migration (apps.tenants.services.tenant_template_ensure).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.accounts.middleware.TenantResolutionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.analytics.middleware.RequestEventMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.tenancy",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

_database = env.db_url_config(DATABASE_URL)
_database["ENGINE"] = "django_tenants.postgresql_backend"
_database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
_database["CONN_HEALTH_CHECKS"] = True
if env.bool("DATABASE_POOL", default=False):
    # The ASGI process does not reuse persistent connections; psycopg's pool
    # does. A pooled connection's search_path is reset by django-tenants on
    # every checkout because close() forgets the schema it had set.
    _database["CONN_MAX_AGE"] = 0
    _database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        "timeout": 10,
    }
elif env.bool("DJANGO_SERVED_BY_ASGI", default=False):
    # Under ASGI each request's sync code runs on a thread of its own: a persistent
    # connection is never reused there, and stays open, idle, until PostgreSQL runs out.
    # Without the pool, the ASGI process closes its connection with every request.
    _database["CONN_MAX_AGE"] = 0
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Redis, Channels ---------------------------------------------------

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
    }
}

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Above the longest task and retry countdown, so a message is not delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
WORKER_HEARTBEAT_SECONDS = 15

# --- Auth -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web-login"
LOGIN_REDIRECT_URL = "web-dashboard"
LOGOUT_REDIRECT_URL = "web-login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- REST framework -------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiKeyAuthentication",
        "apps.accounts.authentication.TenantJWTAuthentication",
        "apps.accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.permissions.IsTenantMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "apps.core.handlers.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.openapi.AutoSchema",
    "DEFAULT_METADATA_CLASS": "apps.core.metadata.ViewMetadata",
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.TenantRateThrottle",
        "apps.core.throttling.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "register": env.str("THROTTLE_REGISTER", default="20/hour"),
        "tenant": env.str("THROTTLE_TENANT", default="3000/min"),
        "api_key": env.str("THROTTLE_API_KEY", default="1200/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "PyAirtable platform API",
    "DESCRIPTION": "Airtable bases, mirrored and connected to AI, per team.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # PATCH bodies are validated whole (no partial=True): document their required fields.
    "COMPONENT_SPLIT_PATCH": False,
    "ENUM_NAME_OVERRIDES": {
        "FileStatusEnum": "apps.files.models.File.Status",
        "JobStatusEnum": "apps.airtable.models.SyncJob.Status",
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The API speaks JSON (uploads declare multipart/form-data themselves); the form
    # parsers stay for the browsable session clients but are not part of the contract.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
}

# --- HTTP, security -----------------------------------------------------------

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "x-api-key",
    "x-request-id",
    "mcp-session-id",
    "mcp-protocol-version",
)
CORS_EXPOSE_HEADERS = ("x-request-id", "retry-after", "mcp-session-id")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    # Attachment thumbnails come from Airtable's content hosts.
    "img-src 'self' data: https://*.airtableusercontent.com https://dl.airtable.com; "
    "connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_MB * 1024 * 1024

# --- Static and media -------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": None,
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
else:
    cfg.fail(cfg.SettingError("STORAGE_BACKEND", f"{STORAGE_BACKEND!r} is not one of local, s3"))
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- LLM providers (used by the chat) -----------------------------------------------

OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
GEMINI_API_KEY = env.str("GEMINI_API_KEY", default="")
LLM_DEFAULT_MODEL = env.str("LLM_DEFAULT_MODEL", default="gpt-4o-mini")
# The chat's loop and its caps (docs/chat.md).
CHAT_MAX_ROUNDS = env.int("CHAT_MAX_ROUNDS", default=8)
CHAT_MAX_TURN_TOKENS = env.int("CHAT_MAX_TURN_TOKENS", default=200_000)
CHAT_PROVIDER_TIMEOUT_SECONDS = env.float("CHAT_PROVIDER_TIMEOUT_SECONDS", default=60.0)
CHAT_PROVIDER_RETRIES = env.int("CHAT_PROVIDER_RETRIES", default=1)
CHAT_TOOL_THREADS = env.int("CHAT_TOOL_THREADS", default=4)
CHAT_SSE_KEEPALIVE_SECONDS = env.float("CHAT_SSE_KEEPALIVE_SECONDS", default=15.0)
# USD per million tokens, merged over the built-in table: {"model": {"input": .., "output": ..}}.
CHAT_PRICES = env.json("CHAT_PRICES", default={})
# Fernet keys for tenants' provider API keys: the first encrypts, all decrypt.
# Empty: one key derived from SECRET_KEY.
CHAT_KEY_ENCRYPTION_KEYS = env.list("CHAT_KEY_ENCRYPTION_KEYS", default=[])
# URL prefixes a tenant's own provider base URL must start with; empty allows any.
CHAT_ALLOWED_BASE_URLS = env.list("CHAT_ALLOWED_BASE_URLS", default=[])

# --- Airtable gateway (apps.airtable; docs/airtable.md) ---------------------------

# Comma-separated Fernet keys for connection tokens: the first encrypts, all
# decrypt (rotation). Empty: one key derived from SECRET_KEY (dev and test).
AIRTABLE_TOKEN_KEYS = env.list("AIRTABLE_TOKEN_KEYS", default=[])
# Endpoints a connection may point at (besides this server's own sandbox when
# SANDBOX_ENABLED): the platform sends tokens there and reads their answers.
AIRTABLE_ENDPOINT_URLS = env.list("AIRTABLE_ENDPOINT_URLS", default=["https://api.airtable.com"])
AIRTABLE_RATE_LIMIT_PER_BASE = env.float("AIRTABLE_RATE_LIMIT_PER_BASE", default=5.0)
AIRTABLE_RATE_LIMIT_PER_TOKEN = env.float("AIRTABLE_RATE_LIMIT_PER_TOKEN", default=50.0)
# Share of those limits left unused, so network jitter never lets a sixth
# request land in Airtable's one-second window.
AIRTABLE_RATE_LIMIT_HEADROOM = env.float("AIRTABLE_RATE_LIMIT_HEADROOM", default=0.05)
AIRTABLE_RATE_LIMIT_WAIT_SECONDS = env.float("AIRTABLE_RATE_LIMIT_WAIT_SECONDS", default=30.0)
AIRTABLE_INTERACTIVE_MAX_WAIT_SECONDS = env.float("AIRTABLE_INTERACTIVE_MAX_WAIT_SECONDS",
                                                  default=10.0)
AIRTABLE_TIMEOUT_CONNECT_SECONDS = env.float("AIRTABLE_TIMEOUT_CONNECT_SECONDS", default=5.0)
AIRTABLE_TIMEOUT_READ_SECONDS = env.float("AIRTABLE_TIMEOUT_READ_SECONDS", default=30.0)
AIRTABLE_RETRY_ATTEMPTS = env.int("AIRTABLE_RETRY_ATTEMPTS", default=5)
AIRTABLE_RETRY_BACKOFF_SECONDS = env.float("AIRTABLE_RETRY_BACKOFF_SECONDS", default=0.5)
AIRTABLE_SYNC_INTERVAL_MINUTES = env.int("AIRTABLE_SYNC_INTERVAL_MINUTES", default=5)
AIRTABLE_FULL_SYNC_HOURS = env.float("AIRTABLE_FULL_SYNC_HOURS", default=6.0)
AIRTABLE_SYNC_OVERLAP_SECONDS = env.int("AIRTABLE_SYNC_OVERLAP_SECONDS", default=120)
AIRTABLE_SYNC_THREADS = env.int("AIRTABLE_SYNC_THREADS", default=4)
AIRTABLE_SYNC_STALE_SECONDS = env.int("AIRTABLE_SYNC_STALE_SECONDS", default=120)
AIRTABLE_INDEX_AFTER_USES = env.int("AIRTABLE_INDEX_AFTER_USES", default=20)
# Linked records changed at once up to which the rows linking to them get their sort keys
# made at once; beyond, those keys are made old together and made again after the write.
AIRTABLE_LINK_KEYS_TARGETED_MAX = env.int("AIRTABLE_LINK_KEYS_TARGETED_MAX", default=20)

# --- Internationalisation -------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "mcp": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
    },
}

SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
# The sandbox's Airtable rate limits in requests per second (0 turns one off) and the
# fraction of its requests answered 503 to test clients' retries (docs/sandbox.md).
try:
    SANDBOX_RATE_LIMIT_PER_BASE = env.int("SANDBOX_RATE_LIMIT_PER_BASE", default=5)
    SANDBOX_RATE_LIMIT_PER_TOKEN = env.int("SANDBOX_RATE_LIMIT_PER_TOKEN", default=50)
    SANDBOX_FAILURE_RATE = env.float("SANDBOX_FAILURE_RATE", default=0.0)
except ValueError as error:
    cfg.fail(cfg.SettingError("SANDBOX_RATE_LIMIT_*/SANDBOX_FAILURE_RATE", str(error)))

# --- MCP ----------------------------------------------------------------------

# Browser origins besides the platform's own host that may call /mcp.
MCP_ALLOWED_ORIGINS = env.list("MCP_ALLOWED_ORIGINS", default=[])
# How long a client can follow a long tool call as a task (the Tasks extension).
MCP_TASK_TTL_SECONDS = env.int("MCP_TASK_TTL_SECONDS", default=24 * 3600)

from .analytics import *  # noqa: E402, F403
from .mail import *  # noqa: E402, F403
from .oauth import *  # noqa: E402, F403
from .security import *  # noqa: E402,F403
from .workflows import *  # noqa: E402, F403

CELERY_BEAT_SCHEDULE = {**WORKFLOWS_BEAT_SCHEDULE, **JOBS_BEAT_SCHEDULE}  # noqa: F405
