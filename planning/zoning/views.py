"""The Zoning page and its downloads."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from inventory.models import Fabric
from planning.zoning.exports import (
    ExportRefused,
    zoning_diff_since_last,
    zoning_export,
    zoning_last_export,
)
from planning.zoning.plan import zoning_plan

DOWNLOAD_PERMISSION = "planning.download_zoning"


def zoning_index(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("inventory.view_fabric"):
        raise PermissionDenied
    plan = zoning_plan()
    fabrics = [
        (fabric_plan, zoning_last_export(fabric=fabric_plan.fabric),
         zoning_diff_since_last(plan=fabric_plan))
        for fabric_plan in plan.fabrics
    ]  # fmt: skip
    return render(
        request,
        "planning/zoning.html",
        {
            "plan": plan,
            "fabrics": fabrics,
            "can_download": request.user.has_perm(DOWNLOAD_PERMISSION),
        },
    )


def zoning_download(request: HttpRequest, fabric_id: int | None = None) -> HttpResponse:
    if not request.user.has_perm(DOWNLOAD_PERMISSION):
        raise PermissionDenied
    fabric = get_object_or_404(Fabric, pk=fabric_id) if fabric_id else None
    try:
        download = zoning_export(
            fabric=fabric,
            format=request.GET.get("format", "xlsx"),
            remove=request.GET.get("remove") == "1",
            since_last=request.GET.get("since") == "last",
            user=request.user,
        )
    except ExportRefused as error:
        messages.error(request, str(error))
        return redirect("planning:zoning-index")
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response
