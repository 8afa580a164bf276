"""The embedded SQLite database is shared by the web process, the worker and beat: two processes
writing it at once in read-then-write transactions (what a service does) never see "database is
locked", and no transaction acts on a stale read."""

import json
import os
import sqlite3
import subprocess
import sys

from django.conf import settings

KNOBS = ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
# Each process reads the count of rows and writes a row holding it, in one transaction, again
# and again for 2 s; it prints the errors it met and how many transactions it committed.
WRITER = """
import json, sys, time
from pathlib import Path
import django
django.setup()
from django.db import OperationalError, connection, transaction
who, here = sys.argv[1], Path(sys.argv[2])
(here / f"ready-{who}").touch()
while len(list(here.glob("ready-*"))) < 2:  # both are set up: they write at the same time
    time.sleep(0.01)
end = time.time() + 2
errors, done = [], 0
while time.time() < end:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM probe")
            (seen,) = cursor.fetchone()
            time.sleep(0.001)
            cursor.execute("INSERT INTO probe (who, seen) VALUES (%s, %s)", [who, seen])
        done += 1
        time.sleep(0.005)  # a process does other work between transactions
    except OperationalError as error:
        errors.append(str(error))
print(json.dumps({"errors": errors[:3], "failed": len(errors), "done": done}))
"""
OPEN_ONCE = """
import django
django.setup()
from django.db import connection
connection.ensure_connection()
"""


def test_two_processes_write_the_sqlite_file_without_locking_each_other_out(tmp_path):
    database = tmp_path / "lpmplanner.sqlite3"
    with sqlite3.connect(database) as setup:
        setup.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, who TEXT, seen INTEGER)")
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env["LPM_VAR_DIR"] = str(tmp_path)
    # The first opening switches the file to WAL, as `make run`'s migrate does before the web
    # process, the worker and beat start (that switch needs the file to itself).
    subprocess.run(
        [sys.executable, "-c", OPEN_ONCE], env=env, cwd=settings.BASE_DIR, check=True, timeout=60
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, who, str(tmp_path)],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("web", "worker")
    ]
    results = []
    for writer in writers:
        out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
        results.append(json.loads(out))
    assert [r["failed"] for r in results] == [0, 0], results
    assert all(r["done"] > 5 for r in results), results
    with sqlite3.connect(database) as check:
        seen = [row[0] for row in check.execute("SELECT seen FROM probe ORDER BY id")]
        mode = check.execute("PRAGMA journal_mode").fetchone()[0]
    # Each transaction saw every row committed before it: one after the other, none lost.
    assert seen == list(range(sum(r["done"] for r in results)))
    assert mode == "wal"
