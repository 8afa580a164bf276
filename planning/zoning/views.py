"""The Zoning page, a fabric's zoning preview on screen, and the downloads."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from inventory.forms import bootstrap
from inventory.models import Fabric
from inventory.services import object_save
from lpmplanner.permissions import require
from planning.cache import zoning_summary
from planning.zoning.exports import (
    ExportRefused,
    zoning_diff_since_last,
    zoning_export,
    zoning_last_export,
)
from planning.zoning.plan import ZONE_TYPES, zoning_plan
from planning.zoning.records import FabricZoning, ZoningExport

DOWNLOAD_PERMISSION = "planning.download_zoning"
PREVIEW_PER_PAGE = 100
# A fabric committed between reading the figures and listing the fabrics.
EMPTY_FIGURES = {
    "initiators": 0,
    "targets": 0,
    "zones": 0,
    "hosts": 0,
    "findings": [],
    "added": 0,
    "removed": 0,
}


@dataclass(frozen=True)
class FabricFigures:
    """What the Zoning page shows of a fabric: its settings, and the figures of its plan as
    kept at the current estate version (`planning.cache.zoning_summary`)."""

    fabric: Fabric
    settings: FabricZoning
    figures: dict

    @property
    def zone_type(self) -> str:
        return ZONE_TYPES[self.fabric.zoning_style]


def zoning_index(request: HttpRequest) -> HttpResponse:
    require(request, "inventory.view_fabric")
    summary = zoning_summary()
    chosen = {z.fabric_id: z for z in FabricZoning.objects.all()}
    newest = ZoningExport.objects.filter(fabric=OuterRef("pk")).order_by("-created", "-id")
    listed = list(
        Fabric.objects.order_by("name").annotate(last_export=Subquery(newest.values("id")[:1]))
    )
    exports = ZoningExport.objects.select_related("requested_by").in_bulk(
        [fabric.last_export for fabric in listed if fabric.last_export]
    )
    fabrics = [
        (
            FabricFigures(
                fabric,
                chosen.get(fabric.pk) or FabricZoning(fabric=fabric),
                summary.data["fabrics"].get(str(fabric.pk), EMPTY_FIGURES),
            ),
            exports.get(fabric.last_export),
        )
        for fabric in listed
    ]
    return render(
        request,
        "planning/zoning.html",
        {
            "findings": summary.data["findings"],
            "fabrics": fabrics,
            "checked": summary,
            "can_download": request.user.has_perm(DOWNLOAD_PERMISSION),
        },
    )


def zoning_preview(request: HttpRequest, fabric_id: int) -> HttpResponse:
    """A fabric's aliases and zones as the next export would write them, and what changed since
    its last export, on screen before any download; a page of rows at a time."""
    require(request, "inventory.view_fabric")
    fabric = get_object_or_404(Fabric, pk=fabric_id)
    plan = zoning_plan(fabric=fabric).of(fabric)
    diff = zoning_diff_since_last(plan=plan)
    actions = diff.actions if diff else {}
    aliases = Paginator(
        [(i, actions.get(i.wwpn, "ADD")) for i in plan.initiators], PREVIEW_PER_PAGE
    ).get_page(request.GET.get("page"))
    zones = Paginator(plan.zones, PREVIEW_PER_PAGE).get_page(request.GET.get("zones_page"))
    context = {
        "fabric": fabric,
        "plan": plan,
        "aliases": aliases,
        "zones": zones,
        "diff": diff,
        "last": zoning_last_export(fabric=fabric),
        "added_zones": {z.name for z in diff.added.zones} if diff else set(),
        "can_download": request.user.has_perm(DOWNLOAD_PERMISSION),
    }
    return render(request, "planning/zoning_preview.html", context)


def zoning_download(request: HttpRequest, fabric_id: int | None = None) -> HttpResponse:
    require(request, DOWNLOAD_PERMISSION)
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


class FabricZoningForm(forms.ModelForm):
    class Meta:
        model = FabricZoning
        fields = ["initiator_alias", "target_alias", "zone_name", "enhanced_zone_mode"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self.fields)


def zoning_settings(request: HttpRequest, fabric_id: int) -> HttpResponse:
    """The fabric's naming templates and switch settings, for its SAN admin."""
    require(request, "planning.change_fabriczoning")
    fabric = get_object_or_404(Fabric, pk=fabric_id)
    instance = FabricZoning.objects.filter(fabric=fabric).first() or FabricZoning(fabric=fabric)
    form = FabricZoningForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        object_save(instance=form.save(commit=False))
        messages.success(request, f"Saved the zoning settings of {fabric}.")
        return redirect("planning:zoning-index")
    return render(request, "planning/zoning_settings.html", {"fabric": fabric, "form": form})
