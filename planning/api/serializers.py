"""Inputs and outputs of the planning verbs: slot allocation, stub twins, checks, runbooks."""

from rest_framework import serializers

from inventory.api.serializers import LparSerializer, RelatedField, VirtualAdapterSerializer
from inventory.choices import LparKind, VirtualAdapterKind
from inventory.models import Frame, Lpar
from planning.choices import Severity


class SlotAllocateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VirtualAdapterKind.choices)
    vios = RelatedField(
        queryset=Lpar.objects.filter(kind=LparKind.VIOS),
        required=False,
        allow_null=True,
        help_text="For a client's vSCSI or vFC adapter: the VIOS that serves it.",
    )


class AllocationSerializer(serializers.Serializer):
    lpar = RelatedField(read_only=True)
    kind = serializers.CharField()
    slot = serializers.IntegerField(help_text="The reserved slot on the LPAR.")
    vios = RelatedField(read_only=True, allow_null=True)
    vios_slot = serializers.IntegerField(
        allow_null=True, help_text="The reserved slot on the VIOS (its server adapter)."
    )


class StubTwinInputSerializer(serializers.Serializer):
    destination_frame = RelatedField(queryset=Frame.objects.all())


class FrameStubTwinsInputSerializer(StubTwinInputSerializer):
    """Every client LPAR of the frame onto `destination_frame`, all or nothing."""


class TwinSerializer(LparSerializer):
    """The twin as an LPAR, with its virtual adapters."""

    virtual_adapters = VirtualAdapterSerializer(many=True, read_only=True)

    class Meta(LparSerializer.Meta):
        fields = [*LparSerializer.Meta.fields, "virtual_adapters"]


class BulkTwinReportSerializer(serializers.Serializer):
    source = RelatedField(read_only=True)
    destination = RelatedField(read_only=True)
    summary = serializers.CharField()
    created = serializers.SerializerMethodField()

    def get_created(self, report) -> list[dict]:
        return [
            {"original": original.pk, "twin": twin.pk, "name": twin.name, "lpar_id": twin.lpar_id}
            for original, twin in report.created
        ]


class ViolationSerializer(serializers.Serializer):
    check = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    object = serializers.CharField()
    object_url = serializers.CharField()
    message = serializers.CharField()
    fix_url = serializers.CharField()


class ChecksSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    errors = serializers.IntegerField()
    warnings = serializers.IntegerField()
    results = ViolationSerializer(many=True)


class RunbookStepSerializer(serializers.Serializer):
    title = serializers.CharField()
    where = serializers.CharField()
    commands = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())


class RunbookSerializer(serializers.Serializer):
    twin = serializers.CharField()
    original = serializers.CharField()
    frame = serializers.CharField()
    original_frame = serializers.CharField()
    steps = RunbookStepSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())
    complete = serializers.BooleanField()
