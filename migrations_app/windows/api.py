"""Change windows over REST: `/api/change-windows/`. Times without an offset are read in the
window's own time zone."""

import zoneinfo

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from inventory.models import Frame, Hmc
from lpmplanner import clock
from migrations_app.windows.models import ZONES, ChangeWindow
from migrations_app.windows.services import change_window_delete, change_window_save


class ChangeWindowSerializer(serializers.ModelSerializer):
    frames = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Frame.objects.all(),
        required=False,
        help_text="Frames it covers (ids); with no frames and no HMCs it covers every frame.",
    )
    hmcs = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Hmc.objects.all(),
        required=False,
        help_text="HMCs whose frames it covers (ids).",
    )
    description = serializers.CharField(source="describe", read_only=True)
    next_opening = serializers.SerializerMethodField()
    next_closing = serializers.SerializerMethodField()

    class Meta:
        model = ChangeWindow
        fields = [
            "id",
            "name",
            "start",
            "end",
            "recurrence",
            "time_zone",
            "frames",
            "hmcs",
            "description",
            "next_opening",
            "next_closing",
            "created",
        ]
        read_only_fields = ["created"]
        extra_kwargs = {
            "start": {"help_text": "The (first) opening; without an offset, in time_zone."},
            "end": {"help_text": "The (first) closing; without an offset, in time_zone."},
        }

    def to_internal_value(self, data):
        zone = data.get("time_zone") if hasattr(data, "get") else None
        if zone is None and self.instance is not None:
            zone = self.instance.time_zone
        if isinstance(zone, str) and zone in ZONES:  # anything else: time_zone's own 400
            with timezone.override(zoneinfo.ZoneInfo(zone)):
                return super().to_internal_value(data)
        return super().to_internal_value(data)

    def _occurrence(self, window: ChangeWindow):
        return window.occurrence(clock.now())

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_opening(self, window: ChangeWindow):
        """The opening of the occurrence now open or next; null when it will not open again."""
        occurrence = self._occurrence(window)
        return occurrence[0].isoformat() if occurrence else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_closing(self, window: ChangeWindow):
        occurrence = self._occurrence(window)
        return occurrence[1].isoformat() if occurrence else None

    def create(self, validated_data):
        frames, hmcs = validated_data.pop("frames", None), validated_data.pop("hmcs", None)
        request = self.context.get("request")
        return change_window_save(
            window=ChangeWindow(**validated_data),
            frames=frames,
            hmcs=hmcs,
            user=request.user if request else None,
        )

    def update(self, instance, validated_data):
        frames, hmcs = validated_data.pop("frames", None), validated_data.pop("hmcs", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return change_window_save(window=instance, frames=frames, hmcs=hmcs)


class ChangeWindowViewSet(viewsets.ModelViewSet):
    """Change windows: when scheduled migrations may run, and the frames or HMCs each covers.
    Operators write them; every role reads. A window with migrations is not deleted (409)."""

    queryset = ChangeWindow.objects.prefetch_related("frames", "hmcs")
    serializer_class = ChangeWindowSerializer
    filterset_fields = ["recurrence"]
    ordering_fields = ["name", "start"]

    def perform_destroy(self, instance: ChangeWindow) -> None:
        change_window_delete(window=instance)
