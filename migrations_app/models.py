"""What the execution side records: live workers, HMC syncs (discovery runs) with their drift
reports, the per-HMC sync schedule, and jobs that create planned partitions on an HMC."""

from django.conf import settings
from django.db import models

from inventory.models import Hmc, Lpar


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the periodic heartbeat task: proof it consumes jobs."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname


class HmcSync(models.Model):
    """One discovery run against an HMC: its state and progress as it goes, then its outcome.
    The row is created first; the Celery task works on it by id."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    hmc = models.ForeignKey(Hmc, on_delete=models.CASCADE, related_name="syncs", verbose_name="HMC")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0–100.")
    step = models.CharField(max_length=255, blank=True, help_text="What the run is doing now.")
    message = models.TextField(blank=True, help_text="Why it failed, or a summary.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "HMC sync"
        constraints = [
            models.UniqueConstraint(
                fields=["hmc"],
                condition=models.Q(state__in=["queued", "running"]),
                name="hmcsync_one_active_per_hmc",
                violation_error_message="A sync of this HMC is already queued or running.",
            )
        ]

    def __str__(self) -> str:
        return f"Sync of {self.hmc} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)


class DriftItem(models.Model):
    """One difference between the plan and the HMC found by a sync. What the HMC has and the
    plan lacked is added and noted; anything else waits for the planner to accept or keep."""

    class Kind(models.TextChoices):
        ADDED = "added", "Added from the HMC"
        DIFFERS = "differs", "Value differs"
        MISSING_ON_HMC = "missing_on_hmc", "In the plan, not on the HMC"
        CONFLICT = "conflict", "Cannot be added"

    class Resolution(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "HMC value accepted"
        KEPT = "kept", "Plan kept"
        APPLIED = "applied", "Applied"

    sync = models.ForeignKey(HmcSync, on_delete=models.CASCADE, related_name="drift")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    model = models.CharField(max_length=32, help_text="frame, lpar, virtualadapter, slot …")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    label = models.CharField(max_length=255, help_text="The object by its natural key.")
    field = models.CharField(max_length=64, blank=True)
    plan_value = models.JSONField(null=True, blank=True)
    hmc_value = models.JSONField(null=True, blank=True)
    resolution = models.CharField(
        max_length=16, choices=Resolution.choices, default=Resolution.PENDING
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["sync", "id"]
        verbose_name = "drift item"

    def __str__(self) -> str:
        detail = f" {self.field}" if self.field else ""
        return f"{self.label}{detail}: {self.get_kind_display()}"


class HmcSyncSchedule(models.Model):
    """A periodic sync of one HMC, started by beat when `interval_minutes` have passed."""

    hmc = models.OneToOneField(
        Hmc, on_delete=models.CASCADE, related_name="sync_schedule", verbose_name="HMC"
    )
    interval_minutes = models.PositiveIntegerField(default=1440)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "HMC sync schedule"

    def __str__(self) -> str:
        return f"{self.hmc} every {self.interval_minutes} min"


class LparCreateJob(models.Model):
    """Creating a planned partition (a stub twin) on its frame through the HMC, then reading back
    the WWPN pairs the HMC assigned. The row is created first; the Celery task works on it by id."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    lpar = models.ForeignKey(
        Lpar, on_delete=models.CASCADE, related_name="create_jobs", verbose_name="LPAR"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True, help_text="Why it failed, or what was done.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "LPAR creation on the HMC"

    def __str__(self) -> str:
        return f"Create {self.lpar} on the HMC #{self.pk}"
