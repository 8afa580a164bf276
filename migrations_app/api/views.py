"""HMC syncs and drift over REST: `POST /api/hmcs/{id}/sync/`, the host-key verbs, SSH trust to
another HMC (`POST /api/hmcs/{id}/ssh-trust/`), the sync
history with its drift reports, accept/keep per drift item, creating a planned stub twin on
its HMC (`POST /api/lpars/{id}/create-on-hmc/`), and migrations (`/api/migrations/`, their
start/stop/recover verbs, the wizard's proposal) and their batches (`/api/migration-batches/`)."""

from django.db.models import Prefetch
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import Hmc, Lpar
from lpmplanner.models import SecurityEvent
from lpmplanner.security import StepUpPermission, security_event
from migrations_app import services
from migrations_app.api import serializers
from migrations_app.api.permissions import (
    BATCH_ACTIONS,
    BATCH_STEP_UP,
    MIGRATE,
    MIGRATION_ACTIONS,
    MIGRATION_PERMISSION_CLASSES,
    MIGRATION_STEP_UP,
    ActionPermission,
)
from migrations_app.filtersets import MigrationJobFilterSet
from migrations_app.hmc.errors import HmcConnectionError
from migrations_app.hmc.ssh import fingerprint_of
from migrations_app.lpm import services as lpm
from migrations_app.lpm.options import migrlpar_flags_supported
from migrations_app.models import DriftItem, HmcSync, LparCreateJob, MigrationBatch, MigrationJob
from planning.preflight import verdict_of

SYNC = "migrations_app.add_hmcsync"
TRUST_KEY = "inventory.change_hmc"
RESOLVE = "inventory.change_frame"
# A Planner's: whoever may plan stub twins or edit LPARs may have the HMC create one.
CREATE_ON_HMC = ("planning.manage_stub_twin", "inventory.change_lpar")


class HmcSyncViewSet(viewsets.ReadOnlyModelViewSet):
    """Discovery runs, newest first; `?hmc=<id>` for one HMC's."""

    queryset = HmcSync.objects.select_related("hmc")
    serializer_class = serializers.HmcSyncSerializer
    filterset_fields = ["hmc", "state"]


class DriftItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The drift reports' rows; `?sync=<id>&resolution=pending` for what needs a decision."""

    queryset = DriftItem.objects.all()
    serializer_class = serializers.DriftItemSerializer
    filterset_fields = ["sync", "kind", "resolution"]
    permission_classes = [ActionPermission]
    action_permissions = {"resolve": RESOLVE}

    @extend_schema(
        request=serializers.DriftResolveSerializer, responses=serializers.DriftItemSerializer
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk=None) -> Response:
        given = serializers.DriftResolveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        item = services.drift_item_resolve(
            item=self.get_object(), accept=given.validated_data["accept"], user=request.user
        )
        return Response(serializers.DriftItemSerializer(item).data)


def ssh_trust_event(request, *, hmc: Hmc, remote: Hmc, channel: str, outcome: str) -> None:
    """Setting up SSH trust between HMCs, in the security log: who, which HMCs, which remote
    user, the outcome. Never the password."""
    security_event(
        kind=SecurityEvent.Kind.HMC_TRUST,
        request=request,
        channel=channel,
        hmc=hmc.name,
        remote_hmc=remote.name,
        remote_user=remote.username,
        outcome=outcome,
    )


class HmcVerbViewSet(viewsets.GenericViewSet):
    """Verbs on one HMC: sync now, read or trust its SSH host key, set up its SSH trust to
    another HMC."""

    queryset = Hmc.objects.all()
    permission_classes = [ActionPermission, StepUpPermission]
    action_permissions = {"sync": SYNC, "host_key": TRUST_KEY, "ssh_trust": MIGRATE}
    # pinning a key decides whom we trust; SSH trust lets one HMC act on another
    step_up_actions = {"host_key:POST", "ssh_trust"}
    extra_error_codes = {"host_key:GET": ("502",), "ssh_trust": ("502",)}  # the HMC, in-request
    serializer_class = serializers.HostKeySerializer

    @extend_schema(request=None, responses={202: serializers.HmcSyncSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk=None) -> Response:
        sync = services.hmc_sync_request(hmc=self.get_object(), user=request.user)
        data = serializers.HmcSyncSerializer(sync).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=serializers.HostKeySerializer,
        description="The key the HMC presents now and its SHA256 fingerprint, to compare.",
    )
    @extend_schema(
        methods=["POST"],
        request=serializers.HostKeySerializer,
        responses=serializers.HostKeySerializer,
        description="Pin the key (trust it).",
    )
    @action(detail=True, methods=["get", "post"], url_path="host-key")
    def host_key(self, request: Request, pk=None) -> Response:
        hmc = self.get_object()  # DRF's lookup: a malformed id is a 404, not a 500
        if request.method == "GET":
            try:
                scanned = services.hmc_host_key_scan(hmc=hmc)
            except HmcConnectionError as error:
                return Response({"detail": str(error)}, status=status.HTTP_502_BAD_GATEWAY)
            return Response(
                {"known_hosts_line": scanned.known_hosts_line, "fingerprint": scanned.fingerprint}
            )
        given = serializers.HostKeySerializer(data=request.data)
        given.is_valid(raise_exception=True)
        line = given.validated_data["known_hosts_line"]
        hmc = services.hmc_host_key_trust(hmc=hmc, known_hosts_line=line)
        return Response({"known_hosts_line": hmc.host_key, "fingerprint": fingerprint_of(line)})

    @extend_schema(
        request=serializers.SshTrustSerializer,
        responses=serializers.SshTrustResultSerializer,
        description="Let this HMC log in to `remote_hmc` with its SSH key, as migrations between "
        "HMCs need: runs `mkauthkeys --ip <remote host> -u <remote user> -g --passwd <password>` "
        "on this HMC, then `mkauthkeys --test`. The password (of the remote HMC's user) is used "
        "once: never stored, logged or returned. An HMC refusal is a 400 under `remote_hmc`; an "
        "unreachable HMC a 502.",
    )
    @action(detail=True, methods=["post"], url_path="ssh-trust")
    @sensitive_variables("password", "given")
    def ssh_trust(self, request: Request, pk=None) -> Response:
        hmc = self.get_object()
        given = serializers.SshTrustSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        remote, password = given.validated_data["remote_hmc"], given.validated_data["password"]
        outcome = "refused"
        try:
            detail = services.hmc_ssh_trust_setup(hmc=hmc, remote=remote, password=password)
            outcome = "set up"
        except HmcConnectionError as error:
            outcome = "unreachable"
            return Response({"detail": str(error)}, status=status.HTTP_502_BAD_GATEWAY)
        finally:
            ssh_trust_event(request, hmc=hmc, remote=remote, channel="api", outcome=outcome)
        return Response(
            {
                "hmc": hmc.pk,
                "remote_hmc": remote.pk,
                "remote_user": remote.username,
                "detail": detail,
            }
        )


class LparCreateJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Creations of planned partitions on their HMCs, newest first; `?lpar=<id>` for one's."""

    queryset = LparCreateJob.objects.all()
    serializer_class = serializers.LparCreateJobSerializer
    filterset_fields = ["lpar", "state"]


class LparVerbViewSet(viewsets.GenericViewSet):
    """Verbs the execution side adds to an LPAR: create a planned stub twin on its HMC."""

    queryset = Lpar.objects.select_related("frame")
    permission_classes = [ActionPermission, StepUpPermission]
    action_permissions = {"create_on_hmc": CREATE_ON_HMC}
    step_up_actions = {"create_on_hmc"}
    serializer_class = serializers.LparCreateJobSerializer

    @extend_schema(request=None, responses={202: serializers.LparCreateJobSerializer})
    @action(detail=True, methods=["post"], url_path="create-on-hmc")
    def create_on_hmc(self, request: Request, pk=None) -> Response:
        job = services.lpar_create_on_hmc_request(lpar=self.get_object(), user=request.user)
        data = serializers.LparCreateJobSerializer(job).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class MigrationActionLog:
    """Every partition-moving request (the viewset's step-up actions) in the security log: who,
    from where, which action on which job, and the answer."""

    def finalize_response(self, request, response, *args, **kwargs):
        if request.method == "POST" and self.action in self.step_up_actions:
            security_event(
                kind=SecurityEvent.Kind.MIGRATION,
                request=request,
                channel="api",
                action=f"{self.basename}.{self.action}",
                object=kwargs.get("pk"),
                status=response.status_code,
                **getattr(self, "logged_details", {}),
            )
        return super().finalize_response(request, response, *args, **kwargs)


class MigrationViewSet(MigrationActionLog, viewsets.ReadOnlyModelViewSet):
    """Migrations, newest first, filtered as the Migrations page filters them: `?state=migrating`
    (or several: `?state=queued&state=migrating`, `?state__in=queued,migrating`), `?lpar=<id>`,
    `?lpar_name=`, `?batch=<id>`, `?source_frame=<id>`, `?destination_frame=<id>`, `?frame=<name>`,
    `?q=`. One shows its progress, current step and event log."""

    queryset = MigrationJob.objects.select_related(
        "lpar",
        "source_frame",
        "destination_frame",
        "hmc",
        "source_msp",
        "dest_msp",
        "requested_by",
    )
    serializer_class = serializers.MigrationJobSerializer
    filterset_class = MigrationJobFilterSet
    ordering_fields = ["created", "state", "progress"]
    permission_classes = MIGRATION_PERMISSION_CLASSES
    action_permissions = MIGRATION_ACTIONS
    step_up_actions = MIGRATION_STEP_UP
    validation_error_schema = "NestedValidationError"  # per storage mapping

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("events")
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.MigrationJobDetailSerializer
        return super().get_serializer_class()

    def _detail(
        self,
        job: MigrationJob,
        code: int = status.HTTP_200_OK,
        waiting: dict[int, str] | None = None,
    ) -> Response:
        """The job as stored now; `waiting`: why the broker did not take it, if it did not."""
        job = self.get_queryset().prefetch_related("events").get(pk=job.pk)
        context = {"request": self.request, "waiting": waiting or {}}
        data = serializers.MigrationJobDetailSerializer(job, context=context)
        return Response(data.data, status=code)

    @extend_schema(
        request=serializers.MigrationCreateSerializer,
        responses={201: serializers.MigrationJobDetailSerializer},
        description="Ask for a migration (or, with `validate_only`, the HMC's validation). "
        "Pre-flight errors are a 400 under `preflight`; warnings need `confirm_warnings`. An "
        "LPAR with a migration in progress is a 409 naming it. When the broker is down the job "
        "is saved as pending and `notice` says it starts when the broker is back. With `window` "
        "(or `scheduled_for`) it is saved as scheduled and starts when the window opens (or at "
        "that time); cancel it with `stop`.",
    )
    def create(self, request: Request) -> Response:
        given = serializers.MigrationCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        waiting: dict[int, str] = {}
        job = lpm.migration_create(
            lpar=data["lpar"],
            destination=data["destination_frame"],
            options=given.options(),
            requested_by=request.user,
            validate_only=data["validate_only"],
            confirm_warnings=data["confirm_warnings"],
            schedule=given.schedule(),
            on_dispatched=waiting.update,
        )
        return self._detail(job, status.HTTP_201_CREATED, waiting)

    @extend_schema(
        parameters=[serializers.MigrationProposalInputSerializer],
        responses=serializers.MigrationProposalSerializer,
        description="The Migrate wizard's defaults for `?lpar=<id>&destination_frame=<id>`, the "
        "pre-flight findings and the exact migrlpar line.",
    )
    @action(detail=False, methods=["get"])
    def proposal(self, request: Request) -> Response:
        given = serializers.MigrationProposalInputSerializer(data=request.query_params)
        given.is_valid(raise_exception=True)
        lpar, destination = given.validated_data["lpar"], given.validated_data["destination_frame"]
        options = lpm.migration_defaults(lpar=lpar, destination=destination)
        findings = lpm.migration_preflight(lpar=lpar, destination=destination)
        fields = options.job_fields()
        return Response(
            {
                **fields,
                "source_msp": options.source_msp.pk if options.source_msp else None,
                "dest_msp": options.dest_msp.pk if options.dest_msp else None,
                "verdict": verdict_of(findings),
                "findings": [
                    {"code": f.code, "severity": f.severity, "message": f.message} for f in findings
                ],
                "command": lpm.migration_command_preview(
                    lpar=lpar, destination=destination, options=options
                ),
                "migrlpar_options": migrlpar_flags_supported(lpar.frame.hmc),
            }
        )

    @extend_schema(request=None, responses=serializers.MigrationJobDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk=None) -> Response:
        """Migrate a job that was validated only."""
        return self._detail(lpm.migration_start(job=self.get_object(), user=request.user))

    @extend_schema(request=None, responses=serializers.MigrationJobDetailSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk=None) -> Response:
        """Cancel a job not yet started; stop a running one (migrlpar -o s)."""
        waiting: dict[int, str] = {}
        job = lpm.migration_stop(
            job=self.get_object(), user=request.user, on_dispatched=waiting.update
        )
        return self._detail(job, waiting=waiting)

    @extend_schema(
        request=serializers.MigrationRecoverSerializer,
        responses=serializers.MigrationJobDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def recover(self, request: Request, pk=None) -> Response:
        """Recover a failed or stopped migration (migrlpar -o r, `force` for --force)."""
        given = serializers.MigrationRecoverSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        waiting: dict[int, str] = {}
        job = lpm.migration_recover(
            job=self.get_object(),
            user=request.user,
            force=given.validated_data["force"],
            on_dispatched=waiting.update,
        )
        return self._detail(job, waiting=waiting)


class MigrationBatchViewSet(MigrationActionLog, viewsets.ReadOnlyModelViewSet):
    """Batches of migrations with each job and the whole; POST submits one (a list of jobs or an
    evacuation plan to run), all or nothing."""

    # A batch's jobs in the order they were asked for (an evacuation plan's: wave by wave), as
    # its page lists them.
    queryset = MigrationBatch.objects.select_related("requested_by", "admission").prefetch_related(
        Prefetch("jobs", queryset=MigrationJob.objects.order_by("created", "pk")),
        "jobs__lpar",
        "jobs__source_frame",
        "jobs__destination_frame",
        "jobs__hmc",
        "jobs__source_msp",
        "jobs__dest_msp",
        "jobs__requested_by",
    )
    serializer_class = serializers.MigrationBatchSerializer
    permission_classes = MIGRATION_PERMISSION_CLASSES
    action_permissions = BATCH_ACTIONS
    step_up_actions = BATCH_STEP_UP
    validation_error_schema = "NestedValidationError"  # per job, and its storage mappings

    @extend_schema(
        request=serializers.MigrationBatchCreateSerializer,
        responses={
            201: serializers.MigrationBatchSerializer,
            202: serializers.MigrationBatchSerializer,
        },
        description="Submit many migrations at once, either `jobs`, a list of `{lpar, "
        "destination_frame}` (plus any wizard option), or `evacuation_plan`, the id of a saved "
        "plan to run as *Migrate this plan* does (its placed LPARs wave by wave, with the plan's "
        "mover service partitions; the unplaced ones are left out). Exactly one of the two. "
        "Every refusal is listed under `jobs` by LPAR and rule (a plan that places no LPAR under "
        "`evacuation_plan`); then nothing is created. A batch of more than "
        "`BATCH_ADMIT_INLINE_MAX` migrations is admitted by a worker: the answer is `202` at "
        "once, with the batch (no jobs yet) and its `admission` (state, progress, and then the "
        "same refusals under `refusals`); `Location` is the batch, to poll.",
    )
    def create(self, request: Request) -> Response:
        given = serializers.MigrationBatchCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if "evacuation_plan" in data:
            plan = data["evacuation_plan"]
            self.logged_details = {"evacuation_plan": plan.pk}
            batch = lpm.evacuation_plan_run(
                plan=plan,
                requested_by=request.user,
                confirm_warnings=data["confirm_warnings"],
                validate_only=data["validate_only"],
                schedule=given.schedule(),
            )
        else:
            items = [
                {
                    "lpar": item["lpar"],
                    "destination_frame": item["destination_frame"],
                    "options": {k: v for k, v in item.items() if k in serializers.OPTION_FIELDS},
                }
                for item in data["jobs"]
            ]
            batch = lpm.batch_submit(
                items=items,
                requested_by=request.user,
                name=data.get("name", ""),
                confirm_warnings=data["confirm_warnings"],
                validate_only=data["validate_only"],
                schedule=given.schedule(),
            )
        admitting = batch.admitting
        batch = self.get_queryset().get(pk=batch.pk)
        body = serializers.MigrationBatchSerializer(batch, context={"request": request}).data
        if admitting is not None:  # a large batch: a worker admits it (BATCH_ADMIT_INLINE_MAX)
            location = request.build_absolute_uri(admitting.get_api_url())
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})
        return Response(body, status=status.HTTP_201_CREATED)
