"""The hardware: HMCs, frames (managed systems), their drawers, slots, adapters and ports."""

from collections.abc import Collection
from typing import Any, Self

import asyncssh
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from inventory.choices import AdapterKind, DrawerKind, FrameState, ProcessorGeneration
from inventory.fields import EncryptedTextField, MacAddressField
from inventory.history import tracked
from inventory.models.base import InventoryModel

hmc_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
    "Use letters, digits, dot, dash or underscore, starting with a letter or digit (at most 63).",
)
system_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 ._+/#@-]{0,62}$",
    "A managed-system name is letters, digits, spaces and . _ + / # @ - (at most 63), "
    "starting with a letter or digit.",
)
unit_location_validator = RegexValidator(
    r"^U[0-9A-Z]{4}\.[0-9A-Z]{3}\.[0-9A-Z]{7}$",
    "A unit location code looks like U787F.001.DPM0XLZ (U, type, model, serial).",
)
slot_location_validator = RegexValidator(
    r"^P\d+(-[A-Z]\d+)+$",
    "A slot location looks like P1-C4 (the part after the unit location code).",
)
port_name_validator = RegexValidator(r"^T\d{1,2}$", "A port is named T1, T2 …")
DEFAULT_COMPAT_MODES = ["default"]


class Hmc(InventoryModel):
    """A Hardware Management Console lpmplanner talks to over SSH."""

    name = models.CharField(max_length=63, unique=True, validators=[hmc_name_validator])
    host = models.CharField(max_length=255, help_text="Host name or IP address.")
    ssh_port = models.PositiveIntegerField(
        default=22, validators=[MinValueValidator(1)], verbose_name="SSH port"
    )
    username = models.CharField(max_length=64, default="hscroot")
    password = EncryptedTextField(blank=True, help_text="Stored encrypted; never shown again.")
    private_key = EncryptedTextField(
        blank=True,
        verbose_name="SSH private key",
        help_text="An OpenSSH private key for key login instead of the password; stored "
        "encrypted, never shown again.",
    )
    credentials_changed = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the password or private key last changed (the history shows this, "
        "never the secrets).",
    )
    host_key = models.TextField(
        blank=True, help_text="The pinned SSH host key (a known_hosts line)."
    )
    rest_port = models.PositiveIntegerField(
        default=12443,
        verbose_name="REST port",
        help_text="12443 up to V10R3, 443 from V11 (check your HMC).",
    )
    version = models.CharField(max_length=64, blank=True)

    history = tracked(excluded_fields=["password", "private_key"])

    SECRET_FIELDS = ("password", "private_key")
    # Changing any of these redirects where lpmplanner's SSH sessions go or how they log in:
    # a dangerous action (step-up), and a security log entry.
    SENSITIVE_FIELDS = ("host", "ssh_port", "username", "password", "private_key", "host_key")

    class Meta:
        ordering = ["name"]
        verbose_name = "HMC"
        verbose_name_plural = "HMCs"
        constraints = [
            models.CheckConstraint(
                condition=Q(ssh_port__gte=1, ssh_port__lte=65535),
                name="hmc_ssh_port_range",
                violation_error_message="The SSH port must be between 1 and 65535.",
            ),
            models.CheckConstraint(
                condition=Q(rest_port__gte=1, rest_port__lte=65535),
                name="hmc_rest_port_range",
                violation_error_message="The REST port must be between 1 and 65535.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._stored_sensitive = {
            name: getattr(instance, name)
            for name in cls.SENSITIVE_FIELDS
            if name in instance.__dict__
        }
        return instance

    def sensitive_changes(self, values: dict[str, Any] | None = None) -> list[str]:
        """The sensitive fields that `values` (default: this object's current ones) change from
        what is stored; on a new HMC, those given at all."""
        stored = getattr(self, "_stored_sensitive", None)
        if values is None:
            values = {name: getattr(self, name) for name in self.SENSITIVE_FIELDS}
        if self.pk is None or stored is None:
            return [n for n in self.SENSITIVE_FIELDS if values.get(n) not in (None, "")]
        return [n for n in stored if n in values and values[n] != stored[n]]

    def clean(self) -> None:
        super().clean()
        if self.private_key:
            try:
                asyncssh.import_private_key(self.private_key)
            except (asyncssh.KeyImportError, ValueError):
                # Never echo the key back: only what is wrong with it.
                raise ValidationError(
                    {"private_key": "Not an unencrypted OpenSSH or PEM private key."}
                ) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Read by the security log's post_save receiver; then the new values are the stored ones.
        self.sensitive_changed = self.sensitive_changes()
        if set(self.sensitive_changed) & set(self.SECRET_FIELDS):
            self.credentials_changed = timezone.now()
        super().save(*args, **kwargs)
        self._stored_sensitive = {n: getattr(self, n) for n in self.SENSITIVE_FIELDS}


class Frame(InventoryModel):
    """A managed system (CEC): the unit LPARs live on and migrate between."""

    name = models.CharField(max_length=63, unique=True, validators=[system_name_validator])
    machine_type = models.CharField(
        max_length=4, validators=[RegexValidator(r"^[0-9A-Z]{4}$", "Four letters or digits.")]
    )
    model = models.CharField(
        max_length=3, validators=[RegexValidator(r"^[0-9A-Z]{3}$", "Three letters or digits.")]
    )
    serial = models.CharField(
        max_length=7, validators=[RegexValidator(r"^[0-9A-Z]{7}$", "Seven letters or digits.")]
    )
    hmc = models.ForeignKey(
        Hmc,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="frames",
        verbose_name="HMC",
    )
    processor_generation = models.CharField(
        max_length=16, choices=ProcessorGeneration.choices, default=ProcessorGeneration.POWER9
    )
    compat_modes = models.JSONField(
        default=list,
        blank=True,
        verbose_name="accepted compatibility modes",
        help_text="As the HMC reports them (lpar_proc_compat_modes), e.g. default, POWER8, POWER9.",
    )
    proc_units = models.DecimalField(
        max_digits=7, decimal_places=2, verbose_name="installed processor units"
    )
    memory_mb = models.PositiveIntegerField(verbose_name="installed memory (MB)")
    memory_region_mb = models.PositiveIntegerField(
        default=256, verbose_name="memory region size (MB)", help_text="The LMB size."
    )
    firmware_level = models.CharField(max_length=32, blank=True)
    max_active_migrations = models.PositiveSmallIntegerField(
        default=4, help_text="Concurrent active migrations the frame supports."
    )
    state = models.CharField(
        max_length=16, choices=FrameState.choices, default=FrameState.OPERATING
    )
    evacuation_target = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="evacuation target",
        help_text="Where this frame's LPARs go when it is evacuated (\"evacuate p750-a to "
        'p750-b"): the readiness runs validate them against it when no evacuation plan or '
        "stub twin says otherwise.",
    )

    history = tracked()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["machine_type", "model", "serial"],
                name="frame_unique_type_model_serial",
                violation_error_message="Another frame has this machine type, model and serial.",
            ),
            models.CheckConstraint(
                condition=Q(proc_units__gt=0),
                name="frame_proc_units_positive",
                violation_error_message="Installed processor units must be more than 0.",
            ),
            models.CheckConstraint(
                condition=Q(memory_mb__gt=0),
                name="frame_memory_positive",
                violation_error_message="Installed memory must be more than 0 MB.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def mtms(self) -> str:
        """`tttt-mmm*sssssss`, the form `migrlpar -m` accepts."""
        return f"{self.machine_type}-{self.model}*{self.serial}"

    def clean(self) -> None:
        modes = self.compat_modes
        if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
            raise ValidationError(
                {"compat_modes": "List the accepted compatibility modes as names, e.g. POWER9."}
            )
        modes = [m.strip() for m in modes]
        if not all(modes):
            raise ValidationError({"compat_modes": "A compatibility mode cannot be blank."})
        self.compat_modes = list(dict.fromkeys(modes))
        if self.evacuation_target_id and self.evacuation_target_id == self.pk:
            raise ValidationError(
                {"evacuation_target": "A frame cannot be its own evacuation target."}
            )

    def accepts_compat_mode(self, mode: str) -> bool:
        return mode in (self.compat_modes or DEFAULT_COMPAT_MODES) or mode == "default"


class Drawer(InventoryModel):
    """A CEC or I/O expansion drawer of a frame, known by its unit location code."""

    frame = models.ForeignKey(Frame, on_delete=models.CASCADE, related_name="drawers")
    kind = models.CharField(max_length=8, choices=DrawerKind.choices, default=DrawerKind.CEC)
    location = models.CharField(
        max_length=32, validators=[unit_location_validator], verbose_name="unit location code"
    )
    position = models.CharField(max_length=32, blank=True, verbose_name="position label")

    history = tracked()

    class Meta:
        ordering = ["frame__name", "location"]
        constraints = [
            models.UniqueConstraint(
                fields=["frame", "location"],
                name="drawer_unique_location_per_frame",
                violation_error_message="This frame already has a drawer at this location.",
            )
        ]

    def __str__(self) -> str:
        return self.location


class Slot(InventoryModel):
    """A PCIe slot of a drawer (`P1-C4`); its full location is the drawer's plus its own."""

    drawer = models.ForeignKey(Drawer, on_delete=models.CASCADE, related_name="slots")
    location = models.CharField(
        max_length=32, validators=[slot_location_validator], verbose_name="slot location"
    )
    bus = models.PositiveSmallIntegerField(null=True, blank=True)
    drc_index = models.CharField(
        max_length=8,
        blank=True,
        verbose_name="DRC index",
        validators=[RegexValidator(r"^[0-9A-Fa-f]{1,8}$", "A DRC index is up to 8 hex digits.")],
    )
    description = models.CharField(max_length=128, blank=True)

    history = tracked()

    class Meta:
        ordering = ["drawer__location", "location"]
        constraints = [
            models.UniqueConstraint(
                fields=["drawer", "location"],
                name="slot_unique_location_per_drawer",
                violation_error_message="This drawer already has a slot at this location.",
            )
        ]

    def __str__(self) -> str:
        return self.full_location

    @property
    def full_location(self) -> str:
        return f"{self.drawer.location}-{self.location}"

    @property
    def adapter_or_none(self) -> "Adapter | None":
        try:
            return self.adapter
        except ObjectDoesNotExist:
            return None


class Adapter(InventoryModel):
    """The card in a slot (one per slot) and the partition that owns it, if any."""

    slot = models.OneToOneField(Slot, on_delete=models.CASCADE, related_name="adapter")
    kind = models.CharField(max_length=8, choices=AdapterKind.choices)
    feature_code = models.CharField(max_length=16, blank=True)
    description = models.CharField(max_length=128, blank=True)
    owner = models.ForeignKey(
        "inventory.Lpar",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="adapters",
        help_text="The partition the adapter is assigned to (normally a VIOS), or none.",
    )

    history = tracked()

    class Meta:
        ordering = ["slot__drawer__location", "slot__location"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in {self.slot}"

    def clean(self) -> None:
        if self.owner is not None and self.slot_id:
            frame_id = Slot.objects.filter(pk=self.slot_id).values_list("drawer__frame", flat=True)
            if self.owner.frame_id != frame_id.first():
                raise ValidationError(
                    {"owner": "The owning partition must be on the frame that holds the slot."}
                )


class Port(InventoryModel):
    """A port of an adapter (T1, T2 …). An FC port's WWPN is a Wwpn row; Ethernet has a MAC."""

    adapter = models.ForeignKey(Adapter, on_delete=models.CASCADE, related_name="ports")
    name = models.CharField(max_length=4, validators=[port_name_validator])
    mac = MacAddressField(max_length=12, blank=True, verbose_name="MAC address")
    switch_port = models.CharField(max_length=64, blank=True)
    speed_gbps = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name="speed (Gb/s)"
    )

    history = tracked()

    class Meta:
        ordering = ["adapter__slot__drawer__location", "adapter__slot__location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["adapter", "name"],
                name="port_unique_name_per_adapter",
                violation_error_message="This adapter already has a port with this name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.adapter.slot}-{self.name}"

    def clean(self) -> None:
        if self.mac and self.adapter_id and self.adapter.kind != AdapterKind.ETHERNET:
            raise ValidationError({"mac": "Only an Ethernet port has a MAC address."})
