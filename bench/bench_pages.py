"""Page and API latency of the shell, against the cheapest page Django serves (/healthz)."""

from django.contrib.auth import get_user_model
from django.test import Client

from bench.common import Result, median_seconds
from lpmplanner.roles import roles_bootstrap
from migrations_app.services import worker_heartbeat_record
from tests.factories import login


def run() -> list[Result]:
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench")
    for n in range(20):
        worker_heartbeat_record(hostname=f"worker{n}@bench")
    client = Client()
    login(client, user)
    baseline = median_seconds(lambda: client.get("/healthz"))
    cases = [("dashboard /", "/", 6.0), ("API /api/me/", "/api/me/", 6.0)]
    return [
        Result(name, median_seconds(lambda p=path: client.get(p)), "/healthz", baseline, ratio)
        for name, path, ratio in cases
    ]
