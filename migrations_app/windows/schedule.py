"""Scheduling new migrations: in a change window (they start when it opens, and not later than
it closes minus their expected duration) or at a time. What the services that create jobs
call; the beat task's side is in `services`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from lpmplanner import clock
from migrations_app.models import MigrationJob, MigrationState
from migrations_app.windows.duration import expected_duration
from migrations_app.windows.models import ChangeWindow


@dataclass(frozen=True)
class Schedule:
    """When new jobs start: when `window` next opens, or at `at`."""

    window: ChangeWindow | None = None
    at: datetime | None = None


def when(moment: datetime, window: ChangeWindow | None = None) -> str:
    """A time as operators read it: in the window's time zone, else the server's."""
    if window is not None:
        return f"{moment.astimezone(window.zone):%Y-%m-%d %H:%M %Z}"
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def _coverage_errors(window: ChangeWindow, jobs: Sequence[MigrationJob]) -> list[str]:
    errors = []
    for job in jobs:
        for frame, role in ((job.source_frame, "source"), (job.destination_frame, "destination")):
            if not window.covers(frame):
                errors.append(
                    f"Change window {window.name} does not cover {frame.name} (the {role} of "
                    f"{job.lpar_name}): add the frame or its HMC to the window, or choose another."
                )
    return errors


def schedule_apply(schedule: Schedule, jobs: Sequence[MigrationJob]) -> str:
    """Mark unsaved jobs scheduled (state, window, start, the window's closing), or refuse the
    schedule in words by field. Returns the sentence for their logs."""
    now = clock.now()
    if schedule.window is not None and schedule.at is not None:
        message = "Schedule in a change window or at a time, not both."
        raise ValidationError({"window": [message], "scheduled_for": [message]})
    if schedule.window is not None:
        window = schedule.window
        occurrence = window.occurrence(now)
        if occurrence is None:
            raise ValidationError(
                {
                    "window": [
                        f"Change window {window.name} closed at {when(window.end, window)} "
                        "and does not open again: choose another window."
                    ]
                }
            )
        errors = _coverage_errors(window, jobs)
        if errors:
            raise ValidationError({"window": errors})
        opens, closes = occurrence
        start, sentence = (
            max(opens, now),
            (
                f"Scheduled in change window {window.name} ({window.describe()}): starts when it "
                f"opens at {when(opens, window)}, and is not started unless it can finish by "
                f"{when(closes, window)}."
            ),
        )
    elif schedule.at is not None:
        if schedule.at <= now:
            raise ValidationError(
                {
                    "scheduled_for": [
                        f"{when(schedule.at)} has passed: give a time in the future, "
                        "or leave it out to start now."
                    ]
                }
            )
        window, start, closes = None, schedule.at, None
        sentence = f"Scheduled to start at {when(schedule.at)}."
    else:
        raise ValidationError({"window": ["Give a change window or a time."]})
    for job in jobs:
        job.state, job.window, job.scheduled_for, job.window_closes = (
            MigrationState.SCHEDULED,
            window,
            start,
            closes,
        )
        job.step = f"Scheduled: starts at {when(start, window)}"[:255]
    return sentence


def too_late_reason(job: MigrationJob, *, now: datetime | None = None) -> str:
    """'' when the job may still start: it has no window, or it can finish before the window
    closes; else why it is not started, in words."""
    if job.window_closes is None:
        return ""
    now = now or clock.now()
    memory_mb = job.lpar.memory_mb
    expected = expected_duration(job, memory_mb=memory_mb)
    latest = job.window_closes - expected.duration
    if now <= latest:
        return ""
    window = job.window
    return (
        f"Not run: change window {window.name} closes at {when(job.window_closes, window)}, "
        f"and {job.lpar_name} needs {expected.describe(memory_mb)}: it had to start by "
        f"{when(latest, window)}."
    )
