"""A real Celery worker process against the test broker and the test database."""

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from lpmplanner.celery import app as celery_app

READY_TIMEOUT = 60


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


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start `celery worker` on a queue of its own (so that parallel test runs sharing one
    broker never take each other's tasks), wait until it is ready, stop it at the end."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    hostname = f"{queue}@localhost"
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with django_db_blocker.unblock():
        database_url = database_url_of_test_database()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "lpmplanner", "worker",
        "--pool=solo", "--loglevel=INFO", f"--hostname={hostname}", f"--queues={queue}",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    worker = WorkerProcess(hostname=hostname, queue=queue, log=log, process=process)
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while " ready." not in worker.log_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{worker.log_text()}")
            time.sleep(0.2)
        yield worker
    finally:
        celery_app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
