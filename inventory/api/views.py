"""The inventory's REST collections: one viewset per model, filtered by the same FilterSets as
the list pages, each list fetched in a fixed number of queries however many rows it holds."""

from typing import Any, cast

from django.db import transaction
from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from inventory import filtersets, services
from inventory.api import serializers
from inventory.models import (
    Adapter,
    Drawer,
    Fabric,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from inventory.search import estate_search
from lpmplanner.permissions import EstateReader
from lpmplanner.security.stepup import step_up_demand


class AtomicWritesMixin:
    """Every write is one transaction with the rows saved alongside (WWPNs, VLANs); a delete
    that other rows still need is a 409 that says which."""

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance: Model) -> None:
        services.object_delete(instance=instance)  # Conflict (409) while other rows need it


class InventoryViewSet(AtomicWritesMixin, viewsets.ModelViewSet[Any]):
    """List, read, create, replace, change and delete one inventory model."""


class HmcViewSet(InventoryViewSet):
    """HMCs; setting or changing the address, login or pinned host key is a dangerous action
    (a fresh second factor, or a token with the operate scope)."""

    queryset = Hmc.objects.all()
    serializer_class = serializers.HmcSerializer
    filterset_class = filtersets.HmcFilterSet
    ordering_fields = ["id", "name", "host", "version"]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        step_up_demand(self.request, action="hmc_create")
        super().perform_create(serializer)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        hmc = serializer.instance
        assert isinstance(hmc, Hmc)  # an update has the stored HMC
        if hmc.sensitive_changes(serializer.validated_data):
            step_up_demand(self.request, action="hmc_update")
        super().perform_update(serializer)


class FrameViewSet(InventoryViewSet):
    queryset = Frame.objects.select_related("hmc")
    serializer_class = serializers.FrameSerializer
    filterset_class = filtersets.FrameFilterSet
    validation_error_schema = "NestedValidationError"  # per compatibility mode
    ordering_fields = [
        "id",
        "name",
        "serial",
        "machine_type",
        "model",
        "hmc__name",
        "processor_generation",
        "proc_units",
        "memory_mb",
        "state",
    ]


class DrawerViewSet(InventoryViewSet):
    queryset = Drawer.objects.select_related("frame")
    serializer_class = serializers.DrawerSerializer
    filterset_class = filtersets.DrawerFilterSet
    ordering_fields = ["id", "frame__name", "kind", "location", "position"]


class SlotViewSet(InventoryViewSet):
    queryset = Slot.objects.select_related("drawer")
    serializer_class = serializers.SlotSerializer
    filterset_class = filtersets.SlotFilterSet
    ordering_fields = ["id", "drawer__location", "location", "bus", "drc_index"]


class AdapterViewSet(InventoryViewSet):
    queryset = Adapter.objects.select_related("slot__drawer", "owner")
    serializer_class = serializers.AdapterSerializer
    filterset_class = filtersets.AdapterFilterSet
    ordering_fields = [
        "id",
        "slot__drawer__location",
        "slot__location",
        "kind",
        "feature_code",
        "owner__name",
    ]


class PortViewSet(InventoryViewSet):
    queryset = Port.objects.select_related("adapter__slot__drawer", "wwpn__fabric")
    serializer_class = serializers.PortSerializer
    filterset_class = filtersets.PortFilterSet
    ordering_fields = [
        "id",
        "adapter__slot__drawer__location",
        "adapter__slot__location",
        "name",
        "mac",
        "switch_port",
        "speed_gbps",
        "wwpn__value",
    ]


class VlanViewSet(InventoryViewSet):
    queryset = Vlan.objects.all()
    serializer_class = serializers.VlanSerializer
    filterset_class = filtersets.VlanFilterSet
    ordering_fields = ["id", "vlan_id", "name"]


class FabricViewSet(InventoryViewSet):
    queryset = Fabric.objects.all()
    serializer_class = serializers.FabricSerializer
    filterset_class = filtersets.FabricFilterSet
    ordering_fields = ["id", "name", "side", "vendor", "vsan"]


class StoragePortViewSet(InventoryViewSet):
    queryset = StoragePort.objects.select_related("fabric", "wwpn")
    serializer_class = serializers.StoragePortSerializer
    filterset_class = filtersets.StoragePortFilterSet
    ordering_fields = ["id", "array", "name", "fabric__name", "wwpn__value"]


class SharedProcessorPoolViewSet(InventoryViewSet):
    queryset = SharedProcessorPool.objects.select_related("frame")
    serializer_class = serializers.SharedProcessorPoolSerializer
    filterset_class = filtersets.SharedProcessorPoolFilterSet
    ordering_fields = ["id", "frame__name", "pool_id", "name"]


class LparViewSet(InventoryViewSet):
    queryset = Lpar.objects.select_related("frame", "shared_pool__frame", "stub_of")
    serializer_class = serializers.LparSerializer
    filterset_class = filtersets.LparFilterSet
    ordering_fields = [
        "id",
        "name",
        "lpar_id",
        "frame__name",
        "kind",
        "state",
        "proc_mode",
        "proc_units",
        "virtual_procs",
        "memory_mb",
    ]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The list read as plain values (`LparSerializer.rows_representation`): the same JSON
        as the instances would give, in the same queries, at a fraction of the Python cost."""
        serializer = cast(serializers.LparSerializer, self.get_serializer())
        queryset = self.filter_queryset(self.get_queryset()).values(*serializer.list_values())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(serializer.rows_representation(page))
        return Response(serializer.rows_representation(list(queryset)))


class VirtualAdapterViewSet(InventoryViewSet):
    queryset = VirtualAdapter.objects.select_related(
        "lpar", "remote_lpar", "pvid", "physical_port__adapter__slot__drawer"
    ).prefetch_related("vlans", "wwpns")
    serializer_class = serializers.VirtualAdapterSerializer
    filterset_class = filtersets.VirtualAdapterFilterSet
    validation_error_schema = "NestedValidationError"  # per WWPN
    ordering_fields = [
        "id",
        "lpar__frame__name",
        "lpar__name",
        "lpar__lpar_id",
        "kind",
        "role",
        "slot",
        "remote_lpar__name",
        "remote_slot",
        "pvid",
    ]


class WwpnViewSet(
    AtomicWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Wwpn],
):
    """Every WWPN of the estate. A WWPN is created and removed with its owner (a port, a storage
    port, a vFC client adapter); here SAN admins put it on its fabric."""

    queryset = Wwpn.objects.select_related(
        "fabric", "port__adapter__slot__drawer", "virtual_adapter__lpar", "storage_port"
    )
    serializer_class = serializers.WwpnSerializer
    filterset_class = filtersets.WwpnFilterSet
    ordering_fields = ["id", "value", "kind", "fabric__name", "position"]


class SearchHitSerializer(drf_serializers.Serializer[Any]):
    text = drf_serializers.CharField()
    url = drf_serializers.CharField()
    detail = drf_serializers.CharField()


class SearchGroupSerializer(drf_serializers.Serializer[Any]):
    kind = drf_serializers.CharField()
    list_url = drf_serializers.CharField()
    more = drf_serializers.BooleanField()
    hits = SearchHitSerializer(many=True)


class SearchView(APIView):
    """The global search (`?q=`): LPAR and frame names, serials, WWPNs in any spelling, VLAN
    ids, HMC names; a few hits of each kind, with a link to each kind's filtered list."""

    permission_classes = [EstateReader]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="What to look for.")],
        responses=SearchGroupSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        groups = estate_search(text=request.query_params.get("q", ""), user=request.user)
        return Response(SearchGroupSerializer(groups, many=True).data)
