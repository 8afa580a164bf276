"""Accounts' security records: API tokens (stored hashed) and the security log; the
notification models (subscriptions, webhooks, deliveries) live in `lpmplanner.notifications`."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from lpmplanner.notifications.models import (  # noqa: F401 (registered with this app)
    Delivery,
    DeliveryAttempt,
    Notification,
    Subscription,
    Webhook,
)


class ApiToken(models.Model):
    """A named, scoped, expiring API token of one user; only its SHA-256 is kept."""

    class Scope(models.TextChoices):
        READ = "read", "read: GET only"
        WRITE = "write", "write: read and change"
        OPERATE = "operate", "operate: also run dangerous actions (migrate, create on HMC …)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, help_text="The token's first characters, to tell it.")
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.WRITE)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="api_token_name_unique_per_user",
                violation_error_message="You already have a token with this name.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked is None and self.expires > timezone.now()

    def allows(self, scope: str) -> bool:
        """True when this token's scope covers `scope` (read < write < operate)."""
        order = list(self.Scope.values)
        return order.index(self.scope) >= order.index(scope)


class SecurityEvent(models.Model):
    """One entry of the security log: who, from where, when, what, and its details."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "signed in"
        SIGN_IN_FAILED = "sign_in_failed", "sign-in failed"
        SIGN_OUT = "sign_out", "signed out"
        LOCKOUT = "lockout", "locked out"
        SECOND_FACTOR = "second_factor", "second factor accepted"
        SECOND_FACTOR_FAILED = "second_factor_failed", "second factor refused"
        STEP_UP = "step_up", "stepped up"
        STEP_UP_REFUSED = "step_up_refused", "refused: needs a fresh second factor"
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", "two-factor enrolled"
        TWO_FACTOR_REMOVED = "two_factor_removed", "two-factor removed"
        RECOVERY_CODES = "recovery_codes", "recovery codes issued"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_USED = "token_used", "API token used"
        TOKEN_REFUSED = "token_refused", "API token refused"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        HMC_CREDENTIALS = "hmc_credentials", "HMC credentials changed"
        MIGRATION = "migration", "migration action"
        HMC_TRUST = "hmc_trust", "HMC SSH trust set up"

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    when = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    username = models.CharField(max_length=150, blank=True, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-when", "-id"]

    def __str__(self) -> str:
        return f"{self.when:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"
