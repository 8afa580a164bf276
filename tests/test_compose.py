"""docker-compose.yml and the Dockerfile, checked by reading them (no Docker engine runs here)."""

import importlib
import re
import runpy
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = {"migrate", "web", "worker", "readiness-worker", "beat", "hmc-sim"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def argv(command) -> list[str]:
    return command if isinstance(command, list) else shlex.split(command)


def commands_run_by(service: dict) -> list[list[str]]:
    """The command lines a service runs, with `sh -c "a && b"` split into its parts."""
    words = argv(service["command"])
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def variables_the_settings_read() -> set[str]:
    source = (ROOT / "lpmplanner" / "settings.py").read_text()
    pattern = r'(?:os\.environ\.get|env_bool|env_int|env_list|kept_secret)\(\s*"([A-Z_]+)"'
    return set(re.findall(pattern, source))


def test_the_stack_has_every_service_with_a_health_check(compose):
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("db", "redis", "web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name


def test_every_app_command_exists_in_the_project(compose):
    manage_commands = get_commands()
    for name in APP_SERVICES:
        for words in commands_run_by(compose["services"][name]):
            program = words[0]
            if program == "python":
                assert words[1] == "manage.py", (name, words)
                assert words[2] in manage_commands, f"{name}: no manage.py command {words[2]}"
            elif program == "celery":
                assert words[1:3] == ["-A", "lpmplanner"], (name, words)
                assert words[3] in {"worker", "beat"}, (name, words)
            elif program == "gunicorn":
                module, attribute = (
                    words[1].split(":") if ":" in words[1] else (words[1], "application")
                )
                assert callable(getattr(importlib.import_module(module), attribute)), name
            else:
                pytest.fail(f"{name} runs {program}, which the image does not provide")


def test_every_variable_the_settings_read_is_provided(compose):
    wanted = variables_the_settings_read()
    assert {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEY",
    } <= wanted
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert wanted <= set(environment), f"{name} lacks {sorted(wanted - set(environment))}"
        assert environment["DEBUG"] == "0"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "@db:5432/" in environment["DATABASE_URL"]
        assert environment["CELERY_BROKER_URL"] == "redis://redis:6379/0"


def test_app_services_wait_for_healthy_database_and_broker_and_for_migrations(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in APP_SERVICES - {"migrate"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_secrets_must_be_given_not_defaulted(compose):
    environment = compose["services"]["web"]["environment"]
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
        assert re.fullmatch(r"\$\{" + name + r":\?.+\}", environment[name]), name


def test_dockerfile_installs_the_project_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert "pip install --no-cache-dir ." in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER \w+", dockerfile, re.M), "the image must not run as root"
    assert '"gunicorn", "lpmplanner.wsgi", "--config", "gunicorn.conf.py"' in dockerfile


def test_the_web_service_runs_gunicorn_with_its_config_file(compose):
    web = compose["services"]["web"]
    assert argv(web["command"]) == ["gunicorn", "lpmplanner.wsgi", "--config", "gunicorn.conf.py"]
    assert (ROOT / "gunicorn.conf.py").is_file()
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS"):
        assert re.fullmatch(r"\$\{" + name + r":-\}", web["environment"][name]), name


def gunicorn_config(monkeypatch, **environment) -> dict:
    """gunicorn.conf.py's settings as gunicorn reads them, under `environment`."""
    for name in (
        "GUNICORN_WORKERS",
        "GUNICORN_THREADS",
        "GUNICORN_TIMEOUT",
        "GUNICORN_MAX_REQUESTS",
        "GUNICORN_BIND",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults_come_from_the_cpu_count(monkeypatch):
    config = gunicorn_config(monkeypatch)
    cpus = config["cpu_count"]()
    assert cpus >= 1
    assert config["workers"] == max(2, cpus)
    assert config["threads"] == 4 and config["worker_class"] == "gthread"
    assert config["default_workers"](8) == 8 and config["default_workers"](1) == 2
    assert config["preload_app"] is True
    # gthread's restart after max_requests resets a connection (gunicorn #3038): off with it.
    assert config["max_requests"] == 0 and config["max_requests_jitter"] == 100
    assert config["timeout"] == 60 and config["bind"] == "0.0.0.0:8000"


def test_gunicorn_settings_from_the_environment(monkeypatch):
    config = gunicorn_config(
        monkeypatch,
        GUNICORN_WORKERS="5",
        GUNICORN_THREADS="1",
        GUNICORN_TIMEOUT="",
        GUNICORN_BIND="127.0.0.1:9000",
    )
    assert (config["workers"], config["threads"]) == (5, 1)
    assert config["worker_class"] == "sync"
    assert config["max_requests"] == 1000  # the sync worker restarts cleanly
    assert config["timeout"] == 60  # empty, as Compose passes an unset variable: the default
    assert config["bind"] == "127.0.0.1:9000"
