"""Prometheus metrics at /metrics: requests and latencies by view (django-prometheus), database
queries, Celery tasks by name and state (counted in the workers), and, read from the database at
each scrape, the jobs by kind and state, the broker's queue length and each HMC's last sync age.

Open to the addresses in METRICS_ALLOWED_ADDRESSES and to callers with `Authorization: Bearer
<METRICS_TOKEN>`. Several processes (gunicorn workers, Celery workers) share their counts through
PROMETHEUS_MULTIPROC_DIR.
"""

import hmac
import ipaddress
import logging
import time

from celery import signals
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.backends.signals import connection_created
from django.db.models import Count, Max
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection
from kombu.exceptions import ChannelError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

TASKS = Counter(
    "lpmplanner_celery_tasks",
    "Celery tasks by name and state as workers ran them.",
    ["task", "state"],
)
TASK_SECONDS = Histogram(
    "lpmplanner_celery_task_seconds",
    "Time a Celery task ran, by name.",
    ["task"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
_task_started: dict[str, float] = {}
DB_QUERIES = Counter(
    "lpmplanner_db_queries",
    "Database queries run, by connection and outcome.",
    ["alias", "outcome"],
)


def _query_counter(alias: str):
    def count(execute, sql, params, many, context):
        try:
            result = execute(sql, params, many, context)
        except Exception:
            DB_QUERIES.labels(alias, "error").inc()
            raise
        DB_QUERIES.labels(alias, "ok").inc()
        return result

    return count


@receiver(connection_created)
def _count_queries(sender, connection, **kwargs) -> None:
    # The wrapper object outlives its database connections: install the counter once.
    if not getattr(connection, "lpm_queries_counted", False):
        connection.execute_wrappers.append(_query_counter(connection.alias))
        connection.lpm_queries_counted = True


@signals.task_prerun.connect
def _task_prerun(task_id=None, task=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()
    TASKS.labels(task.name, "started").inc()


@signals.task_postrun.connect
def _task_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    if started is not None:
        TASK_SECONDS.labels(task.name).observe(time.perf_counter() - started)
    TASKS.labels(task.name, (state or "unknown").lower()).inc()


def _jobs() -> list[tuple[str, type]]:
    from migrations_app.models import HmcSync, LparCreateJob, MigrationJob
    from planning.models import WorkbookImport

    return [
        ("migration", MigrationJob),
        ("hmc_sync", HmcSync),
        ("lpar_create", LparCreateJob),
        ("workbook_import", WorkbookImport),
    ]


def queue_length(timeout: float = 2.0) -> int:
    """Messages waiting in the task queue (all its priority levels)."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)
        try:
            return conn.default_channel.queue_declare(
                settings.CELERY_TASK_DEFAULT_QUEUE, passive=True
            ).message_count
        except ChannelError:  # no worker declared the queue yet: nothing waits in it
            return 0


class StateCollector:
    """Read at each scrape from the job rows (the record, not the broker) and the broker."""

    def collect(self):
        from inventory.models import Hmc
        from migrations_app.models import HmcSync, MigrationJob

        migrations = GaugeMetricFamily(
            "lpmplanner_migrations", "Migration jobs by state.", labels=["state"]
        )
        counts = dict(MigrationJob.objects.values_list("state").annotate(n=Count("id")).order_by())
        for state in MigrationJob.State.values:
            migrations.add_metric([state], counts.get(state, 0))
        yield migrations

        jobs = GaugeMetricFamily(
            "lpmplanner_jobs", "Background jobs by kind and state.", labels=["kind", "state"]
        )
        for kind, model in _jobs():
            counts = dict(model.objects.values_list("state").annotate(n=Count("id")).order_by())
            for state in model._meta.get_field("state").choices:
                jobs.add_metric([kind, state[0]], counts.get(state[0], 0))
        yield jobs

        ages = GaugeMetricFamily(
            "lpmplanner_hmc_last_sync_age_seconds",
            "Seconds since each HMC's last successful sync (absent: never synced).",
            labels=["hmc"],
        )
        now = timezone.now()
        last = (
            Hmc.objects.filter(syncs__state=HmcSync.State.SUCCEEDED)
            .annotate(last=Max("syncs__finished"))
            .values_list("name", "last")
        )
        for name, finished in last:
            if finished is not None:
                ages.add_metric([name], (now - finished).total_seconds())
        yield ages

        queue = GaugeMetricFamily(
            "lpmplanner_queue_length", "Tasks waiting in the broker's queue.", labels=["queue"]
        )
        broker_up = GaugeMetricFamily("lpmplanner_broker_up", "1 when the broker answered.")
        try:
            queue.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], queue_length())
            broker_up.add_metric([], 1)
            yield queue
        except Exception as exc:  # any transport error: the broker is down, the rest still counts
            logger.warning("metrics: broker unreachable (%s)", type(exc).__name__)
            broker_up.add_metric([], 0)
        yield broker_up


def _registry() -> CollectorRegistry:
    if settings.METRICS_MULTIPROCESS_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=settings.METRICS_MULTIPROCESS_DIR)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(StateCollector())
    return registry


class _ProcessMetrics:
    """This process's own metrics (the default registry), when processes don't share theirs."""

    def collect(self):
        yield from REGISTRY.collect()


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@login_not_required
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse(
            "Metrics need METRICS_TOKEN as a bearer token, or an address in "
            "METRICS_ALLOWED_ADDRESSES.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
