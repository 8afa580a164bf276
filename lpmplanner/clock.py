"""The time the schedulers go by (change windows, scheduled migrations): the callable named by
the LPM_CLOCK setting, `django.utils.timezone.now` unless a test sets a clock that every
process (web, worker, beat) reads."""

from datetime import datetime

from django.conf import settings
from django.utils.module_loading import import_string


def now() -> datetime:
    """An aware datetime: now, by the configured clock."""
    return import_string(settings.LPM_CLOCK)()
