"""The four roles and what each may do."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from lpmplanner.roles import roles_bootstrap
from tests.factories import user_create

pytestmark = pytest.mark.django_db


def test_bootstrap_roles_creates_the_four_groups_and_is_idempotent(capsys):
    call_command("bootstrap_roles")
    first = capsys.readouterr().out
    assert "Planner: created" in first
    snapshot = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }
    assert set(snapshot) == {"Planner", "SAN admin", "Operator", "Viewer"}

    call_command("bootstrap_roles")
    second = capsys.readouterr().out
    assert "created" not in second
    assert "Planner: up to date" in second
    again = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }
    assert again == snapshot


def test_bootstrap_puts_back_a_permission_removed_by_hand():
    roles_bootstrap()
    viewer = Group.objects.get(name="Viewer")
    viewer.permissions.clear()
    roles_bootstrap()
    assert viewer.permissions.filter(codename="view_workerheartbeat").exists()


def test_every_role_reads_and_only_the_operator_changes_migration_records():
    for role in ("Planner", "SAN admin", "Operator", "Viewer"):
        user = user_create(f"u-{role}".replace(" ", ""), role=role)
        assert user.has_perm("migrations_app.view_workerheartbeat"), role
        assert user.has_perm("migrations_app.change_workerheartbeat") == (role == "Operator")
        assert not user.has_perm("migrations_app.delete_workerheartbeat"), role
