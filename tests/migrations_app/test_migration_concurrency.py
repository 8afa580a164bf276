"""The one-active-job rule under concurrent requests: the database decides, not the check before
the insert. Threads with their own connections submit the same LPAR at once."""

import threading

import pytest
from django.db import connection

from inventory.models import Frame, Lpar
from lpmplanner.exceptions import Conflict
from migrations_app.lpm import services
from migrations_app.models import MigrationJob
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db(transaction=True)
CALLERS = 6


def test_concurrent_submits_create_one_job_and_name_it_to_the_others(monkeypatch):
    demo_estate_restore()
    server1, p750b = Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")
    monkeypatch.setattr(services, "migration_dispatch", lambda *, job: True)  # no broker here
    barrier = threading.Barrier(CALLERS)
    created, conflicts, errors = [], [], []

    def submit() -> None:
        try:
            barrier.wait()
            created.append(services.migration_create(lpar=server1, destination=p750b).pk)
        except Conflict as conflict:
            conflicts.append(str(conflict))
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(created) == 1 and len(conflicts) == CALLERS - 1
    assert MigrationJob.objects.filter(lpar=server1).count() == 1
    assert all(f"migration #{created[0]} " in message for message in conflicts)
