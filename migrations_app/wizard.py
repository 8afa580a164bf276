"""The Migrate wizard's glue between its page and the migration services: the destination
frames with their pre-flight verdicts, a service's refusal placed at the form's fields, and the
buttons a job's state allows. The rules themselves stay in `migrations_app.lpm`."""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from inventory.models import Frame, Lpar
from migrations_app.lpm import services as lpm
from migrations_app.models import ACTIVE_STATES, STOPPABLE_STATES, MigrationJob, MigrationState
from planning.preflight import Finding, Verdict, verdict_of

S = MigrationState
# The states `migration_stop` accepts (a migrating job is stopped with `migrlpar -o s`).


@dataclass(frozen=True)
class Destination:
    """A frame the LPAR could go to, with what the pre-flight says about it."""

    frame: Frame
    findings: list[Finding]

    @property
    def verdict(self) -> str:
        return verdict_of(self.findings)

    @property
    def verdict_label(self) -> str:
        return Verdict(self.verdict).label


def destinations(*, lpar: Lpar) -> list[Destination]:
    """Every other frame, with its pre-flight findings (one read of the estate for all)."""
    found = {m.frame.pk: m.findings for m in lpm.migration_destinations(lpar=lpar)}
    frames = Frame.objects.filter(pk__in=found).select_related("hmc").order_by("name")
    return [Destination(frame=frame, findings=found[frame.pk]) for frame in frames]


def destination_of(*, lpar: Lpar, frame: Frame) -> Destination:
    return Destination(frame=frame, findings=lpm.migration_preflight(lpar=lpar, destination=frame))


@dataclass
class Refusal:
    """A service's ValidationError spread over the wizard: messages for the form's own fields
    go to the form; the others (`preflight`, `storage_mappings` …) are kept by section."""

    sections: dict[str, list[str]] = field(default_factory=dict)
    # Sections the wizard shows in a place of their own; any other goes above the form.
    PLACED = ("preflight", "storage_mappings", "lpar", "destination_frame")

    @property
    def elsewhere(self) -> list[str]:
        return [m for name, ms in self.sections.items() if name not in self.PLACED for m in ms]

    @classmethod
    def place(cls, form: forms.Form, error: ValidationError) -> "Refusal":
        refusal = cls()
        by_field = error.message_dict if hasattr(error, "error_dict") else {}
        if not by_field:
            form.add_error(None, error)
            return refusal
        for name, messages in by_field.items():
            if name in form.fields:
                form.add_error(name, messages)
            elif name == NON_FIELD_ERRORS:
                form.add_error(None, messages)
            else:
                refusal.sections.setdefault(name, []).extend(messages)
        return refusal


def active_job(*, lpar: Lpar) -> MigrationJob | None:
    """The migration that holds the LPAR now, if any (the one a second request is told about)."""
    return MigrationJob.objects.filter(lpar=lpar, state__in=ACTIVE_STATES).first()


@dataclass(frozen=True)
class JobActions:
    """Which of Start, Stop and Recover the job's state allows; `recover_needs_force` when only
    a forced recovery is (a migration the HMC may still be running)."""

    start: bool
    stop: bool
    recover: bool
    recover_needs_force: bool


def job_actions(job: MigrationJob) -> JobActions:
    plain_recover = job.state in lpm.RECOVERABLE
    forced_recover = not plain_recover and job.can_move_to(S.RECOVERING)
    return JobActions(
        start=job.state == S.VALIDATED,
        stop=job.state in STOPPABLE_STATES,
        recover=plain_recover or forced_recover,
        recover_needs_force=forced_recover,
    )
