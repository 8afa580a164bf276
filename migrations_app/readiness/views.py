"""The readiness pages: the summary of a run (shares ready per frame and HMC, the LPARs not
ready and why, what changed, the trend), its xlsx, a run's own page with its log and Stop,
and Run now."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from inventory.models import Frame, Hmc
from lpmplanner.permissions import require
from migrations_app.readiness import selectors, services
from migrations_app.readiness.export import readiness_workbook
from migrations_app.readiness.models import ReadinessRun
from migrations_app.readiness.svg import trend_svg

RUN = "migrations_app.add_readinessrun"
STOP = "migrations_app.change_readinessrun"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: HttpRequest) -> dict:
    def number(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    return {"frame": number("frame"), "hmc": number("hmc"), "code": request.GET.get("code", "")}


def _run(request: HttpRequest) -> ReadinessRun | None:
    pk = request.GET.get("run", "")
    if pk.isdigit():
        return get_object_or_404(ReadinessRun, pk=int(pk))
    return selectors.latest_run()


def readiness(request: HttpRequest) -> HttpResponse:
    run, filters = _run(request), _filters(request)
    context = {
        "run": run,
        "filters": filters,
        "summary": selectors.readiness_summary(run, **filters) if run else None,
        "trend": trend_svg(selectors.trend()),
        "frames": Frame.objects.order_by("name").values_list("pk", "name"),
        "hmcs": Hmc.objects.order_by("name").values_list("pk", "name"),
        "active": ReadinessRun.objects.filter(state__in=ReadinessRun.ACTIVE_STATES).first(),
        "can_run": request.user.has_perm(RUN),
        "query": request.GET.urlencode(),
    }
    return render(request, "migrations_app/readiness.html", context)


def readiness_export(request: HttpRequest) -> HttpResponse:
    run = _run(request)
    if run is None:
        messages.info(request, "No readiness run has finished yet: nothing to export.")
        return redirect("migrations_app:readiness")
    results = selectors.results_filtered(run, **_filters(request))
    response = HttpResponse(readiness_workbook(run=run, results=results), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="readiness-run-{run.pk}.xlsx"'
    return response


@require_POST
def readiness_run_new(request: HttpRequest) -> HttpResponse:
    require(request, RUN)
    scope = request.POST.get("scope", ReadinessRun.Scope.ESTATE)
    frame_pk, hmc_pk = request.POST.get("frame", ""), request.POST.get("hmc", "")
    frame = Frame.objects.filter(pk=int(frame_pk)).first() if frame_pk.isdigit() else None
    hmc = Hmc.objects.filter(pk=int(hmc_pk)).first() if hmc_pk.isdigit() else None
    try:
        run = services.readiness_run_request(
            scope=scope, frame=frame, hmc=hmc, requested_by=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("migrations_app:readiness")
    return redirect(run.get_absolute_url())


def readiness_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(
        ReadinessRun.objects.select_related("scope_frame", "scope_hmc", "requested_by"), pk=pk
    )
    context = {
        "run": run,
        "events": run.events.all()[:500],
        "can_stop": request.user.has_perm(STOP) and run.state in ("queued", "running"),
    }
    return render(request, "migrations_app/readiness_run.html", context)


@require_POST
def readiness_run_stop(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, STOP)
    run = get_object_or_404(ReadinessRun, pk=pk)
    try:
        services.readiness_run_stop(run=run, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(run.get_absolute_url())
