"""The security records in the admin: the log read-only, tokens revocable (never readable)."""

from django.contrib import admin

from lpmplanner.models import ApiToken, SecurityEvent
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
    list_display = ["name", "user", "prefix", "scope", "created", "expires", "last_used",
                    "revoked"]  # fmt: skip
    list_filter = ["scope"]
    search_fields = ["name", "user__username", "prefix"]
    exclude = ["key_hash"]
    readonly_fields = ["user", "name", "prefix", "scope", "created", "expires", "last_used",
                       "last_used_from", "revoked"]  # fmt: skip
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        for token in queryset.filter(revoked__isnull=True).select_related("user"):
            api_token_revoke(token=token, request=request)
