"""Subscriptions, webhooks, the notifications sent and each delivery with its attempts."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from inventory.fields import EncryptedTextField
from inventory.models import Frame, Hmc
from lpmplanner.notifications.destinations import url_refusal

SECRET_MIN_LENGTH = 16


class Kind(models.TextChoices):
    """What a notification is about; subscriptions name one."""

    MIGRATION_NEEDS_ATTENTION = "migration.needs_attention", "A migration needs attention"
    MIGRATION_RAN_OVER = "migration.ran_over", "A migration ran over its change window"
    WINDOW_JOBS_NOT_RUN = "window.jobs_not_run", "A change window closed with migrations not run"
    BATCH_FINISHED = "batch.finished", "A batch of migrations finished"
    READINESS_NOT_READY = "readiness.not_ready", "A readiness run found an LPAR not ready"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class Webhook(models.Model):
    """A URL of the user's that receives notifications as JSON, signed with HMAC-SHA256 of the
    secret (stored encrypted, never shown again)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    name = models.CharField(max_length=100)
    url = models.CharField(max_length=500, verbose_name="URL")
    secret = EncryptedTextField(help_text="The signing secret, at least 16 characters.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="webhook_name_unique_per_user",
                violation_error_message="You already have a webhook with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        try:
            URLValidator(schemes=["http", "https"])(self.url)
        except ValidationError:
            errors["url"] = [
                "A webhook URL is an http:// or https:// address, e.g. "
                "https://hooks.example.com/lpm."
            ]
        else:
            refused = url_refusal(self.url)
            if refused:
                errors["url"] = [refused]
        if len(self.secret or "") < SECRET_MIN_LENGTH:
            errors["secret"] = [f"The signing secret has at least {SECRET_MIN_LENGTH} characters."]
        if errors:
            raise ValidationError(errors)


class Subscription(models.Model):
    """A user wants notifications of `kind`: about one frame, one HMC (and its frames), or
    everything when neither is set; by e-mail to their address, or to one of their webhooks."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    frame = models.ForeignKey(
        Frame, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    hmc = models.ForeignKey(
        Hmc, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="HMC"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        about = self.frame or self.hmc or "everything"
        return f"{self.get_kind_display()} ({about}) by {self.get_channel_display()}"

    def clean(self) -> None:
        errors = {}
        if self.frame_id and self.hmc_id:
            errors["hmc"] = [
                "Subscribe about a frame or an HMC, not both (an HMC covers its frames)."
            ]
        if self.channel == Channel.WEBHOOK:
            if self.webhook_id is None:
                errors["webhook"] = ["Choose one of your webhooks for a webhook subscription."]
            elif self.webhook.user_id != self.user_id:
                errors["webhook"] = ["Choose one of your own webhooks."]
        elif self.webhook_id is not None:
            errors["webhook"] = ["An e-mail subscription has no webhook."]
        elif self.user_id and not self.user.email:
            errors["channel"] = [
                "Your account has no e-mail address: add one first, or use a webhook."
            ]
        if errors:
            raise ValidationError(errors)


class Notification(models.Model):
    """One event told to its subscribers: what it is about (frames and HMCs by id) and what was
    said."""

    kind = models.CharField(max_length=40, choices=Kind.choices)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    frame_ids = models.JSONField(default=list, blank=True)
    hmc_ids = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """A notification on its way to one address or webhook, retried with backoff."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Retrying"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.CharField(max_length=500, help_text="The e-mail address or the URL.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    delivered = models.DateTimeField(null=True, blank=True)
    # When a worker claimed it to send (state `sending`): one worker sends a delivery at a time.
    sending_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.notification} to {self.recipient}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: its outcome, the HTTP status a webhook answered, the error."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    time = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.delivery}: {'ok' if self.ok else 'failed'}"
