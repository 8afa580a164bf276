"""Run every benchmark in bench/ (`make bench`).

Each benchmark prints its numbers next to a baseline measured in the same run on the same
machine, and says whether the target ratio holds: timings on a shared, noisy machine mean
little alone, ratios to a baseline much more. Exits non-zero when a target is missed.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lpmplanner.settings")


def main() -> int:
    import django
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    # Pages render with plain static storage, as in the tests: no collectstatic needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    missed = []
    # BENCH=zoning,workbook runs only those (bench_zoning.py, bench_workbook.py).
    only = {f"bench_{name.strip()}" for name in os.environ.get("BENCH", "").split(",") if name}
    try:
        for module in pkgutil.iter_modules([str(ROOT / "bench")]):
            if not module.name.startswith("bench_") or (only and module.name not in only):
                continue
            bench = importlib.import_module(f"bench.{module.name}")
            print(f"== {module.name}: {bench.__doc__.strip().splitlines()[0]}")
            for result in bench.run():
                print(result.line())
                if not result.ok:
                    missed.append(result)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    print(f"{len(missed)} target(s) missed" if missed else "all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
