"""Run every benchmark in bench/ (`make bench`; `BENCH=zoning,workbook make bench` for some).

Each `bench_*.py` module has a `run()` that returns results (see `bench/common.py`): each says
whether its target holds and prints one line. Every module runs in a process of its own, on a
database of its own, cloned from one migrated test database made for this run (PostgreSQL:
`CREATE DATABASE … TEMPLATE`; SQLite: a copy of the file), so each builds exactly the estate
it states and one module that crashes does not stop the others. The run exits non-zero when a
target is missed, a module fails, or a result is "not available" without saying why it cannot
run on this setup (`NotApplicable`).
"""

import importlib
import json
import os
import pkgutil
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lpmplanner.settings")
CHILD_DATABASE = "BENCH_DATABASE_NAME"  # set in a module's process: the clone it runs on


def _django(database: str | None = None) -> None:
    import django
    from django.conf import settings
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    # Pages render with plain static storage, as in the tests: no collectstatic needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if database:
        from django.db import connection

        connection.close()
        settings.DATABASES["default"]["NAME"] = database
        connection.settings_dict["NAME"] = database


def modules() -> list[str]:
    """The benchmark modules to run: all, or those BENCH names (bench_zoning.py: `zoning`)."""
    only = {f"bench_{name.strip()}" for name in os.environ.get("BENCH", "").split(",") if name}
    found = [m.name for m in pkgutil.iter_modules([str(ROOT / "bench")])]
    chosen = sorted(m for m in found if m.startswith("bench_") and (not only or m in only))
    unknown = only - set(found)
    if unknown:
        raise SystemExit(f"BENCH names no benchmark: {', '.join(sorted(unknown))}")
    return chosen


def child(name: str, report: Path) -> int:
    """Run one module on the database named in BENCH_DATABASE_NAME; write its results to
    `report` as JSON lines."""
    _django(os.environ[CHILD_DATABASE])
    bench = importlib.import_module(f"bench.{name}")
    print(f"== {name}: {bench.__doc__.strip().splitlines()[0]}", flush=True)
    rows = []
    for result in bench.run():
        line = result.line()
        print(line, flush=True)
        rows.append({"ok": bool(result.ok), "line": line, **_columns(result)})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  ({name}: peak resident memory of this process {peak:.0f} MB)", flush=True)
    report.write_text("\n".join(json.dumps(row) for row in rows))
    return 0


def _columns(result) -> dict:
    """The README table's columns of a result, where it has them."""
    describe = getattr(result, "columns", None)
    return describe() if describe else {"name": getattr(result, "name", "?")}


def main() -> int:
    chosen = modules()
    _django()
    from django.db import connection

    if connection.vendor == "sqlite":
        # A file, not memory: the benchmark processes open copies of it.
        handle, path = tempfile.mkstemp(prefix="lpm-bench-", suffix=".sqlite3")
        os.close(handle)
        connection.settings_dict.setdefault("TEST", {})["NAME"] = path
    else:  # beside, not over, the test suite's database
        test_name = f"test_{connection.settings_dict['NAME']}_bench"
        connection.settings_dict.setdefault("TEST", {})["NAME"] = test_name
    original = connection.settings_dict["NAME"]
    template = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    connection.close()
    results: list[dict] = []
    failures: list[str] = []
    try:
        for name in chosen:
            suffix = name.removeprefix("bench_")
            connection.creation.clone_test_db(suffix=suffix, verbosity=0, autoclobber=True)
            clone = connection.creation.get_test_db_clone_settings(suffix)["NAME"]
            with tempfile.NamedTemporaryFile(suffix=".jsonl") as report:
                start = time.monotonic()
                finished = subprocess.run(
                    [sys.executable, __file__, "--child", name, report.name],
                    env={**os.environ, CHILD_DATABASE: clone},
                    cwd=ROOT,
                    check=False,
                )
                took = time.monotonic() - start
                text = Path(report.name).read_text()
            connection.creation.destroy_test_db(
                old_database_name=template, verbosity=0, suffix=suffix
            )
            rows = [json.loads(line) for line in text.splitlines() if line]
            if finished.returncode or not rows:
                failures.append(f"{name} failed (exit {finished.returncode}) after {took:.0f} s")
                print(f"{name}: FAILED (exit {finished.returncode}): see its output above")
            results += [{"module": name, **row} for row in rows]
    finally:
        connection.creation.destroy_test_db(old_database_name=original, verbosity=0)
    missed = [row for row in results if not row["ok"]]
    print("\n| benchmark | result | target | floor | ratio | measured |\n|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['module'].removeprefix('bench_')} | {row.get('name', '')} | "
            f"{row.get('target', '')} | {row.get('floor', '')} | {row.get('ratio', '')} | "
            f"{row.get('measured', '')}{'' if row['ok'] else ' MISSED'} |"
        )
    for failure in failures:
        print(failure)
    if missed or failures:
        print(f"{len(missed)} target(s) missed, {len(failures)} benchmark(s) failed")
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2], Path(sys.argv[3])))
    sys.exit(main())
