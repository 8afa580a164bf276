"""A change window: a named span of time (once, every day or every week, in its own time zone)
and the frames or HMCs it covers."""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from inventory.models import Frame, Hmc

ZONES = frozenset(zoneinfo.available_timezones())


class Recurrence(models.TextChoices):
    ONCE = "once", "Once"
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"


PERIODS: dict[str, timedelta] = {
    Recurrence.DAILY: timedelta(days=1),
    Recurrence.WEEKLY: timedelta(weeks=1),
}


class ChangeWindow(models.Model):
    """When migrations may run: from `start` to `end`, and, when it recurs, at the same wall-clock
    times every day or week in `time_zone` (so "every Saturday 01:00–05:00 Europe/Paris" stays at
    01:00 across daylight saving changes). It covers its `frames` and the frames its `hmcs`
    manage; with neither, every frame."""

    name = models.CharField(max_length=100, unique=True)
    start = models.DateTimeField(help_text="The (first) opening.")
    end = models.DateTimeField(help_text="The (first) closing.")
    recurrence = models.CharField(max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE)
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="An IANA time zone, e.g. Europe/Paris."
    )
    frames = models.ManyToManyField(Frame, blank=True, related_name="+")
    hmcs = models.ManyToManyField(Hmc, blank=True, related_name="+", verbose_name="HMCs")
    closed_reported = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The closing of the last occurrence whose outcome was reported.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "change window"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.time_zone not in ZONES:
            errors["time_zone"] = [
                f"Unknown time zone {self.time_zone!r}: use an IANA name such as Europe/Paris "
                "or UTC."
            ]
        if self.start and self.end and self.end <= self.start:
            errors["end"] = ["The window must end after it starts."]
        period = PERIODS.get(self.recurrence)
        if period and self.start and self.end and self.end - self.start > period:
            errors["end"] = [
                f"A window that recurs {self.get_recurrence_display().lower()} lasts at most "
                f"{period.days} day{'s' if period.days > 1 else ''}."
            ]
        if errors:
            raise ValidationError(errors)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def occurrence(self, moment: datetime) -> tuple[datetime, datetime] | None:
        """(opening, closing) of the first occurrence that has not closed at `moment` (it may be
        open already); None when the window will not open again."""
        period = PERIODS.get(self.recurrence)
        if period is None:
            return (self.start, self.end) if self.end > moment else None
        zone = self.zone
        first = self.start.astimezone(zone).replace(tzinfo=None)  # its wall-clock time
        length = self.end - self.start
        count = max(0, (moment - self.start) // period - 1)
        while True:
            opening = (first + count * period).replace(tzinfo=zone)
            if opening + length > moment:
                return opening, opening + length
            count += 1

    def covers(self, frame: Frame) -> bool:
        """True when the window applies to the frame: named, managed by a named HMC, or the
        window names neither frames nor HMCs."""
        frame_ids = {f.pk for f in self.frames.all()}
        hmc_ids = {h.pk for h in self.hmcs.all()}
        if not frame_ids and not hmc_ids:
            return True
        return frame.pk in frame_ids or (frame.hmc_id is not None and frame.hmc_id in hmc_ids)

    def describe(self) -> str:
        """'every Saturday 01:00–05:00 Europe/Paris' and the like."""
        zone = self.zone
        start, end = self.start.astimezone(zone), self.end.astimezone(zone)
        hours = f"{start:%H:%M}–{end:%H:%M} {self.time_zone}"
        if self.recurrence == Recurrence.WEEKLY:
            return f"every {start:%A} {hours}"
        if self.recurrence == Recurrence.DAILY:
            return f"every day {hours}"
        return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {self.time_zone}"
