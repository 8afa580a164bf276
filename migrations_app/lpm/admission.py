"""Admission: a new migration judged against what its destination frame has left.

The destination frames' rows are locked (in id order, so two admissions never wait on each other
in a circle) before anything is read, and stay locked until the jobs are saved in the same
transaction: requests for one frame are judged one after the other, each seeing the claims of
those before it. What is judged (the pre-flight facts; the capacity, names, LPAR ids and VIOS
slots promised to migrations that have not landed yet; what runs now) is read once per
admission and updated in memory as each job is admitted, so a batch costs the same reads as one
job."""

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F

from inventory.models import Frame, Lpar
from lpmplanner.exceptions import Conflict
from migrations_app.lpm.options import (
    MigrationOptions,
    OptionFacts,
    migration_command,
    migration_proposal,
    options_errors,
    options_resolve,
)
from migrations_app.models import ACTIVE_STATES, RUNNING_STATES, MigrationJob
from planning.preflight import EstateIndex, Preflight, PreflightOptions


def running_counts() -> tuple[Counter, Counter, Counter]:
    """Migrations that hold a slot now (the HMC is moving them): per frame (source and
    destination both), per MSP VIOS, per HMC."""
    by_frame, by_vios, by_hmc = Counter(), Counter(), Counter()
    running = MigrationJob.objects.filter(state__in=RUNNING_STATES, hmc_ended__isnull=True)
    rows = running.values_list("source_frame", "destination_frame", "source_msp", "dest_msp", "hmc")
    for source, destination, source_msp, dest_msp, hmc in rows:
        by_frame.update([source, destination])
        by_vios.update(v for v in (source_msp, dest_msp) if v)
        by_hmc[hmc] += 1
    return by_frame, by_vios, by_hmc


class Promised:
    """What admitted migrations whose LPAR has not landed yet will take on their destination:
    processor units and memory, the LPAR's name and id (Frame pk → …), and the destination VIOS
    slots of their storage mappings (VIOS pk → slots)."""

    def __init__(self) -> None:
        self.units: defaultdict[int, Decimal] = defaultdict(Decimal)
        self.memory_mb: defaultdict[int, int] = defaultdict(int)
        self.names: defaultdict[int, set[str]] = defaultdict(set)
        self.lpar_ids: defaultdict[int, set[int]] = defaultdict(set)
        self.vios_slots: defaultdict[int, set[int]] = defaultdict(set)

    @classmethod
    def load(cls, *, frame_ids: Collection[int] | None = None) -> "Promised":
        """For the frames `frame_ids` (every frame when None): one query."""
        promised = cls()
        jobs = MigrationJob.objects.filter(state__in=ACTIVE_STATES).exclude(
            lpar__frame=F("destination_frame")
        )
        if frame_ids is not None:
            jobs = jobs.filter(destination_frame__in=list(frame_ids))
        for frame_pk, name, units, memory_mb, lpar_id, mappings in jobs.values_list(
            "destination_frame",
            "lpar__name",
            "lpar__proc_units",
            "lpar__memory_mb",
            "dest_lpar_id",
            "storage_mappings",
        ):
            promised.add(
                frame_pk,
                name=name,
                units=units,
                memory_mb=memory_mb,
                lpar_id=lpar_id,
                mappings=mappings,
            )
        return promised

    def add(
        self,
        frame_pk: int,
        *,
        name: str,
        units: Decimal | None,
        memory_mb: int,
        lpar_id: int | None,
        mappings: list[Mapping[str, Any]],
    ) -> None:
        self.units[frame_pk] += units or 0
        self.memory_mb[frame_pk] += memory_mb or 0
        self.names[frame_pk].add(name)
        if lpar_id:
            self.lpar_ids[frame_pk].add(lpar_id)
        for mapping in mappings:
            self.vios_slots[mapping["vios"]].add(mapping["vios_slot"])


def preflight_options(*, promised: Promised | None = None) -> PreflightOptions:
    """The pre-flight's view of migrations in progress: slots taken per frame and MSP, LPARs
    moving, and what those not landed yet were promised (every frame's, unless given)."""
    by_frame, by_vios, _ = running_counts()
    moving = MigrationJob.objects.filter(state__in=RUNNING_STATES).values_list("lpar", flat=True)
    promised = promised if promised is not None else Promised.load()
    return PreflightOptions(
        running_by_frame=dict(by_frame),
        running_by_vios=dict(by_vios),
        vios_limit=settings.LPM_MSP_MAX_MIGRATIONS,
        migrating_lpars=frozenset(moving),
        arriving_by_frame={
            pk: (units, promised.memory_mb[pk]) for pk, units in promised.units.items()
        },
        arriving_names=promised.names,
        arriving_lpar_ids=promised.lpar_ids,
        claimed_by_vios={pk: len(slots) for pk, slots in promised.vios_slots.items()},
    )


def frames_lock(frame_ids: Collection[int]) -> None:
    """Lock the frames' rows until the transaction ends, in id order. FOR NO KEY UPDATE: a job
    saved meanwhile that only refers to one of them (its source frame) does not wait."""
    no_key = connection.features.has_select_for_no_key_update
    locked = Frame.objects.select_for_update(no_key=no_key).filter(pk__in=list(frame_ids))
    list(locked.order_by("pk").values_list("pk", flat=True))


def active_conflict(job: MigrationJob) -> Conflict:
    return Conflict(
        f"{job.lpar_name} already has migration #{job.pk} ({job.get_state_display().lower()}); "
        "stop it or wait for it to finish."
    )


def where_errors(lpar: Lpar, destination: Frame) -> dict[str, list[str]]:
    if lpar.frame.hmc_id is None:
        return {"lpar": [f"Frame {lpar.frame.name} of {lpar.name} has no HMC."]}
    if destination.hmc_id is None:
        return {"destination_frame": [f"Frame {destination.name} has no HMC."]}
    # Another HMC is allowed: the command names it (--ip/-u) and the worker checks the SSH
    # trust between the two HMCs before validating.
    return {}


def job_draft(*, lpar: Lpar, destination: Frame, options: MigrationOptions) -> MigrationJob:
    return MigrationJob(
        lpar=lpar,
        lpar_name=lpar.name,
        source_frame=lpar.frame,
        destination_frame=destination,
        hmc_id=lpar.frame.hmc_id,
        **options.job_fields(),
    )


class Admission:
    """The facts that judge new migrations of some LPARs to some destination frames, read under
    the destination frames' locks (`open`, inside a transaction). `judge` an item, save the job,
    then tell `admitted`: later items see what it takes."""

    def __init__(self, *, lpar_ids: Collection[int], destination_ids: Collection[int]) -> None:
        lpar_ids, destination_ids = sorted(set(lpar_ids)), sorted(set(destination_ids))
        self.lpars = Lpar.objects.select_related("frame__hmc", "shared_pool").in_bulk(lpar_ids)
        self.destinations = Frame.objects.select_related("hmc").in_bulk(destination_ids)
        active = MigrationJob.objects.filter(lpar__in=lpar_ids, state__in=ACTIVE_STATES)
        self.active = {job.lpar_id: job for job in active}
        _, self.running_by_vios, _ = running_counts()
        self.promised = Promised.load(frame_ids=destination_ids)
        self.index = EstateIndex.load(lpar_ids=lpar_ids, frame_ids=destination_ids)
        self.facts = OptionFacts.load(lpars=self.lpars.values(), frame_ids=destination_ids)
        self.preflight = Preflight(self.index, preflight_options(promised=self.promised))

    @classmethod
    def open(cls, *, lpar_ids: Collection[int], destination_ids: Collection[int]) -> "Admission":
        """Lock the destination frames, then read. Call inside `transaction.atomic`: the lock
        lasts until the jobs are saved and committed."""
        if not connection.in_atomic_block:
            raise RuntimeError("An admission runs inside a transaction (it locks frames).")
        frames_lock(destination_ids)
        return cls(lpar_ids=lpar_ids, destination_ids=destination_ids)

    def judge(
        self,
        *,
        lpar_pk: int,
        destination_pk: int,
        options: MigrationOptions | Mapping[str, Any] | None,
        confirm_warnings: bool,
    ) -> MigrationJob:
        """An unsaved job with its pre-flight findings; a Conflict naming the LPAR's active job;
        or a ValidationError with every reason, by field (`preflight` for the checks, each
        message naming its rule)."""
        lpar, destination = self.lpars.get(lpar_pk), self.destinations.get(destination_pk)
        if lpar is None or destination is None:
            gone = "lpar" if lpar is None else "destination_frame"
            raise ValidationError({gone: ["It no longer exists."]})
        existing = self.active.get(lpar_pk)
        if existing is not None:
            raise active_conflict(existing)
        errors = where_errors(lpar, destination)
        if errors:
            raise ValidationError(errors)
        findings = self.preflight.check(lpar_pk, destination_pk).findings
        blocking = [ValidationError(f.message, code=f.code) for f in findings if f.blocks]
        if blocking:
            raise ValidationError({"preflight": blocking})
        warnings = [f.message for f in findings if not f.blocks]
        if warnings and not confirm_warnings:
            raise ValidationError(
                {"confirm_warnings": [*warnings, "Confirm these warnings to go ahead."]}
            )
        claimed_ids = self.promised.lpar_ids.get(destination_pk, set())
        if not isinstance(options, MigrationOptions):
            proposal = migration_proposal(
                lpar=lpar,
                destination=destination,
                running_by_vios=self.running_by_vios,
                claimed_slots=self.promised.vios_slots,
                claimed_lpar_ids=claimed_ids,
                facts=self.facts,
            )
            options = options_resolve(
                lpar=lpar,
                destination=destination,
                proposal=proposal,
                given=options or {},
                facts=self.facts,
            )
        errors = options_errors(
            lpar=lpar,
            destination=destination,
            options=options,
            facts=self.facts,
            claimed_slots=self.promised.vios_slots,
            claimed_lpar_ids=claimed_ids,
        )
        if errors:
            raise ValidationError(errors)
        job = job_draft(lpar=lpar, destination=destination, options=options)
        migration_command(job, "m")  # a name the HMC would refuse is refused here, in words
        job.findings = [f.as_dict() for f in findings]
        job.confirm_warnings = confirm_warnings
        return job

    def admitted(self, job: MigrationJob) -> None:
        """A job was saved: what it takes on its destination is taken for the next ones."""
        lpar = self.lpars[job.lpar_id]
        self.active[job.lpar_id] = job
        frame_pk = job.destination_frame_id
        self.promised.add(
            frame_pk,
            name=lpar.name,
            units=lpar.proc_units,
            memory_mb=lpar.memory_mb,
            lpar_id=job.dest_lpar_id,
            mappings=job.storage_mappings,
        )
        frame, facts = self.index.frames[frame_pk], self.index.lpars[job.lpar_id]
        frame.take(facts.units, facts.memory_mb)
        frame.names.add(lpar.name)
        if job.dest_lpar_id:
            frame.lpar_ids.add(job.dest_lpar_id)
        for mapping in job.storage_mappings:
            vios = self.index.vioses.get(mapping["vios"])
            if vios is not None:
                vios.free_slots -= 1
