"""Migration pages, and the HMC pages' verbs: sync now, a sync's progress and drift report with
accept/keep per row, the "trust this host key" step, and creating a stub twin on its HMC."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from inventory.models import Hmc, Lpar
from lpmplanner.sections import section_page
from lpmplanner.security import step_up_required
from lpmplanner.security.stepup import second_factor_fresh, step_up_refuse
from migrations_app import services
from migrations_app.api.views import CREATE_ON_HMC, RESOLVE, SYNC, TRUST_KEY
from migrations_app.hmc.errors import HmcConnectionError
from migrations_app.models import DriftItem, HmcSync, LparCreateJob


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def index(request: HttpRequest) -> HttpResponse:
    return section_page(
        request,
        title="Migrations",
        purpose="Partition migrations run against the HMCs, with their progress and logs.",
        links=[],
    )


@require_POST
def hmc_sync(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, SYNC)
    sync = services.hmc_sync_request(hmc=get_object_or_404(Hmc, pk=pk), user=request.user)
    return redirect("migrations_app:sync-detail", pk=sync.pk)


def sync_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sync = get_object_or_404(HmcSync.objects.select_related("hmc"), pk=pk)
    context = {
        "sync": sync,
        "drift": sync.drift.exclude(kind=DriftItem.Kind.ADDED),
        "added": sync.drift.filter(kind=DriftItem.Kind.ADDED).count(),
        "can_resolve": request.user.has_perm(RESOLVE),
    }
    return render(request, "migrations_app/sync_detail.html", context)


@require_POST
def drift_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, RESOLVE)
    item = get_object_or_404(DriftItem, pk=pk)
    try:
        services.drift_item_resolve(
            item=item, accept=request.POST.get("accept") == "1", user=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("migrations_app:sync-detail", pk=item.sync_id)


def hmc_host_key(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the key the HMC presents with its fingerprint; POST pins it (with a fresh
    second factor: the pinned key decides whom lpmplanner trusts)."""
    _require(request, TRUST_KEY)
    hmc = get_object_or_404(Hmc, pk=pk)
    if request.method == "POST":
        if not second_factor_fresh(request):
            return step_up_refuse(request, "hmc_host_key")
        try:
            services.hmc_host_key_trust(hmc=hmc, known_hosts_line=request.POST.get("line", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"The host key of {hmc} is pinned.")
        return redirect(hmc.get_absolute_url())
    scanned, problem = None, ""
    try:
        scanned = services.hmc_host_key_scan(hmc=hmc)
    except HmcConnectionError as error:
        problem = str(error)
    context = {"hmc": hmc, "scanned": scanned, "problem": problem}
    return render(request, "migrations_app/host_key.html", context)


@require_POST
@step_up_required
def lpar_create_on_hmc(request: HttpRequest, pk: int) -> HttpResponse:
    if not any(request.user.has_perm(perm) for perm in CREATE_ON_HMC):
        raise PermissionDenied
    lpar = get_object_or_404(Lpar.objects.select_related("frame"), pk=pk)
    try:
        job = services.lpar_create_on_hmc_request(lpar=lpar, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("planning:lpar", pk=lpar.pk)
    return redirect("migrations_app:lpar-create-job", pk=job.pk)


def lpar_create_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(LparCreateJob.objects.select_related("lpar__frame"), pk=pk)
    return render(request, "migrations_app/lpar_create_job.html", {"job": job})
