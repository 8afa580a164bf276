"""The record of every zoning export: who, when, what, and the snapshot the next export of the
same fabric is compared with."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from inventory.models import Fabric


class ZoningExport(models.Model):
    fabric = models.ForeignKey(
        Fabric,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="zoning_exports",
        help_text="Empty for an export of every fabric.",
    )
    format = models.CharField(max_length=16)
    incremental = models.BooleanField(default=False, help_text="Only what changed since the last.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField(default=list, help_text="The initiators as exported.")

    class Meta:
        app_label = "planning"
        ordering = ["-created", "-id"]
        get_latest_by = "created"
        permissions = [("download_zoning", "Can download zoning exports")]

    def __str__(self) -> str:
        return f"{self.format} of {self.fabric or 'all fabrics'} at {self.created:%Y-%m-%d %H:%M}"


ALIAS_FIELDS = ("frame", "lpar", "adapter", "slot")
TARGET_FIELDS = ("array", "port")
ZONE_FIELDS = ("initiator", "arrays", "target")


def template_problem(template: str, allowed: tuple[str, ...]) -> str | None:
    """Why a naming template cannot be used, or None."""
    try:
        template.format(**dict.fromkeys(allowed, "x"))
    except (KeyError, IndexError, ValueError) as error:
        names = ", ".join("{" + name + "}" for name in allowed)
        return f"Use only the placeholders {names} ({error!s} is not one)."
    return None


class FabricZoning(models.Model):
    """How a fabric's zoning is written: the naming templates its SAN admin chose and the
    switch settings the scripts must follow."""

    fabric = models.OneToOneField(Fabric, on_delete=models.CASCADE, related_name="zoning")
    initiator_alias = models.CharField(
        max_length=64,
        default="{lpar}_{adapter}",
        help_text="Placeholders {frame} {lpar} {adapter} {slot}; _w1/_w2 is always added.",
    )
    target_alias = models.CharField(
        max_length=64, default="{array}_{port}", help_text="Placeholders {array} {port}."
    )
    zone_name = models.CharField(
        max_length=64,
        default="z_{initiator}_{arrays}",
        help_text="Placeholders {initiator} {arrays}; peer zones use {target}.",
    )
    enhanced_zone_mode = models.BooleanField(
        default=False,
        help_text="Cisco: the VSAN is in enhanced zone mode, so scripts end with zone commit.",
    )

    class Meta:
        app_label = "planning"
        verbose_name = "fabric zoning settings"

    def __str__(self) -> str:
        return f"zoning of {self.fabric}"

    def clean(self) -> None:
        errors = {}
        for field, allowed in (
            ("initiator_alias", ALIAS_FIELDS),
            ("target_alias", TARGET_FIELDS),
            ("zone_name", ZONE_FIELDS),
        ):
            problem = template_problem(getattr(self, field), allowed)
            if problem:
                errors[field] = problem
        if "{lpar}" not in self.initiator_alias and "initiator_alias" not in errors:
            errors["initiator_alias"] = "Include {lpar}: an alias must say whose WWPN it is."
        if errors:
            raise ValidationError(errors)
