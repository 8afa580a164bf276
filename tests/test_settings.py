"""Settings come from the environment, with safe defaults and clear errors."""

import json
import os
import stat
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'secret': settings.SECRET_KEY, 'fernet': settings.FIELD_ENCRYPTION_KEY, "
    "'db': settings.DATABASES['default']['ENGINE'], 'broker': settings.CELERY_BROKER_URL, "
    "'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS}))"
)
KNOBS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "FIELD_ENCRYPTION_KEY",
    "HTTPS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def load_settings(var_dir, **env):
    base = {k: v for k, v in os.environ.items() if k not in KNOBS}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**base, "LPM_VAR_DIR": str(var_dir), **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return result


def test_defaults_are_the_embedded_mode_and_secrets_are_kept(tmp_path):
    first = load_settings(tmp_path)
    assert first.returncode == 0, first.stderr
    values = json.loads(first.stdout)
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["broker"] == "filesystem://"
    assert values["debug"] is False
    assert values["hosts"] == ["127.0.0.1", "localhost"]
    assert len(values["secret"]) >= 50
    assert (tmp_path / "broker" / "queue").is_dir()
    for name in ("secret_key", "field_encryption_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600

    again = json.loads(load_settings(tmp_path).stdout)
    assert again["secret"] == values["secret"]
    assert again["fernet"] == values["fernet"]


def test_variables_override_the_defaults(tmp_path):
    result = load_settings(
        tmp_path,
        DATABASE_URL="postgres://lpm@db:5432/lpm",
        CELERY_BROKER_URL="redis://redis:6379/0",
        SECRET_KEY="k" * 60,
        DEBUG="true",
        ALLOWED_HOSTS="lpm.example.com, lpm",
    )
    values = json.loads(result.stdout)
    assert values["db"] == "django.db.backends.postgresql"
    assert values["broker"] == "redis://redis:6379/0"
    assert values["secret"] == "k" * 60
    assert values["debug"] is True
    assert values["hosts"] == ["lpm.example.com", "lpm"]
    assert not (tmp_path / "secret_key").exists()


def test_a_bad_boolean_names_the_variable(tmp_path):
    result = load_settings(tmp_path, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_workbook_uploads_are_kept_at_least_a_day(tmp_path):
    result = load_settings(tmp_path, WORKBOOK_UPLOAD_KEEP_DAYS="0")
    assert result.returncode != 0
    assert "WORKBOOK_UPLOAD_KEEP_DAYS=0 must be at least 1" in result.stderr


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            **{k: v for k, v in os.environ.items() if k not in KNOBS},
            "LPM_VAR_DIR": str(tmp_path),
            "DEBUG": "0",
            "HTTPS": "1",
            "SECRET_KEY": "a-production-secret-" + "x7Q!z" * 12,
            "ALLOWED_HOSTS": "lpm.example.com",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
