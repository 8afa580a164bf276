"""Re-encrypt every stored secret (HMC passwords and private keys) with the first key of
FIELD_ENCRYPTION_KEY.

To rotate: set FIELD_ENCRYPTION_KEY=<new>,<old> (the new key first), run this command, then
set FIELD_ENCRYPTION_KEY=<new> alone. In the embedded mode the key lives in
var/field_encryption_key: `--new-key-file` does the three steps on that file.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inventory.fields import encrypted_fields
from lpmplanner.settings import VAR_DIR, make_fernet_key


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key-file",
            action="store_true",
            help="Embedded mode: generate a new key, re-encrypt with it and write it to "
            "var/field_encryption_key (the old key is kept in field_encryption_key.old).",
        )

    def handle(self, *args: Any, new_key_file: bool = False, **options: Any) -> None:
        key_file = VAR_DIR / "field_encryption_key"
        old_key = settings.FIELD_ENCRYPTION_KEY
        if new_key_file:
            if not key_file.exists() or key_file.read_text().strip() != old_key:
                raise CommandError(
                    "FIELD_ENCRYPTION_KEY does not come from var/field_encryption_key: rotate "
                    "with FIELD_ENCRYPTION_KEY=<new>,<old> instead."
                )
            new_key = make_fernet_key()
            settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_key}"
        try:
            counts = self._reencrypt()
        finally:
            if new_key_file:
                settings.FIELD_ENCRYPTION_KEY = old_key
        if new_key_file:
            backup = key_file.with_name("field_encryption_key.old")
            backup.touch(mode=0o600)
            backup.write_text(old_key)
            key_file.write_text(new_key)
            self.stdout.write("New key written to var/field_encryption_key; restart the app.")
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} value(s) re-encrypted")

    @staticmethod
    def _reencrypt() -> dict[str, int]:
        counts = {}
        with transaction.atomic():
            for model, name in encrypted_fields():
                rows = model._base_manager.exclude(**{name: ""}).exclude(
                    **{f"{name}__isnull": True}
                )
                count = 0
                for pk, value in rows.values_list("pk", name).iterator():
                    # Read under any listed key, written back under the first one.
                    model._base_manager.filter(pk=pk).update(**{name: value})
                    count += 1
                counts[f"{model._meta.label}.{name}"] = count
        return counts
