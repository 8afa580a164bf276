"""Fixtures for the whole suite."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD, user_create
from tests.workers import database_url_of_test_database, worker_on_own_queue

# A shared, busy machine runs the suite in parallel: no per-example deadlines, and slow example
# generation is not a failure.
# PostgreSQL sessions of this process and of the processes it starts (Celery workers, servers)
# commit without waiting for the write-ahead log to reach the disk: a test database needs no
# durability, and transactional tests commit (and flush) a lot. Nothing else changes.
os.environ["PGOPTIONS"] = " ".join(
    filter(None, [os.environ.get("PGOPTIONS"), "-c synchronous_commit=off"])
)

pytest_plugins = ["tests.simulators"]  # the HMC simulator's fixtures, for every directory

settings.register_profile("lpmplanner", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("lpmplanner")


SMOKE_DIR = Path(__file__).parent / "smoke"
TESTS_DIR = Path(__file__).parent

# Run first: the modules whose tests are long one by one (the authorization table is one test
# of ~45 s, the integration and browser tests wait on real workers, servers and Chromium).
# pytest-xdist hands each worker consecutive tests as it frees up, so long tests at the end of
# the collection would leave one worker finishing them while the other idles; at the start
# they are spread out and the many short tests fill in behind them. Order within a module is
# kept (its fixtures are built once).
LONG_TESTS_FIRST = (
    "security/test_authorization_matrix.py",
    "integration/",
    "browser/",
)


def _long_first(item) -> int:
    relative = Path(item.path).relative_to(TESTS_DIR).as_posix()
    for rank, prefix in enumerate(LONG_TESTS_FIRST):
        if relative.startswith(prefix):
            return rank
    return len(LONG_TESTS_FIRST)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """`make test-smoke` collects tests/smoke only (the whole suite's collection costs more
    than the smoke tests): a smoke test anywhere else would be left out, so it is an error."""
    elsewhere = [
        item.nodeid
        for item in items
        if item.get_closest_marker("smoke") and SMOKE_DIR not in Path(item.path).parents
    ]
    if elsewhere:
        raise pytest.UsageError(f"smoke tests belong in tests/smoke/: {', '.join(elsewhere)}")
    items.sort(key=_long_first)  # stable: the order within each group is kept


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 at Django's 1,000,000 iterations costs a third of a CPU second per user created
    # and per sign-in; no test is about the hash. The smoke test runs the real hasher. PBKDF2
    # stays second, for users a class set up before this fixture ran.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic` first; tests of pages don't. The smoke test
    # runs collectstatic and the manifest storage for real.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def viewer(db):
    return user_create("vera", role="Viewer")


@pytest.fixture
def planner(db):
    return user_create("paul", role="Planner")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real `celery worker` process for this test process, started when a test first asks
    for it and shared by every module after it (ask for it, never import it: an imported
    fixture is a second one, with a second worker)."""
    with django_db_blocker.unblock():
        database_url = database_url_of_test_database()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with worker_on_own_queue(database_url=database_url, log=log) as worker:
        yield worker
