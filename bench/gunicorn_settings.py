"""The settings gunicorn runs with in `bench_throughput`: the project's, on the benchmark's own
database (BENCH_DATABASE_NAME), with static files served by WhiteNoise from the finders (no
collectstatic in a benchmark run; serving a file costs the same either way)."""

import os

from lpmplanner.settings import *  # noqa: F403
from lpmplanner.settings import DATABASES, STORAGES

DATABASES["default"]["NAME"] = os.environ["BENCH_DATABASE_NAME"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
