"""Test data builders."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from lpmplanner.roles import roles_bootstrap

PASSWORD = "correct horse battery staple"


def user_create(username: str = "alice", *, role: str | None = None, **fields):
    """A user with a known password, in the named role's group (groups made on demand)."""
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role:
        if not Group.objects.filter(name=role).exists():
            roles_bootstrap()
        user.groups.add(Group.objects.get(name=role))
    return user
