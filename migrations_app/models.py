"""What the execution side records: live workers, HMC syncs (discovery runs) with their drift
reports, the per-HMC sync schedule, jobs that create planned partitions on an HMC, and
migrations (LPM jobs, their batches and their event logs)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.jobs import Job, JobEvent, JobLevel, JobState
from migrations_app.windows.models import ChangeWindow


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the periodic heartbeat task: proof it consumes jobs."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname


class HmcSync(Job):
    """One discovery run against an HMC: its state and progress as it goes, then its outcome.
    The row is created first; the Celery task works on it by id."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partial: some frames skipped"
        FAILED = "failed", "Failed"

    job_kind = "sync"
    job_related = ("hmc",)

    hmc = models.ForeignKey(Hmc, on_delete=models.CASCADE, related_name="syncs", verbose_name="HMC")
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    message = models.TextField(blank=True, help_text="Why it failed, or a summary.")
    frames = models.JSONField(
        default=list,
        blank=True,
        help_text="Per frame: name, outcome (read or skipped) and, when skipped, the reason.",
    )

    class Meta(Job.Meta):
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

    def get_absolute_url(self) -> str:
        return reverse("migrations_app:sync-detail", args=[self.pk])

    def get_api_url(self) -> str:
        return reverse("api:hmcsync-detail", args=[self.pk])


class HmcSyncEvent(JobEvent):
    """One line of a sync's log."""

    job = models.ForeignKey(HmcSync, on_delete=models.CASCADE, related_name="events")

    class Meta(JobEvent.Meta):
        verbose_name = "HMC sync event"


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
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

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


class LparCreateJob(Job):
    """Creating a planned partition (a stub twin) on its frame through the HMC, then reading back
    the WWPN pairs the HMC assigned. The row is created first; the Celery task works on it by id."""

    State = JobState

    job_kind = "create_on_hmc"
    job_related = ("lpar",)

    lpar = models.ForeignKey(
        Lpar, on_delete=models.CASCADE, related_name="create_jobs", verbose_name="LPAR"
    )
    message = models.TextField(blank=True, help_text="Why it failed, or what was done.")

    class Meta(Job.Meta):
        verbose_name = "LPAR creation on the HMC"

    def __str__(self) -> str:
        return f"Create {self.lpar} on the HMC #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("migrations_app:lpar-create-job", args=[self.pk])

    def get_api_url(self) -> str:
        return reverse("api:lparcreatejob-detail", args=[self.pk])


class LparCreateJobEvent(JobEvent):
    """One line of the log of a creation on the HMC."""

    job = models.ForeignKey(LparCreateJob, on_delete=models.CASCADE, related_name="events")

    class Meta(JobEvent.Meta):
        verbose_name = "LPAR creation event"


class MigrationBatch(models.Model):
    """LPARs submitted together (a selection, an evacuation): one job each, run within the
    concurrency limits."""

    name = models.CharField(max_length=128, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    # The plan the batch runs, when it runs one ("Migrate this plan"); planning knows nothing
    # of batches (no reverse accessor).
    evacuation_plan = models.ForeignKey(
        "planning.EvacuationPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    finished = models.DateTimeField(
        null=True, blank=True, help_text="When its last job finished (its end was reported)."
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = "migration batch"
        verbose_name_plural = "migration batches"

    def __str__(self) -> str:
        return self.name or f"Batch #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("migrations_app:batch-detail", args=[self.pk])

    @property
    def admitting(self) -> "BatchAdmission | None":
        """The worker job admitting the batch's items while it runs or when it refused them
        (a large batch, BATCH_ADMIT_INLINE_MAX); None once admitted, or when admitted inline."""
        try:
            admission = self.admission
        except BatchAdmission.DoesNotExist:
            return None
        return None if admission.state == JobState.SUCCEEDED else admission


class BatchAdmission(Job):
    """Admitting a large batch on a worker: the request saved the batch and the items it asked
    for (`items`, as ids), a worker judges them as `batch_create` does inline, all or none, with
    progress; every refusal is an error line of its log. Then the batch runs as any other."""

    State = JobState

    job_kind = "batch_admission"
    job_related = ("batch",)
    # Whoever sees migrations sees their admissions.
    job_view_permission = "migrations_app.view_migrationjob"

    batch = models.OneToOneField(MigrationBatch, on_delete=models.CASCADE, related_name="admission")
    items = models.JSONField(
        default=list,
        help_text="What was asked: [{lpar, destination_frame, options}], ids for rows.",
    )
    item_count = models.PositiveIntegerField(default=0)
    confirm_warnings = models.BooleanField(default=False)
    validate_only = models.BooleanField(default=False)
    window = models.ForeignKey(
        ChangeWindow, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    start_at = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        verbose_name = "batch admission"

    def __str__(self) -> str:
        return f"Admit {self.item_count} migrations of {self.batch} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("migrations_app:batch-detail", args=[self.batch_id])

    def get_api_url(self) -> str:
        return reverse("api:migrationbatch-detail", args=[self.batch_id])

    @property
    def refusals(self) -> list[str]:
        """Why the items were refused, one line each (empty unless it failed on them)."""
        return [
            event.message for event in self.events.filter(level=JobLevel.ERROR, data__refusal=True)
        ]


class BatchAdmissionEvent(JobEvent):
    """One line of the log of a batch admission."""

    job = models.ForeignKey(BatchAdmission, on_delete=models.CASCADE, related_name="events")

    class Meta(JobEvent.Meta):
        verbose_name = "batch admission event"


class MigrationState(models.TextChoices):
    # Waits for its change window to open, or for the time it was asked to start at.
    SCHEDULED = "scheduled", "Scheduled"
    PENDING = "pending", "Pending"
    VALIDATING = "validating", "Validating"
    VALIDATED = "validated", "Validated"
    VALIDATION_FAILED = "validation_failed", "Validation failed"
    QUEUED = "queued", "Queued"
    MIGRATING = "migrating", "Migrating"
    COMPLETED = "completed", "Completed"
    # The HMC moved the partition, but the inventory could not follow: run Sync now.
    COMPLETED_NEEDS_SYNC = "completed_needs_sync", "Completed, inventory needs a sync"
    # The HMC shows no migration and the partition on neither frame (or cannot tell where).
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    FAILED = "failed", "Failed"
    STOPPING = "stopping", "Stopping"
    STOPPED = "stopped", "Stopped"
    RECOVERING = "recovering", "Recovering"
    RECOVERED = "recovered", "Recovered"
    # Its window would have closed before it could finish: never started (`not_run_reason`).
    NOT_RUN = "not_run", "Not run"


S = MigrationState
# The state machine: from each state, the states a job may move to. Everything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.PENDING, S.STOPPED, S.NOT_RUN}),
    S.PENDING: frozenset({S.VALIDATING, S.STOPPED, S.FAILED}),
    S.VALIDATING: frozenset({S.VALIDATED, S.VALIDATION_FAILED, S.QUEUED, S.FAILED, S.STOPPED}),
    S.VALIDATED: frozenset({S.QUEUED, S.STOPPED}),
    S.VALIDATION_FAILED: frozenset(),
    S.QUEUED: frozenset({S.MIGRATING, S.STOPPED, S.FAILED, S.NOT_RUN}),
    S.MIGRATING: frozenset(
        {
            S.COMPLETED,
            S.COMPLETED_NEEDS_SYNC,
            S.NEEDS_ATTENTION,
            S.FAILED,
            S.STOPPING,
            S.STOPPED,
            S.RECOVERING,
        }
    ),
    S.STOPPING: frozenset(
        {S.STOPPED, S.COMPLETED, S.COMPLETED_NEEDS_SYNC, S.NEEDS_ATTENTION, S.FAILED, S.RECOVERING}
    ),
    S.STOPPED: frozenset({S.RECOVERING}),
    S.FAILED: frozenset({S.RECOVERING}),
    S.NEEDS_ATTENTION: frozenset({S.RECOVERING}),
    S.RECOVERING: frozenset(
        {S.RECOVERED, S.FAILED, S.COMPLETED, S.COMPLETED_NEEDS_SYNC, S.NEEDS_ATTENTION}
    ),
    S.RECOVERED: frozenset(),
    S.COMPLETED: frozenset(),
    S.COMPLETED_NEEDS_SYNC: frozenset(),
    S.NOT_RUN: frozenset(),
}
# A job in one of these holds its LPAR: the database allows one per LPAR.
ACTIVE_STATES = (
    S.SCHEDULED,
    S.PENDING,
    S.VALIDATING,
    S.QUEUED,
    S.MIGRATING,
    S.STOPPING,
    S.RECOVERING,
)
# A job in one of these takes a slot of the concurrency limits (frame, MSP, HMC).
RUNNING_STATES = (S.MIGRATING, S.STOPPING)
# A job in one of these can be stopped: cancelled before `-o m`, else `migrlpar -o s`.
STOPPABLE_STATES = (S.SCHEDULED, S.PENDING, S.VALIDATED, S.QUEUED, S.MIGRATING)
FINISHED_STATES = (
    S.VALIDATION_FAILED,
    S.COMPLETED,
    S.COMPLETED_NEEDS_SYNC,
    S.NEEDS_ATTENTION,
    S.FAILED,
    S.STOPPED,
    S.RECOVERED,
    S.NOT_RUN,
)


class RequiredOrIfPossible(models.TextChoices):
    """A migrlpar tri-state option that only takes 1 or 2 (`--vlanbridge`, `--mpio`)."""

    REQUIRED = "1", "Required"
    IF_POSSIBLE = "2", "If possible"


class MigrationJob(Job):
    """One LPM request: the LPAR, where it goes, every option of the wizard, who asked, and the
    run as it goes (state, progress, current step). The row, not the broker, is the record: the
    task works on it by id, and the reconciler reads it to finish what a dead worker left."""

    State = MigrationState

    job_kind = "migration"
    job_related = ("source_frame", "destination_frame")
    CLAIMABLE_STATES = ()  # its own runner moves it, through the state machine (TRANSITIONS)
    RUNNING_STATE = S.MIGRATING
    SUCCEEDED_STATE = S.COMPLETED
    FAILED_STATE = S.FAILED
    ACTIVE_STATES = ACTIVE_STATES

    lpar = models.ForeignKey(
        Lpar, on_delete=models.PROTECT, related_name="migration_jobs", verbose_name="LPAR"
    )
    lpar_name = models.CharField(max_length=47, help_text="The LPAR's name when asked.")
    source_frame = models.ForeignKey(Frame, on_delete=models.PROTECT, related_name="+")
    destination_frame = models.ForeignKey(Frame, on_delete=models.PROTECT, related_name="+")
    hmc = models.ForeignKey(Hmc, on_delete=models.PROTECT, related_name="+", verbose_name="HMC")
    batch = models.ForeignKey(
        MigrationBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    state = models.CharField(max_length=20, choices=MigrationState.choices, default=S.PENDING)
    validate_only = models.BooleanField(
        default=False, help_text="Run the HMC validation (migrlpar -o v) only."
    )
    # The wizard's options.
    dest_profile_name = models.CharField(
        max_length=31, blank=True, verbose_name="destination profile name"
    )
    wait_minutes = models.PositiveSmallIntegerField(default=5, verbose_name="wait time (min)")
    source_msp = models.ForeignKey(
        Lpar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="source mover service partition",
    )
    dest_msp = models.ForeignKey(
        Lpar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="destination mover service partition",
    )
    shared_pool_name = models.CharField(
        max_length=64, blank=True, verbose_name="destination shared processor pool"
    )
    dest_lpar_id = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="destination LPAR id"
    )
    storage_mappings = models.JSONField(
        default=list,
        blank=True,
        help_text="Per vSCSI/vFC client slot: kind, client_slot, vios (id), vios_name, vios_id, "
        "vios_slot and, for vFC, fc_port (the destination physical port, e.g. fcs0).",
    )
    vlan_bridges = models.JSONField(
        default=list, blank=True, help_text="Per VLAN: the destination VIOS that bridges it."
    )
    # migrlpar options; empty: the HMC's own default (the option is not sent).
    detail_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=[(n, str(n)) for n in range(1, 6)],
        verbose_name="detail level (-d)",
        help_text="How much the HMC says about a refused validation, 1 to 5.",
    )
    npiv_validation = models.CharField(
        max_length=8,
        blank=True,
        choices=[("port", "Ports (zoning)"), ("portdisk", "Ports and disks (LUN masking too)")],
        verbose_name="NPIV validation (--npivval)",
    )
    vlan_bridge = models.CharField(
        max_length=1,
        blank=True,
        choices=RequiredOrIfPossible.choices,
        verbose_name="VLAN bridging on the destination (--vlanbridge)",
    )
    mpio = models.CharField(
        max_length=1,
        blank=True,
        choices=RequiredOrIfPossible.choices,
        verbose_name="storage multipathing kept (--mpio)",
    )
    redundant_vios = models.CharField(
        max_length=1,
        blank=True,
        choices=[("0", "Not kept"), ("1", "Required"), ("2", "If possible")],
        verbose_name="VIOS redundancy kept (--redundantvios)",
    )
    confirm_warnings = models.BooleanField(default=False)
    findings = models.JSONField(default=list, blank=True, help_text="Pre-flight findings.")
    # The run.
    bytes_transmitted = models.PositiveBigIntegerField(null=True, blank=True)
    bytes_remaining = models.PositiveBigIntegerField(null=True, blank=True)
    queued_reason = models.CharField(max_length=255, blank=True)
    migrate_sent = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When migrlpar -o m was (about to be) sent: never sent twice for a job.",
    )
    hmc_ended = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the HMC finished moving it: the slot it held in the limits is free.",
    )
    stop_sent = models.DateTimeField(null=True, blank=True, help_text="When -o s was sent.")
    recover_force = models.BooleanField(default=False, help_text="Recover with --force.")
    dispatched = models.DateTimeField(null=True, blank=True, help_text="Last sent to a worker.")
    dispatches = models.PositiveIntegerField(default=0, help_text="Tasks sent for it.")
    # Scheduling: in a change window, or at a time.
    window = models.ForeignKey(
        ChangeWindow,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name="change window",
    )
    scheduled_for = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it starts: the time asked for, or its window's opening.",
    )
    window_closes = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The closing of its window's occurrence: it is not "
        "started later than this minus its expected duration.",
    )
    not_run_reason = models.TextField(blank=True, help_text="Why it was not started.")
    ran_over = models.BooleanField(
        default=False, help_text="It was still migrating when its window closed."
    )

    class Meta(Job.Meta):
        verbose_name = "migration"
        constraints = [
            models.UniqueConstraint(
                fields=["lpar"],
                condition=models.Q(state__in=ACTIVE_STATES),
                name="migrationjob_one_active_per_lpar",
                violation_error_message="This LPAR already has a migration in progress.",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="migrationjob_progress_percent",
                violation_error_message="Progress is a percentage, 0 to 100.",
            ),
        ]
        indexes = [models.Index(fields=["state", "created"], name="migrationjob_state_created")]

    def __str__(self) -> str:
        return f"Migration #{self.pk} of {self.lpar_name}"

    def get_absolute_url(self) -> str:
        return reverse("migrations_app:migration-detail", args=[self.pk])

    def get_api_url(self) -> str:
        return reverse("api:migrationjob-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def worker_silence(self) -> int | None:
        """Seconds since the worker following this running migration last reported, when that
        is long enough to call the worker lost (it reports every LPM_MIGRATION_POLL_SECONDS,
        so three missed reports, at least 5 s); else None. The reconciler takes the job over
        after LPM_MIGRATION_STALE_SECONDS."""
        if self.state not in RUNNING_STATES or self.migrate_sent is None or not self.heartbeat:
            return None
        silence = (timezone.now() - self.heartbeat).total_seconds()
        lost_after = max(3 * settings.LPM_MIGRATION_POLL_SECONDS, 5.0)
        return int(silence) if silence > lost_after else None

    @property
    def worker_lost(self) -> bool:
        return self.worker_silence is not None

    def can_move_to(self, state: str) -> bool:
        return state in TRANSITIONS[self.state]

    def transition_check(self, state: str) -> None:
        """Refuse a move the state machine does not allow, in words."""
        if not self.can_move_to(state):
            raise ValidationError(
                f"A migration that is {self.get_state_display().lower()} cannot become "
                f"{MigrationState(state).label.lower()}."
            )


class MigrationEvent(JobEvent):
    """One line of a migration's log: what happened, the HSCL codes, the raw HMC output."""

    job = models.ForeignKey(MigrationJob, on_delete=models.CASCADE, related_name="events")
    codes = models.JSONField(default=list, blank=True, help_text="HSCL codes.")
    command = models.TextField(blank=True, help_text="The HMC command line.")
    output = models.TextField(blank=True, help_text="The HMC's raw output.")

    class Meta(JobEvent.Meta):
        verbose_name = "migration event"


from migrations_app.readiness.models import (  # noqa: E402, F401 - the app's models live here
    ReadinessEvent,
    ReadinessResult,
    ReadinessRun,
    ReadinessSchedule,
)
