"""/healthz: 200 when the database and the broker answer, 503 naming what does not."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_and_names_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("broker unreachable")


def test_healthz_never_shows_broker_credentials(client, settings):
    settings.CELERY_BROKER_URL = "redis://:s3cret-pass@127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert b"s3cret-pass" not in response.content
