"""A text field encrypted at rest with Fernet and the FIELD_ENCRYPTION_KEY setting."""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _fernet() -> Fernet:
    try:
        return Fernet(settings.FIELD_ENCRYPTION_KEY.encode())
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes (a Fernet key)."
        ) from None


class EncryptedTextField(models.TextField):
    """Stored encrypted; read back as plain text. Never shown by the API or the history."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return _fernet().encrypt(value.encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return _fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            raise ImproperlyConfigured(
                "A stored secret cannot be decrypted with the current FIELD_ENCRYPTION_KEY."
            ) from None
