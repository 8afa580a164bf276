"""Reachability probes for /healthz: the database and the Celery broker."""

from django.conf import settings
from django.db import connections
from kombu import Connection


def database_problem() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not reachable"
        return f"database unreachable ({type(exc).__name__})"
    return None


def broker_problem(timeout: float = 3.0) -> str | None:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    try:
        with Connection(
            settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # any transport error means "not reachable"
        return f"broker unreachable ({type(exc).__name__})"
    return None
