"""`/api/readiness-runs/` (list, read, POST to start one, `stop`) and `/api/readiness-results/`
(the results, filtered by run, frame, HMC, code, verdict, disagreement; the latest finished run
when no run is given)."""

from typing import Any

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import Frame, Hmc, Lpar
from migrations_app.api.permissions import ActionPermission
from migrations_app.readiness import selectors, services
from migrations_app.readiness.models import ReadinessResult, ReadinessRun
from migrations_app.readiness.selectors import with_code

RUN_ACTIONS = {
    "create": "migrations_app.add_readinessrun",
    "stop": "migrations_app.change_readinessrun",
}


class ReadinessRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReadinessRun
        fields = [
            "id",
            "scope",
            "scope_frame",
            "scope_hmc",
            "scope_lpars",
            "scheduled",
            "state",
            "progress",
            "step",
            "message",
            "total",
            "done",
            "requested_by",
            "created",
            "started",
            "finished",
        ]
        read_only_fields = fields


class ReadinessRunCreateSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=ReadinessRun.Scope.choices, default="estate")
    frame = serializers.PrimaryKeyRelatedField(
        queryset=Frame.objects.all(), required=False, help_text="For scope frame."
    )
    hmc = serializers.PrimaryKeyRelatedField(
        queryset=Hmc.objects.all(), required=False, help_text="For scope hmc."
    )
    lpars = serializers.PrimaryKeyRelatedField(
        queryset=Lpar.objects.all(), many=True, required=False, help_text="For scope lpars."
    )


class ReadinessResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReadinessResult
        fields = [
            "id",
            "run",
            "lpar",
            "lpar_name",
            "frame",
            "frame_name",
            "hmc",
            "hmc_name",
            "target",
            "target_name",
            "target_source",
            "checked",
            "verdict",
            "reason",
            "codes",
            "code",
            "command",
            "output",
            "preflight_verdict",
            "preflight_findings",
            "disagreement",
            "failing_since",
        ]
        read_only_fields = fields


class ReadinessResultFilterSet(filters.FilterSet):
    code = filters.CharFilter(method="filter_code", label="HSCL code")

    class Meta:
        model = ReadinessResult
        fields = ["run", "frame", "hmc", "lpar", "verdict", "disagreement"]

    def filter_code(self, queryset, name, value):
        return with_code(queryset, value) if value else queryset


class ShareSerializer(serializers.Serializer):
    name = serializers.CharField()
    id = serializers.IntegerField(source="pk", allow_null=True)
    ready = serializers.IntegerField()
    not_ready = serializers.IntegerField()
    not_checked = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True, help_text="Share ready of those checked.")


class ChangeSerializer(serializers.Serializer):
    lpar = serializers.IntegerField(source="result.lpar_id", allow_null=True)
    lpar_name = serializers.CharField(source="result.lpar_name")
    code = serializers.CharField(source="result.code")
    previous_code = serializers.SerializerMethodField()

    def get_previous_code(self, change) -> str:
        return change.previous.code if change.previous else ""


class TrendPointSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    created = serializers.DateTimeField()
    percent = serializers.FloatField(allow_null=True)
    checked = serializers.IntegerField()


class ReadinessSummarySerializer(serializers.Serializer):
    """What the Readiness page shows for a run, filtered as asked."""

    run = ReadinessRunSerializer()
    frames = ShareSerializer(many=True)
    hmcs = ShareSerializer(many=True)
    not_ready = ReadinessResultSerializer(many=True)
    newly_failing = ChangeSerializer(many=True)
    fixed = ChangeSerializer(many=True)
    trend = TrendPointSerializer(many=True)


class ReadinessRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Readiness runs, newest first; POST starts one over a scope (estate, frame, hmc, lpars);
    `stop` stops it."""

    queryset = ReadinessRun.objects.prefetch_related("scope_lpars")
    serializer_class = ReadinessRunSerializer
    filterset_fields = ["state", "scope", "scheduled"]
    permission_classes = [ActionPermission]
    action_permissions = RUN_ACTIONS

    @extend_schema(request=ReadinessRunCreateSerializer, responses={201: ReadinessRunSerializer})
    def create(self, request: Request) -> Response:
        given = ReadinessRunCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            run = services.readiness_run_request(
                scope=data["scope"],
                frame=data.get("frame"),
                hmc=data.get("hmc"),
                lpars=data.get("lpars", []),
                requested_by=request.user,
            )
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(ReadinessRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("frame", int, description="Only the LPARs of this frame (id)."),
            OpenApiParameter("hmc", int, description="Only the LPARs of this HMC (id)."),
            OpenApiParameter("code", str, description="Only the results with this HSCL code."),
        ],
        responses=ReadinessSummarySerializer,
    )
    @action(detail=True, methods=["get"])
    def summary(self, request: Request, pk=None) -> Response:
        """The shares ready per frame and HMC, the LPARs not ready, what changed since each
        LPAR's previous result, and the trend of the last 30 runs."""
        params = request.query_params
        filters_given: dict[str, Any] = {
            "frame": int(params["frame"]) if params.get("frame", "").isdigit() else None,
            "hmc": int(params["hmc"]) if params.get("hmc", "").isdigit() else None,
            "code": params.get("code", ""),
        }
        summary = selectors.readiness_summary(self.get_object(), **filters_given)
        data = {
            "run": summary.run,
            "frames": summary.frames,
            "hmcs": summary.hmcs,
            "not_ready": summary.not_ready,
            "newly_failing": summary.newly_failing,
            "fixed": summary.fixed,
            "trend": selectors.trend(),
        }
        return Response(ReadinessSummarySerializer(data).data)

    @extend_schema(request=None, responses=ReadinessRunSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk=None) -> Response:
        try:
            run = services.readiness_run_stop(run=self.get_object(), user=request.user)
        except ValidationError as error:
            raise serializers.ValidationError({"detail": error.messages}) from None
        return Response(ReadinessRunSerializer(run).data)


class ReadinessResultViewSet(viewsets.ReadOnlyModelViewSet):
    """One result per LPAR per run; without `?run=`, those of the latest finished run."""

    queryset = ReadinessResult.objects.all()
    serializer_class = ReadinessResultSerializer
    filterset_class = ReadinessResultFilterSet
    ordering_fields = ["lpar_name", "frame_name", "checked", "verdict"]

    def get_queryset(self):
        results = super().get_queryset()
        if self.action == "list" and not self.request.query_params.get("run"):
            latest = selectors.latest_run()
            results = results.filter(run=latest) if latest else results.none()
        return results.order_by("run", "frame_name", "lpar_name")
