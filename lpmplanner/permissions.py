"""Who may call which API view: the model permissions that the roles grant.

Kept apart from lpmplanner.api because DRF imports permission classes while loading its own
views, so this module must not import DRF's views or generics.
"""

from rest_framework import permissions


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
