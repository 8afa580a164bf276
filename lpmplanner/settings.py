"""Every lpmplanner setting, each deployment knob read from one environment variable.

The defaults are the embedded mode of `make run`: a SQLite file and a filesystem broker under
the var directory, so nothing but Python is needed. Production sets the variables (see
docker-compose.yml and docs/reference/settings.md).
"""

import base64
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
import ldap
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import (
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPSearch,
    NestedActiveDirectoryGroupType,
    PosixGroupType,
)

# Generic Django classes (`models.CharField[str, str]`) can be written in code, for mypy.
django_stubs_ext.monkeypatch()

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
    "django_prometheus",
    "lpmplanner",
    "inventory",
    "planning",
    "migrations_app",
]

MIDDLEWARE = [
    # First and (but for axes) last: counts and times every request, by view (/metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
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
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "lpmplanner.docs_site.help_link",
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
# SQLite is shared by the web process, the worker and beat: write-ahead logging lets readers
# go on while one writes, and every transaction takes the write lock when it begins (IMMEDIATE)
# and waits up to 20 s for it, instead of failing "database is locked" when a read transaction
# later tries to write while another process writes.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process in the tests sees the test database too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)

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
    # The directory (LDAP / Active Directory) when LDAP_SERVER_URI is set; it leaves local
    # accounts (those with a password here) to the next backend, so that the break-glass
    # administrator signs in whatever the directory says or whether it answers at all.
    "lpmplanner.security.ldap.DirectoryBackend",
    # An OpenID Connect provider's callback, when OIDC_CLIENT_ID is set.
    "lpmplanner.security.oidc.ProviderBackend",
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
# The documentation site `make docs` builds, served under /docs/ when it is there.
DOCS_SITE_DIR = BASE_DIR / "site"
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
        "queue_order_strategy": "priority",
        "sep": ":",
        "priority_steps": [0, 3, 6, 9],
    }
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
    "migrations-reconcile": {
        "task": "migrations_app.tasks.migrations_reconcile_task",
        "schedule": 30.0,
    },
    # Starts the scheduled readiness runs that are due (each HMC sets its own interval).
    "readiness-runs-due": {
        "task": "migrations_app.tasks.readiness_runs_due_task",
        "schedule": 60.0,
    },
    # Deletes the files of matrix exports older than MATRIX_EXPORT_KEEP_HOURS.
    "matrix-exports-prune": {
        "task": "planning.tasks.matrix_exports_prune_task",
        "schedule": 3600.0,
    },
    # Deletes the kept uploads of workbook imports older than WORKBOOK_UPLOAD_KEEP_DAYS.
    "workbook-uploads-prune": {
        "task": "planning.tasks.workbook_uploads_prune_task",
        "schedule": 3600.0,
    },
    # Fails the background jobs (syncs, creations on HMCs, imports) whose worker went silent.
    "jobs-stale-fail": {"task": "lpmplanner.tasks.jobs_stale_fail_task", "schedule": 60.0},
    # Hands to a worker again the notification deliveries that should be on their way and aren't.
    "notification-deliveries-resend": {
        "task": "lpmplanner.tasks.notification_deliveries_resend_task",
        "schedule": 60.0,
    },
    # Checks the estate again (and rebuilds the zoning figures) when it changed since last time.
    "estate-summaries-refresh": {
        "task": "planning.tasks.estate_summaries_refresh_task",
        "schedule": 60.0,
    },
    # Starts the migrations whose change window opened (or time came), reports those that
    # could not start in time, those that ran over, and windows that closed with jobs not run.
    "change-windows-tick": {
        "task": "migrations_app.tasks.change_windows_tick_task",
        "schedule": 30.0,
    },
}

# Migrations: concurrency limits beside each frame's own (Frame.max_active_migrations).
LPM_MSP_MAX_MIGRATIONS = env_int("LPM_MSP_MAX_MIGRATIONS", 4)
LPM_HMC_MAX_MIGRATIONS = env_int("LPM_HMC_MAX_MIGRATIONS", 16)
# A batch of more items than this is admitted by a worker (a BatchAdmission job, with progress)
# instead of in the request: inline, 200 items took 0.9–2.2 s on a loaded 2-core machine (load
# 6–11), so 100 keep the request near 1 s and under 2 s at twice that load.
BATCH_ADMIT_INLINE_MAX = env_int("BATCH_ADMIT_INLINE_MAX", 100)
# How often a running migration's progress is read from the HMC (lslparmigr), in seconds, and
# after how long without a report from its worker the reconciler takes the job over.
LPM_MIGRATION_POLL_SECONDS = env_float("LPM_MIGRATION_POLL_SECONDS", 2.0)
LPM_MIGRATION_STALE_SECONDS = env_float("LPM_MIGRATION_STALE_SECONDS", 60.0)
# Change windows: a migration scheduled in a window is not started later than the window's end
# minus its expected duration: the LPAR's memory at the rate the last completed migration
# between the same frames measured (else on the same HMC, else any), or at
# LPM_MIGRATION_RATE_MB_S when none has completed yet, plus LPM_MIGRATION_OVERHEAD_SECONDS
# (validation, the HMC's preparation and the final switch).
LPM_MIGRATION_RATE_MB_S = env_float("LPM_MIGRATION_RATE_MB_S", 100.0)
LPM_MIGRATION_OVERHEAD_SECONDS = env_float("LPM_MIGRATION_OVERHEAD_SECONDS", 120.0)
# The clock the schedulers read (a dotted path to a callable returning an aware datetime); only
# tests change it.
LPM_CLOCK = os.environ.get("LPM_CLOCK", "").strip() or "django.utils.timezone.now"
# Background jobs other than migrations (syncs, creations on HMCs, workbook imports): a running
# one whose worker has not reported for this long is failed with the reason, in seconds.
JOB_STALE_SECONDS = env_float("JOB_STALE_SECONDS", 900.0)
CELERY_TIMEZONE = TIME_ZONE

# Readiness runs (migrlpar -o v over a scope): at most this many validations at a time per HMC;
# none while the HMC is busy migrating (a run waits up to READINESS_BUSY_WAIT_SECONDS, asking
# every READINESS_BUSY_POLL_SECONDS, then records the LPARs left as not checked). They go to
# READINESS_QUEUE (default: the default queue + ".readiness"), which a worker of its own
# consumes, so a run never holds a worker slot a migration needs. READINESS_DETAIL_LEVEL is
# migrlpar's -d (1-5; 0: not sent, for HMC levels without it).
READINESS_HMC_MAX_VALIDATIONS = env_int("READINESS_HMC_MAX_VALIDATIONS", 2)
READINESS_BUSY_WAIT_SECONDS = env_float("READINESS_BUSY_WAIT_SECONDS", 3600.0)
READINESS_BUSY_POLL_SECONDS = env_float("READINESS_BUSY_POLL_SECONDS", 1.0)
READINESS_STALE_SECONDS = env_float("READINESS_STALE_SECONDS", 120.0)
READINESS_QUEUE = os.environ.get("CELERY_READINESS_QUEUE", "")
READINESS_DETAIL_LEVEL = env_int("READINESS_DETAIL_LEVEL", 5)
if READINESS_HMC_MAX_VALIDATIONS < 1:
    raise ImproperlyConfigured(
        f"READINESS_HMC_MAX_VALIDATIONS={READINESS_HMC_MAX_VALIDATIONS} must be at least 1."
    )
if not 0 <= READINESS_DETAIL_LEVEL <= 5:
    raise ImproperlyConfigured(
        f"READINESS_DETAIL_LEVEL={READINESS_DETAIL_LEVEL} must be 0 (not sent) to 5."
    )

# The planning workbook import: the largest upload (refused before it is kept); the most rows
# one file may hold (blank ones too); above WORKBOOK_ASYNC_ROWS an import runs as a background
# job; an xlsx whose real inflated bytes pass WORKBOOK_MAX_UNCOMPRESSED_MB, or
# WORKBOOK_MAX_INFLATION times its size, is refused as reading gets there (a zip bomb).
WORKBOOK_MAX_UPLOAD_MB = env_int("WORKBOOK_MAX_UPLOAD_MB", 25)
# An upload past WORKBOOK_MAX_UPLOAD_MB is counted, not spooled: the rest of it is dropped.
FILE_UPLOAD_HANDLERS = [
    "planning.workbook.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
WORKBOOK_MAX_ROWS = env_int("WORKBOOK_MAX_ROWS", 100_000)
WORKBOOK_ASYNC_ROWS = env_int("WORKBOOK_ASYNC_ROWS", 2_000)
WORKBOOK_MAX_UNCOMPRESSED_MB = env_int("WORKBOOK_MAX_UNCOMPRESSED_MB", 1_000)
WORKBOOK_MAX_INFLATION = env_int("WORKBOOK_MAX_INFLATION", 100)
WORKBOOK_UPLOAD_DIR = VAR_DIR / "workbook-imports"
# Migratability matrix exports (worker jobs): their files, deleted after this many hours (beat
# prunes every hour); the job rows stay.
MATRIX_EXPORT_DIR = VAR_DIR / "matrix-exports"
MATRIX_EXPORT_KEEP_HOURS = env_int("MATRIX_EXPORT_KEEP_HOURS", 24)
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

# Directory sign-in (LDAP / Active Directory, django-auth-ldap): off while LDAP_SERVER_URI is
# empty. Users are found with the service account (bind DN) under the search base, then bound
# with their own password; their groups give their roles at every sign-in.
ROLE_NAMES = ("Planner", "SAN admin", "Operator", "Viewer")  # lpmplanner.roles.ROLES


def env_role_groups(name: str, default: str = "") -> list[tuple[str, str]]:
    """`Role=group;Role=group…` as (role, group) pairs; a role may be named more than once."""
    pairs = []
    for item in os.environ.get(name, default).split(";"):
        if not item.strip():
            continue
        role, sep, group = item.partition("=")
        role, group = role.strip(), group.strip()
        if not sep or not group or role not in ROLE_NAMES:
            raise ImproperlyConfigured(
                f"{name}: {item.strip()!r} is not 'Role=group' with a role among "
                f"{', '.join(ROLE_NAMES)}."
            )
        pairs.append((role, group))
    return pairs


AUTH_LDAP_SERVER_URI = os.environ.get("LDAP_SERVER_URI", "").strip()
AUTH_LDAP_START_TLS = env_bool("LDAP_START_TLS", False)
AUTH_LDAP_BIND_DN = os.environ.get("LDAP_BIND_DN", "")
AUTH_LDAP_BIND_PASSWORD = os.environ.get("LDAP_BIND_PASSWORD", "")
AUTH_LDAP_USER_SEARCH = LDAPSearch(
    os.environ.get("LDAP_USER_SEARCH_BASE", ""),
    ldap.SCOPE_SUBTREE,
    os.environ.get("LDAP_USER_FILTER", "(uid=%(user)s)"),
)
LDAP_GROUP_TYPES = {
    "groupOfNames": (GroupOfNamesType, "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": (GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
    "posixGroup": (PosixGroupType, "(objectClass=posixGroup)"),
    "activeDirectory": (NestedActiveDirectoryGroupType, "(objectClass=group)"),
}
LDAP_GROUP_TYPE = os.environ.get("LDAP_GROUP_TYPE", "groupOfNames").strip()
if LDAP_GROUP_TYPE not in LDAP_GROUP_TYPES:
    raise ImproperlyConfigured(
        f"LDAP_GROUP_TYPE={LDAP_GROUP_TYPE!r}: use one of {', '.join(LDAP_GROUP_TYPES)}."
    )
AUTH_LDAP_GROUP_TYPE = LDAP_GROUP_TYPES[LDAP_GROUP_TYPE][0]()
AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
    os.environ.get("LDAP_GROUP_SEARCH_BASE", ""),
    ldap.SCOPE_SUBTREE,
    LDAP_GROUP_TYPES[LDAP_GROUP_TYPE][1],
)
AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
AUTH_LDAP_ALWAYS_UPDATE_USER = True
AUTH_LDAP_CONNECTION_OPTIONS = {
    ldap.OPT_NETWORK_TIMEOUT: env_float("LDAP_TIMEOUT_SECONDS", 5.0),
    ldap.OPT_TIMEOUT: env_float("LDAP_TIMEOUT_SECONDS", 5.0),
    ldap.OPT_REFERRALS: 0,  # Active Directory's referrals lead to servers we cannot bind to
}
if os.environ.get("LDAP_CA_FILE", "").strip():
    AUTH_LDAP_CONNECTION_OPTIONS |= {
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
        ldap.OPT_X_TLS_CACERTFILE: os.environ["LDAP_CA_FILE"].strip(),
        ldap.OPT_X_TLS_NEWCTX: 0,  # last: applies the TLS options above
    }
# Which directory group makes which role, and whose members are administrators (superusers).
LDAP_ROLE_GROUPS = env_role_groups("LDAP_ROLE_GROUPS")
LDAP_ADMIN_GROUPS = [g for g in os.environ.get("LDAP_ADMIN_GROUP", "").split(";") if g.strip()]

# Sign-in through an OpenID Connect provider (mozilla-django-oidc): off while OIDC_CLIENT_ID is
# empty. Endpoints come from the discovery document unless set one by one; roles from the groups
# claim (OIDC_ROLE_GROUPS, by default the LDAP map); the provider's multi-factor sign-in (`amr`
# holding one of OIDC_MFA_AMR, or `acr` one of OIDC_MFA_ACR) counts as the second factor.
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "").strip() or "single sign-on"
OIDC_DISCOVERY_URL = os.environ.get("OIDC_DISCOVERY_URL", "").strip()
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "").strip()
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", "").strip()
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", "").strip()
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_ENDPOINT", "").strip()
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile").strip()
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256").strip()
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username").strip()
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups").strip()
OIDC_ROLE_GROUPS = env_role_groups(
    "OIDC_ROLE_GROUPS" if os.environ.get("OIDC_ROLE_GROUPS", "").strip() else "LDAP_ROLE_GROUPS"
)
OIDC_ADMIN_GROUPS = [g for g in os.environ.get("OIDC_ADMIN_GROUP", "").split(";") if g.strip()]
OIDC_MFA_AMR = env_list("OIDC_MFA_AMR", "mfa")
OIDC_MFA_ACR = env_list("OIDC_MFA_ACR", "")
OIDC_TIMEOUT = env_float("OIDC_TIMEOUT_SECONDS", 10.0)
OIDC_VERIFY_SSL = os.environ.get("OIDC_CA_FILE", "").strip() or True
OIDC_USE_PKCE = True
OIDC_CREATE_USER = True

# Prometheus metrics at /metrics: open to these addresses or networks, and to any caller with
# `Authorization: Bearer <METRICS_TOKEN>`. With several processes (gunicorn workers, Celery
# workers) PROMETHEUS_MULTIPROC_DIR is a directory they all write their counts to.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(item, strict=False)
        for item in env_list("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1")
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {exc}") from None
METRICS_MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
if METRICS_MULTIPROCESS_DIR:
    Path(METRICS_MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)

# Notifications: e-mail through Django's mail backend, SMTP when EMAIL_HOST is set (else the
# messages are written to the log); webhooks get signed JSON. A failed delivery is tried again
# after NOTIFY_RETRY_SECONDS, doubled each time, NOTIFY_MAX_ATTEMPTS times in all.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "lpmplanner@localhost"
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL: set one of them, not both.")
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5)
NOTIFY_RETRY_SECONDS = env_float("NOTIFY_RETRY_SECONDS", 30.0)
NOTIFY_WEBHOOK_TIMEOUT_SECONDS = env_float("NOTIFY_WEBHOOK_TIMEOUT_SECONDS", 10.0)
# A delivery not on its way this long after it was due (its hand-off to the broker failed, its
# worker stopped) is handed to a worker again by the beat.
NOTIFY_RESEND_AFTER_SECONDS = env_float("NOTIFY_RESEND_AFTER_SECONDS", 300.0)
# Webhooks reach public addresses only: a URL whose host is (or resolves to) a loopback, private,
# link-local (cloud metadata), shared or reserved address is refused, unless it lies in one of
# these networks an administrator allows (e.g. "10.20.0.0/16" for an in-house chat server).
try:
    NOTIFY_WEBHOOK_ALLOWED_NETWORKS = [
        ipaddress.ip_network(item, strict=False)
        for item in env_list("NOTIFY_WEBHOOK_ALLOWED_NETWORKS", "")
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"NOTIFY_WEBHOOK_ALLOWED_NETWORKS: {exc}") from None

# API tokens: named, scoped (read < write < operate), expiring, stored hashed.
API_TOKEN_DEFAULT_SCOPE = os.environ.get("API_TOKEN_DEFAULT_SCOPE", "write")
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 30)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)

# A list filter left empty matches everything: it reads "Any", not Django's "---------".
FILTERS_EMPTY_CHOICE_LABEL = "Any"

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
        "lpmplanner.api.OrderingFilter",
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
        "HmcSyncStateEnum": "migrations_app.models.HmcSync.State",
        "ReadinessScopeEnum": "migrations_app.readiness.models.ReadinessRun.Scope",
        "ScopeEnum": "lpmplanner.models.ApiToken.Scope",
        "LparCreateJobStateEnum": "migrations_app.models.LparCreateJob.State",
        "RequiredOrIfPossibleEnum": "migrations_app.models.RequiredOrIfPossible",
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

# Logs: one line per event on the console, `plain` (time, level, logger, message, context) or
# `json`; every line of a request carries its request id and user, every line of a task its job.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower() or "plain"
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "lpmplanner.logs.formatter", "json": False},
        "json": {"()": "lpmplanner.logs.formatter", "json": True},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers for "django" (a console copy under DEBUG, mail to ADMINS) are
        # dropped: its lines reach the root handler like every other, request id included.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
    },
}
# Workers log through the same configuration rather than Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
