"""Enumerations of planning: how serious a finding is, how an evacuation places LPARs."""

from django.db import models


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"


class PlacementPolicy(models.TextChoices):
    """How an evacuation plan picks among the frames an LPAR fits on (largest memory first)."""

    PACK = "pack", "Pack: the frame with the least free memory that fits"
    SPREAD = "spread", "Spread: the frame with the most free memory"
