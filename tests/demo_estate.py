"""The demo estate for tests, built once per test process and copied into each test's database.

`demo_estate_load()` creates the estate through the validated services (seconds). The first
`demo_estate_restore()` of a process runs it once inside a transaction that is rolled back,
keeping a copy of every row it wrote; each call then writes those rows back as they were (the
same ids, history rows and security event), in milliseconds: PostgreSQL `COPY`, plain inserts
on SQLite. It adds rows like the loader does, so it works in a test's transaction (`db`) and in
a transactional test (`transactional_db`, a live server, a worker) alike; a test that changes
the estate changes its own copy only.
"""

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from inventory.demo import demo_estate_load
from migrations_app.simulator.estate import estate_from_db
from migrations_app.simulator.faults import DEMO_FAULTS
from migrations_app.simulator.hmc import SimulatedHmc

# Rows the migrations write, which the demo estate neither adds to nor refers to: kept while
# the snapshot is taken.
KEPT_TABLES = {"django_content_type", "auth_permission", "planning_enumerationscheme"}


@dataclass(frozen=True)
class _Table:
    name: str
    columns: list[str]
    rows: bytes | list[tuple]  # COPY text on PostgreSQL, tuples elsewhere
    sequence_max: tuple[str, int] | None  # PostgreSQL: (sequence, highest id in the rows)


_snapshot: list[_Table] | None = None


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables() -> list[str]:
    return sorted(
        set(connection.introspection.django_table_names(only_existing=True, include_views=False))
        - KEPT_TABLES
    )


def _table_copy(cursor, table: str) -> _Table | None:
    description = connection.introspection.get_table_description(cursor, table)
    columns = [column.name for column in description]
    select = f"SELECT {', '.join(map(_quoted, columns))} FROM {_quoted(table)}"  # noqa: S608
    if connection.vendor != "postgresql":
        cursor.execute(select)
        rows = cursor.fetchall()
        return _Table(table, columns, rows, None) if rows else None
    with cursor.copy(f"COPY ({select}) TO STDOUT") as copy:
        rows = b"".join(bytes(block) for block in copy)
    if not rows:
        return None
    sequence_max = None
    sequences = connection.introspection.get_sequences(cursor, table)
    if sequences:
        column = sequences[0]["column"]
        cursor.execute(f"SELECT max({_quoted(column)}) FROM {_quoted(table)}")  # noqa: S608
        sequence_max = (sequences[0]["name"], cursor.fetchone()[0])
    return _Table(table, columns, rows, sequence_max)


def _snapshot_take() -> list[_Table]:
    """Load the demo estate into emptied tables and copy what it wrote; roll all of it back."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            tables = _tables()
            for table in tables:
                cursor.execute(f"DELETE FROM {_quoted(table)}")  # noqa: S608
            demo_estate_load()
            copied = [_table_copy(cursor, table) for table in tables]
        transaction.set_rollback(True)
    return [table for table in copied if table is not None]


def _rows_write(cursor, table: _Table) -> None:
    columns = ", ".join(map(_quoted, table.columns))
    if connection.vendor == "postgresql":
        # psycopg's copy is not wrapped like `execute`: a clash must still be Django's error.
        copy_in = f"COPY {_quoted(table.name)} ({columns}) FROM STDIN"
        with connection.wrap_database_errors, cursor.copy(copy_in) as copy:
            copy.write(table.rows)
        return
    placeholders = ", ".join(["%s"] * len(table.columns))
    insert = f"INSERT INTO {_quoted(table.name)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    cursor.executemany(insert, table.rows)


def _sequences_advance(cursor, snapshot: list[_Table]) -> None:
    """New rows must not take the copied rows' ids, even after a sequence was reset."""
    clauses = [
        f"SELECT setval('{sequence}', {highest}) "
        f"WHERE coalesce(pg_sequence_last_value('{sequence}'), 0) < {highest}"
        for sequence, highest in (t.sequence_max for t in snapshot if t.sequence_max)
    ]
    if clauses:
        cursor.execute(" UNION ALL ".join(clauses))


def demo_estate_restore() -> None:
    """Add the demo estate to the test database, as `seed_demo` would into an empty one.

    Where the database already holds part of it (a row the copy would clash with), the estate
    is loaded through the services instead, which keep what is there."""
    global _snapshot
    if _snapshot is None:
        _snapshot = _snapshot_take()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for table in _snapshot:
                _rows_write(cursor, table)
            if connection.vendor == "postgresql":
                _sequences_advance(cursor, _snapshot)
    except IntegrityError:
        demo_estate_load()


def demo_simulated_hmc(**options) -> SimulatedHmc:
    """The demo HMC as the simulator serves it in the demo (`hmc_simulator --from-db
    --demo-faults`): the estate from the database, and the demo's not-ready LPAR (lnx2, its RMC
    connection down). `options` are SimulatedHmc's (validation_seconds …)."""
    hmc = SimulatedHmc(estate_from_db(), **options)
    hmc.lpar_faults.update(DEMO_FAULTS)
    return hmc
