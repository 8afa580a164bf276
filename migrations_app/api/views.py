"""HMC syncs and drift over REST: `POST /api/hmcs/{id}/sync/`, the host-key verbs, the sync
history with its drift reports, accept/keep per drift item, and creating a planned stub twin on
its HMC (`POST /api/lpars/{id}/create-on-hmc/`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.models import Hmc, Lpar
from lpmplanner.security import StepUpPermission
from migrations_app import services
from migrations_app.api import serializers
from migrations_app.hmc.errors import HmcConnectionError
from migrations_app.hmc.ssh import fingerprint_of
from migrations_app.models import DriftItem, HmcSync, LparCreateJob

SYNC = "migrations_app.add_hmcsync"
TRUST_KEY = "inventory.change_hmc"
RESOLVE = "inventory.change_frame"
# A Planner's: whoever may plan stub twins or edit LPARs may have the HMC create one.
CREATE_ON_HMC = ("planning.manage_stub_twin", "inventory.change_lpar")


class ActionPermission(permissions.BasePermission):
    """Signed in, and holding the permission the view names for the action (or one of them, when
    it names several), if any."""

    def has_permission(self, request: Request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = getattr(view, "action_permissions", {}).get(view.action)
        if needed is None:
            return True
        return any(
            request.user.has_perm(perm)
            for perm in ([needed] if isinstance(needed, str) else needed)
        )


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


class HmcVerbViewSet(viewsets.GenericViewSet):
    """Verbs on one HMC: sync now, and read or trust its SSH host key."""

    queryset = Hmc.objects.all()
    permission_classes = [ActionPermission, StepUpPermission]
    action_permissions = {"sync": SYNC, "host_key": TRUST_KEY}
    step_up_actions = {"host_key:POST"}  # pinning a key decides whom we trust
    serializer_class = serializers.HostKeySerializer

    @extend_schema(request=None, responses={202: serializers.HmcSyncSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk=None) -> Response:
        sync = services.hmc_sync_request(hmc=self.get_object(), user=request.user)
        data = serializers.HmcSyncSerializer(sync).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        methods=["GET"], request=None, responses=serializers.HostKeySerializer,
        description="The key the HMC presents now and its SHA256 fingerprint, to compare.",
    )  # fmt: skip
    @extend_schema(
        methods=["POST"], request=serializers.HostKeySerializer,
        responses=serializers.HostKeySerializer, description="Pin the key (trust it).",
    )  # fmt: skip
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
