"""One FilterSet per model, serving both the list pages and the API.

Each takes `q` (free text over the model's main text fields), its fields by value, and related
objects both by id (`frame=3`) and by name (`frame__name=p750-a`).
"""

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.utils.text import capfirst
from django_filters.utils import label_for_filter

from inventory import choices
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
from inventory.widgets import AnyYesNoSelect, SearchSelect


def related_filter(model: type[Model], *, label: str, field_name: str | None = None) -> Any:
    """A related object, by id in the URL and the API (`?frame=3`), shown by name in the page's
    searchable select."""
    return django_filters.NumberFilter(
        field_name=field_name, label=label, widget=SearchSelect(model)
    )


class SearchFilterSet(django_filters.FilterSet):
    """Adds `q`: a case-insensitive match on any of `search_fields`. Related objects filter by
    id, chosen on the page by name from a searchable select (an estate has thousands of LPARs);
    yes/no filters offer Any / Yes / No."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="search", label="Search")

    @classmethod
    def filter_for_lookup(cls, field: Field[Any, Any], lookup_type: str) -> Any:
        related = field.related_model
        if related is not None and field.many_to_one and lookup_type == "exact":
            label = capfirst(str(field.verbose_name))
            return django_filters.NumberFilter, {"label": label, "widget": SearchSelect(related)}
        return super().filter_for_lookup(field, lookup_type)

    @classmethod
    def get_filters(cls) -> dict[str, Any]:
        """Every filter's label is settled here, once: django-filter works a label out only when
        the filter knows its model, so a filter whose form field was built without one (the
        OpenAPI schema reads the class's own filters) would keep no label, and every later page
        would show the field's name instead ("Proc mode")."""
        filters: dict[str, Any] = super().get_filters()
        for declared in filters.values():
            if declared._label is None and declared.field_name:
                declared.label = label_for_filter(
                    cls._meta.model, declared.field_name, declared.lookup_expr, declared.exclude
                )
            if isinstance(declared, django_filters.BooleanFilter):
                declared.extra.setdefault("widget", AnyYesNoSelect)
        return filters

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form field cached on the class's filter (built by whoever read it first) is shared
        # by every request: each filter set builds its own.
        for copied in self.filters.values():
            copied.__dict__.pop("_field", None)

    def search(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class HmcFilterSet(SearchFilterSet):
    search_fields = ("name", "host", "version")

    class Meta:
        model = Hmc
        fields = ["name", "host", "version"]


class FrameFilterSet(SearchFilterSet):
    search_fields = ("name", "serial", "machine_type", "model", "firmware_level")
    hmc__name = django_filters.CharFilter(label="HMC (name)")

    class Meta:
        model = Frame
        fields = ["name", "machine_type", "model", "serial", "hmc", "processor_generation", "state"]


class DrawerFilterSet(SearchFilterSet):
    search_fields = ("location", "position", "frame__name")
    frame__name = django_filters.CharFilter(label="Frame (name)")

    class Meta:
        model = Drawer
        fields = ["frame", "kind", "location"]


class SlotFilterSet(SearchFilterSet):
    search_fields = ("location", "drawer__location", "description", "drc_index")
    frame = related_filter(Frame, field_name="drawer__frame", label="Frame")
    frame__name = django_filters.CharFilter(field_name="drawer__frame__name", label="Frame (name)")
    empty = django_filters.BooleanFilter(field_name="adapter", lookup_expr="isnull", label="Empty")

    class Meta:
        model = Slot
        fields = ["drawer", "location", "bus"]


class AdapterFilterSet(SearchFilterSet):
    search_fields = ("feature_code", "description", "slot__location", "slot__drawer__location")
    frame = related_filter(Frame, field_name="slot__drawer__frame", label="Frame")
    frame__name = django_filters.CharFilter(
        field_name="slot__drawer__frame__name", label="Frame (name)"
    )
    owner__name = django_filters.CharFilter(label="Owner (name)")

    class Meta:
        model = Adapter
        fields = ["slot", "kind", "feature_code", "owner"]


class PortFilterSet(SearchFilterSet):
    search_fields = ("name", "mac", "switch_port", "wwpn__value")
    frame = related_filter(Frame, field_name="adapter__slot__drawer__frame", label="Frame")
    frame__name = django_filters.CharFilter(
        field_name="adapter__slot__drawer__frame__name", label="Frame (name)"
    )
    kind = django_filters.ChoiceFilter(
        field_name="adapter__kind", choices=choices.AdapterKind.choices, label="Adapter kind"
    )

    class Meta:
        model = Port
        fields = ["adapter", "name", "mac"]


class VlanFilterSet(SearchFilterSet):
    search_fields = ("name",)

    def search(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        if value.strip().isdigit():
            return queryset.filter(Q(vlan_id=int(value)) | Q(name__icontains=value.strip()))
        return super().search(queryset, name, value)

    class Meta:
        model = Vlan
        fields = ["vlan_id", "name"]


class FabricFilterSet(SearchFilterSet):
    search_fields = ("name", "zoneset_name")

    class Meta:
        model = Fabric
        fields = ["name", "side", "vendor", "vsan", "zoning_style"]


class StoragePortFilterSet(SearchFilterSet):
    search_fields = ("array", "name", "wwpn__value")
    fabric__name = django_filters.CharFilter(label="Fabric (name)")

    class Meta:
        model = StoragePort
        fields = ["array", "name", "fabric"]


class SharedProcessorPoolFilterSet(SearchFilterSet):
    search_fields = ("name", "frame__name")
    frame__name = django_filters.CharFilter(label="Frame (name)")

    class Meta:
        model = SharedProcessorPool
        fields = ["frame", "pool_id", "name"]


class LparFilterSet(SearchFilterSet):
    search_fields = ("name", "frame__name", "profile_name", "notes")
    frame__name = django_filters.CharFilter(label="Frame (name)")
    vlan = django_filters.NumberFilter(method="on_vlan", label="On VLAN")
    is_stub = django_filters.BooleanFilter(
        field_name="stub_of", lookup_expr="isnull", exclude=True, label="Is a stub twin"
    )

    def on_vlan(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(
            Q(virtual_adapters__pvid=value) | Q(virtual_adapters__vlans__vlan_id=value)
        ).distinct()

    class Meta:
        model = Lpar
        fields = [
            "frame",
            "name",
            "lpar_id",
            "kind",
            "state",
            "proc_mode",
            "shared_pool",
            "msp",
            "stub_of",
            "compat_mode",
        ]


class VirtualAdapterFilterSet(SearchFilterSet):
    search_fields = ("lpar__name", "device_name", "wwpns__value")
    lpar__name = django_filters.CharFilter(label="LPAR (name)")
    frame = related_filter(Frame, field_name="lpar__frame", label="Frame")
    frame__name = django_filters.CharFilter(field_name="lpar__frame__name", label="Frame (name)")
    vlan = django_filters.NumberFilter(method="on_vlan", label="On VLAN")
    wwpn = django_filters.CharFilter(field_name="wwpns__value", label="WWPN")

    def on_vlan(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(Q(pvid=value) | Q(vlans__vlan_id=value)).distinct()

    class Meta:
        model = VirtualAdapter
        fields = ["lpar", "kind", "role", "slot", "remote_lpar", "remote_slot", "pvid", "vswitch"]


class WwpnFilterSet(SearchFilterSet):
    search_fields = ("value",)
    value = django_filters.CharFilter(method="exact_wwpn", label="WWPN (any spelling)")
    fabric__name = django_filters.CharFilter(label="Fabric (name)")
    unzoned = django_filters.BooleanFilter(
        field_name="fabric", lookup_expr="isnull", label="Not on a fabric"
    )

    def search(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        digits = "".join(ch for ch in value.lower() if ch in "0123456789abcdef")
        return queryset.filter(value__icontains=digits) if digits else queryset

    def exact_wwpn(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        try:
            return queryset.filter(value=wwpn_normalize(value))
        except ValidationError:
            return queryset.none()

    class Meta:
        model = Wwpn
        fields = ["value", "kind", "fabric", "virtual_adapter", "port", "storage_port"]
