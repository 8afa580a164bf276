"""Planning pages: the scheme, the estate checks, the stub twins (per LPAR and in bulk) with
their drift and failover runbooks, and the Zoning placeholder."""

from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from inventory.choices import VirtualAdapterKind
from inventory.models import Lpar
from lpmplanner.exceptions import Conflict
from planning import checks, runbook, selectors, services, stubs
from planning.forms import BulkTwinForm, DestinationForm, SchemeForm
from planning.models import EnumerationScheme

MANAGE_TWINS = "planning.manage_stub_twin"


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _errors(error: ValidationError | Conflict) -> list[str]:
    return error.messages if isinstance(error, ValidationError) else [str(error)]


def index(request: HttpRequest) -> HttpResponse:
    found = checks.estate_check()
    counts = Counter(v.check for v in found)
    twins = Lpar.objects.filter(stub_of__isnull=False).select_related("frame", "stub_of__frame")
    context = {
        "schemes": EnumerationScheme.objects.prefetch_related("frames__frame"),
        "check_counts": [(code, label, counts[code]) for code, (label, _) in checks.CHECKS.items()],
        "violations": len(found),
        "twins": twins.order_by("frame__name", "lpar_id"),
        "bulk_form": BulkTwinForm(),
        "can_edit": request.user.has_perm("planning.change_enumerationscheme"),
        "can_twin": request.user.has_perm(MANAGE_TWINS),
    }
    return render(request, "planning/index.html", context)


def checks_page(request: HttpRequest) -> HttpResponse:
    found = checks.estate_check()
    wanted = request.GET.get("check")
    if wanted:
        found = [v for v in found if v.check == wanted]
    labels = {code: label for code, (label, _) in checks.CHECKS.items()}
    context = {"violations": found, "labels": labels, "wanted": wanted}
    return render(request, "planning/checks.html", context)


def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "planning.change_enumerationscheme")
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
    proposals = [
        (label, scheme.range_label(kind), selectors.slot_lowest_free(scheme=scheme, kind=kind,
                                                                     lpar=lpar))
        for kind, label in VirtualAdapterKind.choices
    ] if scheme else []  # fmt: skip
    context = {
        "lpar": lpar,
        "scheme": scheme,
        "proposals": proposals,
        "twins": lpar.stubs.select_related("frame"),
        "drift": checks.twin_drift(twin=lpar),
        "form": DestinationForm(exclude=lpar.frame),
        "can_twin": request.user.has_perm(MANAGE_TWINS),
    }
    return render(request, "planning/lpar.html", context)


@require_POST
def lpar_stub_twin(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, MANAGE_TWINS)
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
    _require(request, MANAGE_TWINS)
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
    _require(request, MANAGE_TWINS)
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
