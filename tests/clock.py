"""A clock for the schedulers that every process of a test reads, the test's and its worker's:
the time written in the file that LPM_TEST_CLOCK_FILE names, the real time while it is empty.
Set LPM_CLOCK=tests.clock.file_clock (settings and the worker's environment) to use it."""

import os
from datetime import datetime
from pathlib import Path

from django.utils import timezone


def file_clock() -> datetime:
    path = os.environ.get("LPM_TEST_CLOCK_FILE", "")
    text = Path(path).read_text().strip() if path and Path(path).exists() else ""
    return datetime.fromisoformat(text) if text else timezone.now()


def clock_set(moment: datetime) -> None:
    """Move the clock of every process reading LPM_TEST_CLOCK_FILE to `moment`."""
    Path(os.environ["LPM_TEST_CLOCK_FILE"]).write_text(moment.isoformat())
