"""Migration pages, and the HMC pages' verbs: the Migrate wizard, a migration's page with its
live progress and Start/Stop/Recover, the Migrations list with the running jobs' bars, batches,
running an evacuation plan as a batch;
sync now, a sync's progress and drift report with accept/keep per row, the "trust this host
key" step, setting up SSH trust to another HMC, and creating a stub twin on its HMC."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from inventory.forms import bootstrap
from inventory.models import Hmc, Lpar
from lpmplanner.exceptions import Conflict
from lpmplanner.models import SecurityEvent
from lpmplanner.permissions import require
from lpmplanner.security import security_event, step_up_required
from lpmplanner.security.stepup import second_factor_fresh, step_up_refuse
from migrations_app import services, wizard
from migrations_app.api.permissions import CONTROL, MIGRATE
from migrations_app.api.views import (
    CREATE_ON_HMC,
    RESOLVE,
    SYNC,
    TRUST_KEY,
    ssh_trust_event,
)
from migrations_app.filtersets import MigrationJobFilterSet
from migrations_app.forms import (
    DestinationForm,
    LparForm,
    MigrationForm,
    RecoverForm,
    SshTrustForm,
)
from migrations_app.hmc.errors import HmcConnectionError
from migrations_app.lpm import services as lpm
from migrations_app.lpm.options import migration_command
from migrations_app.models import (
    ACTIVE_STATES,
    DriftItem,
    HmcSync,
    LparCreateJob,
    MigrationBatch,
    MigrationJob,
    MigrationState,
)
from migrations_app.selectors import batch_timeline, batch_totals, evacuation_plan_rows
from migrations_app.tables import MigrationJobTable
from migrations_app.windows.forms import ScheduleForm
from planning.evacuation import unplaced_summary
from planning.models import EvacuationPlan
from planning.timeline import timeline_svg

JOB_RELATED = (
    "lpar",
    "source_frame",
    "destination_frame",
    "hmc",
    "source_msp",
    "dest_msp",
    "requested_by",
    "batch",
    "window",
)


@require_POST
def hmc_sync(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, SYNC)
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
    require(request, RESOLVE)
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
    require(request, TRUST_KEY)
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


@sensitive_post_parameters("password")
@sensitive_variables("password")
def hmc_ssh_trust(request: HttpRequest, pk: int) -> HttpResponse:
    """Set up trust: GET asks for the other HMC and its user's password; POST (Operators and
    administrators, with a fresh second factor) runs `mkauthkeys -g` on this HMC. The password
    is used once: never stored, logged, recorded in the security log or shown back."""
    require(request, MIGRATE)
    hmc = get_object_or_404(Hmc, pk=pk)
    form = SshTrustForm(request.POST or None, hmc=hmc)
    if request.method == "POST":
        if not second_factor_fresh(request):
            return step_up_refuse(request, "hmc_ssh_trust")
        if form.is_valid():
            remote = form.cleaned_data["remote_hmc"]
            try:
                done = services.hmc_ssh_trust_setup(
                    hmc=hmc, remote=remote, password=form.cleaned_data["password"]
                )
            except ValidationError as error:
                form.add_error(None, error)
                outcome = "refused"
            except HmcConnectionError as error:
                form.add_error(None, str(error))
                outcome = "unreachable"
            else:
                ssh_trust_event(request, hmc=hmc, remote=remote, channel="page", outcome="set up")
                messages.success(request, done)
                return redirect(hmc.get_absolute_url())
            ssh_trust_event(request, hmc=hmc, remote=remote, channel="page", outcome=outcome)
    return render(request, "migrations_app/ssh_trust.html", {"hmc": hmc, "form": form})


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


# Migrations -----------------------------------------------------------------------------------


def partition_action(perm: str):
    """Every page action that moves, stops or recovers a partition goes through here, and only
    here: a POST, by a user holding `perm` (Operators and administrators), with a fresh second
    factor (step-up), written to the security log with its answer."""

    def decorate(view):
        @wraps(view)
        @require_POST
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            require(request, perm)
            if not second_factor_fresh(request):
                return step_up_refuse(request, view.__name__)
            response = view(request, *args, **kwargs)
            security_event(
                kind=SecurityEvent.Kind.MIGRATION,
                request=request,
                channel="page",
                action=view.__name__,
                object=kwargs.get("pk"),
                status=response.status_code,
            )
            return response

        return guarded

    return decorate


def index(request: HttpRequest) -> HttpResponse:
    """Every migration, filtered and paginated, with the running ones' bars above."""
    jobs = MigrationJob.objects.select_related(*JOB_RELATED)
    filterset = MigrationJobFilterSet(request.GET or None, queryset=jobs)
    bootstrap(filterset.form.fields)
    table = MigrationJobTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    context = {
        "filter": filterset,
        "table": table,
        "running": _running(),
        "can_migrate": request.user.has_perm(MIGRATE),
    }
    return render(request, "migrations_app/migration_list.html", context)


def _running():
    return MigrationJob.objects.filter(state__in=ACTIVE_STATES).select_related(*JOB_RELATED)


def migration_running(request: HttpRequest) -> HttpResponse:
    """The list's live panel: the migrations in progress with their bars (htmx polls it)."""
    return render(request, "migrations_app/_migrations_running.html", {"running": _running()})


def _wizard_context(source) -> dict:
    """The wizard as far as `source` (GET or POST) takes it: the LPAR, the destinations with
    their verdicts, then the options form over the proposal and the summary."""
    lpar_form = LparForm(source if "lpar" in source or "q" in source else None)
    context = {"lpar_form": lpar_form, "step": 0}
    if not lpar_form.is_valid():
        return context
    lpar = lpar_form.cleaned_data["lpar"]
    destination_form = DestinationForm(source if "destination_frame" in source else None, lpar=lpar)
    context.update(
        lpar=lpar, step=1, destination_form=destination_form, active=wizard.active_job(lpar=lpar)
    )
    if not destination_form.is_valid():
        context["destinations"] = wizard.destinations(lpar=lpar)
        return context
    destination = destination_form.cleaned_data["destination_frame"]
    chosen = wizard.destination_of(lpar=lpar, frame=destination)
    proposal = lpm.migration_defaults(lpar=lpar, destination=destination)
    form = MigrationForm(
        source if "wait_minutes" in source else None,
        lpar=lpar,
        destination=destination,
        proposal=proposal,
    )
    context.update(
        step=2,
        destination=destination,
        chosen=chosen,
        form=form,
        vlan_bridges=proposal.vlan_bridges,
    )
    context.update(_summary(lpar=lpar, destination=destination, form=form))
    return context


def _summary(*, lpar: Lpar, destination, form: MigrationForm) -> dict:
    """Step 7: the exact migrlpar line for the options as they stand (or why there is none)."""
    options = form.options() if form.is_bound and form.is_valid() else None
    try:
        command = lpm.migration_command_preview(lpar=lpar, destination=destination, options=options)
    except ValidationError as error:
        return {"command": "", "command_error": " ".join(error.messages)}
    return {"command": command, "command_error": ""}


def migration_new(request: HttpRequest) -> HttpResponse:
    """The Migrate wizard: LPAR, destination frame with each frame's pre-flight verdict, the
    options proposed by `migration_defaults`, the summary; Validate and Migrate post it."""
    require(request, MIGRATE)
    context = _wizard_context(request.GET)
    return render(request, "migrations_app/migration_new.html", context)


def migration_summary(request: HttpRequest) -> HttpResponse:
    """The wizard's summary redrawn as the options change (htmx)."""
    require(request, MIGRATE)
    context = _wizard_context(request.GET)
    if context["step"] < 2:
        return HttpResponse(status=204)
    return render(request, "migrations_app/_migration_summary.html", context)


@partition_action(MIGRATE)
def migration_submit(request: HttpRequest) -> HttpResponse:
    """Validate (HMC validation only) or Migrate: `migration_create` judges everything; its
    refusals are shown at the fields, a migration already holding the LPAR is named and linked."""
    context = _wizard_context(request.POST)
    form = context.get("form")
    if form is None or not form.is_valid():
        return render(request, "migrations_app/migration_new.html", context)
    lpar, destination = context["lpar"], context["destination"]
    validate_only = request.POST.get("action") == "validate"
    waiting: dict[int, str] = {}
    try:
        job = lpm.migration_create(
            lpar=lpar,
            destination=destination,
            options=form.options(),
            requested_by=request.user,
            validate_only=validate_only,
            confirm_warnings=form.cleaned_data["confirm_warnings"],
            schedule=form.schedule(),
            on_dispatched=waiting.update,
        )
    except ValidationError as error:
        context["refusal"] = wizard.Refusal.place(form, error)
    except Conflict as error:
        context.update(conflict=str(error), active=wizard.active_job(lpar=lpar))
    else:
        notice = waiting.get(job.pk, "")
        if notice:
            messages.warning(request, f"Migration #{job.pk} is saved as pending. {notice}")
        elif job.state == MigrationState.SCHEDULED:
            messages.success(
                request,
                f"Migration #{job.pk} of {lpar.name} to {destination} scheduled: "
                f"{job.step[len('Scheduled: ') :]}.",
            )
        else:
            what = "Validation" if validate_only else "Migration"
            messages.success(request, f"{what} #{job.pk} of {lpar.name} to {destination} asked.")
        return redirect("migrations_app:migration-detail", pk=job.pk)
    return render(request, "migrations_app/migration_new.html", context)


def _job_context(request: HttpRequest, job: MigrationJob) -> dict:
    return {
        "job": job,
        "events": job.events.all(),
        "actions": wizard.job_actions(job),
        "can_control": request.user.has_perm(CONTROL),
        "recover_form": RecoverForm(),
        "stale_seconds": int(settings.LPM_MIGRATION_STALE_SECONDS),
    }


def migration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(MigrationJob.objects.select_related(*JOB_RELATED), pk=pk)
    context = _job_context(request, job)
    try:
        context["command"] = migration_command(job, "m").text
    except ValidationError:
        context["command"] = ""
    return render(request, "migrations_app/migration_detail.html", context)


def migration_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The job page's live part (bar, step, log, buttons): htmx polls it while the job is
    active; rendered for a finished job it carries no trigger, so the polling stops."""
    job = get_object_or_404(MigrationJob.objects.select_related(*JOB_RELATED), pk=pk)
    return render(request, "migrations_app/_migration_live.html", _job_context(request, job))


def _job_verb(request: HttpRequest, pk: int, verb, **arguments) -> HttpResponse:
    job = get_object_or_404(MigrationJob, pk=pk)
    try:
        job = verb(job=job, user=request.user, **arguments)
    except (ValidationError, Conflict) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        state = job.get_state_display().lower()
        messages.success(request, f"Migration #{job.pk} of {job.lpar_name} is now {state}.")
    return redirect("migrations_app:migration-detail", pk=pk)


@partition_action(CONTROL)
def migration_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _job_verb(request, pk, lpm.migration_start)


@partition_action(CONTROL)
def migration_stop(request: HttpRequest, pk: int) -> HttpResponse:
    return _job_verb(request, pk, lpm.migration_stop)


@partition_action(CONTROL)
def migration_recover(request: HttpRequest, pk: int) -> HttpResponse:
    form = RecoverForm(request.POST)
    force = form.is_valid() and form.cleaned_data["force"]
    return _job_verb(request, pk, lpm.migration_recover, force=force)


def batch_list(request: HttpRequest) -> HttpResponse:
    batches = MigrationBatch.objects.select_related("requested_by").order_by("-created")
    return render(request, "migrations_app/migration_batch_list.html", {"batches": batches})


def _batch_context(batch: MigrationBatch) -> dict:
    jobs = list(batch.jobs.select_related(*JOB_RELATED).order_by("created", "pk"))
    return {
        "batch": batch,
        "jobs": jobs,
        "whole": batch_totals(jobs),
        "admitting": batch.admitting,  # a worker admits it (or refused it), else None
    }


def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(
        MigrationBatch.objects.select_related(
            "requested_by", "evacuation_plan__frame", "admission"
        ),
        pk=pk,
    )
    context = _batch_context(batch)
    timeline = batch_timeline(
        batch=batch,
        jobs=list(batch.jobs.select_related(*JOB_RELATED, "source_msp__frame", "dest_msp__frame")),
    )
    # made of escaped text in planning.timeline
    context["timeline_svg"] = mark_safe(timeline_svg(timeline))  # noqa: S308
    return render(request, "migrations_app/migration_batch.html", context)


def batch_live(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(MigrationBatch.objects.select_related("admission"), pk=pk)
    return render(request, "migrations_app/_migration_batch_live.html", _batch_context(batch))


# Running an evacuation plan -----------------------------------------------------------------


def _plan_run_context(plan: EvacuationPlan) -> dict:
    placed, unplaced = evacuation_plan_rows(plan=plan)
    unplaced = [(p, unplaced_summary(p.reasons)) for p in unplaced]
    return {
        "plan": plan,
        "placed": placed,
        "unplaced": unplaced,
        "warnings": any(p.findings for p in placed),
        "schedule_form": ScheduleForm(),
    }


def _plan(pk: int) -> EvacuationPlan:
    return get_object_or_404(EvacuationPlan.objects.select_related("frame"), pk=pk)


def evacuation_plan_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Migrate this plan, the confirmation: the migrations it will ask for, in that order, and
    the LPARs it leaves out; confirming posts to `evacuation_plan_run`."""
    require(request, MIGRATE)
    plan = _plan(pk)
    return render(request, "migrations_app/evacuation_plan_run.html", _plan_run_context(plan))


@partition_action(MIGRATE)
def evacuation_plan_run(request: HttpRequest, pk: int) -> HttpResponse:
    """One batch of the plan's migrations, all or nothing; every refusal (by LPAR, with its
    rule) is shown on the confirmation page and nothing is created."""
    plan = _plan(pk)
    when = ScheduleForm(request.POST)
    if not when.is_valid():
        context = _plan_run_context(plan) | {"schedule_form": when}
        return render(request, "migrations_app/evacuation_plan_run.html", context)
    try:
        batch = lpm.evacuation_plan_run(
            plan=plan,
            requested_by=request.user,
            confirm_warnings=request.POST.get("confirm_warnings") == "on",
            schedule=when.schedule(),
        )
    except ValidationError as error:
        context = _plan_run_context(plan) | {"refusals": error.messages, "schedule_form": when}
        return render(request, "migrations_app/evacuation_plan_run.html", context)
    admitting = batch.admitting
    if admitting is not None:  # a large plan: a worker admits it (BATCH_ADMIT_INLINE_MAX)
        messages.info(
            request,
            f"{batch}: {admitting.item_count} migrations are being admitted by a worker; this "
            "page shows how far it is, then runs them wave by wave.",
        )
        return redirect("migrations_app:batch-detail", pk=batch.pk)
    count = batch.jobs.count()
    verb = "scheduled" if when.schedule() else "asked"
    messages.success(
        request, f"{batch}: {count} migration{'s' if count != 1 else ''} {verb}, wave by wave."
    )
    return redirect("migrations_app:batch-detail", pk=batch.pk)
