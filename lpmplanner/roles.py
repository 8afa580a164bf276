"""The four roles (Django groups) and the permissions each holds.

A role is data: which apps it may edit, which models beyond those, and which named permissions.
Everyone in a role reads everything. `bootstrap_roles` applies this table, and applying it again
after new models land brings the groups up to date.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction

APPS = ("inventory", "planning", "migrations_app")


@dataclass(frozen=True)
class Role:
    name: str
    description: str
    edit_apps: tuple[str, ...] = ()
    edit_models: tuple[str, ...] = ()  # "app_label.model_name"
    extra: tuple[str, ...] = ()  # "app_label.codename" of custom permissions
    exclude: tuple[str, ...] = field(default=())  # "app_label.codename" never granted

    def permissions(self):
        wanted = Permission.objects.filter(content_type__app_label__in=APPS).select_related(
            "content_type"
        )
        granted = []
        for perm in wanted:
            app, model = perm.content_type.app_label, perm.content_type.model
            key = f"{app}.{perm.codename}"
            if key in self.exclude:
                continue
            if (
                perm.codename.startswith("view_")
                or app in self.edit_apps
                or f"{app}.{model}" in self.edit_models
                or key in self.extra
            ):
                granted.append(perm)
        return granted


ROLES = (
    Role(
        "Planner",
        "Edits the inventory and the plans: frames, LPARs, adapters, schemes, stub twins.",
        edit_apps=("inventory", "planning"),
    ),
    Role(
        "SAN admin",
        "Reads everything; manages fabrics, storage ports and WWPNs; downloads zoning.",
        edit_models=(
            "inventory.fabric",
            "inventory.storageport",
            "inventory.wwpn",
            "planning.fabriczoning",
        ),
        extra=("planning.download_zoning",),
    ),
    Role(
        "Operator",
        "Reads everything; runs validations and migrations.",
        edit_apps=("migrations_app",),
        exclude=("migrations_app.delete_workerheartbeat", "migrations_app.add_workerheartbeat"),
    ),
    Role("Viewer", "Reads everything; changes nothing."),
)


def roles_bootstrap() -> list[tuple[Group, bool, int]]:
    """Create or update every role's group so that it holds exactly its permissions.

    Returns (group, created, permission count) per role; running it twice changes nothing.
    """
    results = []
    with transaction.atomic():
        for role in ROLES:
            group, created = Group.objects.get_or_create(name=role.name)
            perms = role.permissions()
            group.permissions.set(perms)
            results.append((group, created, len(perms)))
    return results
