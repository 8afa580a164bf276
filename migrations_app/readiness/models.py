"""What a readiness run records: the run (a job: state, progress, log, who, heartbeat), one
result per LPAR, and the per-HMC schedule that starts runs."""

from django.db import models
from django.urls import reverse

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.jobs import Job, JobEvent


class ReadinessSchedule(models.Model):
    """A periodic readiness run over the LPARs of one HMC, started by beat once
    `interval_minutes` have passed since that HMC's last scheduled run (1440: nightly)."""

    hmc = models.OneToOneField(
        Hmc, on_delete=models.CASCADE, related_name="readiness_schedule", verbose_name="HMC"
    )
    interval_minutes = models.PositiveIntegerField(default=1440)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = "readiness schedule"

    def __str__(self) -> str:
        return f"Readiness of {self.hmc} every {self.interval_minutes} min"


class ReadinessRun(Job):
    """One readiness run over a scope (the estate, a frame, an HMC or a list of LPARs): a job
    like the others (state, progress, log, who, heartbeat; listed on the Jobs page)."""

    job_kind = "readiness"
    job_related = ("scope_frame", "scope_hmc", "requested_by")

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        STOPPING = "stopping", "Stopping"
        SUCCEEDED = "succeeded", "Succeeded"
        STOPPED = "stopped", "Stopped"
        FAILED = "failed", "Failed"

    class Scope(models.TextChoices):
        ESTATE = "estate", "The whole estate"
        FRAME = "frame", "A frame"
        HMC = "hmc", "An HMC"
        LPARS = "lpars", "A list of LPARs"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.STOPPING)

    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.ESTATE)
    scope_frame = models.ForeignKey(
        Frame,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="frame",
    )
    scope_hmc = models.ForeignKey(
        Hmc,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="HMC",
    )
    scope_lpars = models.ManyToManyField(Lpar, blank=True, related_name="+", verbose_name="LPARs")
    scheduled = models.BooleanField(default=False, help_text="Started by its HMC's schedule.")
    total = models.PositiveIntegerField(default=0, help_text="LPARs in the scope.")
    done = models.PositiveIntegerField(default=0, help_text="LPARs with a result.")

    class Meta(Job.Meta):
        verbose_name = "readiness run"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="readinessrun_progress_percent",
                violation_error_message="Progress is a percentage, 0 to 100.",
            )
        ]
        indexes = [models.Index(fields=["state", "created"], name="readinessrun_state_created")]

    def __str__(self) -> str:
        return f"Readiness run #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("migrations_app:readiness-run", args=[self.pk])

    def scope_label(self) -> str:
        if self.scope == self.Scope.FRAME and self.scope_frame_id:
            return f"frame {self.scope_frame}"
        if self.scope == self.Scope.HMC and self.scope_hmc_id:
            return f"HMC {self.scope_hmc}"
        if self.scope == self.Scope.LPARS:
            return "chosen LPARs"
        return "the whole estate"


class ReadinessEvent(JobEvent):
    """One line of a run's log."""

    job = models.ForeignKey(ReadinessRun, on_delete=models.CASCADE, related_name="events")

    class Meta(JobEvent.Meta):
        verbose_name = "readiness event"


class Verdict(models.TextChoices):
    READY = "ready", "Ready"
    WARNINGS = "warnings", "Ready with warnings"
    NOT_READY = "not_ready", "Not ready"
    NOT_CHECKED = "not_checked", "Not checked"


class Disagreement(models.TextChoices):
    NONE = "", "None"
    HMC_REFUSED = "hmc_refused", "The HMC refuses what pre-flight allowed"
    HMC_ALLOWED = "hmc_allowed", "The HMC allows what pre-flight blocked"


class ReadinessResult(models.Model):
    """The HMC's answer for one LPAR in one run, beside the offline pre-flight verdict."""

    run = models.ForeignKey(ReadinessRun, on_delete=models.CASCADE, related_name="results")
    lpar = models.ForeignKey(
        Lpar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="readiness_results",
        verbose_name="LPAR",
    )
    lpar_name = models.CharField(max_length=47)
    frame = models.ForeignKey(Frame, on_delete=models.SET_NULL, null=True, related_name="+")
    frame_name = models.CharField(max_length=63)
    hmc = models.ForeignKey(
        Hmc, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="HMC"
    )
    hmc_name = models.CharField(max_length=63, blank=True)
    target = models.ForeignKey(
        Frame, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_name = models.CharField(max_length=63, blank=True)
    target_source = models.CharField(
        max_length=16,
        blank=True,
        choices=[
            ("plan", "Evacuation plan"),
            ("stub", "Stub twin"),
            ("frame", "Frame's evacuation target"),
        ],
    )
    checked = models.DateTimeField()
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    reason = models.TextField(blank=True, help_text="In words: the HMC's, or why not checked.")
    codes = models.JSONField(default=list, blank=True, help_text="HSCL codes.")
    code = models.CharField(max_length=8, blank=True, help_text="The first HSCL code.")
    command = models.TextField(blank=True)
    output = models.TextField(blank=True, help_text="The HMC's messages, as it printed them.")
    preflight_verdict = models.CharField(max_length=8, blank=True)
    preflight_findings = models.JSONField(default=list, blank=True)
    disagreement = models.CharField(
        max_length=12, choices=Disagreement.choices, default="", blank=True
    )
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When this LPAR first failed for this code, counting back over unbroken runs.",
    )

    class Meta:
        ordering = ["run", "frame_name", "lpar_name"]
        verbose_name = "readiness result"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "lpar"],
                name="readinessresult_one_per_lpar_per_run",
                violation_error_message="A run holds one result per LPAR.",
            )
        ]
        indexes = [models.Index(fields=["lpar", "run"], name="readinessresult_lpar_run")]

    def __str__(self) -> str:
        return f"{self.lpar_name} in run #{self.run_id}: {self.get_verdict_display()}"
