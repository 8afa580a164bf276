"""Who may call the execution side's verbs, and the permission classes of the actions that move,
stop or recover partitions, kept in one place."""

from rest_framework import permissions
from rest_framework.request import Request

from lpmplanner.permissions import ModelPermissions, may_read
from lpmplanner.security import StepUpPermission


class ActionPermission(permissions.BasePermission):
    """Signed in, and holding the permission the view names for the action (or one of them, when
    it names several); other actions read, which every role may (a user with no role may
    not)."""

    def has_permission(self, request: Request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = getattr(view, "action_permissions", {}).get(view.action)
        if needed is None:
            return may_read(request.user, view)
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
# exactly these classes. The step-up (a fresh second factor for a session, the `operate` scope
# for a token) applies to the viewset's `step_up_actions`: the writes, not the reads.
MIGRATION_PERMISSION_CLASSES = [ModelPermissions, ActionPermission, StepUpPermission]
MIGRATION_STEP_UP = {"create", "start", "stop", "recover"}
BATCH_STEP_UP = {"create"}
