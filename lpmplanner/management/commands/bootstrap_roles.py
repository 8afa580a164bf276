"""Create or update the Planner, SAN admin, Operator and Viewer groups."""

from django.core.management.base import BaseCommand

from lpmplanner.roles import roles_bootstrap


class Command(BaseCommand):
    help = "Create or update the Planner, SAN admin, Operator and Viewer groups (idempotent)."

    def handle(self, *args, **options) -> None:
        for group, created, count in roles_bootstrap():
            verb = "created" if created else "up to date"
            self.stdout.write(f"{group.name}: {verb}, {count} permissions")
