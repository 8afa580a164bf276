"""Log lines: one JSON object per event with LOG_FORMAT=json, carrying the request id and user
of the request that wrote them and the job id in a task; a full migration (token, API, the task
against the HMC simulator over SSH) leaves no password or token in them."""

import io
import json
import logging
import uuid

import asyncssh
import pytest

from inventory import services as inventory_services
from inventory.models import Frame, Hmc, Lpar
from lpmplanner.logs import formatter
from migrations_app.models import MigrationJob
from migrations_app.simulator.estate import estate_from_db
from migrations_app.simulator.hmc import DEFAULT_PASSWORD
from migrations_app.tasks import migration_job_task
from tests.demo_estate import demo_estate_restore
from tests.factories import (
    PASSWORD,
    FrameFactory,
    LparFactory,
    VlanFactory,
    login,
    totp_code,
    totp_device_create,
    user_create,
)
from tests.simulators import pinned_line, simulator_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """Everything logged during the test, as the console handler writes it with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_full_migration_logs_one_json_line_per_event_with_ids_and_no_secret(
    api_client, json_log, settings
):
    settings.LPM_MIGRATION_POLL_SECONDS = 0.1
    demo_estate_restore()
    sim = simulator_start(estate_from_db(), asyncssh.generate_private_key("ssh-ed25519"))
    try:
        Hmc.objects.filter(name="hmc-sim").update(
            host=sim.host, ssh_port=sim.port, host_key=pinned_line(sim)
        )
        olga = user_create("olga", role="Operator")
        device = totp_device_create(olga)
        token_request = str(uuid.uuid4())
        answer = api_client.post(
            "/api/auth/token/",
            {
                "username": "olga",
                "password": PASSWORD,
                "otp": totp_code(device),
                "scope": "operate",
            },
            HTTP_X_REQUEST_ID=token_request,
        )
        token = answer.json()["token"]
        create_request = str(uuid.uuid4())
        created = api_client.post(
            "/api/migrations/",
            {
                "lpar": Lpar.objects.get(name="server1").pk,
                "destination_frame": Frame.objects.get(name="p750-b").pk,
            },
            HTTP_AUTHORIZATION=f"Token {token}",
            HTTP_X_REQUEST_ID=create_request,
        )
        assert created.status_code == 201, created.json()
        job_id = created.json()["id"]
        assert migration_job_task.apply(args=[job_id], task_id=str(job_id)).get() == "completed"
    finally:
        sim.stop()
    assert MigrationJob.objects.get(pk=job_id).state == "completed"

    text = json_log.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    for secret in (DEFAULT_PASSWORD, PASSWORD, token, device.key):
        assert secret not in text
    by_request = [line for line in lines if line.get("request_id") == create_request]
    assert any(line.get("user") == "olga" for line in by_request), by_request
    signed_in = [line for line in lines if line.get("request_id") == token_request]
    assert any("token_created" in line["event"] for line in signed_in)
    in_task = [line for line in lines if line.get("job_id") == job_id]
    assert any(line["event"] == "task finished" and line["state"] == "SUCCESS" for line in in_task)
    assert all(line["task"] == "migrations_app.tasks.migration_job_task" for line in in_task)
    assert not [line for line in lines if "request_id" in line and "job_id" in line]


def test_plain_lines_carry_the_request_id_too(client, planner, caplog):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=False))
    logging.getLogger("lpmplanner.security").addHandler(handler)
    try:
        given = str(uuid.uuid4())
        client.post("/login/", {"username": "paul", "password": PASSWORD}, HTTP_X_REQUEST_ID=given)
    finally:
        logging.getLogger("lpmplanner.security").removeHandler(handler)
    (line,) = [line for line in stream.getvalue().splitlines() if "sign_in" in line]
    assert f"request_id={given}" in line
    assert " INFO lpmplanner.security: sign_in user=paul" in line


def test_every_line_a_request_causes_carries_its_id_and_none_after_it(
    api_client, planner, json_log, monkeypatch
):
    """Lines of our apps' standard-library loggers, and Django's own warning about a 4xx
    answer, which it writes after the middleware has returned."""
    login(api_client, planner)
    frame = FrameFactory(name="p750-a")
    LparFactory(frame=frame)
    vlan = VlanFactory(vlan_id=400)
    delete = inventory_services.object_delete

    def logged_delete(*, instance):
        logging.getLogger("inventory.services").info("deleting %s", instance)
        delete(instance=instance)

    monkeypatch.setattr(inventory_services, "object_delete", logged_delete)
    refused, deleted = str(uuid.uuid4()), str(uuid.uuid4())
    assert (
        api_client.delete(f"/api/frames/{frame.pk}/", HTTP_X_REQUEST_ID=refused).status_code == 409
    )
    assert api_client.delete(f"/api/vlans/{vlan.pk}/", HTTP_X_REQUEST_ID=deleted).status_code == 204
    logging.getLogger("inventory.services").info("after the requests")

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    ids = {line["event"]: line.get("request_id") for line in lines}
    assert ids[f"deleting {frame}"] == refused
    assert ids[f"Conflict: /api/frames/{frame.pk}/"] == refused  # django.request, after the chain
    assert ids[f"deleting {vlan}"] == deleted
    assert ids["after the requests"] is None
