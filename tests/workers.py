"""Real Celery worker processes against the test broker and the test database.

The fixtures that start them live in `tests/conftest.py` (one worker per test process, shared by
every module that asks for it) and `tests/integration/conftest.py`."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from lpmplanner.celery import app as celery_app

READY_TIMEOUT = 60

# A migration worker polls often and takes over a silent job quickly, so the tests stay short.
WORKER_ENV = {"LPM_MIGRATION_POLL_SECONDS": "0.2", "LPM_MIGRATION_STALE_SECONDS": "2"}


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll `predicate` until it returns something true (returned) or `timeout` seconds pass
    (its last value returned)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def database_url_of_test_database() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class WorkerProcess:
    hostname: str
    queue: str
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def worker_start(
    *,
    database_url: str,
    queue: str,
    log: Path,
    hostname: str | None = None,
    env: dict | None = None,
) -> WorkerProcess:
    """Start `celery worker` on `queue` and wait until it is ready. `env` adds settings (e.g.
    LPM_MIGRATION_POLL_SECONDS) for the worker process."""
    hostname = hostname or f"{queue}-{uuid.uuid4().hex[:6]}@localhost"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "lpmplanner",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        f"--hostname={hostname}",
        f"--queues={queue}",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    worker = WorkerProcess(hostname=hostname, queue=queue, log=log, process=process)
    deadline = time.monotonic() + READY_TIMEOUT
    while f"{hostname} ready." not in worker.log_text():
        if process.poll() is not None or time.monotonic() > deadline:
            worker_stop(worker)
            raise RuntimeError(f"Celery worker did not start:\n{worker.log_text()}")
        time.sleep(0.2)
    return worker


def worker_stop(worker: WorkerProcess) -> None:
    if worker.process.poll() is not None:
        return
    worker.process.terminate()
    try:
        worker.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()


@contextmanager
def worker_on_own_queue(
    *, database_url: str, log: Path, env: dict | None = None
) -> Iterator[WorkerProcess]:
    """A worker on a queue of its own (so that parallel test runs sharing one broker never take
    each other's tasks), to which this process sends its tasks until the block ends."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    worker = None
    try:
        worker = worker_start(
            database_url=database_url,
            queue=queue,
            log=log,
            hostname=f"{queue}@localhost",
            env=env,
        )
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous_queue
        if worker is not None:
            worker_stop(worker)
