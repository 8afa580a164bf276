"""Who may call the execution side's verbs, and the permission classes of the actions that move,
stop or recover partitions, kept in one place."""

from rest_framework import permissions
from rest_framework.request import Request

from lpmplanner.permissions import ModelPermissions


class ActionPermission(permissions.BasePermission):
    """Signed in, and holding the permission the view names for the action (or one of them, when
    it names several), if any."""

    def has_permission(self, request: Request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = getattr(view, "action_permissions", {}).get(view.action)
        if needed is None:
            return True
        return any(
            request.user.has_perm(perm)
            for perm in ([needed] if isinstance(needed, str) else needed)
        )


# Operators (and administrators) hold these through the Operator role.
MIGRATE = "migrations_app.add_migrationjob"
CONTROL = "migrations_app.change_migrationjob"
MIGRATION_ACTIONS = {
    "create": MIGRATE,
    "start": CONTROL,
    "stop": CONTROL,
    "recover": CONTROL,
}
BATCH_ACTIONS = {"create": (MIGRATE,)}
# Every action that moves, stops or recovers a partition (migrations and batches) is guarded by
# exactly these classes: a step-up check (a second factor) is added here, once, for all of them.
MIGRATION_PERMISSION_CLASSES = [ModelPermissions, ActionPermission]
