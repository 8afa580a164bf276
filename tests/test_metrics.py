"""/metrics: who may read it, what it counts, and a real Prometheus scraping a live server and
seeing a migration that ran against the HMC simulator."""

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import asyncssh
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from inventory.models import Frame, Hmc, Lpar
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.commands import Command
from migrations_app.hmc.errors import HmcError
from migrations_app.lpm.runner import migration_job_run
from migrations_app.lpm.services import migration_create
from migrations_app.models import MigrationState
from migrations_app.simulator.estate import estate_from_db
from migrations_app.tasks import worker_heartbeat
from tests.demo_estate import demo_estate_restore
from tests.servers import prometheus
from tests.simulators import pinned_line, simulator_start

TOKEN = "scrape-token-for-tests"


@pytest.fixture
def token_only(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def metric(text: str, name: str, **labels: str) -> float:
    """The value of the sample `name` with exactly these labels in an exposition text."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    raise AssertionError(f"{name} {labels} is not in the metrics")


@pytest.mark.django_db
def test_metrics_need_the_token_or_an_allowed_address(client, token_only):
    refused = client.get("/metrics")
    assert refused.status_code == 403
    assert "METRICS_TOKEN" in refused.content.decode()
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403

    answered = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answered.status_code == 200
    text = answered.content.decode()
    assert metric(text, "lpmplanner_migrations", state="pending") == 0
    assert metric(text, "lpmplanner_jobs", kind="hmc_sync", state="queued") == 0
    assert metric(text, "lpmplanner_broker_up") == 1
    assert TOKEN not in text


@pytest.mark.django_db
def test_the_local_address_is_allowed_by_default_and_requests_are_counted_by_view(client):
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    by_view = "django_http_requests_total_by_view_transport_method_total"
    assert metric(text, by_view, method="GET", transport="http", view="healthz") >= 1
    assert metric(text, "lpmplanner_db_queries_total", alias="default", outcome="ok") >= 1


class RefusingTransport:
    def run(self, command: Command, *, timeout: float | None = None) -> str:
        raise HmcError(command=command.shown, exit_status=1, text="HSCLA27C not migratable")

    def close(self) -> None:
        pass


def test_hmc_commands_are_timed_and_refusals_counted_by_hscl_code():
    labels = {"command": "lssyscfg", "code": "HSCLA27C"}
    before = REGISTRY.get_sample_value("lpmplanner_hmc_command_errors_total", labels) or 0
    timed = (
        REGISTRY.get_sample_value("lpmplanner_hmc_command_seconds_count", {"command": "lssyscfg"})
        or 0
    )
    with HmcClient(RefusingTransport()) as client, pytest.raises(HmcError):
        client.frames()
    assert REGISTRY.get_sample_value("lpmplanner_hmc_command_errors_total", labels) == before + 1
    assert (
        REGISTRY.get_sample_value("lpmplanner_hmc_command_seconds_count", {"command": "lssyscfg"})
        == timed + 1
    )


@pytest.mark.django_db
def test_celery_tasks_are_counted_by_name_and_state():
    labels = {"task": "migrations_app.tasks.worker_heartbeat", "state": "success"}
    before = REGISTRY.get_sample_value("lpmplanner_celery_tasks_total", labels) or 0
    worker_heartbeat.apply()
    assert REGISTRY.get_sample_value("lpmplanner_celery_tasks_total", labels) == before + 1


@pytest.fixture(scope="module")
def prometheus_api(live_server, tmp_path_factory):
    target = urllib.parse.urlsplit(live_server.url).netloc
    with prometheus(tmp_path_factory.mktemp("prometheus"), target=target, token=TOKEN) as api:
        yield api


def query(api: str, promql: str) -> list[dict]:
    url = f"{api}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)["data"]["result"]


def wait_for(api: str, promql: str, seconds: float = 60) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = query(api, promql)
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"Prometheus never saw {promql}")


def test_prometheus_scrapes_a_migration_that_ran(prometheus_api, live_server, token_only, settings):
    settings.LPM_MIGRATION_POLL_SECONDS = 0.1
    demo_estate_restore()
    sim = simulator_start(estate_from_db(), asyncssh.generate_private_key("ssh-ed25519"))
    try:
        Hmc.objects.filter(name="hmc-sim").update(
            host=sim.host, ssh_port=sim.port, host_key=pinned_line(sim)
        )
        job = migration_create(
            lpar=Lpar.objects.get(name="server1"), destination=Frame.objects.get(name="p750-b")
        )
        assert migration_job_run(job=job, worker="w1") == MigrationState.COMPLETED
    finally:
        sim.stop()

    completed = wait_for(prometheus_api, 'lpmplanner_migrations{state="completed"} == 1')
    assert completed[0]["metric"]["job"] == "lpmplanner"
    migrlpar = wait_for(
        prometheus_api, 'lpmplanner_hmc_command_seconds_count{command="migrlpar"} > 0'
    )
    assert float(migrlpar[0]["value"][1]) >= 1
    up = query(prometheus_api, 'up{job="lpmplanner"}')
    assert up[0]["value"][1] == "1"


WORKER = """
import django
django.setup()
from migrations_app.hmc.client import HmcClient
from tests.test_metrics import RefusingTransport
from migrations_app.hmc.errors import HmcError
try:
    HmcClient(RefusingTransport()).frames()
except HmcError:
    pass
"""


@pytest.mark.django_db
def test_counts_of_other_processes_come_through_the_shared_directory(client, settings, tmp_path):
    # Another process (as a Celery worker would) talks to an HMC with the directory set.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-c", WORKER], env=env, cwd=settings.BASE_DIR, check=True, timeout=120
    )
    settings.METRICS_MULTIPROCESS_DIR = str(tmp_path)

    text = client.get("/metrics").content.decode()
    errors = "lpmplanner_hmc_command_errors_total"
    assert metric(text, errors, command="lssyscfg", code="HSCLA27C") == 1
    assert metric(text, "lpmplanner_migrations", state="pending") == 0
