"""Throughput of `/api/lpars/?limit=100` under gunicorn with 200 concurrent clients, against a
static file served by the same gunicorn (2,000 client LPARs; BENCH_THROUGHPUT_LPARS=n).

gunicorn runs as deployed (`gunicorn lpmplanner.wsgi -c gunicorn.conf.py`, its workers and
threads from the CPU count unless GUNICORN_WORKERS / GUNICORN_THREADS say otherwise) on a free
port, against this benchmark's database (`bench/gunicorn_settings.py`). `bench/load.py`, in a
process of its own, keeps 200 clients busy (each sends its next request when its answer has
come), first on a static file (WhiteNoise, the same middleware and workers: the floor), then on
the API with a read token. The API must reach a fraction of the static file's requests per
second and keep its p99 latency under a bound; any error answer from the API is a miss
(the static file's are reported: a connection reset while a worker is recycled).
BENCH_GUNICORN="2x4,3x1" measures those workers × threads instead (the scaling table), and
BENCH_THROUGHPUT_SECONDS sets each measured window (default 8 s), which opens once every
client has had an answer.
"""

import json
import math
import os
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from inventory.seeding import estate_seed
from lpmplanner.models import ApiToken
from lpmplanner.roles import roles_bootstrap
from lpmplanner.security.tokens import api_token_create

ROOT = Path(__file__).resolve().parent.parent
LPARS = int(os.environ.get("BENCH_THROUGHPUT_LPARS", "2000"))
LPARS_PER_FRAME = 50
CLIENTS = 200
SECONDS = float(os.environ.get("BENCH_THROUGHPUT_SECONDS", "8"))
WARMUP_MAX = 60.0  # the window opens once every client has had an answer, or after this
API_URL = "/api/lpars/?limit=100"
STATIC_URL = "/static/css/lpmplanner.css"
# Targets: see docs/operations/scaling.md ("Throughput") for how they were chosen.
MIN_RATIO = 0.008
MAX_P99_SECONDS = 30.0


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


@dataclass(frozen=True)
class Throughput:
    """Requests per second and p99 latency of a URL under load, beside the static floor's."""

    name: str
    rps: float
    p99: float
    floor_rps: float
    floor_p99: float
    errors: dict
    min_ratio: float = MIN_RATIO
    max_p99: float = MAX_P99_SECONDS

    @property
    def ratio(self) -> float:
        return self.rps / self.floor_rps if self.floor_rps else 0.0

    @property
    def ok(self) -> bool:
        api_errors = [kind for kind in self.errors if not kind.startswith("static ")]
        return not api_errors and self.ratio >= self.min_ratio and self.p99 <= self.max_p99

    def target(self) -> str:
        return f"≥ {self.min_ratio:g}× static rps, p99 ≤ {self.max_p99:g} s, no API errors"

    def line(self) -> str:
        errors = f"; errors {self.errors}" if self.errors else ""
        return (
            f"{self.name}: {self.rps:.1f} req/s, p99 {_time(self.p99)}; floor static "
            f"file: {self.floor_rps:.0f} req/s, p99 {_time(self.floor_p99)}; ratio "
            f"{self.ratio:.3f} (target {self.target()}){errors} "
            f"{'ok' if self.ok else 'MISSED'}"
        )

    def columns(self) -> dict:
        floor = f"static file: {self.floor_rps:.0f} req/s, p99 {_time(self.floor_p99)}"
        return {
            "name": self.name,
            "target": self.target(),
            "floor": floor,
            "ratio": f"{self.ratio:.3f}",
            "measured": f"{self.rps:.1f} req/s, p99 {_time(self.p99)}",
        }


def _token() -> str:
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench-throughput")
    user.groups.add(Group.objects.get(name="Viewer"))
    _, key = api_token_create(user=user, name="bench", scope=ApiToken.Scope.READ)
    return key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn with the project's config file on a free port; `None` workers/threads: the
    config's defaults."""

    def __init__(self, workers: int | None, threads: int | None, log):
        self.port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.gunicorn_settings",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "PYTHONPATH": str(ROOT),
        }
        for name, value in (("GUNICORN_WORKERS", workers), ("GUNICORN_THREADS", threads)):
            if value is not None:
                env[name] = str(value)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "lpmplanner.wsgi",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
        ]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
        self.log = Path(log.name)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url(STATIC_URL), timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within a minute:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _load(url: str, headers: list[str]) -> dict:
    command = [
        sys.executable,
        str(ROOT / "bench" / "load.py"),
        url,
        "--clients",
        str(CLIENTS),
        "--seconds",
        str(SECONDS),
        "--warmup",
        str(WARMUP_MAX),
    ]
    for header in headers:
        command += ["--header", header]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _configurations() -> list[tuple[int | None, int | None]]:
    text = os.environ.get("BENCH_GUNICORN", "").strip()
    if not text:
        return [(None, None)]
    pairs = [part.strip().lower().split("x") for part in text.split(",") if part.strip()]
    return [(int(workers), int(threads)) for workers, threads in pairs]


def _describe(workers: int | None, threads: int | None) -> str:
    """workers × threads, the config file's defaults (on this machine) where not given."""
    if workers is None or threads is None:
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        label = "config defaults: "
        workers, threads = workers or config["workers"], threads or config["threads"]
    else:
        label = ""
    return f"{label}{workers} workers × {threads} threads"


def run() -> list[Throughput]:
    key = _token()
    frames = math.ceil(LPARS / LPARS_PER_FRAME)
    print(f"building the estate: {frames} frames × {LPARS_PER_FRAME} LPARs …", flush=True)
    estate_seed(frames=frames, lpars_per_frame=min(LPARS, LPARS_PER_FRAME), seed=1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()  # the SQLite file is gunicorn's from now on
    results = []
    for workers, threads in _configurations():
        with tempfile.NamedTemporaryFile(suffix=".log") as log:
            server = Gunicorn(workers, threads, log)
            try:
                server.wait_ready()
                static = _load(server.url(STATIC_URL), [])
                api = _load(server.url(API_URL), [f"Authorization: Token {key}"])
            finally:
                server.stop()
            label = _describe(workers, threads)
        errors = {**{f"static {k}": v for k, v in static["errors"].items()}, **api["errors"]}
        results.append(
            Throughput(
                f"API {API_URL}, {CLIENTS} clients, {label}",
                api["rps"],
                api["p99"],
                static["rps"],
                static["p99"],
                errors,
            )
        )
    return results
