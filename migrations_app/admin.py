from django.contrib import admin

from migrations_app.models import ReadinessSchedule, WorkerHeartbeat
from migrations_app.windows.models import ChangeWindow


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen", "beats"]
    readonly_fields = ["hostname", "last_seen", "beats"]


@admin.register(ReadinessSchedule)
class ReadinessScheduleAdmin(admin.ModelAdmin):
    """When beat starts each HMC's readiness run (1440 minutes: nightly)."""

    list_display = ["hmc", "interval_minutes", "enabled"]
    list_editable = ["interval_minutes", "enabled"]


@admin.register(ChangeWindow)
class ChangeWindowAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end", "recurrence", "time_zone"]
    list_filter = ["recurrence"]
    search_fields = ["name"]
    filter_horizontal = ["frames", "hmcs"]
