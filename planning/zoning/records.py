"""The record of every zoning export: who, when, what, and the snapshot the next export of the
same fabric is compared with."""

from django.conf import settings
from django.db import models

from inventory.models import Fabric


class ZoningExport(models.Model):
    fabric = models.ForeignKey(
        Fabric, on_delete=models.CASCADE, null=True, blank=True, related_name="zoning_exports",
        help_text="Empty for an export of every fabric.",
    )  # fmt: skip
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
