"""The management commands `make run` relies on."""

import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def test_ensure_admin_prints_a_generated_login_once(capsys):
    call_command("ensure_admin")
    out = capsys.readouterr().out
    username = re.search(r"username: (\S+)", out).group(1)
    password = re.search(r"password: (\S+)", out).group(1)
    assert username == "admin"
    assert password not in {"admin", "password"}
    assert len(password) >= 12
    # As the login page does (django-axes checks every sign-in against its request).
    user = authenticate(RequestFactory().post("/login/"), username=username, password=password)
    assert user is not None and user.is_superuser

    call_command("ensure_admin")
    again = capsys.readouterr().out
    assert password not in again
    assert "exists" in again
    assert get_user_model().objects.count() == 1


def test_ensure_admin_leaves_an_existing_administrator_alone(capsys):
    get_user_model().objects.create_superuser("root", "", "x" * 20)
    call_command("ensure_admin")
    assert "password:" not in capsys.readouterr().out
    assert not get_user_model().objects.filter(username="admin").exists()
