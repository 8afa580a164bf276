"""Fixtures of the integration tests: a worker shared by a module's migration tests."""

import pytest

from tests.workers import WORKER_ENV, database_url_of_test_database, worker_on_own_queue


@pytest.fixture(scope="module")
def migration_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker for the migration tests of a module that need no worker of their own (one to
    kill, two at once): starting and stopping one takes seconds."""
    with django_db_blocker.unblock():
        database_url = database_url_of_test_database()
    log = tmp_path_factory.mktemp("migration-worker") / "worker.log"
    with worker_on_own_queue(database_url=database_url, log=log, env=WORKER_ENV) as worker:
        yield worker
