"""Who may do what: the browser views' permission check and the API views' permission classes,
from the model permissions that the roles grant.

Kept apart from lpmplanner.api because DRF imports permission classes while loading its own
views, so this module must not import DRF's views or generics.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework import permissions


def require(request: HttpRequest, perm: str) -> None:
    """A browser view's check: 403 unless the user holds `perm` (through a role)."""
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _works_on_a_model(view) -> bool:
    """True for a view with a queryset, or one that defines get_queryset itself (DRF's generic
    base defines a get_queryset that only raises when no queryset is set)."""
    if getattr(view, "queryset", None) is not None:
        return True
    return any(
        "get_queryset" in vars(cls)
        for cls in type(view).__mro__
        if not cls.__module__.startswith("rest_framework.")
    )


class ModelPermissions(permissions.DjangoModelPermissions):
    """A signed-in user with the model permission its role grants, reading included.

    Views over a model need `view_<model>` to read and add/change/delete to write; views that
    work on no model (the API root, the current user) need only a signed-in user.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not _works_on_a_model(view):
            return True
        return super().has_permission(request, view)


READ_APPS = ("inventory", "planning", "migrations_app")


def may_read(user, view) -> bool:
    """Reading what a view shows: the view permission of its model, or, for a view over no
    model (the estate checks), any view permission of the estate's apps. Every role holds
    these; a signed-in user with no role holds none and reads nothing."""
    if user.is_superuser:
        return True
    queryset = getattr(view, "queryset", None) if view is not None else None
    if queryset is not None:
        meta = queryset.model._meta
        return user.has_perm(f"{meta.app_label}.view_{meta.model_name}")
    return any(
        perm.split(".", 1)[0] in READ_APPS and perm.split(".", 1)[1].startswith("view_")
        for perm in user.get_all_permissions()
    )


class EstateReader(permissions.BasePermission):
    """A view over no one model that shows the estate (the search): any role may read it, a
    signed-in user with no role may not."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and may_read(user, None))
