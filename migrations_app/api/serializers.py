"""Serializers of HMC syncs, their drift items, the host-key verbs, LPAR creation jobs, and
migrations: jobs with their event logs, the wizard's inputs, batches."""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.api.serializers import RelatedField
from inventory.models import Frame, Hmc, Lpar
from migrations_app.models import (
    DriftItem,
    HmcSync,
    LparCreateJob,
    MigrationBatch,
    MigrationEvent,
    MigrationJob,
)
from migrations_app.selectors import batch_totals
from migrations_app.windows.models import ChangeWindow
from migrations_app.windows.schedule import Schedule
from planning.api.serializers import FindingSerializer
from planning.models import EvacuationPlan


class DriftItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = DriftItem
        fields = [
            "id",
            "sync",
            "kind",
            "model",
            "object_id",
            "label",
            "field",
            "plan_value",
            "hmc_value",
            "resolution",
            "resolved_by",
        ]
        read_only_fields = fields


class HmcSyncSerializer(serializers.ModelSerializer):
    pending = serializers.SerializerMethodField()

    class Meta:
        model = HmcSync
        fields = [
            "id",
            "hmc",
            "state",
            "progress",
            "step",
            "message",
            "frames",
            "requested_by",
            "created",
            "started",
            "finished",
            "heartbeat",
            "pending",
        ]
        read_only_fields = fields

    def get_pending(self, sync: HmcSync) -> int:
        """Differences still waiting for accept or keep."""
        return sync.drift.filter(resolution=DriftItem.Resolution.PENDING).count()


class DriftResolveSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true: take the HMC's side; false: keep the plan.")


class HostKeySerializer(serializers.Serializer):
    known_hosts_line = serializers.CharField(help_text="The line GET returned, once compared.")
    fingerprint = serializers.CharField(read_only=True)


class SshTrustSerializer(serializers.Serializer):
    remote_hmc = serializers.PrimaryKeyRelatedField(
        queryset=Hmc.objects.all(),
        help_text="The HMC to trust: the one managing the "
        "destination frames. Its user (`username`) is the one logged in to.",
    )
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The password of the remote HMC's user: used once, never stored or returned.",
    )


class SshTrustResultSerializer(serializers.Serializer):
    hmc = serializers.IntegerField()
    remote_hmc = serializers.IntegerField()
    remote_user = serializers.CharField()
    detail = serializers.CharField()


class LparCreateJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = LparCreateJob
        fields = [
            "id",
            "lpar",
            "state",
            "progress",
            "step",
            "message",
            "requested_by",
            "created",
            "started",
            "finished",
            "heartbeat",
        ]
        read_only_fields = fields


class MigrationEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = MigrationEvent
        fields = ["time", "level", "message", "codes", "command", "output"]
        read_only_fields = fields


class MigrationJobSerializer(serializers.ModelSerializer):
    """A migration as the list shows it: where it goes, its state, progress and current step."""

    lpar = RelatedField(read_only=True)
    source_frame = RelatedField(read_only=True)
    destination_frame = RelatedField(read_only=True)
    hmc = RelatedField(read_only=True)
    source_msp = RelatedField(read_only=True, allow_null=True)
    dest_msp = RelatedField(read_only=True, allow_null=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    notice = serializers.SerializerMethodField()

    class Meta:
        model = MigrationJob
        fields = [
            "id",
            "lpar",
            "lpar_name",
            "source_frame",
            "destination_frame",
            "hmc",
            "batch",
            "state",
            "validate_only",
            "progress",
            "bytes_transmitted",
            "bytes_remaining",
            "step",
            "queued_reason",
            "message",
            "dest_profile_name",
            "wait_minutes",
            "source_msp",
            "dest_msp",
            "shared_pool_name",
            "dest_lpar_id",
            "storage_mappings",
            "vlan_bridges",
            "detail_level",
            "npiv_validation",
            "vlan_bridge",
            "mpio",
            "redundant_vios",
            "confirm_warnings",
            "findings",
            "requested_by",
            "created",
            "started",
            "finished",
            "window",
            "scheduled_for",
            "window_closes",
            "not_run_reason",
            "ran_over",
            "notice",
        ]
        read_only_fields = fields

    def get_notice(self, job: MigrationJob) -> str:
        """Set when the job could not be handed to a worker now (the broker is unreachable): it
        waits as pending and starts when the broker is back."""
        return self.context.get("waiting", {}).get(job.pk, "")


class MigrationJobDetailSerializer(MigrationJobSerializer):
    """A migration with its event log."""

    events = MigrationEventSerializer(many=True, read_only=True)

    class Meta(MigrationJobSerializer.Meta):
        fields = [*MigrationJobSerializer.Meta.fields, "events"]
        read_only_fields = fields


class StorageMappingInputSerializer(serializers.Serializer):
    client_slot = serializers.IntegerField(help_text="The LPAR's vSCSI or vFC client slot.")
    vios = serializers.PrimaryKeyRelatedField(
        queryset=Lpar.objects.filter(kind="vios"), help_text="The destination VIOS (its id)."
    )
    vios_slot = serializers.IntegerField(help_text="The slot on that VIOS.")
    fc_port = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=8,
        help_text="vFC only: the destination VIOS's physical port (fcs0), the mapping's fifth "
        "field; empty lets the HMC choose.",
    )


OPTION_FIELDS = (
    "dest_profile_name",
    "wait_minutes",
    "source_msp",
    "dest_msp",
    "shared_pool_name",
    "dest_lpar_id",
    "storage_mappings",
    "detail_level",
    "npiv_validation",
    "vlan_bridge",
    "mpio",
    "redundant_vios",
)
HMC_DEFAULT = "Leave out (or empty) for the HMC's own default: the option is not sent."


class MigrationOptionsInputSerializer(serializers.Serializer):
    """The wizard's choices; any left out take the proposed default."""

    dest_profile_name = serializers.CharField(required=False, allow_blank=True, max_length=31)
    wait_minutes = serializers.IntegerField(required=False)
    source_msp = serializers.PrimaryKeyRelatedField(
        queryset=Lpar.objects.filter(kind="vios"), required=False
    )
    dest_msp = serializers.PrimaryKeyRelatedField(
        queryset=Lpar.objects.filter(kind="vios"), required=False
    )
    shared_pool_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    dest_lpar_id = serializers.IntegerField(required=False, allow_null=True)
    storage_mappings = StorageMappingInputSerializer(many=True, required=False)
    detail_level = serializers.IntegerField(
        required=False, allow_null=True, help_text=f"migrlpar -d, 1 to 5. {HMC_DEFAULT}"
    )
    npiv_validation = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"migrlpar --npivval: port or portdisk. {HMC_DEFAULT}",
    )
    vlan_bridge = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"migrlpar --vlanbridge: 1 required, 2 if possible. {HMC_DEFAULT}",
    )
    mpio = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"migrlpar --mpio: 1 required, 2 if possible. {HMC_DEFAULT}",
    )
    redundant_vios = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"migrlpar --redundantvios: 0 not kept, 1 required, 2 if possible. {HMC_DEFAULT}",
    )

    def options(self) -> dict:
        return {k: v for k, v in self.validated_data.items() if k in OPTION_FIELDS}


class ScheduleInputSerializer(serializers.Serializer):
    """When to start: in a change window, or at a time; neither starts now."""

    window = serializers.PrimaryKeyRelatedField(
        queryset=ChangeWindow.objects.prefetch_related("frames", "hmcs"),
        required=False,
        allow_null=True,
        help_text="A change window (id): the migrations wait as scheduled "
        "until it opens, and one that could not finish before it closes is not run.",
    )
    scheduled_for = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Instead of a window: the time to start at (in the future).",
    )

    def schedule(self) -> Schedule | None:
        window = self.validated_data.get("window")
        at = self.validated_data.get("scheduled_for")
        return Schedule(window=window, at=at) if window or at else None


class MigrationCreateSerializer(ScheduleInputSerializer, MigrationOptionsInputSerializer):
    lpar = serializers.PrimaryKeyRelatedField(queryset=Lpar.objects.all())
    destination_frame = serializers.PrimaryKeyRelatedField(queryset=Frame.objects.all())
    validate_only = serializers.BooleanField(
        default=False, help_text="Only run the HMC validation (migrlpar -o v)."
    )
    confirm_warnings = serializers.BooleanField(
        default=False, help_text="Go ahead despite the pre-flight warnings."
    )


class MigrationProposalInputSerializer(serializers.Serializer):
    lpar = serializers.PrimaryKeyRelatedField(queryset=Lpar.objects.all())
    destination_frame = serializers.PrimaryKeyRelatedField(queryset=Frame.objects.all())


class MigrationProposalSerializer(serializers.Serializer):
    """The wizard's defaults for an LPAR and a destination, the pre-flight verdict and the exact
    command Migrate would send."""

    source_msp = serializers.IntegerField(allow_null=True)
    dest_msp = serializers.IntegerField(allow_null=True)
    storage_mappings = serializers.ListField(child=serializers.DictField())
    vlan_bridges = serializers.ListField(child=serializers.DictField())
    shared_pool_name = serializers.CharField()
    wait_minutes = serializers.IntegerField()
    dest_profile_name = serializers.CharField()
    dest_lpar_id = serializers.IntegerField(allow_null=True)
    detail_level = serializers.IntegerField(allow_null=True)
    npiv_validation = serializers.CharField()
    vlan_bridge = serializers.CharField()
    mpio = serializers.CharField()
    redundant_vios = serializers.CharField()
    migrlpar_options = serializers.ListField(
        child=serializers.CharField(),
        help_text="The migrlpar options the source HMC's level takes (all while it is unknown).",
    )
    verdict = serializers.CharField()
    findings = FindingSerializer(many=True)
    command = serializers.CharField()


class MigrationRecoverSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False, help_text="migrlpar -o r --force: also for a migration still running."
    )


class PrefetchedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A related object by id, taken from `known` (filled by the list it belongs to with one
    query for every item) when there; else looked up, and refused, as DRF does."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.known: dict[int, Any] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, int) and not isinstance(data, bool) and data in self.known:
            return self.known[data]
        return super().to_internal_value(data)


class BatchItemListSerializer(serializers.ListSerializer):
    """A batch's jobs: every LPAR and every destination frame they name read in one query
    each, not two queries a job."""

    def to_internal_value(self, data: Any) -> list:
        if isinstance(data, list):
            for name in ("lpar", "destination_frame"):
                field = self.child.fields[name]
                ids = {
                    item[name]
                    for item in data
                    if isinstance(item, Mapping)
                    and isinstance(item.get(name), int)
                    and not isinstance(item.get(name), bool)
                }
                field.known = field.get_queryset().in_bulk(ids) if ids else {}
        return super().to_internal_value(data)


class BatchItemSerializer(MigrationOptionsInputSerializer):
    lpar = PrefetchedPrimaryKeyField(queryset=Lpar.objects.all())
    destination_frame = PrefetchedPrimaryKeyField(queryset=Frame.objects.all())

    class Meta:
        list_serializer_class = BatchItemListSerializer


class MigrationBatchCreateSerializer(ScheduleInputSerializer):
    """A batch is either `jobs` (each LPAR and its destination) or `evacuation_plan` (a saved
    plan, run as "Migrate this plan" runs it), exactly one of the two."""

    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=128,
        help_text="With `jobs` only: a plan's batch is named after the plan.",
    )
    jobs = BatchItemSerializer(
        many=True, required=False, help_text="Each LPAR and its destination frame."
    )
    evacuation_plan = serializers.PrimaryKeyRelatedField(
        queryset=EvacuationPlan.objects.select_related("frame"),
        required=False,
        help_text="Instead of `jobs`: the id of a saved evacuation plan; its placed LPARs are "
        "migrated wave by wave with the plan's mover service partitions.",
    )
    validate_only = serializers.BooleanField(default=False)
    confirm_warnings = serializers.BooleanField(default=False)

    def validate(self, attrs: dict) -> dict:
        given = [field for field in ("jobs", "evacuation_plan") if field in attrs]
        if len(given) == 2:
            message = "Give either jobs or evacuation_plan, not both: a plan brings its own jobs."
            raise serializers.ValidationError({"jobs": [message], "evacuation_plan": [message]})
        if not given:
            message = (
                "Give jobs (each LPAR and its destination frame) or evacuation_plan (the id of a "
                "saved evacuation plan to run)."
            )
            raise serializers.ValidationError({"jobs": [message], "evacuation_plan": [message]})
        if "evacuation_plan" in attrs and attrs.get("name"):
            raise serializers.ValidationError(
                {"name": ["A plan's batch is named after the plan; leave name out."]}
            )
        return attrs


class BatchAdmissionSerializer(serializers.Serializer):
    """The worker job admitting a large batch (BATCH_ADMIT_INLINE_MAX)."""

    id = serializers.IntegerField()
    state = serializers.CharField(help_text="queued, running, succeeded or failed.")
    progress = serializers.IntegerField(help_text="0–100.")
    step = serializers.CharField(help_text="What it is doing now.")
    message = serializers.CharField(help_text="The outcome, or why it failed.")
    items = serializers.IntegerField(source="item_count", help_text="Migrations asked for.")
    refusals = serializers.ListField(
        child=serializers.CharField(),
        help_text="When it failed on them: every refusal, by item and rule, as an inline "
        "submission lists them under `jobs`; then nothing was created.",
    )
    url = serializers.CharField(source="get_absolute_url", help_text="The batch's page.")


class MigrationBatchSerializer(serializers.ModelSerializer):
    """A batch with its jobs, and the whole: how many are in each state, overall progress."""

    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    evacuation_plan = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The evacuation plan the batch runs, if any."
    )
    jobs = MigrationJobSerializer(many=True, read_only=True)
    states = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    admission = serializers.SerializerMethodField(
        help_text="While a worker admits a large batch, or when it refused it: that job; null "
        "once admitted (or when admitted in the request)."
    )

    class Meta:
        model = MigrationBatch
        fields = [
            "id",
            "name",
            "requested_by",
            "created",
            "evacuation_plan",
            "admission",
            "states",
            "progress",
            "jobs",
        ]
        read_only_fields = fields

    @extend_schema_field(BatchAdmissionSerializer(allow_null=True))
    def get_admission(self, batch: MigrationBatch) -> dict | None:
        admitting = batch.admitting
        return None if admitting is None else BatchAdmissionSerializer(admitting).data

    def get_states(self, batch: MigrationBatch) -> dict[str, int]:
        """How many of its jobs are in each state."""
        return batch_totals(batch.jobs.all()).states

    def get_progress(self, batch: MigrationBatch) -> int:
        """0–100: the mean of its jobs' progress."""
        return batch_totals(batch.jobs.all()).progress
