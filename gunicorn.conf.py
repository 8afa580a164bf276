"""gunicorn's settings for the web service (`gunicorn lpmplanner.wsgi -c gunicorn.conf.py`).

Each can be set from the environment; the defaults are computed from the CPUs this process may
use (its affinity and, in a container, its cgroup CPU quota) and were chosen by measurement
(`bench/bench_throughput.py`; the table is in docs/operations/scaling.md):

- workers: GUNICORN_WORKERS, default one per CPU (at least 2, so that one can be recycled or
  stuck in a slow request while the other answers).
- threads: GUNICORN_THREADS, default 4, with the `gthread` worker (1: the `sync` worker): a
  request waits on PostgreSQL for part of its time, and a worker's other threads run meanwhile.
  On 2 cores, 2 workers × 4 threads answered the most API requests per second with the lowest
  p99 of the combinations measured (3 × 1, 4 × 1, 4 × 2, 5 × 4, 8 × 1); more processes only
  took turns on the same CPUs. At 8 cores, 8 × 4 is extrapolated, not measured.
- timeouts: GUNICORN_TIMEOUT (60 s: the longest synchronous request, a large export, fits),
  GUNICORN_GRACEFUL_TIMEOUT (30 s), GUNICORN_KEEPALIVE (5 s, the gthread worker only).
- the project is loaded before the workers fork (`preload_app`), its views included.
- recycling: GUNICORN_MAX_REQUESTS and GUNICORN_MAX_REQUESTS_JITTER (100): a worker is
  restarted after about that many requests, so slow growth of a process's memory is bounded
  and the workers do not all restart at once. Default 0 (off) with threads, 1000 with the sync
  worker: see below.
"""

import math
import os
from pathlib import Path


def cpu_count() -> int:
    """CPUs this process may use: its affinity, bounded by a cgroup v2 quota (`cpu.max`)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_workers(cpus: int) -> int:
    return max(2, cpus)


CPUS = cpu_count()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = env_int("GUNICORN_WORKERS", default_workers(CPUS))
threads = env_int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
timeout = env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# Off with the gthread worker: its restart after max_requests resets a connection it had
# accepted (gunicorn issue #3038, measured here: one reset per run of bench_throughput); the sync
# worker restarts cleanly. No leak is known that recycling would bound.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 0 if worker_class == "gthread" else 1000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# A worker's heartbeat file in memory, not on the container's overlay filesystem (gunicorn
# creates it with a random name, mode 600).
SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHM if os.path.isdir(SHM) else None
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# The project is imported once, in the master, before the workers fork: a worker starts (and is
# restarted after max_requests) in milliseconds instead of the seconds importing Django and
# every app takes, and the workers share those pages of memory.
preload_app = True


def when_ready(server) -> None:
    """Import every view now (Django does it at the first request otherwise), so that each
    worker's first request is as fast as the others; close what that opened before forking,
    and freeze what is loaded so the workers' garbage collections leave it (and its shared
    pages) alone."""
    import gc

    from django.db import connections
    from django.urls import get_resolver

    # Resolving imports every URLconf and view.
    get_resolver().url_patterns  # noqa: B018
    connections.close_all()
    gc.collect()
    gc.freeze()


def child_exit(server, worker) -> None:
    """A worker that exited (recycled, timed out) leaves its live gauges to /metrics no more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
