"""The embedded default, as a user meets it: `make run` on SQLite and the filesystem broker,
and the production web path (gunicorn, DEBUG off, collected static files) on the same."""

import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp
import pytest
from django.conf import settings

pytestmark = pytest.mark.smoke

ROOT = Path(settings.BASE_DIR)
EXTERNAL = ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "FIELD_ENCRYPTION_KEY")


def test_the_smoke_part_runs_on_the_embedded_default():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.CELERY_BROKER_URL == "filesystem://"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(var_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in EXTERNAL}
    return {**env, "LPM_VAR_DIR": str(var_dir), **extra}


class Process:
    """A command in its own process group, its output collected as it comes."""

    def __init__(self, command: list[str], env: dict):
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        for line in self.popen.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def interrupt(self) -> int:
        """What Ctrl-C does in a terminal: SIGINT to the whole process group."""
        os.killpg(self.popen.pid, signal.SIGINT)
        try:
            return self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            raise


class Browser:
    """A cookie-keeping HTTP client that signs in through the login form."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_form(self, path: str, page: str, fields: dict) -> tuple[int, str, str]:
        """Submit the form of `page` (its CSRF token) to `path`; returns the status, the URL
        the redirects led to and the body."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(
            self.base + path, data=data, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()

    def sign_in(self, username: str, password: str) -> tuple[int, str]:
        """The login form, then what an administrator meets on a first sign-in: setting up the
        authenticator app (the secret read off the page, the code computed as the app would)."""
        _, form = self.get("/login/")
        status, url, body = self.post_form(
            "/login/", form, {"username": username, "password": password}
        )
        if "/account/two-factor/" in url:
            secret = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', body).group(1)
            path = urllib.parse.urlsplit(url)
            status, url, body = self.post_form(
                f"{path.path}?{path.query}", body, {"code": pyotp.TOTP(secret).now()}
            )
            # The recovery codes are shown once; then on to the page asked for.
            onward = re.search(r'href="([^"]+)" data-testid="recovery-codes-continue"', body)
            status, body = self.get(html.unescape(onward.group(1)))
        return status, body


def wait_until(predicate, timeout: float, what: str, process: Process):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            pytest.fail(f"the process ended before {what}:\n{process.output}")
        try:
            value = predicate()
        except (OSError, urllib.error.URLError):
            value = None
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}:\n{process.output}")


def test_make_run_serves_the_app_and_the_printed_login_works(tmp_path):
    port = free_port()
    run = Process(
        ["make", "--no-print-directory", "run", f"RUN_PORT={port}"], embedded_env(tmp_path / "var")
    )
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: browser.get("/healthz")[0] == 200, 120, "/healthz to answer", run)
        username = re.search(r"username: (\S+)", run.output).group(1)
        password = re.search(r"password: (\S+)", run.output).group(1)

        status, dashboard = browser.sign_in(username, password)
        assert status == 200
        assert f"Signed in as <strong>{username}</strong>" in dashboard

        # Beat sends the first heartbeat when it starts; the worker records it in the database.
        wait_until(
            lambda: 'badge text-bg-success">alive' in browser.get("/")[1],
            60,
            "the worker's heartbeat on the dashboard",
            run,
        )
        assert (tmp_path / "var" / "lpmplanner.sqlite3").exists()
    finally:
        code = run.interrupt()
    assert code in (0, -signal.SIGINT, 128 + signal.SIGINT), run.output
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_production_web_serves_collected_static_files_with_debug_off(tmp_path):
    env = embedded_env(tmp_path / "var", DEBUG="0", STATIC_ROOT=str(tmp_path / "static"))
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert collect.returncode == 0, collect.stderr
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr

    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    web = Process(
        [gunicorn, "lpmplanner.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env
    )
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: browser.get("/healthz")[0] == 200, 60, "gunicorn to answer", web)
        status, login = browser.get("/login/")
        assert status == 200
        css = re.search(
            r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css)"', login
        )
        assert css, "the page does not link the hashed (manifest) stylesheet"
        status, body = browser.get(css.group(1))
        assert status == 200
        assert "Bootstrap" in body[:300]
        status, missing = browser.get("/no/such/page/")
        assert status == 404
        assert "404 · Not found" in missing
        assert "Traceback" not in missing and "URLconf" not in missing
    finally:
        web.interrupt()
