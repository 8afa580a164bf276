"""Enumerations of planning: how serious an estate check's finding is."""

from django.db import models


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
