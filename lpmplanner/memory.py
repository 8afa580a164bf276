"""Helpers for work that builds many small objects."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while tens of thousands of small acyclic objects are built
    (a zoning plan, a migratability matrix): the collector's passes over them (each new
    generation of objects triggers one) cost more than the work itself. Reference counting
    still frees everything; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
