"""The abstract job row and the abstract event row that every kind of background work extends.

A kind is a concrete subclass of `Job` (its own table, its own fields) with an event table of
its own made from `JobEvent` (a foreign key `job` to it, `related_name="events"`): foreign keys
and cascades stay real, and each kind's log is read by an index on its own job."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobState(models.TextChoices):
    """The states a job goes through by default; a kind may have more (its own `State`)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class JobLevel(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class Job(models.Model):
    """One run of background work. The row is created first; its id is in the Celery task id;
    the worker claims it, reports progress and a heartbeat on it, and finishes or fails it with
    a reason (see `JobRun`)."""

    # The kind's name on the Jobs page and in `?kind=`; defaults to the model's name.
    job_kind: str = ""
    # Related rows that describing a job of this kind reads (`select_related`).
    job_related: tuple[str, ...] = ()
    # Who sees jobs of this kind on the Jobs page: this permission; empty, the model's `view_`.
    job_view_permission: str = ""
    # A queued job in one of these may be claimed by a worker; running in RUNNING_STATE.
    CLAIMABLE_STATES: tuple[str, ...] = (JobState.QUEUED,)
    RUNNING_STATE: str = JobState.RUNNING
    SUCCEEDED_STATE: str = JobState.SUCCEEDED
    FAILED_STATE: str = JobState.FAILED
    ACTIVE_STATES: tuple[str, ...] = (JobState.QUEUED, JobState.RUNNING)

    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0–100.")
    step = models.CharField(max_length=255, blank=True, help_text="What the job is doing now.")
    message = models.TextField(blank=True, help_text="The outcome, or why it failed.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    worker = models.CharField(max_length=255, blank=True, help_text="The worker running it.")
    created = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="The last time its worker reported on it."
    )

    class Meta:
        abstract = True
        ordering = ["-created", "-pk"]

    @classmethod
    def kind(cls) -> str:
        return cls.job_kind or cls._meta.model_name or ""

    @classmethod
    def view_permission(cls) -> str:
        return cls.job_view_permission or f"{cls._meta.app_label}.view_{cls._meta.model_name}"

    def get_api_url(self) -> str:
        """The row's own API address, when its kind has one ('' else)."""
        return ""

    @property
    def task_id(self) -> str:
        """The Celery task id: the row's id, after its kind so that kinds never clash."""
        return f"{self.kind()}-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def duration(self):
        """How long it ran (so far, while it runs), or None before it started."""
        if self.started is None:
            return None
        return (self.finished or timezone.now()) - self.started


class JobEvent(models.Model):
    """One line of a job's log. A kind's event model adds `job`, a foreign key to its job model
    with `related_name="events"`."""

    Level = JobLevel

    time = models.DateTimeField(default=timezone.now, editable=False)
    level = models.CharField(max_length=8, choices=JobLevel.choices, default=JobLevel.INFO)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True, help_text="Details, by name.")

    class Meta:
        abstract = True
        ordering = ["time", "pk"]

    def __str__(self) -> str:
        return f"{self.time:%H:%M:%S} {self.level}: {self.message}"
