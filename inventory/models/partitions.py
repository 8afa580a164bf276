"""Partitions: shared processor pools, LPARs (VIOS and clients) and their virtual adapters."""

import math
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from inventory.choices import (
    LparKind,
    LparState,
    ProcMode,
    VirtualAdapterKind,
    VirtualAdapterRole,
)
from inventory.history import tracked
from inventory.models.base import InventoryModel
from inventory.models.hardware import Frame, Port
from inventory.models.san import Vlan
from inventory.rules import rule_errors

# Slots 0 and 1 are the virtual serial adapters; the HMC re-numbers slots of 1000 and above
# during LPM, which breaks the planned numbering.
SLOT_MIN = 2
SLOT_CEILING = 1000
MIN_UNITS_PER_VIRTUAL_PROC = Decimal("0.05")
# Slots 0 to 999: every slot the scheme may number (the HMC re-numbers slots of 1000 and above).
DEFAULT_MAX_VIRTUAL_SLOTS = 1000
SLOT_VALIDATORS = [
    MinValueValidator(SLOT_MIN, "Virtual slots start at 2: slots 0 and 1 are the serial adapters."),
    MaxValueValidator(
        SLOT_CEILING - 1,
        "Virtual slot numbers must be under 1000: the HMC re-numbers slots of 1000 and above "
        "during LPM.",
    ),
]

lpar_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 ._+/#@-]{0,46}$",
    "An LPAR name is letters, digits, spaces and . _ + / # @ - (at most 47), "
    "starting with a letter or digit.",
)
profile_name_validator = RegexValidator(
    r"^[A-Za-z0-9 ,./;:~@#^_=+{}-]{1,31}$",
    "A profile name is at most 31 letters, digits, spaces or , . / ; : ~ @ # ^ - _ = + { }.",
)


class SharedProcessorPool(InventoryModel):
    """A shared processor pool of a frame (pool 0 is DefaultPool)."""

    frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="shared_pools")
    pool_id = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(63)], verbose_name="pool id"
    )
    name = models.CharField(max_length=64)

    history = tracked()

    class Meta:
        ordering = ["frame__name", "pool_id"]
        verbose_name = "shared processor pool"
        constraints = [
            models.UniqueConstraint(
                fields=["frame", "pool_id"],
                name="pool_unique_id_per_frame",
                violation_error_message="This frame already has a pool with this id.",
            ),
            models.UniqueConstraint(
                fields=["frame", "name"],
                name="pool_unique_name_per_frame",
                violation_error_message="This frame already has a pool with this name.",
            ),
            models.CheckConstraint(
                condition=Q(pool_id__lte=63),
                name="pool_id_range",
                violation_error_message="A shared pool id is between 0 and 63.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.frame.name}/{self.name}"


class Lpar(InventoryModel):
    """A logical partition: a VIOS or a client (AIX, Linux, IBM i)."""

    frame = models.ForeignKey(Frame, on_delete=models.PROTECT, related_name="lpars")
    name = models.CharField(max_length=47, validators=[lpar_name_validator])
    lpar_id = models.PositiveSmallIntegerField(
        verbose_name="LPAR id",
        validators=[
            MinValueValidator(1, "An LPAR id is 1 or more."),
            MaxValueValidator(32767, "An LPAR id is at most 32767."),
        ],
    )
    kind = models.CharField(max_length=8, choices=LparKind.choices)
    state = models.CharField(
        max_length=24, choices=LparState.choices, default=LparState.NOT_ACTIVATED
    )
    proc_mode = models.CharField(
        max_length=10,
        choices=ProcMode.choices,
        default=ProcMode.SHARED,
        verbose_name="processor mode",
    )
    proc_units = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        verbose_name="processor units",
        validators=[MinValueValidator(Decimal("0.05"), "Processor units start at 0.05.")],
    )
    virtual_procs = models.PositiveSmallIntegerField(
        verbose_name="virtual processors",
        validators=[MinValueValidator(1, "An LPAR needs at least one virtual processor.")],
    )
    memory_mb = models.PositiveIntegerField(
        verbose_name="memory (MB)",
        validators=[MinValueValidator(1, "Memory must be more than 0 MB.")],
    )
    compat_mode = models.CharField(
        max_length=24, default="default", verbose_name="compatibility mode"
    )
    shared_pool = models.ForeignKey(
        SharedProcessorPool,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lpars",
        verbose_name="shared processor pool",
    )
    msp = models.BooleanField(
        default=False, verbose_name="mover service partition", help_text="VIOS only."
    )
    max_virtual_slots = models.PositiveSmallIntegerField(
        default=DEFAULT_MAX_VIRTUAL_SLOTS,
        verbose_name="maximum virtual slots",
        validators=[
            MinValueValidator(SLOT_MIN + 1, "A partition has at least 3 virtual slots."),
            MaxValueValidator(32767, "The HMC allows at most 32767 virtual slots."),
        ],
        help_text="The profile's max_virtual_slots: a VIOS creates the server adapters of an "
        "arriving LPAR in free slots under it.",
    )
    profile_name = models.CharField(max_length=31, blank=True, validators=[profile_name_validator])
    stub_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stubs",
        help_text="The LPAR this one is the cold standby twin of.",
    )
    notes = models.TextField(blank=True)

    history = tracked()

    # Client LPAR ids unique across the estate, so that an LPAR keeps its id when it migrates:
    # a rule of our numbering scheme, not of the HMC, whose LPAR ids are per frame (two frames
    # commonly both have an LPAR 10). So the database holds only the per-frame uniqueness; this
    # rule refuses what a person or our tools set or change, and discovery records what the HMC
    # reports, which the estate check `lpar_id_reused` then lists.
    rule_constraints = (
        models.UniqueConstraint(
            fields=["lpar_id"],
            condition=~Q(kind="vios"),
            name="lpar_unique_client_id_in_estate",
            violation_error_message=(
                "Another client LPAR in the estate has this LPAR id: client LPAR ids must be "
                "unique across all frames so that they survive a migration."
            ),
        ),
    )

    class Meta:
        ordering = ["frame__name", "lpar_id"]
        verbose_name = "LPAR"
        indexes = [
            # The rule above and the estate check look client LPARs up by id.
            models.Index(fields=["lpar_id"], condition=~Q(kind="vios"), name="lpar_client_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["frame", "name"],
                name="lpar_unique_name_per_frame",
                violation_error_message="This frame already has an LPAR with this name.",
            ),
            models.UniqueConstraint(
                fields=["frame", "lpar_id"],
                name="lpar_unique_id_per_frame",
                violation_error_message="This frame already has an LPAR with this LPAR id.",
            ),
            models.CheckConstraint(
                condition=Q(lpar_id__gte=1),
                name="lpar_id_positive",
                violation_error_message="An LPAR id is 1 or more.",
            ),
            models.CheckConstraint(
                condition=Q(proc_units__gt=0),
                name="lpar_proc_units_positive",
                violation_error_message="Processor units must be more than 0.",
            ),
            models.CheckConstraint(
                condition=Q(virtual_procs__gt=0),
                name="lpar_virtual_procs_positive",
                violation_error_message="An LPAR needs at least one virtual processor.",
            ),
            models.CheckConstraint(
                condition=Q(memory_mb__gt=0),
                name="lpar_memory_positive",
                violation_error_message="Memory must be more than 0 MB.",
            ),
            models.CheckConstraint(
                condition=Q(msp=False) | Q(kind="vios"),
                name="lpar_msp_only_vios",
                violation_error_message="Only a VIOS can be a mover service partition.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_vios(self) -> bool:
        return self.kind == LparKind.VIOS

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if isinstance(self.proc_units, Decimal) and isinstance(self.virtual_procs, int):
            if self.proc_mode == ProcMode.DEDICATED:
                if self.proc_units != self.virtual_procs:
                    errors["proc_units"] = (
                        "A dedicated-processor LPAR has whole processors: processor units must "
                        f"equal the virtual processors ({self.virtual_procs})."
                    )
            elif self.proc_units > self.virtual_procs:
                errors["proc_units"] = (
                    f"{self.proc_units} processor units need at least "
                    f"{math.ceil(self.proc_units)} virtual processors (one unit per "
                    "virtual processor at most)."
                )
            elif self.proc_units < MIN_UNITS_PER_VIRTUAL_PROC * self.virtual_procs:
                errors["proc_units"] = (
                    f"{self.virtual_procs} virtual processors need at least "
                    f"{MIN_UNITS_PER_VIRTUAL_PROC * self.virtual_procs} processor units "
                    "(0.05 per virtual processor)."
                )
        if self.frame_id:
            frame = self.frame
            if self.compat_mode and not frame.accepts_compat_mode(self.compat_mode):
                accepted = ", ".join(frame.compat_modes) or "default"
                errors["compat_mode"] = (
                    f"Frame {frame.name} does not accept compatibility mode {self.compat_mode}; "
                    f"it accepts {accepted}."
                )
            if self.shared_pool is not None and self.shared_pool.frame_id != self.frame_id:
                errors["shared_pool"] = f"Pick a shared processor pool of frame {frame.name}."
        if self.shared_pool_id and self.proc_mode == ProcMode.DEDICATED:
            errors["shared_pool"] = "A dedicated-processor LPAR is in no shared processor pool."
        if self.msp and self.kind != LparKind.VIOS:
            errors["msp"] = "Only a VIOS can be a mover service partition."
        if self.stub_of_id:
            if self.stub_of_id == self.pk:
                errors["stub_of"] = "An LPAR cannot be its own stub twin."
            elif (
                self.frame_id
                and self.stub_of is not None
                and self.stub_of.frame_id == self.frame_id
            ):
                errors["stub_of"] = "A stub twin lives on another frame than its original."
        if errors:
            raise ValidationError(errors)


class VirtualAdapter(InventoryModel):
    """A virtual Ethernet, vSCSI or vFC adapter of an LPAR, in a numbered virtual slot."""

    lpar = models.ForeignKey(Lpar, on_delete=models.CASCADE, related_name="virtual_adapters")
    kind = models.CharField(max_length=8, choices=VirtualAdapterKind.choices)
    role = models.CharField(
        max_length=8, choices=VirtualAdapterRole.choices, default=VirtualAdapterRole.CLIENT
    )
    slot = models.PositiveSmallIntegerField(verbose_name="virtual slot", validators=SLOT_VALIDATORS)
    remote_lpar = models.ForeignKey(
        Lpar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="remote_adapters",
        verbose_name="remote LPAR",
    )
    remote_slot = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SLOT_VALIDATORS
    )
    pvid = models.ForeignKey(
        Vlan,
        on_delete=models.PROTECT,
        to_field="vlan_id",
        db_column="pvid",
        null=True,
        blank=True,
        related_name="+",
        verbose_name="PVID",
    )
    vlans = models.ManyToManyField(
        Vlan, blank=True, related_name="virtual_adapters", verbose_name="tagged VLANs"
    )
    vswitch = models.CharField(max_length=32, blank=True, default="")
    trunk_priority = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(15)]
    )
    physical_port = models.ForeignKey(
        Port,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vfc_servers",
        help_text="vFC server: the physical FC port it is mapped to (vfcmap).",
    )
    backing_devices = models.JSONField(
        default=list, blank=True, help_text="vSCSI server: hdisks or LUN ids, in mapping order."
    )
    # The HMC keeps the pair's order (`wwpns`) for good; which WWPN is logged in to the fabric
    # changes with every LPM. Modelled apart, so that a sync never sees a moved pair as drift.
    wwpn_logged_in = models.PositiveSmallIntegerField(
        default=1,
        choices=[(1, "First WWPN of the pair"), (2, "Second WWPN of the pair")],
        verbose_name="WWPN logged in now",
        help_text="vFC client: which WWPN of the pair is logged in to the fabric now; every "
        "live partition migration switches it.",
    )
    device_name = models.CharField(
        max_length=32, blank=True, help_text="On the OS: vhost3, vfchost2, fcs0, ent1 …"
    )

    history = tracked(m2m_fields=[vlans])

    class Meta:
        ordering = ["lpar__frame__name", "lpar__lpar_id", "slot"]
        verbose_name = "virtual adapter"
        # The trunks: which VLANs each frame bridges is read from them alone (pre-flight).
        indexes = [
            models.Index(fields=["lpar"], condition=Q(role="trunk"), name="virtualadapter_trunks")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lpar", "slot"],
                name="virtualadapter_unique_slot_per_lpar",
                violation_error_message="This LPAR already has an adapter in this virtual slot.",
            ),
            models.CheckConstraint(
                condition=Q(slot__gte=SLOT_MIN, slot__lt=SLOT_CEILING),
                name="virtualadapter_slot_range",
                violation_error_message=(
                    "Virtual slots are numbered 2 to 999: 0 and 1 are the serial adapters, and "
                    "the HMC re-numbers slots of 1000 and above during LPM."
                ),
            ),
            models.CheckConstraint(
                condition=Q(remote_slot__isnull=True)
                | Q(remote_slot__gte=SLOT_MIN, remote_slot__lt=SLOT_CEILING),
                name="virtualadapter_remote_slot_range",
                violation_error_message="A remote virtual slot is numbered 2 to 999.",
            ),
            models.CheckConstraint(
                condition=~Q(role="trunk") | Q(kind="ethernet"),
                name="virtualadapter_trunk_is_ethernet",
                violation_error_message="Only a virtual Ethernet adapter can be a trunk.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lpar} {self.get_kind_display()} slot {self.slot}"

    # The one adapter that holds a WWPN pair: a virtual Fibre Channel client. VFC_CLIENT says
    # the same in a query.
    VFC_CLIENT = Q(kind=VirtualAdapterKind.VFC, role=VirtualAdapterRole.CLIENT)

    @staticmethod
    def vfc_client(kind: str, role: str) -> bool:
        """Whether an adapter of this kind and role is a vFC client (rows not made yet too)."""
        return kind == VirtualAdapterKind.VFC and role == VirtualAdapterRole.CLIENT

    @property
    def is_vfc_client(self) -> bool:
        return self.vfc_client(self.kind, self.role)

    @property
    def vlan_ids(self) -> list[int]:
        """The PVID and the tagged VLANs, as numbers."""
        tagged = [vlan.vlan_id for vlan in self.vlans.all()] if self.pk else []
        return sorted(vlan for vlan in {self.pvid_id, *tagged} if vlan is not None)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for field, message in rule_errors(self).items():
            errors.setdefault(field, message)
        lpar = self.lpar if self.lpar_id else None
        is_vios = lpar is not None and lpar.is_vios
        if self.kind == VirtualAdapterKind.ETHERNET:
            if not self.pvid_id:
                errors["pvid"] = "A virtual Ethernet adapter needs a PVID."
            if self.remote_lpar_id or self.remote_slot:
                errors["remote_lpar"] = "A virtual Ethernet adapter has no remote side."
            if self.role == VirtualAdapterRole.SERVER:
                errors["role"] = "A virtual Ethernet adapter is a client or a trunk."
        else:
            if self.role == VirtualAdapterRole.TRUNK:
                errors["role"] = "Only a virtual Ethernet adapter can be a trunk."
            if self.pvid_id:
                errors["pvid"] = f"Only Ethernet adapters have a PVID, not {self.kind}."
            if self.remote_slot and not self.remote_lpar_id:
                errors["remote_lpar"] = "Name the remote LPAR of the remote slot."
        if lpar is not None:
            if self.role in (VirtualAdapterRole.SERVER, VirtualAdapterRole.TRUNK) and not is_vios:
                errors["role"] = (
                    f"Only a VIOS has {self.get_role_display().lower()} adapters; "
                    f"{lpar.name} is {lpar.get_kind_display()}."
                )
            if self.role == VirtualAdapterRole.CLIENT and is_vios and self.kind != "ethernet":
                errors["role"] = f"A VIOS serves {self.get_kind_display()}: use role server."
            if self.remote_lpar is not None:
                errors.update(self._remote_errors(lpar, self.remote_lpar))
        if self.physical_port is not None:
            port = self.physical_port
            if self.kind != VirtualAdapterKind.VFC or self.role != VirtualAdapterRole.SERVER:
                errors["physical_port"] = "Only a vFC server adapter maps to a physical FC port."
            elif port.adapter.kind != "fc":
                errors["physical_port"] = f"{port} is not a Fibre Channel port."
            elif lpar is not None and port.adapter.owner_id != lpar.pk:
                errors["physical_port"] = f"{port} is not owned by {lpar.name}."
        if self.pk and not self.is_vfc_client and self.wwpns.exists():
            errors["kind"] = (
                "Only a vFC client adapter has a WWPN pair: remove this adapter's WWPNs before "
                "changing its kind or role."
            )
        if self.backing_devices and not (
            self.kind == VirtualAdapterKind.VSCSI and self.role == VirtualAdapterRole.SERVER
        ):
            errors["backing_devices"] = "Only a vSCSI server adapter has backing devices."
        if not isinstance(self.backing_devices, list) or not all(
            isinstance(d, str) and d for d in self.backing_devices or []
        ):
            errors["backing_devices"] = "List the backing devices by name, e.g. hdisk4."
        if errors:
            raise ValidationError(errors)

    def _remote_errors(self, lpar: Lpar, remote: Lpar) -> dict[str, str]:
        if remote.pk == lpar.pk:
            return {"remote_lpar": "An adapter cannot pair with its own LPAR."}
        if remote.frame_id != lpar.frame_id:
            return {
                "remote_lpar": f"{remote.name} is on frame {remote.frame.name}; the remote side "
                f"must be on the same frame as {lpar.name} ({lpar.frame.name})."
            }
        if self.role == VirtualAdapterRole.CLIENT and not remote.is_vios:
            return {
                "remote_lpar": f"A client adapter's remote side must be a VIOS; {remote.name} "
                f"is {remote.get_kind_display()}."
            }
        if self.role == VirtualAdapterRole.SERVER and remote.is_vios:
            return {"remote_lpar": "A server adapter serves a client LPAR, not another VIOS."}
        return {}
