"""The inventory over REST: related objects written by id and read as brief objects, and every
write judged by the model's own full_clean(), so the API obeys the rules the browser obeys."""

from collections.abc import Iterable, Mapping
from copy import copy
from functools import cached_property
from operator import attrgetter
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import Direction
from rest_framework import serializers
from rest_framework.fields import SkipField, is_simple_callable
from rest_framework.relations import PKOnlyObject
from rest_framework.reverse import reverse
from rest_framework.validators import UniqueValidator

from inventory.fields import NormalizedCharField
from inventory.identifiers import wwpn_normalize
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
from inventory.services import port_wwpn_set, storage_port_wwpn_set, virtual_adapter_save
from lpmplanner.api import validation_detail


def detail_view_name(model: type[models.Model] | models.Model) -> str:
    """The API route of one object of the model (the router's default basename)."""
    return f"api:{model._meta.model_name}-detail"


_PK_MARKER = "2147483647"


def detail_url(view_name: str, pk: Any, request: Any) -> str:
    """`reverse(view_name, kwargs={"pk": pk}, request=request)`, reversed once per request and
    view name: a list of a hundred rows links to a few hundred objects."""
    cache = getattr(request, "_lpm_detail_urls", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._lpm_detail_urls = cache
    try:
        prefix, suffix = cache[view_name]
    except KeyError:
        url = reverse(view_name, kwargs={"pk": _PK_MARKER}, request=request)
        prefix, _, suffix = url.rpartition(_PK_MARKER)
        cache[view_name] = prefix, suffix
    return f"{prefix}{pk}{suffix}"


def _detail_url_parts(view_name: str, request: Any) -> tuple[str, str]:
    """(prefix, suffix) of the detail URLs of `view_name`: a URL is prefix + pk + suffix."""
    prefix, _, suffix = detail_url(view_name, _PK_MARKER, request).rpartition(_PK_MARKER)
    return prefix, suffix


class DetailUrlField(serializers.HyperlinkedIdentityField):
    """The object's own API URL (`url`), reversed once per request."""

    def get_url(self, obj: models.Model, view_name: str, request: Any, format: Any) -> str | None:
        if obj.pk is None:
            return None
        if format:
            return super().get_url(obj, view_name, request, format)
        return detail_url(view_name, obj.pk, request)


class BriefSerializer(serializers.Serializer[Any]):
    """How a related object reads: enough to show it and to follow it."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    display = serializers.CharField()


class RelatedField(serializers.PrimaryKeyRelatedField[models.Model]):
    """A related object, written as its id (or `{"id": n}`) and read as `{id, url, display}`."""

    def use_pk_only_optimization(self) -> bool:
        return False  # the brief object needs the object itself, which select_related provides

    def to_internal_value(self, data: Any) -> models.Model:
        if isinstance(data, Mapping):
            if "id" not in data:
                self.fail("incorrect_type", data_type="an object without id")
            data = data["id"]
        related: models.Model = super().to_internal_value(data)
        return related

    def to_representation(self, value: models.Model | PKOnlyObject) -> dict[str, Any]:
        assert isinstance(value, models.Model)  # no pk-only optimisation (above)
        url = detail_url(detail_view_name(value), value.pk, self.context.get("request"))
        return {"id": value.pk, "url": url, "display": str(value)}


class RelatedFieldSchema(OpenApiSerializerFieldExtension):
    """OpenAPI: an integer id in requests, a brief object in responses."""

    target_class = RelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Direction) -> Any:
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(BriefSerializer, direction).ref


class VlanNumberField(serializers.SlugRelatedField[Vlan]):
    """A VLAN written and read as its number (1–4094), not as the row's id."""

    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "does_not_exist": "VLAN {value} is not in the inventory; add it under /api/vlans/ first.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Vlan.objects.all())
        super().__init__(slug_field="vlan_id", **kwargs)


class CanonicalWwpnField(serializers.CharField):
    """A WWPN written in any common spelling (`C0:50:76:…`) and read as 16 lower-case hex."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return wwpn_normalize(super().to_internal_value(data))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class WwpnPairField(serializers.ListField):
    """A vFC client adapter's two WWPNs, in pair order (position 1, then 2)."""

    def get_attribute(self, instance: VirtualAdapter) -> list[str]:
        return [wwpn.value for wwpn in sorted(instance.wwpns.all(), key=attrgetter("position"))]


class ValidatedModelSerializer(serializers.ModelSerializer[Any]):
    """A ModelSerializer that lets the model judge every write.

    validate() builds the object with the submitted values and runs its full_clean(): field
    validators, clean() and the named constraints, whose errors name the field in the planner's
    words. DRF's own uniqueness and range validators step aside so that those words come through.
    Related objects are written by id and read as brief objects; decimals read as numbers.
    """

    serializer_related_field = RelatedField
    display = serializers.CharField(source="__str__", read_only=True)

    def build_url_field(
        self, field_name: str, model_class: type[Any]
    ) -> tuple[type[serializers.Field[Any, Any, Any, Any]], dict[str, Any]]:
        return DetailUrlField, {"view_name": detail_view_name(model_class)}

    def build_standard_field(
        self, field_name: str, model_field: models.Field[Any, Any]
    ) -> tuple[type[serializers.Field[Any, Any, Any, Any]], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if kwargs.get("read_only"):
            return field_class, kwargs
        if issubclass(field_class, serializers.DecimalField):
            kwargs["coerce_to_string"] = False
        if isinstance(model_field, NormalizedCharField):
            # Any spelling is welcome (`AA:BB:CC:DD:EE:FF`): the length counts once it is canonical.
            kwargs.pop("max_length", None)
        # The model's range validators, not DRF's min/max: their messages explain the rule.
        kwargs.pop("min_value", None)
        kwargs.pop("max_value", None)
        ranges = (MinValueValidator, MaxValueValidator)
        drf_own = (UniqueValidator, *ranges)
        kwargs["validators"] = [
            *(v for v in kwargs.get("validators", []) if not isinstance(v, drf_own)),
            *(v for v in model_field.validators if isinstance(v, ranges)),
        ]
        return field_class, kwargs

    def get_validators(self) -> list[Any]:
        return []  # uniqueness is the model's constraints' to judge, in full_clean()

    @cached_property
    def _reading_plan(self) -> list[tuple[str, serializers.Field[Any, Any, Any, Any], str | None]]:
        """(name, field, attribute) per readable field: the attribute when DRF's own lookup
        would only getattr() it (a plain field with a one-step source), else None."""
        plan = []
        for field in self._readable_fields:
            assert field.field_name is not None  # bound to this serializer
            plain = (
                type(field).get_attribute is serializers.Field.get_attribute
                and len(field.source_attrs) == 1
            )
            plan.append((field.field_name, field, field.source_attrs[0] if plain else None))
        return plan

    def to_representation(self, instance: models.Model) -> dict[str, Any]:
        """DRF's, with the attribute lookups of plain fields done directly: a list of a
        hundred rows reads a couple of thousand of them."""
        data = {}
        for name, field, attribute in self._reading_plan:
            value: Any
            if attribute is None:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject):
                    value = value if value.pk is not None else None
            else:
                try:
                    value = getattr(instance, attribute)
                except ObjectDoesNotExist:  # as DRF: a missing related object reads as null
                    value = None
                if is_simple_callable(value):
                    value = value()
            data[name] = None if value is None else field.to_representation(value)
        return data

    def get_uniqueness_extra_kwargs(
        self,
        field_names: Iterable[str],
        declared_fields: Mapping[str, serializers.Field[Any, Any, Any, Any]],
        extra_kwargs: dict[str, Any],
    ) -> tuple[dict[str, Any], dict[str, serializers.HiddenField]]:
        return extra_kwargs, {}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        model: type[models.Model] = self.Meta.model
        instance = copy(self.instance) if self.instance is not None else model()
        own = {field.name for field in model._meta.concrete_fields} & attrs.keys()
        for name in own:
            setattr(instance, name, attrs[name])
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(validation_detail(error)) from None
        # full_clean() may put a value in canonical form (a MAC, a list of modes): save that.
        return {**attrs, **{name: getattr(instance, name) for name in own}}


class HmcSerializer(ValidatedModelSerializer):
    """An HMC; its password is write-only and never leaves the server."""

    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style={"input_type": "password"},
        help_text="Stored encrypted; never returned. Leave it out to keep the current one.",
    )
    private_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="An OpenSSH private key for key login; stored encrypted, never returned. "
        "Leave it out to keep the current one.",
    )

    class Meta:
        model = Hmc
        fields = [
            "id",
            "url",
            "display",
            "name",
            "host",
            "ssh_port",
            "username",
            "password",
            "private_key",
            "host_key",
            "rest_port",
            "version",
            "credentials_changed",
        ]
        read_only_fields = ["credentials_changed"]


class FrameSerializer(ValidatedModelSerializer):
    """A managed system (CEC)."""

    compat_modes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The compatibility modes the frame accepts, e.g. default, POWER8, POWER9.",
    )

    class Meta:
        model = Frame
        fields = [
            "id",
            "url",
            "display",
            "name",
            "machine_type",
            "model",
            "serial",
            "hmc",
            "processor_generation",
            "compat_modes",
            "proc_units",
            "memory_mb",
            "memory_region_mb",
            "firmware_level",
            "max_active_migrations",
            "state",
            "evacuation_target",
        ]


class DrawerSerializer(ValidatedModelSerializer):
    """A CEC or I/O expansion drawer of a frame."""

    class Meta:
        model = Drawer
        fields = ["id", "url", "display", "frame", "kind", "location", "position"]


class SlotSerializer(ValidatedModelSerializer):
    """A PCIe slot of a drawer."""

    full_location = serializers.CharField(read_only=True)

    class Meta:
        model = Slot
        fields = [
            "id",
            "url",
            "display",
            "drawer",
            "location",
            "full_location",
            "bus",
            "drc_index",
            "description",
        ]


class AdapterSerializer(ValidatedModelSerializer):
    """The card in a slot and the partition that owns it."""

    class Meta:
        model = Adapter
        fields = ["id", "url", "display", "slot", "kind", "feature_code", "description", "owner"]


class PortSerializer(ValidatedModelSerializer):
    """A physical port; an FC port's WWPN and fabric are its Wwpn row, saved with it."""

    wwpn = CanonicalWwpnField(
        source="wwpn.value",
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="FC ports: the WWPN, in any spelling; read as 16 lower-case hex digits. "
        "null removes it.",
    )
    fabric = RelatedField(
        source="wwpn.fabric",
        queryset=Fabric.objects.all(),
        required=False,
        allow_null=True,
        help_text="The fabric the port's WWPN is on.",
    )

    class Meta:
        model = Port
        fields = [
            "id",
            "url",
            "display",
            "adapter",
            "name",
            "mac",
            "switch_port",
            "speed_gbps",
            "wwpn",
            "fabric",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "wwpn" in attrs:
            # What is left out stays as it is; a removed WWPN takes its fabric with it.
            change, current = attrs["wwpn"], getattr(self.instance, "wwpn", None)
            value = change.get("value", current.value if current else None)
            fabric = change.get("fabric", current.fabric if current and value else None)
            if fabric and not value:
                raise serializers.ValidationError(
                    {"fabric": "Give the port a WWPN before putting it on a fabric."}
                )
            attrs["wwpn"] = {"value": value, "fabric": fabric}
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Port:
        wwpn = validated_data.pop("wwpn", None)
        port = super().create(validated_data)
        return self._wwpn_save(port, wwpn) if wwpn else port

    def update(self, instance: Port, validated_data: dict[str, Any]) -> Port:
        wwpn = validated_data.pop("wwpn", None)
        port = super().update(instance, validated_data)
        return self._wwpn_save(port, wwpn) if wwpn else port

    def _wwpn_save(self, port: Port, wwpn: dict[str, Any]) -> Port:
        port_wwpn_set(port=port, value=wwpn["value"], fabric=wwpn["fabric"])
        port.refresh_from_db()  # drop the WWPN row cached by select_related
        return port


class VlanSerializer(ValidatedModelSerializer):
    """A VLAN, known by its number."""

    class Meta:
        model = Vlan
        fields = ["id", "url", "display", "vlan_id", "name"]


class FabricSerializer(ValidatedModelSerializer):
    """A SAN fabric and how it is zoned."""

    class Meta:
        model = Fabric
        fields = [
            "id",
            "url",
            "display",
            "name",
            "side",
            "vendor",
            "vsan",
            "zoneset_name",
            "zoning_style",
        ]


class StoragePortSerializer(ValidatedModelSerializer):
    """A storage target port; its WWPN is its Wwpn row, always on the port's fabric."""

    wwpn = CanonicalWwpnField(
        source="wwpn.value",
        required=False,
        allow_null=True,
        help_text="The target port's WWPN, in any spelling; read as 16 lower-case hex digits, "
        "null while the port has none (writing null leaves it as it is).",
    )

    class Meta:
        model = StoragePort
        fields = ["id", "url", "display", "array", "name", "fabric", "wwpn"]

    def create(self, validated_data: dict[str, Any]) -> StoragePort:
        value = validated_data.pop("wwpn", {}).get("value")
        return self._wwpn_save(super().create(validated_data), value)

    def update(self, instance: StoragePort, validated_data: dict[str, Any]) -> StoragePort:
        value = validated_data.pop("wwpn", {}).get("value")
        return self._wwpn_save(super().update(instance, validated_data), value)

    def _wwpn_save(self, port: StoragePort, value: str | None) -> StoragePort:
        if value:
            storage_port_wwpn_set(storage_port=port, value=value)
            port.refresh_from_db()  # drop the WWPN row cached by select_related
        return port


class SharedProcessorPoolSerializer(ValidatedModelSerializer):
    """A shared processor pool of a frame."""

    class Meta:
        model = SharedProcessorPool
        fields = ["id", "url", "display", "frame", "pool_id", "name"]


class LparSerializer(ValidatedModelSerializer):
    """A logical partition: a VIOS or a client (AIX, Linux, IBM i)."""

    class Meta:
        model = Lpar
        fields = [
            "id",
            "url",
            "display",
            "name",
            "lpar_id",
            "frame",
            "kind",
            "state",
            "proc_mode",
            "proc_units",
            "virtual_procs",
            "memory_mb",
            "compat_mode",
            "shared_pool",
            "msp",
            "max_virtual_slots",
            "profile_name",
            "stub_of",
            "notes",
        ]

    # The lean list read: the columns of `values()` that give the same JSON as the instances.
    # Each related object's display is its __str__ (Frame and Lpar: the name; a pool:
    # "frame/name"), kept beside the models' own __str__ by tests/inventory/test_api_lean.py.
    RELATED_DISPLAY = {
        "frame": ("frame__name",),
        "shared_pool": ("shared_pool__frame__name", "shared_pool__name"),
        "stub_of": ("stub_of__name",),
    }

    @classmethod
    def list_values(cls) -> list[str]:
        """The columns `rows_representation` reads."""
        own = [f.attname for f in Lpar._meta.concrete_fields]
        return own + [column for columns in cls.RELATED_DISPLAY.values() for column in columns]

    _plain: list[tuple[str, Any, str]] | None = None

    def _plain_fields(self) -> list[tuple[str, Any, str]]:
        """(name, field, column) of the model's own fields, built once per process: their
        to_representation() depends on the field alone (ModelSerializer builds its fields
        anew for every request, a few milliseconds)."""
        cls = type(self)
        if cls._plain is None:
            bare = cls(context={})  # keeps no request
            cls._plain = [
                (name, field, cast(models.Field[Any, Any], Lpar._meta.get_field(name)).attname)
                for name, field, _ in bare._reading_plan
                if name not in self.RELATED_DISPLAY and name not in ("url", "display")
            ]
        return cls._plain

    def rows_representation(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The list's JSON from `values(*list_values())` rows: what `to_representation` gives
        for the instances, without building four model instances a row (Lpar, its frame, its
        pool and the pool's frame) and DRF's per-field lookups."""
        request = self.context.get("request")
        url_prefix, url_suffix = _detail_url_parts(detail_view_name(Lpar), request)
        related = {}
        for name, columns in self.RELATED_DISPLAY.items():
            model = Lpar._meta.get_field(name).related_model
            assert isinstance(model, type)
            related[name] = (
                f"{name}_id",
                columns,
                _detail_url_parts(detail_view_name(model), request),
            )
        plain = self._plain_fields()
        data = []
        for row in rows:
            item: dict[str, Any] = {}
            for name in self.Meta.fields:
                if name == "url":
                    item[name] = f"{url_prefix}{row['id']}{url_suffix}"
                elif name == "display":
                    item[name] = row["name"]
                elif name in related:
                    attname, columns, (prefix, suffix) = related[name]
                    pk = row[attname]
                    item[name] = (
                        None
                        if pk is None
                        else {
                            "id": pk,
                            "url": f"{prefix}{pk}{suffix}",
                            "display": "/".join(str(row[column]) for column in columns),
                        }
                    )
                else:
                    item[name] = None
            for name, field, attname in plain:
                value = row[attname]
                item[name] = None if value is None else field.to_representation(value)
            data.append(item)
        return data


class VirtualAdapterSerializer(ValidatedModelSerializer):
    """A virtual adapter, saved with its tagged VLANs and (vFC client) its WWPN pair at once."""

    pvid = VlanNumberField(
        required=False, allow_null=True, help_text="Ethernet: the port VLAN id (a VLAN number)."
    )
    vlans = VlanNumberField(
        many=True, required=False, help_text="Ethernet: the tagged VLANs, as VLAN numbers."
    )
    wwpns = WwpnPairField(
        child=serializers.CharField(),
        required=False,
        help_text="vFC client: its two WWPNs, in any spelling; read as 16 lower-case hex "
        "digits. Giving them replaces the pair.",
    )
    backing_devices = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="vSCSI server: hdisks or LUN ids, in mapping order.",
    )

    class Meta:
        model = VirtualAdapter
        fields = [
            "id",
            "url",
            "display",
            "lpar",
            "kind",
            "role",
            "slot",
            "remote_lpar",
            "remote_slot",
            "pvid",
            "vlans",
            "vswitch",
            "trunk_priority",
            "physical_port",
            "backing_devices",
            "device_name",
            "wwpns",
        ]

    def create(self, validated_data: dict[str, Any]) -> VirtualAdapter:
        vlans = validated_data.pop("vlans", None)
        wwpns = validated_data.pop("wwpns", None)
        adapter = VirtualAdapter(**validated_data)
        return virtual_adapter_save(adapter=adapter, vlans=vlans, wwpns=wwpns)

    def update(self, instance: VirtualAdapter, validated_data: dict[str, Any]) -> VirtualAdapter:
        vlans = validated_data.pop("vlans", None)
        wwpns = validated_data.pop("wwpns", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return virtual_adapter_save(adapter=instance, vlans=vlans, wwpns=wwpns)


class WwpnSerializer(ValidatedModelSerializer):
    """A WWPN of the estate. Its owner creates it; here only its fabric changes."""

    class Meta:
        model = Wwpn
        fields = [
            "id",
            "url",
            "display",
            "value",
            "kind",
            "fabric",
            "port",
            "virtual_adapter",
            "position",
            "storage_port",
        ]
        read_only_fields = ["value", "port", "virtual_adapter", "position", "storage_port"]
