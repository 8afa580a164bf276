"""One entry point for every zoning download, shared by the page and the API: it builds the
file and records the export, so the next one can be compared with it."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from inventory.models import Fabric
from lpmplanner.memory import gc_paused
from planning.zoning.diff import ZoningDiff, snapshot_of, zoning_diff
from planning.zoning.plan import FabricPlan, zoning_plan
from planning.zoning.records import ZoningExport
from planning.zoning.scripts import ScriptRefused, brocade_script, cisco_script, storage_script
from planning.zoning.streaming import AllFabrics, all_fabrics_csv, all_fabrics_workbook
from planning.zoning.workbook import zoning_csv, zoning_workbook

FORMATS = ("xlsx", "csv", "brocade", "cisco", "storage")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str


class ExportRefused(Exception):
    """The export cannot be made; the message says why and what to do."""


def zoning_last_export(*, fabric: Fabric) -> ZoningExport | None:
    return ZoningExport.objects.filter(fabric=fabric).order_by("-created", "-id").first()


def zoning_diff_since_last(*, plan: FabricPlan) -> ZoningDiff | None:
    """The change since the last export of the plan's fabric; None if it was never exported."""
    last = zoning_last_export(fabric=plan.fabric)
    return zoning_diff(plan, last.snapshot) if last else None


def _script(plan: FabricPlan, format: str, remove: bool, incremental: bool) -> str:
    if format == "brocade":
        return brocade_script(plan, remove=remove, incremental=incremental)
    if format == "cisco":
        return cisco_script(plan, remove=remove, enhanced=plan.settings.enhanced_zone_mode)
    return storage_script(plan, remove=remove)


@gc_paused()
@transaction.atomic
def zoning_export(
    *,
    fabric: Fabric | None,
    format: str,
    remove: bool = False,
    since_last: bool = False,
    user: AbstractBaseUser | None = None,
) -> Download:
    """The zoning of `fabric` (or of every fabric when None) in `format`. `remove` gives the
    script that undoes it; `since_last` only what changed since the fabric's last export (for a
    script: the new zoning, or with `remove` the zoning of what is gone)."""
    if format not in FORMATS:
        raise ExportRefused(f"format must be one of {', '.join(FORMATS)}, not “{format}”.")
    if since_last and fabric is None:
        raise ExportRefused("A difference is per fabric: choose a fabric.")
    username = user.get_username() if user else ""
    if fabric is None and format in ("xlsx", "csv"):
        return _all_fabrics(format, username, user)
    plan = zoning_plan(fabric=fabric)
    plans = plan.fabrics
    diff = zoning_diff_since_last(plan=plans[0]) if since_last else None
    if since_last and diff is None:
        raise ExportRefused(
            f"Fabric {fabric.name} was never exported: download the full zoning first."
        )
    stem = f"zoning-{fabric.name if fabric else 'all-fabrics'}" + ("-diff" if diff else "")
    if format == "xlsx":
        actions = diff.actions if diff else None
        content = zoning_workbook(
            plan, plans, user=username, actions=actions, removed=diff.removed if diff else None
        )
        download = Download(content, XLSX, f"{stem}.xlsx")
    elif format == "csv":
        text = zoning_csv(plans, actions=diff.actions if diff else None)
        download = Download(text.encode(), "text/csv; charset=utf-8", f"{stem}.csv")
    else:
        download = _script_download(fabric, plans, format, remove, diff, stem)
    for fabric_plan in plans:
        ZoningExport.objects.create(
            fabric=fabric_plan.fabric,
            format=format,
            incremental=since_last,
            requested_by=user,
            snapshot=snapshot_of(fabric_plan),
        )
    return download


def _all_fabrics(format: str, username: str, user: AbstractBaseUser | None) -> Download:
    """Every fabric's workbook or CSV, written a chunk of frames at a time
    (`planning/zoning/streaming.py`: the whole plan is never in memory)."""
    with AllFabrics() as zoning:
        if format == "xlsx":
            download = Download(
                all_fabrics_workbook(zoning, user=username), XLSX, "zoning-all-fabrics.xlsx"
            )
        else:
            download = Download(
                all_fabrics_csv(zoning).encode(),
                "text/csv; charset=utf-8",
                "zoning-all-fabrics.csv",
            )
        zoning.record(format=format, user=user)
    return download


def _script_download(
    fabric: Fabric | None,
    plans: list[FabricPlan],
    format: str,
    remove: bool,
    diff: ZoningDiff | None,
    stem: str,
) -> Download:
    if fabric is None:
        raise ExportRefused("Scripts are made per fabric: choose a fabric.")
    if format in ("brocade", "cisco") and format != fabric.vendor:
        raise ExportRefused(
            f"Fabric {fabric.name} is a {fabric.get_vendor_display()} fabric: download its "
            f"{fabric.vendor} script."
        )
    plan = plans[0]
    if diff is not None:
        plan = diff.removed if remove else diff.added
    try:
        text = _script(plan, format, remove, incremental=diff is not None)
    except ScriptRefused as error:
        raise ExportRefused(str(error)) from None
    suffix = "-remove" if remove else ""
    return Download(text.encode(), "text/plain; charset=utf-8", f"{stem}-{format}{suffix}.txt")
