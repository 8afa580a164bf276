"""Inputs and outputs of the planning verbs: slot allocation, stub twins, checks, runbooks,
migratability and evacuation plans."""

from rest_framework import serializers

from inventory.api.serializers import LparSerializer, RelatedField, VirtualAdapterSerializer
from inventory.choices import LparKind, VirtualAdapterKind
from inventory.models import Frame, Lpar
from planning.choices import PlacementPolicy, Severity
from planning.evacuation import unplaced_summary
from planning.models import EvacuationPlacement, EvacuationPlan
from planning.preflight import CODES, Mobility, Verdict


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


class FindingSerializer(serializers.Serializer):
    """One pre-flight finding: a stable code (docs/reference/finding-codes.md), how serious, a
    sentence naming the objects and numbers, and the data behind it."""

    code = serializers.ChoiceField(choices=sorted(CODES))
    severity = serializers.ChoiceField(choices=Severity.choices)
    message = serializers.CharField()
    data = serializers.DictField()


class DestinationSerializer(serializers.Serializer):
    frame = RelatedField(read_only=True)
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    findings = FindingSerializer(many=True)
    free_proc_units_after = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        source="free_units_after",
        help_text="The destination's free processor units once the LPAR is there.",
    )
    free_memory_mb_after = serializers.IntegerField()


class MigratabilityQuerySerializer(serializers.Serializer):
    mobility = serializers.ChoiceField(choices=Mobility.choices, required=False)


class MigratabilitySerializer(serializers.Serializer):
    lpar = RelatedField(read_only=True)
    destinations = DestinationSerializer(many=True, help_text="Every other frame, by name.")


class EvacuationPlanInputSerializer(serializers.Serializer):
    policy = serializers.ChoiceField(
        choices=PlacementPolicy.choices,
        default=PlacementPolicy.SPREAD,
        help_text="pack: the fullest frame that fits; spread: the frame with the most free "
        "memory. LPARs are placed largest memory first either way.",
    )
    destinations = RelatedField(
        queryset=Frame.objects.all(),
        many=True,
        required=False,
        help_text="The frames the plan may use; left out or empty: every other frame.",
    )
    vios_limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=8,
        help_text="Concurrent migrations per mover service partition in a wave (default 4).",
    )


class EvacuationMoveInputSerializer(serializers.Serializer):
    lpar = RelatedField(queryset=Lpar.objects.all())
    destination_frame = RelatedField(queryset=Frame.objects.all())


class UnplacedReasonSerializer(serializers.Serializer):
    frame = serializers.IntegerField()
    frame_name = serializers.CharField()
    findings = FindingSerializer(many=True)


class EvacuationPlacementSerializer(serializers.ModelSerializer):
    lpar = RelatedField(read_only=True)
    destination = RelatedField(read_only=True, allow_null=True)
    source_msp = RelatedField(read_only=True, allow_null=True)
    destination_msp = RelatedField(read_only=True, allow_null=True)
    memory_mb = serializers.IntegerField(source="lpar.memory_mb", read_only=True)
    proc_units = serializers.DecimalField(
        source="lpar.proc_units", max_digits=6, decimal_places=2, read_only=True
    )
    findings = FindingSerializer(many=True, read_only=True)
    reasons = UnplacedReasonSerializer(many=True, read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = EvacuationPlacement
        fields = [
            "lpar",
            "position",
            "memory_mb",
            "proc_units",
            "destination",
            "wave",
            "source_msp",
            "destination_msp",
            "findings",
            "reasons",
            "summary",
            "adjusted",
        ]

    def get_summary(self, placement: EvacuationPlacement) -> str:
        """Why an unplaced LPAR fits nowhere; empty for a placed one."""
        return "" if placement.placed else unplaced_summary(placement.reasons)


class EvacuationPlanSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:evacuationplan-detail")
    frame = RelatedField(read_only=True)
    destinations = RelatedField(read_only=True, many=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, allow_null=True
    )
    placed = serializers.SerializerMethodField()
    unplaced = serializers.SerializerMethodField()
    waves = serializers.SerializerMethodField()
    placements = EvacuationPlacementSerializer(many=True, read_only=True)

    class Meta:
        model = EvacuationPlan
        fields = [
            "id",
            "url",
            "frame",
            "policy",
            "destinations",
            "vios_limit",
            "created_by",
            "created",
            "updated",
            "placed",
            "unplaced",
            "waves",
            "placements",
        ]

    def get_placed(self, plan: EvacuationPlan) -> int:
        return sum(p.placed for p in plan.placements.all())

    def get_unplaced(self, plan: EvacuationPlan) -> int:
        return sum(not p.placed for p in plan.placements.all())

    def get_waves(self, plan: EvacuationPlan) -> int:
        return max((p.wave or 0 for p in plan.placements.all()), default=0)
