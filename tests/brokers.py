"""The broker made unreachable for one test, in this process only."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools
from django.conf import settings

from lpmplanner.celery import app as celery_app

UNREACHABLE = "redis://127.0.0.1:1/0"  # a port nothing listens on


def _point(url: str) -> None:
    # Celery reads CELERY_BROKER_URL from the environment before its own setting, and kombu
    # keeps its connection and producer pools per URL, process-wide: switch all of them.
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.broker_url = url
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_unreachable() -> Iterator[None]:
    saved = os.environ.get("CELERY_BROKER_URL")
    _point(UNREACHABLE)
    try:
        yield
    finally:
        _point(settings.CELERY_BROKER_URL)
        if saved is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = saved
