"""Planning data: the enumeration scheme, which frames follow which scheme, slot reservations
made by the allocator, the VIOS server adapters planned for stub twins but not yet mapped, and
saved evacuation plans."""

from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from inventory.choices import VirtualAdapterKind
from inventory.models import Frame, Lpar, VirtualAdapter
from inventory.models.partitions import SLOT_CEILING, SLOT_MIN
from lpmplanner.jobs import Job, JobEvent, JobState
from planning.choices import PlacementPolicy
from planning.preflight import DEFAULT_VIOS_MSP_LIMIT

KIND_LABELS = dict(VirtualAdapterKind.choices)
wwpn_prefix_validator = RegexValidator(
    r"^c05076[0-9a-f]{1,6}$",
    "A WWPN prefix is c05076 (IBM's virtual WWPNs) followed by 1 to 6 lower-case hex digits.",
)


class EnumerationScheme(models.Model):
    """How virtual slots and LPAR ids are numbered, and how a stub twin is derived.

    Ranges are inclusive, one per virtual adapter kind; every slot stays under the ceiling
    because the HMC re-numbers slots of 1000 and above during LPM.
    """

    name = models.CharField(max_length=64, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="The scheme of every frame that names no other."
    )
    ethernet_first = models.PositiveSmallIntegerField(default=10)
    ethernet_last = models.PositiveSmallIntegerField(default=100)
    vscsi_first = models.PositiveSmallIntegerField(default=200, verbose_name="vSCSI first")
    vscsi_last = models.PositiveSmallIntegerField(default=400, verbose_name="vSCSI last")
    vfc_first = models.PositiveSmallIntegerField(default=600, verbose_name="vFC first")
    vfc_last = models.PositiveSmallIntegerField(default=800, verbose_name="vFC last")
    slot_ceiling = models.PositiveSmallIntegerField(
        default=SLOT_CEILING,
        validators=[MaxValueValidator(SLOT_CEILING)],
        help_text="Slot numbers stay under it; the HMC re-numbers slots of 1000 and above.",
    )
    lpar_id_ceiling = models.PositiveSmallIntegerField(
        default=1000,
        validators=[MinValueValidator(2), MaxValueValidator(32767)],
        verbose_name="LPAR id ceiling",
        help_text="LPAR ids stay under it (the partition limit of the managed systems).",
    )
    vios_lpar_ids = models.JSONField(
        default=list, verbose_name="VIOS LPAR ids", help_text="The LPAR ids a VIOS may hold."
    )
    stub_lpar_id_offset = models.PositiveSmallIntegerField(
        default=100, verbose_name="stub LPAR id offset"
    )
    stub_slot_offset = models.PositiveSmallIntegerField(
        default=100, help_text="Added to the vSCSI and vFC client slots of a stub twin."
    )
    stub_keeps_ethernet_slots = models.BooleanField(
        default=True, help_text="A stub twin's Ethernet adapters keep the original's slots."
    )
    stub_suffix = models.CharField(max_length=16, default="-stub")
    stub_wwpn_prefix = models.CharField(
        max_length=12,
        default="c05076e",
        validators=[wwpn_prefix_validator],
        verbose_name="stub WWPN prefix",
        help_text="Stub twins' WWPN pairs are allocated after the highest WWPN with this prefix.",
    )

    class Meta:
        ordering = ["-is_default", "name"]
        permissions = [
            ("allocate_slot", "Can reserve the next free virtual slot"),
            ("manage_stub_twin", "Can create and refresh stub-LPAR twins"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="scheme_one_default",
                violation_error_message="Another scheme is already the default.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("planning:scheme-edit", args=[self.pk])

    def slot_range(self, kind: str) -> tuple[int, int]:
        return getattr(self, f"{kind}_first"), getattr(self, f"{kind}_last")

    def range_label(self, kind: str) -> str:
        first, last = self.slot_range(kind)
        return f"{KIND_LABELS[kind]} range {first}–{last}"

    def slot_error(self, kind: str, slot: int) -> str | None:
        """Why `slot` is no place for a `kind` adapter under this scheme, or None."""
        first, last = self.slot_range(kind)
        if slot >= self.slot_ceiling:
            return (
                f"{KIND_LABELS[kind]} slot {slot} is not under the scheme's ceiling "
                f"{self.slot_ceiling}."
            )
        if not first <= slot <= last:
            return (
                f"{KIND_LABELS[kind]} slot {slot} is outside the scheme's {self.range_label(kind)}."
            )
        return None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        ranges = []
        for kind in VirtualAdapterKind.values:
            first, last = self.slot_range(kind)
            if first is None or last is None:
                continue
            label = KIND_LABELS[kind]
            if first > last:
                errors[f"{kind}_first"] = (
                    f"The {label} range starts after it ends ({first}–{last})."
                )
            elif first < SLOT_MIN or last >= min(self.slot_ceiling or SLOT_CEILING, SLOT_CEILING):
                errors[f"{kind}_last"] = (
                    f"The {label} range {first}–{last} must lie inside {SLOT_MIN}–"
                    f"{min(self.slot_ceiling or SLOT_CEILING, SLOT_CEILING) - 1}."
                )
            else:
                ranges.append((first, last, kind))
        ranges.sort()
        for (_, last, kind), (first, other_last, other) in pairwise(ranges):
            if first <= last:
                errors.setdefault(
                    f"{other}_first",
                    f"The {KIND_LABELS[other]} range {first}–{other_last} overlaps the "
                    f"{self.range_label(kind)}.",
                )
        ids = self.vios_lpar_ids
        if (
            not isinstance(ids, list)
            or not ids
            or not all(
                isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= 32767 for i in ids
            )
        ):
            errors["vios_lpar_ids"] = "List the VIOS LPAR ids as numbers, e.g. [1, 2]."
        elif len(set(ids)) != len(ids):
            errors["vios_lpar_ids"] = "Each VIOS LPAR id appears once."
        if errors:
            raise ValidationError(errors)


class FrameScheme(models.Model):
    """A frame that follows another scheme than the default."""

    frame = models.OneToOneField(Frame, on_delete=models.CASCADE, related_name="planning_scheme")
    scheme = models.ForeignKey(EnumerationScheme, on_delete=models.PROTECT, related_name="frames")

    class Meta:
        ordering = ["frame__name"]

    def __str__(self) -> str:
        return f"{self.frame} follows {self.scheme}"


class SlotReservation(models.Model):
    """A virtual slot the allocator handed out: no one else gets it while it is reserved."""

    lpar = models.ForeignKey(Lpar, on_delete=models.CASCADE, related_name="slot_reservations")
    slot = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=VirtualAdapterKind.choices)
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lpar", "slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["lpar", "slot"],
                name="reservation_unique_slot_per_lpar",
                violation_error_message="This slot of the LPAR is already reserved.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lpar} slot {self.slot} ({self.get_kind_display()})"


class PlannedServerAdapter(models.Model):
    """A VIOS server adapter that exists in the plan only: created for a stub twin and not yet
    mapped on the VIOS (no vfcmap / mkvdev has been run). The failover runbook maps it."""

    adapter = models.OneToOneField(
        VirtualAdapter, on_delete=models.CASCADE, related_name="planned_mapping"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["adapter"]

    def __str__(self) -> str:
        return f"{self.adapter} (not mapped)"


class EvacuationPlan(models.Model):
    """Where each client LPAR of a frame goes so that the frame can be emptied for maintenance,
    in waves that respect the concurrency limits. Saved with who asked, when, and the inputs."""

    frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="evacuation_plans")
    policy = models.CharField(max_length=8, choices=PlacementPolicy.choices)
    destinations = models.ManyToManyField(
        Frame,
        blank=True,
        related_name="+",
        verbose_name="destination frames",
        help_text="The frames the plan may use; none chosen: every other frame.",
    )
    vios_limit = models.PositiveSmallIntegerField(
        default=DEFAULT_VIOS_MSP_LIMIT,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
        verbose_name="migrations per mover service partition",
        help_text="Concurrent migrations one MSP carries in a wave (vioslpm0 cfg_msp_lpm_ops: "
        "1–8; 4 on 1 Gb networks).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"Evacuation of {self.frame} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("planning:evacuation-plan", args=[self.pk])


class EvacuationPlacement(models.Model):
    """One LPAR of an evacuation plan: its destination and wave, or why it fits nowhere."""

    plan = models.ForeignKey(EvacuationPlan, on_delete=models.CASCADE, related_name="placements")
    lpar = models.ForeignKey(Lpar, on_delete=models.CASCADE, related_name="+", verbose_name="LPAR")
    position = models.PositiveIntegerField(help_text="Placement order: largest memory first.")
    destination = models.ForeignKey(
        Frame, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    wave = models.PositiveSmallIntegerField(null=True, blank=True)
    source_msp = models.ForeignKey(
        Lpar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="source MSP",
    )
    destination_msp = models.ForeignKey(
        Lpar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="destination MSP",
    )
    findings = models.JSONField(
        default=list, blank=True, help_text="The warnings of the move to the destination."
    )
    reasons = models.JSONField(
        default=list,
        blank=True,
        help_text="Unplaced: per frame, the errors that keep the LPAR off it.",
    )
    adjusted = models.BooleanField(default=False, help_text="Moved by hand.")

    class Meta:
        ordering = ["plan", "wave", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "lpar"],
                name="placement_unique_lpar_per_plan",
                violation_error_message="This LPAR already has a placement in the plan.",
            )
        ]

    def __str__(self) -> str:
        where = self.destination or "nowhere"
        return f"{self.lpar} → {where}"

    @property
    def placed(self) -> bool:
        return self.destination_id is not None


class WorkbookImport(Job):
    """One upload of the planning workbook: a dry run or a commit. The row comes first; a large
    file is imported by a Celery task that works on it by id and writes its progress here. The
    uploaded file is kept under LPM_VAR_DIR so that a dry run can be committed as it was seen,
    until `workbook_uploads_prune` deletes it WORKBOOK_UPLOAD_KEEP_DAYS later."""

    State = JobState

    job_kind = "workbook_import"
    # Imports are the Planners' (their files and reports), as on the workbook's own pages.
    job_view_permission = "planning.add_workbookimport"

    filename = models.CharField(max_length=255)
    sheet = models.CharField(max_length=64, blank=True, help_text="For a CSV file: its sheet.")
    stored_name = models.CharField(max_length=64, help_text="The kept upload's file name.")
    dry_run = models.BooleanField(default=True)
    rows = models.PositiveIntegerField(default=0, help_text="Rows read from the file.")
    committed = models.BooleanField(default=False)
    message = models.TextField(blank=True, help_text="Why the file was refused, if it was.")
    report = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(
        max_length=36, help_text="The change history's request id of everything it changed."
    )
    file_deleted = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the kept upload was deleted (after WORKBOOK_UPLOAD_KEEP_DAYS); the row "
        "and its report stay.",
    )

    class Meta(Job.Meta):
        verbose_name = "workbook import"

    def __str__(self) -> str:
        return f"{'Dry run' if self.dry_run else 'Import'} of {self.filename} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("planning:workbook-import-detail", args=[self.pk])

    def get_api_url(self) -> str:
        return reverse("api:workbook-import-detail", args=[self.pk])

    @property
    def problems(self) -> list[dict]:
        return self.report.get("problems", [])

    @property
    def done(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def file_kept_days(self) -> int | None:
        """How many days the upload was kept before it was deleted, if it was."""
        return (self.file_deleted - self.created).days if self.file_deleted else None


class WorkbookImportEvent(JobEvent):
    """One line of a workbook import's log."""

    job = models.ForeignKey(WorkbookImport, on_delete=models.CASCADE, related_name="events")

    class Meta(JobEvent.Meta):
        verbose_name = "workbook import event"


# The zoning exports' record lives with the zoning code; Django finds models in this module.
from planning.zoning.records import FabricZoning, ZoningExport  # noqa: E402

__all__ = ["FabricZoning", "ZoningExport"]


class EstateVersion(models.Model):
    """One row: a number that every committed write to the inventory and to the plans raises
    (database triggers, installed by `planning.cache`, so bulk writes, imports and discovery
    count as much as a form). Results derived from the whole estate are kept with the number
    they were computed at, and computed again when it has moved."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"estate version {self.number}"


class EstateSummary(models.Model):
    """A result derived from the whole estate (the estate checks' counts, the zoning plan's
    figures), kept with the estate version it was computed at."""

    kind = models.CharField(max_length=32, unique=True)
    version = models.BigIntegerField()
    data = models.JSONField(default=dict)
    computed = models.DateTimeField()
    seconds = models.FloatField(help_text="How long computing it took.")

    def __str__(self) -> str:
        return f"{self.kind} at estate version {self.version}"


class EstateViolation(models.Model):
    """One finding of the last estate check (`EstateSummary` kind `checks` says at which estate
    version), so the Checks page reads a page of them instead of checking the estate.

    A refresh keeps the findings that did not change (same `key`) and only deletes and inserts
    the others, so the order is by content: errors first, in check order (`rank`), then by
    object."""

    rank = models.PositiveSmallIntegerField(help_text="Errors first, in check order.")
    key = models.CharField(
        max_length=32, help_text="Digest of every other field: equal, unchanged."
    )
    check_code = models.CharField(max_length=32)
    severity = models.CharField(max_length=16)
    object = models.CharField(max_length=500)
    object_url = models.CharField(max_length=500)
    message = models.TextField()
    fix_url = models.CharField(max_length=500)

    class Meta:
        ordering = ["rank", "object", "id"]
        # One index, in the page's order: a check's findings are its ranks (`rank_of`), so
        # one check's page reads it too (each more index slows a refresh that rewrites them).
        indexes = [models.Index(fields=["rank", "object", "id"], name="estateviolation_order")]

    def __str__(self) -> str:
        return f"{self.check_code}: {self.object}"


from lpmplanner.jobs import Job, JobEvent  # noqa: E402


class MatrixExport(Job):
    """The migratability matrix of the filtered LPARs × frames as xlsx, written by a worker
    (the whole estate is millions of cells: more than a request can hold). The file is kept
    under LPM_VAR_DIR for MATRIX_EXPORT_KEEP_HOURS, served only to the user who asked for it
    (and administrators), then deleted; the row stays."""

    job_kind = "matrix-export"
    frame = models.ForeignKey(
        Frame,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this frame's LPARs (the matrix filter); empty for every frame.",
    )
    lpar_kind = models.CharField(max_length=20, blank=True, help_text="The LPAR kind filter.")
    destination = models.CharField(max_length=100, blank=True, help_text="Frame name contains.")
    stored_name = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(default=0, help_text="LPAR rows written.")
    cells = models.PositiveBigIntegerField(default=0, help_text="Verdict cells written.")
    size = models.PositiveBigIntegerField(default=0, help_text="The file's bytes.")
    file_deleted = models.DateTimeField(null=True, blank=True)

    class Meta(Job.Meta):
        verbose_name = "matrix export"

    def __str__(self) -> str:
        return f"matrix export {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("planning:matrix")

    @property
    def downloadable(self) -> bool:
        return (
            self.state == self.SUCCEEDED_STATE
            and bool(self.stored_name)
            and not (self.file_deleted)
        )


class MatrixExportEvent(JobEvent):
    job = models.ForeignKey(MatrixExport, on_delete=models.CASCADE, related_name="events")
