"""Create the first administrator with a generated password, printed once."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a superuser with a generated password when none exists and print the login "
        "once; do nothing when one exists."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        users = get_user_model().objects
        if users.filter(is_superuser=True).exists():
            self.stdout.write(
                "An administrator account exists; its password was printed when it was made. "
                "Reset it with: python manage.py changepassword <username>"
            )
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "\nAdministrator created. Sign in at http://127.0.0.1:8000/ with\n"
                f"    username: {username}\n    password: {password}\n"
                "This password is shown only now.\n"
            )
        )
