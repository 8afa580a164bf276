"""HMC secrets: encrypted at rest, never in API responses, history, logs or pages; the key
rotates."""

import io
import logging

import asyncssh
import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from inventory.models import Hmc
from lpmplanner.models import SecurityEvent
from tests.factories import login

pytestmark = pytest.mark.django_db

PASSWORD = "Sup3r-Secret-HMC-pass"
PRIVATE_KEY = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
KEY_MARK = PRIVATE_KEY.splitlines()[1][:40]  # a line of the key's body


def stored_columns(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, private_key FROM inventory_hmc WHERE id = %s", [pk])
        return cursor.fetchone()


def test_an_hmc_password_and_key_appear_nowhere(api_client, client, planner, caplog):
    caplog.set_level(logging.DEBUG)
    login(api_client, planner)
    login(client, planner)
    seen = []
    created = api_client.post(
        "/api/hmcs/",
        {"name": "hmc9", "host": "10.0.0.9", "password": PASSWORD, "private_key": PRIVATE_KEY},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    seen.append(created.content.decode())
    changed = api_client.patch(f"/api/hmcs/{pk}/", {"password": PASSWORD + "2"}, format="json")
    seen.append(changed.content.decode())
    for path in ("/api/hmcs/", f"/api/hmcs/{pk}/", "/api/schema/"):
        seen.append(api_client.get(path).content.decode())
    for path in (
        f"/inventory/hmcs/{pk}/",
        f"/inventory/hmcs/{pk}/edit/",
        "/inventory/history/",
        "/inventory/hmcs/?_export=csv",
        "/security-log/",
    ):
        seen.append(client.get(path).content.decode())
    hmc = Hmc.objects.get(pk=pk)
    for record in hmc.history.all():
        seen.append(repr(vars(record)))
    for event in SecurityEvent.objects.all():
        seen.append(repr(event.data))
    seen.append(caplog.text)
    everything = "\n".join(seen)
    assert PASSWORD not in everything
    assert KEY_MARK not in everything

    # At rest: ciphertext only; read back as given.
    password_column, key_column = stored_columns(pk)
    assert PASSWORD not in password_column and KEY_MARK not in key_column
    assert hmc.password == PASSWORD + "2" and hmc.private_key == PRIVATE_KEY
    # The history says that the credentials changed, and when.
    assert [r.credentials_changed is not None for r in hmc.history.order_by("history_id")] == [
        True,
        True,
    ]
    assert SecurityEvent.objects.filter(kind="hmc_credentials", user=planner).count() == 2


def test_a_bad_private_key_is_named_without_echoing_it(api_client, planner):
    login(api_client, planner)
    response = api_client.post(
        "/api/hmcs/", {"name": "hmc9", "host": "h", "private_key": "not a key " + PASSWORD}
    )
    assert response.status_code == 400
    assert response.json() == {"private_key": ["Not an unencrypted OpenSSH or PEM private key."]}


def test_rotate_field_key_moves_every_secret_to_the_new_key(settings, planner):
    hmc = Hmc.objects.create(name="hmc9", host="h", password=PASSWORD, private_key=PRIVATE_KEY)
    old_key, new_key = settings.FIELD_ENCRYPTION_KEY, Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
    out = io.StringIO()
    call_command("rotate_field_key", stdout=out)
    assert "inventory.Hmc.password: 1 value(s) re-encrypted" in out.getvalue()
    assert PASSWORD not in out.getvalue()

    settings.FIELD_ENCRYPTION_KEY = new_key  # the old key is gone
    hmc = Hmc.objects.get(pk=hmc.pk)
    assert (hmc.password, hmc.private_key) == (PASSWORD, PRIVATE_KEY)
    password_column, _ = stored_columns(hmc.pk)
    assert Fernet(new_key.encode()).decrypt(password_column.encode()).decode() == PASSWORD
