"""Planning pages: the scheme, the estate checks, the stub twins (per LPAR and in bulk) with
their drift and failover runbooks, an LPAR's migratability, the migratability matrix and
evacuation plans."""

from collections import Counter
from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from inventory.choices import VirtualAdapterKind
from inventory.models import Frame, Lpar
from lpmplanner.exceptions import Conflict
from lpmplanner.permissions import require
from planning import (
    cache,
    checks,
    evacuation,
    matrix,
    matrix_exports,
    paths,
    preflight,
    runbook,
    selectors,
    services,
    stubs,
    timeline,
)
from planning.forms import (
    PAGE_SIZES,
    BulkTwinForm,
    DestinationForm,
    EvacuationForm,
    MatrixFilterForm,
    MoveForm,
    SchemeForm,
    SlotAllocateForm,
)
from planning.models import EnumerationScheme, EvacuationPlan, MatrixExport, SlotReservation

MANAGE_TWINS = "planning.manage_stub_twin"
ALLOCATE = "planning.allocate_slot"
PLAN_EVACUATION = "planning.add_evacuationplan"
ADJUST_EVACUATION = "planning.change_evacuationplan"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TWINS_PER_PAGE = 50
VIOLATIONS_PER_PAGE = 100


def signed_in(request: HttpRequest) -> User:
    """The request's user, signed in: every page here is behind the sign-in middleware."""
    return cast(User, request.user)


def _errors(error: ValidationError | Conflict) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]


def index(request: HttpRequest) -> HttpResponse:
    found = cache.estate_check_summary()
    twins = Lpar.objects.filter(stub_of__isnull=False).select_related("frame", "stub_of__frame")
    twins_page = Paginator(twins.order_by("frame__name", "lpar_id"), TWINS_PER_PAGE).get_page(
        request.GET.get("twins_page")
    )
    context = {
        "schemes": EnumerationScheme.objects.prefetch_related("frames__frame"),
        "check_counts": [
            (code, label, found.counts.get(code, 0)) for code, (label, _) in checks.CHECKS.items()
        ],
        "violations": found.total,
        "checked": found.summary,
        "twins": twins_page,
        "bulk_form": BulkTwinForm(),
        "can_edit": request.user.has_perm("planning.change_enumerationscheme"),
        "can_twin": request.user.has_perm(MANAGE_TWINS),
        "frames": Frame.objects.order_by("name").values_list("pk", "name"),
        "plans": EvacuationPlan.objects.select_related("frame", "created_by")[:10],
    }
    return render(request, "planning/index.html", context)


def checks_page(request: HttpRequest) -> HttpResponse:
    found = cache.estate_check_summary()
    labels = {code: label for code, (label, _) in checks.CHECKS.items()}
    wanted = request.GET.get("check", "")
    if wanted and wanted not in labels:
        return HttpResponseBadRequest(f"check must be one of {', '.join(labels)}.")
    violations = found.matching(check=wanted)
    count = found.counts.get(wanted, 0) if wanted else found.total
    paginator = Paginator(violations, VIOLATIONS_PER_PAGE)
    paginator.count = count  # known from the summary: no COUNT over the violations
    page = paginator.get_page(request.GET.get("page"))
    query = urlencode({"check": wanted} if wanted else {})
    context = {
        "violations": page,
        "count": count,
        "labels": labels,
        "wanted": wanted,
        "checked": found.summary,
        "query": query,
    }
    return render(request, "planning/checks.html", context)


def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "planning.change_enumerationscheme")
    scheme = get_object_or_404(EnumerationScheme, pk=pk)
    form = SchemeForm(request.POST or None, instance=scheme)
    if request.method == "POST" and form.is_valid():
        try:
            services.scheme_save(scheme=form.save(commit=False))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved scheme {scheme}.")
            return redirect("planning:index")
    return render(request, "planning/scheme_edit.html", {"form": form, "scheme": scheme})


def lpar_page(request: HttpRequest, pk: int) -> HttpResponse:
    lpar = get_object_or_404(Lpar.objects.select_related("frame", "stub_of__frame"), pk=pk)
    scheme = selectors.scheme_for_frame(frame=lpar.frame)
    proposals = (
        [
            (
                label,
                scheme.range_label(kind),
                selectors.slot_lowest_free(scheme=scheme, kind=kind, lpar=lpar),
            )
            for kind, label in VirtualAdapterKind.choices
        ]
        if scheme
        else []
    )
    unprotected = checks.twin_unprotected(lpar=lpar)
    picture = None if lpar.is_vios else paths.lpar_paths(lpar=lpar)
    context = {
        "lpar": lpar,
        "scheme": scheme,
        "proposals": proposals,
        "twins": [(t, unprotected.get(t.pk)) for t in lpar.stubs.select_related("frame")],
        "drift": checks.twin_drift(twin=lpar),
        "beside": unprotected.get(lpar.pk),
        "form": DestinationForm(exclude=lpar.frame),
        "can_twin": request.user.has_perm(MANAGE_TWINS),
        "can_allocate": request.user.has_perm(ALLOCATE),
        "allocate_form": SlotAllocateForm(lpar=lpar),
        "reserved": SlotReservation.objects.filter(lpar=lpar).order_by("slot"),
        "migratability": preflight.lpar_migratability(lpar=lpar),
        "paths": picture,
        # made of escaped text in planning.paths
        "paths_svg": mark_safe(paths.paths_svg(picture)) if picture else "",  # noqa: S308
    }
    return render(request, "planning/lpar.html", context)


@require_POST
def lpar_allocate_slot(request: HttpRequest, pk: int) -> HttpResponse:
    """The page's "Allocate next free slot": the API's service, under the same lock."""
    require(request, ALLOCATE)
    lpar = get_object_or_404(Lpar.objects.select_related("frame"), pk=pk)
    form = SlotAllocateForm(request.POST, lpar=lpar)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("planning:lpar", pk=pk)
    try:
        allocation = services.slot_allocate(lpar=lpar, user=request.user, **form.cleaned_data)
    except (ValidationError, Conflict) as error:
        for message in _errors(error):
            messages.error(request, message)
        return redirect("planning:lpar", pk=pk)
    kind = VirtualAdapterKind(allocation.kind).label
    text = f"Reserved {kind} slot {allocation.slot} on {lpar.name}"
    if allocation.vios is not None:
        text += f" and slot {allocation.vios_slot} on {allocation.vios.name}"
    messages.success(request, f"{text}.")
    return redirect("planning:lpar", pk=pk)


@require_POST
def lpar_stub_twin(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, MANAGE_TWINS)
    lpar = get_object_or_404(Lpar, pk=pk)
    form = DestinationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the destination frame.")
        return redirect("planning:lpar", pk=pk)
    try:
        twin = stubs.lpar_create_stub_twin(lpar=lpar, **form.cleaned_data)
    except (ValidationError, Conflict) as error:
        for message in _errors(error):
            messages.error(request, message)
        return redirect("planning:lpar", pk=pk)
    messages.success(request, f"Created {twin.name} (LPAR id {twin.lpar_id}) on {twin.frame}.")
    return redirect("planning:lpar", pk=twin.pk)


@require_POST
def lpar_refresh_twin(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, MANAGE_TWINS)
    twin = get_object_or_404(Lpar, pk=pk)
    try:
        stubs.stub_twin_refresh(twin=twin)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{twin.name} is back in line with {twin.stub_of.name}.")
    return redirect("planning:lpar", pk=pk)


def lpar_runbook(request: HttpRequest, pk: int) -> HttpResponse:
    twin = get_object_or_404(Lpar.objects.select_related("frame", "stub_of__frame"), pk=pk)
    try:
        book = runbook.failover_runbook(twin=twin)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("planning:lpar", pk=pk)
    return render(request, "planning/runbook.html", {"twin": twin, "book": book})


@require_POST
def frame_stub_twins(request: HttpRequest) -> HttpResponse:
    require(request, MANAGE_TWINS)
    form = BulkTwinForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose both frames.")
        return redirect("planning:index")
    try:
        report = stubs.frame_create_stub_twins(**form.cleaned_data)
    except (ValidationError, Conflict) as error:
        for message in _errors(error):
            messages.error(request, message)
    else:
        messages.success(request, report.summary())
    return redirect("planning:index")


def matrix_page(request: HttpRequest) -> HttpResponse:
    """LPARs × frames, a page of rows at a time, each cell its verdict and a link to its
    findings (opened beside the matrix with htmx)."""
    form = MatrixFilterForm(request.GET or None)
    chosen = form.matrix()
    per_page = (form.cleaned_data.get("per_page") if form.is_valid() else None) or PAGE_SIZES[0]
    page = Paginator(chosen.lpars().values_list("pk", flat=True), per_page).get_page(
        request.GET.get("page")
    )
    frames = list(chosen.frames().values_list("pk", "name"))
    rows = list(
        matrix.matrix_rows(lpar_pks=list(page.object_list), frame_pks=[pk for pk, _ in frames])
    )
    # Its own frame is no destination of an LPAR: those cells count as no verdict.
    counts = Counter(cell.verdict for row in rows for cell in row.cells if not cell.own_frame)
    cell_url = reverse("planning:matrix-cell")
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
    context = {
        "form": form,
        "page": page,
        "frames": frames,
        "query": query,
        "rows": [(row, row.cells_html(cell_url)) for row in rows],
        "counts": [(v, label, counts[v]) for v, label in preflight.Verdict.choices],
        "exports": matrix_exports.matrix_exports_of(signed_in(request)),
        "keep_hours": settings.MATRIX_EXPORT_KEEP_HOURS,
        "filter_fields": [(k, v) for k, v in request.GET.items() if k != "page"],
    }
    return render(request, "planning/matrix.html", context)


def matrix_cell(request: HttpRequest) -> HttpResponse:
    """One cell's findings: a fragment for htmx, a page of its own otherwise."""
    lpar = get_object_or_404(Lpar.objects.select_related("frame"), pk=_pk(request, "lpar"))
    frame = get_object_or_404(Frame, pk=_pk(request, "frame"))
    findings = preflight.preflight_check(lpar=lpar, destination=frame)
    context = {
        "lpar": lpar,
        "frame": frame,
        "findings": findings,
        "verdict": preflight.Verdict(preflight.verdict_of(findings)),
    }
    if request.headers.get("HX-Request"):
        return render(request, "planning/_matrix_cell.html", context)
    return render(request, "planning/matrix_cell.html", context)


def _pk(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else 0


def matrix_export(request: HttpRequest) -> HttpResponse:
    """The whole filtered matrix (every row, no pages) as xlsx, when it is not too large."""
    form = MatrixFilterForm(request.GET or None)
    refusal = matrix.export_refusal(matrix=form.matrix())
    if refusal:
        messages.error(request, refusal)
        return redirect(f"{reverse('planning:matrix')}?{request.GET.urlencode()}")
    response = HttpResponse(matrix.matrix_workbook(matrix=form.matrix()), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="migratability.xlsx"'
    return response


@require_POST
def matrix_export_prepare(request: HttpRequest) -> HttpResponse:
    """The Matrix page's "Prepare xlsx": a worker writes the whole filtered matrix, any size
    (the page shows its progress and then offers the file)."""
    form = MatrixFilterForm(request.POST or None)
    job = matrix_exports.matrix_export_start(matrix=form.matrix(), user=signed_in(request))
    messages.success(
        request, f"Matrix export {job.pk} is being prepared: this page offers it when it is done."
    )
    query = urlencode([(k, v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"])
    return redirect(f"{reverse('planning:matrix')}?{query}")


def matrix_export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A finished matrix export's file, to the user who asked for it or an administrator."""
    job = get_object_or_404(MatrixExport, pk=pk)
    if not matrix_exports.matrix_export_may_download(job, signed_in(request)):
        raise PermissionDenied("Only the user who prepared this export may download it.")
    path = matrix_exports.matrix_export_path(job) if job.downloadable else None
    if path is None or not path.is_file():
        raise Http404("This export is not ready, failed, or its file was deleted.")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        content_type=XLSX,
        filename=f"migratability-{job.pk}.xlsx",
    )


def evacuation_start(request: HttpRequest) -> HttpResponse:
    """The Planning page's frame picker: on to that frame's evacuation page."""
    frame = get_object_or_404(Frame, pk=_pk(request, "frame"))
    return redirect("planning:frame-evacuation", pk=frame.pk)


def frame_evacuation(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan the evacuation of a frame, and its saved plans."""
    frame = get_object_or_404(Frame, pk=pk)
    form = EvacuationForm(request.POST or None, frame=frame)
    if request.method == "POST":
        require(request, PLAN_EVACUATION)
        if form.is_valid():
            try:
                plan = evacuation.evacuation_plan_create(
                    frame=frame, user=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(plan)
    plans = frame.evacuation_plans.select_related("created_by")
    context = {
        "frame": frame,
        "form": form,
        "plans": plans,
        "can_plan": request.user.has_perm(PLAN_EVACUATION),
    }
    return render(request, "planning/evacuation.html", context)


def evacuation_plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(
        EvacuationPlan.objects.select_related("frame", "created_by").prefetch_related(
            "destinations"
        ),
        pk=pk,
    )
    waves = evacuation.plan_waves(plan)
    unplaced = [(p, evacuation.unplaced_summary(p.reasons)) for p in waves.pop(None, [])]
    frames = Frame.objects.exclude(pk=plan.frame_id).order_by("name")
    # made of escaped text in planning.timeline
    picture = mark_safe(timeline.timeline_svg(timeline.plan_timeline(plan=plan)))  # noqa: S308
    context = {
        "plan": plan,
        "waves": sorted(waves.items()),
        "unplaced": unplaced,
        "frames": frames,
        "timeline_svg": picture,
        "placed": sum(len(p) for p in waves.values()),
        "can_adjust": request.user.has_perm(ADJUST_EVACUATION),
    }
    return render(request, "planning/evacuation_plan.html", context)


@require_POST
def evacuation_plan_move(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, ADJUST_EVACUATION)
    plan = get_object_or_404(EvacuationPlan, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the LPAR and the frame to move it to.")
        return redirect(plan)
    lpar, destination = form.cleaned_data["lpar"], form.cleaned_data["destination_frame"]
    try:
        placement = evacuation.evacuation_plan_move(
            plan=plan, lpar=lpar, destination=destination, user=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"{lpar.name} cannot go to {destination.name}: {message}")
    else:
        messages.success(
            request, f"{lpar.name} now goes to {destination.name} in wave {placement.wave}."
        )
    return redirect(plan)
