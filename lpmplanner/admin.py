"""The security records in the admin: the log read-only, tokens revocable (never readable)."""

from django.contrib import admin

from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.notifications.models import Delivery, DeliveryAttempt, Subscription, Webhook
from lpmplanner.security.tokens import api_token_revoke


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["when", "kind", "username", "address", "request_id"]
    list_filter = ["kind"]
    search_fields = ["username", "address", "request_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scope", "created", "expires", "last_used", "revoked"]
    list_filter = ["scope"]
    search_fields = ["name", "user__username", "prefix"]
    exclude = ["key_hash"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "scope",
        "created",
        "expires",
        "last_used",
        "last_used_from",
        "revoked",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        for token in queryset.filter(revoked__isnull=True).select_related("user"):
            api_token_revoke(token=token, request=request)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "time", "ok", "status_code", "error"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """What was sent to whom, each attempt with its outcome: read-only."""

    list_display = ["notification", "channel", "recipient", "state", "attempts", "created"]
    list_filter = ["state", "channel"]
    search_fields = ["recipient", "notification__subject"]
    inlines = [DeliveryAttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "frame", "hmc", "channel", "webhook"]
    list_filter = ["kind", "channel"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks; the signing secret is never shown."""

    list_display = ["name", "user", "url", "created"]
    exclude = ["secret"]
    readonly_fields = ["user"]

    def has_add_permission(self, request) -> bool:
        return False
