"""The planning verbs over REST: each parses its input, calls one service and renders."""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import Frame, Lpar, VirtualAdapter
from lpmplanner.permissions import may_read
from planning import cache, checks, evacuation, preflight, runbook, services, stubs
from planning.api import serializers
from planning.choices import Severity
from planning.models import EvacuationPlacement, EvacuationPlan

ALLOCATE = "planning.allocate_slot"
PLAN_EVACUATION = "planning.add_evacuationplan"
ADJUST_EVACUATION = "planning.change_evacuationplan"
MANAGE_TWINS = "planning.manage_stub_twin"


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "text"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return str(data).encode(self.charset)


class ActionPermission(permissions.BasePermission):
    """A signed-in user holding the permission the view names for the action; other actions
    read, which every role may (a user with no role may not)."""

    def has_permission(self, request: Request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = getattr(view, "action_permissions", {}).get(view.action)
        if needed is None:
            return may_read(request.user, view)
        return request.user.has_perm(needed)


def _twin_response(twin: Lpar, request: Request) -> Response:
    twin = (
        Lpar.objects.select_related("frame", "shared_pool__frame", "stub_of")
        .prefetch_related(
            Prefetch(
                "virtual_adapters",
                VirtualAdapter.objects.select_related("lpar", "remote_lpar", "pvid")
                .prefetch_related("vlans", "wwpns")
                .order_by("slot"),
            )
        )
        .get(pk=twin.pk)
    )
    data = serializers.TwinSerializer(twin, context={"request": request}).data
    return Response(data, status=status.HTTP_201_CREATED)


class LparPlanningViewSet(viewsets.GenericViewSet):
    """Planning verbs on one LPAR: allocate a slot, create or refresh its stub twin, read the
    failover runbook of a twin."""

    queryset = Lpar.objects.select_related("frame", "shared_pool", "stub_of__frame")
    permission_classes = [ActionPermission]
    action_permissions = {
        "allocate_slot": ALLOCATE,
        "stub_twin": MANAGE_TWINS,
        "refresh_twin": MANAGE_TWINS,
    }
    serializer_class = serializers.StubTwinInputSerializer

    def finalize_response(self, request: Request, response, *args, **kwargs) -> Response:
        """Errors in JSON even when the runbook's text was asked for: one error contract."""
        renderer = getattr(request, "accepted_renderer", None)
        if response.exception and renderer and renderer.format == PlainTextRenderer.format:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        request=serializers.SlotAllocateInputSerializer,
        responses={201: serializers.AllocationSerializer},
        description="Reserve the lowest free slot of the kind's range on the LPAR and, for a "
        "client's vSCSI or vFC adapter, on the VIOS. 409 when a range is full.",
    )
    @action(detail=True, methods=["post"], url_path="allocate-slot")
    def allocate_slot(self, request: Request, pk=None) -> Response:
        lpar = self.get_object()
        given = serializers.SlotAllocateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        allocation = services.slot_allocate(lpar=lpar, user=request.user, **given.validated_data)
        output = serializers.AllocationSerializer(allocation, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.StubTwinInputSerializer,
        responses={201: serializers.TwinSerializer},
        description="Create `<name>-stub` on the destination frame by the scheme's stub policy; "
        "400 with every reason and nothing created; 409 when the twin exists (refresh it).",
    )
    @action(detail=True, methods=["post"], url_path="stub-twin")
    def stub_twin(self, request: Request, pk=None) -> Response:
        lpar = self.get_object()
        given = serializers.StubTwinInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        twin = stubs.lpar_create_stub_twin(lpar=lpar, **given.validated_data)
        return _twin_response(twin, request)

    @extend_schema(request=None, responses={201: serializers.TwinSerializer})
    @action(detail=True, methods=["post"], url_path="refresh-twin")
    def refresh_twin(self, request: Request, pk=None) -> Response:
        """Bring this stub twin back in line with its original, keeping its slots and WWPNs."""
        twin = stubs.stub_twin_refresh(twin=self.get_object())
        return _twin_response(twin, request)

    @extend_schema(
        responses={200: serializers.MigratabilitySerializer},
        parameters=[
            OpenApiParameter(
                "mobility",
                str,
                enum=preflight.Mobility.values,
                description="Check for this mobility; by default active when the LPAR is "
                "Running, inactive when Not Activated.",
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def migratability(self, request: Request, pk=None) -> Response:
        """The LPAR against every other frame: the verdict (ok, warnings, blocked), the
        findings, and the destination's free capacity once the LPAR is there."""
        lpar = self.get_object()
        given = serializers.MigratabilityQuerySerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        options = preflight.PreflightOptions(mobility=given.validated_data.get("mobility"))
        data = {
            "lpar": lpar,
            "destinations": preflight.lpar_migratability(lpar=lpar, options=options),
        }
        output = serializers.MigratabilitySerializer(data, context={"request": request})
        return Response(output.data)

    @extend_schema(
        responses={
            (200, "application/json"): serializers.RunbookSerializer,
            (200, "text/plain"): OpenApiTypes.STR,
        },
        parameters=[OpenApiParameter("format", str, enum=["json", "text"])],
        description="JSON by default; `?format=text` (or `Accept: text/plain`) gives the text. "
        "Errors are JSON either way.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="failover-runbook",
        renderer_classes=[JSONRenderer, PlainTextRenderer],
    )
    def failover_runbook(self, request: Request, pk=None) -> Response:
        """The failover runbook of a stub twin (JSON, or text with `?format=text`)."""
        book = runbook.failover_runbook(twin=self.get_object())
        if request.accepted_renderer.format == "text":
            return Response(book.as_text())
        return Response(serializers.RunbookSerializer(book.as_dict()).data)


class FramePlanningViewSet(viewsets.GenericViewSet):
    """Planning verbs on one frame: twin all of its LPARs onto another frame."""

    queryset = Frame.objects.all()
    permission_classes = [ActionPermission]
    action_permissions = {"stub_twins": MANAGE_TWINS, "evacuation_plan": PLAN_EVACUATION}
    serializer_class = serializers.FrameStubTwinsInputSerializer

    @extend_schema(
        request=serializers.EvacuationPlanInputSerializer,
        responses={201: serializers.EvacuationPlanSerializer},
        description="Plan the evacuation of the frame: every client LPAR placed on another frame "
        "where the pre-flight checks pass (capacity consumed by earlier placements), largest "
        "memory first, by the policy; LPARs that fit nowhere listed with their reasons; the "
        "migrations in waves under the frames' and MSPs' concurrency limits. Saved; read it "
        "again at `/api/evacuation-plans/{id}/`.",
    )
    @action(detail=True, methods=["post"], url_path="evacuation-plan")
    def evacuation_plan(self, request: Request, pk=None) -> Response:
        frame = self.get_object()
        given = serializers.EvacuationPlanInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        plan = evacuation.evacuation_plan_create(
            frame=frame, user=request.user, **given.validated_data
        )
        return _plan_response(plan, request, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.FrameStubTwinsInputSerializer,
        responses={201: serializers.BulkTwinReportSerializer},
        description="Twin every client LPAR of the frame onto the destination, all or nothing: "
        "400 lists why nothing was created.",
    )
    @action(detail=True, methods=["post"], url_path="stub-twins")
    def stub_twins(self, request: Request, pk=None) -> Response:
        frame = self.get_object()
        given = serializers.FrameStubTwinsInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        report = stubs.frame_create_stub_twins(frame=frame, **given.validated_data)
        output = serializers.BulkTwinReportSerializer(report, context={"request": request})
        return Response(output.data, status=status.HTTP_201_CREATED)


def _plans() -> QuerySet:
    placements = EvacuationPlacement.objects.select_related(
        "lpar", "destination", "source_msp", "destination_msp"
    ).order_by("wave", "position")
    return EvacuationPlan.objects.select_related("frame", "created_by").prefetch_related(
        "destinations", Prefetch("placements", placements)
    )


def _plan_response(plan: EvacuationPlan, request: Request, code: int) -> Response:
    plan = _plans().get(pk=plan.pk)
    data = serializers.EvacuationPlanSerializer(plan, context={"request": request}).data
    return Response(data, status=code)


class EvacuationPlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Saved evacuation plans, newest first (`?frame=<id>` for one frame's); `move` places one
    LPAR of a plan on another frame by hand."""

    queryset = _plans()
    serializer_class = serializers.EvacuationPlanSerializer
    permission_classes = [ActionPermission]
    action_permissions = {"move": ADJUST_EVACUATION}
    filterset_fields = ["frame"]
    ordering_fields = ["created"]

    @extend_schema(
        request=serializers.EvacuationMoveInputSerializer,
        responses={200: serializers.EvacuationPlanSerializer},
        description="Move one LPAR of the plan to another frame, checked at once against the "
        "estate and the plan's other placements; the waves are worked out again. 400 with "
        "every error of the check (`destination_frame`), nothing changed.",
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk=None) -> Response:
        plan = self.get_object()
        given = serializers.EvacuationMoveInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        evacuation.evacuation_plan_move(
            plan=plan,
            lpar=given.validated_data["lpar"],
            destination=given.validated_data["destination_frame"],
            user=request.user,
        )
        return _plan_response(plan, request, status.HTTP_200_OK)


class ObjectSchema(AutoSchema):
    """A `list` action that answers one object (counts and results), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class CheckViewSet(viewsets.GenericViewSet):
    """Every violation in the estate, errors first; `?check=` and `?severity=` narrow it."""

    schema = ObjectSchema()
    permission_classes = [ActionPermission]
    serializer_class = serializers.ChecksSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        responses={200: serializers.ChecksSerializer},
        parameters=[
            OpenApiParameter("check", str, enum=list(checks.CHECKS)),
            OpenApiParameter("severity", str, enum=Severity.values),
        ],
    )
    def list(self, request: Request) -> Response:
        wanted_check = request.query_params.get("check", "")
        severity = request.query_params.get("severity", "")
        refused = {}
        if wanted_check and wanted_check not in checks.CHECKS:
            refused["check"] = [f"One of {', '.join(checks.CHECKS)}."]
        if severity and severity not in Severity.values:
            refused["severity"] = [f"One of {', '.join(Severity.values)}."]
        if refused:
            return Response(refused, status=status.HTTP_400_BAD_REQUEST)
        # The violations kept at the current estate version (planning.cache).
        found = list(cache.estate_check_summary().matching(check=wanted_check, severity=severity))
        errors = sum(v.severity == Severity.ERROR for v in found)
        results = [
            {
                "check": v.check_code,
                "severity": v.severity,
                "object": v.object,
                "object_url": v.object_url,
                "message": v.message,
                "fix_url": v.fix_url,
            }
            for v in found
        ]
        data = {
            "count": len(found),
            "errors": errors,
            "warnings": len(found) - errors,
            "results": results,
        }
        return Response(serializers.ChecksSerializer(data).data)
