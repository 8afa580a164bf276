"""Networks and SANs: VLANs, fabrics, storage target ports and every WWPN of the estate."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from inventory.choices import FabricSide, FabricVendor, WwpnKind, ZoningStyle
from inventory.fields import WwpnField
from inventory.history import tracked
from inventory.models.base import InventoryModel

zoning_name_validator = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_$^-]{0,63}$",
    "Start with a letter; use letters, digits and _ $ ^ - (at most 64): the switches' rule.",
)


class Vlan(InventoryModel):
    """A VLAN. Which frames bridge it follows from the VIOS trunk adapters that carry it."""

    vlan_id = models.PositiveSmallIntegerField(
        unique=True,
        verbose_name="VLAN id",
        validators=[
            MinValueValidator(1, "A VLAN id is between 1 and 4094."),
            MaxValueValidator(4094, "A VLAN id is between 1 and 4094."),
        ],
        error_messages={"unique": "This VLAN id already exists."},
    )
    name = models.CharField(max_length=64, blank=True)

    history = tracked()

    class Meta:
        ordering = ["vlan_id"]
        verbose_name = "VLAN"
        constraints = [
            models.CheckConstraint(
                condition=Q(vlan_id__gte=1, vlan_id__lte=4094),
                name="vlan_id_range",
                violation_error_message="A VLAN id is between 1 and 4094.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vlan_id} {self.name}".strip()


class Fabric(InventoryModel):
    """A SAN fabric (one side of a redundant pair) and how it is zoned."""

    name = models.CharField(max_length=64, unique=True, validators=[zoning_name_validator])
    side = models.CharField(max_length=1, choices=FabricSide.choices)
    vendor = models.CharField(max_length=8, choices=FabricVendor.choices)
    vsan = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        verbose_name="VSAN",
        validators=[
            MinValueValidator(2, "User VSANs are 2 to 4093."),
            MaxValueValidator(4093, "User VSANs are 2 to 4093."),
        ],
        help_text="Cisco only: the VSAN the zones live in (user VSANs 2–4093).",
    )
    zoneset_name = models.CharField(
        max_length=64,
        blank=True,
        validators=[zoning_name_validator],
        verbose_name="active configuration / zoneset",
        help_text="Brocade: the effective cfg name; Cisco: the active zoneset name. Until it is "
        "set, no zoning script is generated for the fabric.",
    )
    zoning_style = models.CharField(
        max_length=16, choices=ZoningStyle.choices, default=ZoningStyle.SINGLE_INITIATOR
    )

    history = tracked()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.vendor == FabricVendor.CISCO and not self.vsan:
            errors["vsan"] = "A Cisco fabric needs its VSAN."
        if self.vendor == FabricVendor.BROCADE and self.vsan:
            errors["vsan"] = "Brocade fabrics have no VSAN; leave it empty."
        if self.zoning_style == ZoningStyle.PEER and self.vendor != FabricVendor.BROCADE:
            errors["zoning_style"] = "Peer zones are a Brocade feature; Cisco has smart zoning."
        if self.zoning_style == ZoningStyle.SMART and self.vendor != FabricVendor.CISCO:
            errors["zoning_style"] = "Smart zoning is a Cisco feature; Brocade has peer zones."
        if errors:
            raise ValidationError(errors)


class StoragePort(InventoryModel):
    """A storage array's target port; its WWPN is a Wwpn row."""

    array = models.CharField(max_length=64, validators=[zoning_name_validator])
    name = models.CharField(max_length=32, verbose_name="port name")
    fabric = models.ForeignKey(Fabric, on_delete=models.PROTECT, related_name="storage_ports")

    history = tracked()

    class Meta:
        ordering = ["array", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["array", "name"],
                name="storageport_unique_name_per_array",
                violation_error_message="This array already has a port with this name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.array} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # The target's WWPN sits on the port's fabric: follow a move to another fabric.
        wwpn = Wwpn.objects.filter(storage_port=self).first()
        if wwpn is not None and wwpn.fabric_id != self.fabric_id:
            wwpn.fabric_id = self.fabric_id
            wwpn.save()


class Wwpn(InventoryModel):
    """One WWPN of the estate, in canonical form (16 lower-case hex digits), owned by exactly one
    of: a physical FC port, a vFC client adapter (position 1 or 2 of its pair), a storage port."""

    value = WwpnField(
        max_length=16,
        unique=True,
        verbose_name="WWPN",
        error_messages={"unique": "This WWPN is already in the estate."},
    )
    kind = models.CharField(max_length=16, choices=WwpnKind.choices, editable=False)
    fabric = models.ForeignKey(
        Fabric, on_delete=models.SET_NULL, null=True, blank=True, related_name="wwpns"
    )
    port = models.OneToOneField(
        "inventory.Port", on_delete=models.CASCADE, null=True, blank=True, related_name="wwpn"
    )
    virtual_adapter = models.ForeignKey(
        "inventory.VirtualAdapter",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wwpns",
    )
    position = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 or 2: which WWPN of the vFC client's pair."
    )
    storage_port = models.OneToOneField(
        StoragePort, on_delete=models.CASCADE, null=True, blank=True, related_name="wwpn"
    )

    history = tracked()

    class Meta:
        ordering = ["value"]
        verbose_name = "WWPN"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(port__isnull=False, virtual_adapter__isnull=True, storage_port__isnull=True)
                    | Q(port__isnull=True, virtual_adapter__isnull=False, storage_port__isnull=True)
                    | Q(port__isnull=True, virtual_adapter__isnull=True, storage_port__isnull=False)
                ),
                name="wwpn_exactly_one_owner",
                violation_error_message=(
                    "A WWPN belongs to exactly one of: a physical FC port, a vFC client adapter, "
                    "a storage port."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(virtual_adapter__isnull=True, position__isnull=True)
                    | Q(virtual_adapter__isnull=False, position__in=[1, 2])
                ),
                name="wwpn_pair_position",
                violation_error_message="A vFC WWPN is position 1 or 2 of its pair.",
            ),
            models.UniqueConstraint(
                fields=["virtual_adapter", "position"],
                name="wwpn_unique_position_per_adapter",
                violation_error_message="This vFC adapter already has a WWPN in that position.",
            ),
            models.CheckConstraint(
                condition=Q(value__regex=r"^[0-9a-f]{16}$"),
                name="wwpn_canonical_form",
                violation_error_message="A WWPN is stored as 16 lower-case hex digits.",
            ),
            models.CheckConstraint(
                condition=~Q(value="0000000000000000"),
                name="wwpn_not_all_zero",
                violation_error_message="An all-zero WWPN is not a real port name.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.value)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = self.owner_kind()
        super().save(*args, **kwargs)

    def owner_kind(self) -> str:
        if self.port_id:
            return WwpnKind.PHYSICAL
        if self.storage_port_id:
            return WwpnKind.STORAGE_TARGET
        return WwpnKind.NPIV_SECONDARY if self.position == 2 else WwpnKind.NPIV_PRIMARY

    def clean(self) -> None:
        self.kind = self.owner_kind()
        if self.port is not None and self.port.adapter.kind != "fc":
            raise ValidationError({"port": "Only a Fibre Channel port has a WWPN."})
        if self.virtual_adapter is not None:
            adapter = self.virtual_adapter
            if not adapter.is_vfc_client:
                raise ValidationError(
                    {"virtual_adapter": "Only a vFC client adapter has a WWPN pair."}
                )
        if self.storage_port is not None and self.fabric_id != self.storage_port.fabric_id:
            port = self.storage_port
            raise ValidationError(
                {
                    "fabric": f"A storage target's WWPN is on its port's fabric ({port.fabric}): "
                    f"change the fabric of storage port {port}."
                }
            )
