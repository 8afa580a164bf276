"""Zoning over REST: a fabric's plan as JSON and every download."""

from dataclasses import asdict

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Fabric
from planning.zoning.exports import FORMATS, XLSX, ExportRefused, zoning_export
from planning.zoning.plan import zoning_plan


class CanDownloadZoning(permissions.BasePermission):
    message = "Downloading zoning needs the SAN admin role (permission planning.download_zoning)."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("planning.download_zoning")


class CanReadFabrics(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("inventory.view_fabric")


class ZoningPlanView(APIView):
    """The fabric's zoning plan: initiators (both WWPNs of every pair), targets, zones, host
    objects and findings."""

    permission_classes = [permissions.IsAuthenticated, CanReadFabrics]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        fabric = get_object_or_404(Fabric, pk=pk)
        zoning = zoning_plan(fabric=fabric)
        plan = zoning.of(fabric)
        return Response(
            {
                "fabric": {
                    "id": fabric.pk,
                    "name": fabric.name,
                    "side": fabric.side,
                    "vendor": fabric.vendor,
                    "vsan": fabric.vsan,
                    "active_configuration": fabric.zoneset_name,
                    "zone_type": plan.zone_type,
                },
                "initiators": [asdict(i) for i in plan.initiators],
                "targets": [asdict(t) for t in plan.targets],
                "zones": [asdict(z) for z in plan.zones],
                "hosts": [asdict(h) | {"mkhost": h.mkhost} for h in plan.hosts],
                "findings": [asdict(f) for f in plan.findings + zoning.findings],
            }
        )


class FormatIsOurs(DefaultContentNegotiation):
    """`?format=` names the file to make here, not DRF's renderer: answer errors in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ZoningExportView(APIView):
    """Download the fabric's zoning as xlsx, CSV, a Brocade or Cisco script or storage host
    commands; `since=last` for the changes since the last export, `remove=1` for the script
    that undoes it."""

    permission_classes = [permissions.IsAuthenticated, CanDownloadZoning]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FormatIsOurs

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=FORMATS, default="xlsx"),
            OpenApiParameter("since", str, enum=["last"], required=False),
            OpenApiParameter("remove", bool, required=False),
        ],
        responses={
            (200, XLSX): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "text/plain"): OpenApiTypes.STR,  # the scripts and storage host commands
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse | Response:
        fabric = get_object_or_404(Fabric, pk=pk)
        try:
            download = zoning_export(
                fabric=fabric,
                format=request.query_params.get("format", "xlsx"),
                remove=request.query_params.get("remove") in ("1", "true"),
                since_last=request.query_params.get("since") == "last",
                user=request.user,
            )
        except ExportRefused as error:
            return Response({"detail": str(error)}, status=400)
        response = HttpResponse(download.content, content_type=download.content_type)
        response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        return response
