"""A text field encrypted at rest with Fernet and the FIELD_ENCRYPTION_KEY setting."""

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from inventory.identifiers import mac_normalize, wwpn_normalize


def _fernet() -> MultiFernet:
    """FIELD_ENCRYPTION_KEY may list several keys, comma-separated: the first encrypts, every
    one decrypts (how `rotate_field_key` moves the stored secrets to a new key)."""
    try:
        keys = [Fernet(key.strip().encode()) for key in settings.FIELD_ENCRYPTION_KEY.split(",")]
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes (a Fernet key), or "
            "several separated by commas."
        ) from None
    return MultiFernet(keys)


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every encrypted field of every installed model."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, EncryptedTextField)
    ]


class EncryptedTextField(models.TextField[str, str]):
    """Stored encrypted; read back as plain text. Never shown by the API or the history."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return _fernet().encrypt(value.encode()).decode()

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value in (None, ""):
            return value
        try:
            return _fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            raise ImproperlyConfigured(
                "A stored secret cannot be decrypted with the current FIELD_ENCRYPTION_KEY."
            ) from None


class NormalizedCharField(models.CharField[str, str]):
    """A CharField that brings any accepted spelling to its canonical form before the length and
    uniqueness checks run (`to_python` comes first in `full_clean()`)."""

    normalize = staticmethod(lambda value: value)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value in (None, ""):
            return value
        return self.normalize(value)

    def get_prep_value(self, value: Any) -> Any:
        # Queries and constraints may hold values that are not valid (the all-zero WWPN the
        # database refuses): compare those as given, the rest in canonical form.
        try:
            return super().get_prep_value(value)
        except ValidationError:
            return value


class WwpnField(NormalizedCharField):
    """A WWPN: accepts `C0:50:76:…`, `c050-7604-…`, `0x…`; stores 16 lower-case hex digits."""

    normalize = staticmethod(wwpn_normalize)


class MacAddressField(NormalizedCharField):
    """A MAC address: accepts `AA:BB:…`, `aabb.ccdd.eeff`; stores 12 lower-case hex digits."""

    normalize = staticmethod(mac_normalize)
