"""Serializers of HMC syncs, their drift items, the host-key verbs and LPAR creation jobs."""

from rest_framework import serializers

from migrations_app.models import DriftItem, HmcSync, LparCreateJob


class DriftItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = DriftItem
        fields = ["id", "sync", "kind", "model", "object_id", "label", "field", "plan_value",
                  "hmc_value", "resolution", "resolved_by"]  # fmt: skip
        read_only_fields = fields


class HmcSyncSerializer(serializers.ModelSerializer):
    pending = serializers.SerializerMethodField()

    class Meta:
        model = HmcSync
        fields = ["id", "hmc", "state", "progress", "step", "message", "requested_by", "created",
                  "started", "finished", "pending"]  # fmt: skip
        read_only_fields = fields

    def get_pending(self, sync: HmcSync) -> int:
        """Differences still waiting for accept or keep."""
        return sync.drift.filter(resolution=DriftItem.Resolution.PENDING).count()


class DriftResolveSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true: take the HMC's side; false: keep the plan.")


class HostKeySerializer(serializers.Serializer):
    known_hosts_line = serializers.CharField(help_text="The line GET returned, once compared.")
    fingerprint = serializers.CharField(read_only=True)


class LparCreateJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = LparCreateJob
        fields = ["id", "lpar", "state", "message", "requested_by", "created", "started",
                  "finished"]  # fmt: skip
        read_only_fields = fields
