"""Every lpmplanner setting, each deployment knob read from one environment variable.

The defaults are the embedded mode of `make run`: a SQLite file and a filesystem broker under
the var directory, so nothing but Python is needed. Production sets the variables (see
docker-compose.yml and the README).
"""

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LPM_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None


def kept_secret(name: str, filename: str, make) -> str:
    """The variable's value, else one generated on first use and kept in the var directory."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = VAR_DIR / filename
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(make())
    return path.read_text().strip()


def make_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = kept_secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
FIELD_ENCRYPTION_KEY = kept_secret("FIELD_ENCRYPTION_KEY", "field_encryption_key", make_fernet_key)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_filters",
    "django_tables2",
    "simple_history",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "lpmplanner",
    "inventory",
    "planning",
    "migrations_app",
]

MIDDLEWARE = [
    "lpmplanner.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lpmplanner.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lpmplanner.security.middleware.TwoFactorMiddleware",
    "lpmplanner.security.middleware.RoleRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that a locked-out sign-in is answered with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lpmplanner.urls"
WSGI_APPLICATION = "lpmplanner.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'lpmplanner.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process in the tests sees the test database too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS: on behind TLS (a proxy in front of gunicorn). It turns on secure cookies, HSTS and the
# redirect, which a plain-http development server cannot serve.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: only the app's own files; a script or style element in a page needs
# the request's nonce (the Swagger UI page's style block is the one that does).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Without HTTPS the HSTS, redirect and secure-cookie warnings are moot; HSTS preload is a
# commitment a deployment opts into (SECURE_HSTS_PRELOAD), not a default.
SILENCED_SYSTEM_CHECKS = (
    ["security.W021"]
    if HTTPS
    else ["security.W004", "security.W008", "security.W012", "security.W016"]
)

# Celery: the broker is Redis in production; the default is kombu's filesystem transport, a
# broker that needs no server. The job rows in the database are the record, not the broker.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Priorities (0 first): a migration whose slot came free goes before new validations.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "queue_order_strategy": "priority", "sep": ":", "priority_steps": [0, 3, 6, 9],
    }  # fmt: skip
CELERY_BROKER_CONNECTION_TIMEOUT = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "lpmplanner")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "migrations_app.tasks.worker_heartbeat", "schedule": 60.0},
    # Starts the periodic HMC syncs whose schedule is due (each HMC sets its own interval).
    "hmc-syncs-due": {"task": "migrations_app.tasks.hmc_syncs_due_task", "schedule": 60.0},
    # Dispatches pending migrations, starts queued ones that fit, finishes what dead workers left.
    "migrations-reconcile": {"task": "migrations_app.tasks.migrations_reconcile_task",
                             "schedule": 30.0},
    # Deletes the kept uploads of workbook imports older than WORKBOOK_UPLOAD_KEEP_DAYS.
    "workbook-uploads-prune": {"task": "planning.tasks.workbook_uploads_prune_task",
                               "schedule": 3600.0},
}  # fmt: skip

# Migrations: concurrency limits beside each frame's own (Frame.max_active_migrations).
LPM_MSP_MAX_MIGRATIONS = env_int("LPM_MSP_MAX_MIGRATIONS", 4)
LPM_HMC_MAX_MIGRATIONS = env_int("LPM_HMC_MAX_MIGRATIONS", 16)
# How often a running migration's progress is read from the HMC (lslparmigr), in seconds, and
# after how long without a report from its worker the reconciler takes the job over.
LPM_MIGRATION_POLL_SECONDS = env_float("LPM_MIGRATION_POLL_SECONDS", 2.0)
LPM_MIGRATION_STALE_SECONDS = env_float("LPM_MIGRATION_STALE_SECONDS", 60.0)
CELERY_TIMEZONE = TIME_ZONE

# The planning workbook import: the most rows one file may hold; above WORKBOOK_ASYNC_ROWS an
# import runs as a background job; an xlsx that would inflate past WORKBOOK_MAX_UNCOMPRESSED_MB,
# or past WORKBOOK_MAX_INFLATION times its size, is refused unopened (a zip bomb).
WORKBOOK_MAX_ROWS = env_int("WORKBOOK_MAX_ROWS", 100_000)
WORKBOOK_ASYNC_ROWS = env_int("WORKBOOK_ASYNC_ROWS", 2_000)
WORKBOOK_MAX_UNCOMPRESSED_MB = env_int("WORKBOOK_MAX_UNCOMPRESSED_MB", 1_000)
WORKBOOK_MAX_INFLATION = env_int("WORKBOOK_MAX_INFLATION", 100)
WORKBOOK_UPLOAD_DIR = VAR_DIR / "workbook-imports"
# Uploads of finished imports older than this many days are deleted (the import's row and report
# stay in the history); beat runs the pruning every hour.
WORKBOOK_UPLOAD_KEEP_DAYS = env_int("WORKBOOK_UPLOAD_KEEP_DAYS", 30)
if WORKBOOK_UPLOAD_KEEP_DAYS < 1:
    raise ImproperlyConfigured(
        f"WORKBOOK_UPLOAD_KEEP_DAYS={WORKBOOK_UPLOAD_KEEP_DAYS} must be at least 1: a dry run's "
        "file is what its commit imports."
    )

# Two-factor sign-in (django-otp, TOTP with recovery codes). The roles that must use it; any
# other user may enrol. Administrators (superusers) always must while TWO_FACTOR_ADMINS is on.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", "Operator")
TWO_FACTOR_ADMINS = env_bool("TWO_FACTOR_ADMINS", True)
# Dangerous actions (Migrate, Create on HMC, HMC credentials …) want a second factor this fresh.
STEP_UP_MAX_AGE = timedelta(minutes=env_int("STEP_UP_MINUTES", 15))
OTP_TOTP_ISSUER = "lpmplanner"
OTP_STATIC_THROTTLE_FACTOR = 1
RECOVERY_CODES = 10

# Login throttling (django-axes): this many failures lock the user name, and the source address,
# for the cool-off time. `python manage.py axes_reset` (or the admin) lifts a lock early.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "lpmplanner.security.views.locked_out"  # JSON under /api/
AXES_VERBOSE = False

# API tokens: named, scoped (read < write < operate), expiring, stored hashed.
API_TOKEN_DEFAULT_SCOPE = os.environ.get("API_TOKEN_DEFAULT_SCOPE", "write")
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 30)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing login a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lpmplanner.security.tokens.ApiTokenAuthentication",
        "lpmplanner.security.tokens.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["lpmplanner.permissions.ModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "lpmplanner.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lpmplanner.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "lpmplanner API",
    "DESCRIPTION": "The estate, its planning rules, SAN zoning and LPM migrations.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Requests and responses differ: a related object is written as an id, read as an object.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AdapterKindEnum": "inventory.choices.AdapterKind",
        "DrawerKindEnum": "inventory.choices.DrawerKind",
        "FrameStateEnum": "inventory.choices.FrameState",
        # Syncs and LPAR creation jobs share these states: one enum, under its first name.
        "HmcSyncStateEnum": "migrations_app.models.HmcSync.State",
        "LparKindEnum": "inventory.choices.LparKind",
        "MigrationStateEnum": "migrations_app.models.MigrationState",
        "LparStateEnum": "inventory.choices.LparState",
        "VirtualAdapterKindEnum": "inventory.choices.VirtualAdapterKind",
        "VirtualAdapterRoleEnum": "inventory.choices.VirtualAdapterRole",
        "WwpnKindEnum": "inventory.choices.WwpnKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lpmplanner.api.error_responses_hook",
    ],
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
