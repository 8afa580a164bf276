"""Roles from a directory's groups: the one rule LDAP and OpenID Connect sign-ins share.

A directory user's roles are exactly those their groups map to at this sign-in, so that a
group removed in the directory is a role removed here at the next sign-in.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from lpmplanner.roles import ROLES, roles_bootstrap


def _normal(groups: Iterable[str]) -> set[str]:
    return {group.strip().lower() for group in groups}


def roles_for_groups(groups: Iterable[str], role_groups: Iterable[tuple[str, str]]) -> set[str]:
    """The role names that `groups` (DNs or names, compared without case) are mapped to."""
    held = _normal(groups)
    return {role for role, group in role_groups if group.strip().lower() in held}


def in_any_group(groups: Iterable[str], wanted: Iterable[str]) -> bool:
    return bool(_normal(groups) & _normal(wanted))


@transaction.atomic
def user_roles_apply(*, user, roles: set[str], admin: bool) -> list[str]:
    """Give `user` exactly `roles` among the four (other groups are left alone) and make them an
    administrator or not; returns the role names they now hold."""
    role_names = [role.name for role in ROLES]
    if Group.objects.filter(name__in=role_names).count() < len(role_names):
        roles_bootstrap()  # a role is granted before `bootstrap_roles` ever ran: run it now
    keep = user.groups.exclude(name__in=role_names)
    user.groups.set([*keep, *Group.objects.filter(name__in=roles)])
    if user.is_superuser != admin or user.is_staff != admin:
        user.is_superuser = user.is_staff = admin
        user.save(update_fields=["is_superuser", "is_staff"])
    return sorted(roles & set(role_names))
